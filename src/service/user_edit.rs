//! `user edit`: every requested change is decided before any is applied.

use super::subject;
use crate::authz::{self, EditFacts, Field, Request};
use crate::context::Ctx;
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::service::record::Changes;
use crate::store::{Group, Org, Tx, User, UserChange};
use crate::validate;

/// The flags of `user edit`, as given. An empty text clears the value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EditArgs {
    pub full_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub initials: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub notify: Option<bool>,
    pub robot: Option<bool>,
    pub active: Option<bool>,
    pub sso_disabled: Option<bool>,
    pub sms_auto_send: Option<bool>,
    pub require_2fa: Option<bool>,
    pub primary_group: Option<String>,
    pub add_groups: Vec<String>,
    pub remove_groups: Vec<String>,
}

impl EditArgs {
    pub fn is_empty(&self) -> bool {
        *self == EditArgs::default()
    }
}

fn clearable(v: &Option<String>, f: impl Fn(&str) -> Result<String, AppError>) -> Result<Option<Option<String>>, AppError> {
    match v.as_deref() {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(s) => f(s).map(|x| Some(Some(x))),
    }
}

/// A group named `slug` (current organization) or `org/slug`, with its organization.
fn group_ref(tx: &dyn Tx, current: &Org, name: &str) -> Result<(Group, Org)> {
    let (org, slug) = match name.split_once('/') {
        Some((o, g)) => (super::org_named(tx, o)?, g),
        None => (current.clone(), name),
    };
    let g = super::group_in(tx, &org, slug)?;
    Ok((g, org))
}

/// Validate the flags into a change and the facts the engine needs.
fn resolve(tx: &dyn Tx, org: &Org, target: &authz::Subject, a: &EditArgs) -> Result<(UserChange, EditFacts)> {
    let mut c = UserChange {
        full_name: clearable(&a.full_name, |s| validate::name("full name", s))?,
        first_name: clearable(&a.first_name, |s| validate::name("first name", s))?,
        last_name: clearable(&a.last_name, |s| validate::name("last name", s))?,
        initials: clearable(&a.initials, validate::initials)?,
        email: a.email.as_deref().map(validate::email).transpose()?.map(|e| (e.display, e.key)),
        phone: clearable(&a.phone, validate::phone)?,
        timezone: clearable(&a.timezone, validate::timezone)?,
        notify: a.notify,
        robot: a.robot,
        active: a.active,
        sso_disabled: a.sso_disabled,
        sms_auto_send: a.sms_auto_send,
        require_2fa: a.require_2fa,
        ..Default::default()
    };
    // Without a phone there is nothing to send codes to.
    if c.phone == Some(None) && c.sms_auto_send.is_none() && tx.user(target.id, None)?.is_some_and(|u| u.sms_auto_send) {
        c.sms_auto_send = Some(false);
    }
    let mut new_primary = None;
    if let Some(g) = &a.primary_group {
        let (g, _) = group_ref(tx, org, g)?;
        new_primary = Some((g.id, g.org_id));
        c.primary_group = Some(g.id);
    }
    // Each group added or left is decided by the engine (the group rule of SPEC §3).
    let mut groups = Vec::new();
    for (names, ids) in [(&a.add_groups, &mut c.add_groups), (&a.remove_groups, &mut c.remove_groups)] {
        for g in names {
            let (g, gorg) = group_ref(tx, org, g)?;
            ids.push(g.id);
            groups.push(g.facts(&gorg));
        }
    }
    let mut fields = Vec::new();
    let set = |b: bool, f: Field, v: &mut Vec<Field>| {
        if b {
            v.push(f)
        }
    };
    set(c.full_name.is_some(), Field::FullName, &mut fields);
    set(c.first_name.is_some(), Field::FirstName, &mut fields);
    set(c.last_name.is_some(), Field::LastName, &mut fields);
    set(c.initials.is_some(), Field::Initials, &mut fields);
    set(c.email.is_some(), Field::Email, &mut fields);
    set(c.phone.is_some(), Field::Phone, &mut fields);
    set(c.timezone.is_some(), Field::Timezone, &mut fields);
    set(c.notify.is_some(), Field::Notify, &mut fields);
    set(c.robot.is_some(), Field::Robot, &mut fields);
    set(c.active.is_some(), Field::Active, &mut fields);
    set(c.sso_disabled.is_some(), Field::SsoDisabled, &mut fields);
    set(c.sms_auto_send.is_some(), Field::SmsAutoSend, &mut fields);
    set(c.require_2fa.is_some(), Field::Require2fa, &mut fields);
    set(c.primary_group.is_some(), Field::PrimaryGroup, &mut fields);
    set(!c.add_groups.is_empty() || !c.remove_groups.is_empty(), Field::Groups, &mut fields);
    // The derived names follow the fields asked for (same rule as the names,
    // so a denial still names what was asked).
    derive_names(tx, target.id, &mut c)?;
    for (given, f) in [(c.full_name.is_some(), Field::FullName), (c.initials.is_some(), Field::Initials)] {
        if given && !fields.contains(&f) {
            fields.push(f);
        }
    }
    let phone_after = match &c.phone {
        Some(p) => p.is_some(),
        None => target.has_phone,
    };
    let deactivating = c.active == Some(false) && target.status != authz::Status::Inactive;
    let enabling_sms_auto_send = c.sms_auto_send == Some(true);
    let email_change = c.email.is_some();
    Ok((
        c,
        EditFacts {
            fields,
            deactivating,
            new_primary_group: new_primary,
            phone_after,
            enabling_sms_auto_send,
            email_change,
            groups,
        },
    ))
}

/// SPEC §1: `full_name` and `initials` follow the first and last name
/// ("first last" and its initials) until they are set explicitly; every
/// change of a name re-derives them; an explicit value sticks until it is
/// cleared with an empty value, which returns it to the derived form.
/// Completes `c` with the derived values and whether each is explicit.
pub fn derive_names(tx: &dyn Tx, user: i64, c: &mut UserChange) -> Result<()> {
    if c.first_name.is_none() && c.last_name.is_none() && c.full_name.is_none() && c.initials.is_none() {
        return Ok(());
    }
    let Some(old) = tx.user(user, None)? else {
        return Ok(());
    };
    let (full_was_set, initials_were_set) = tx.name_overrides(user)?;
    let first = c.first_name.clone().unwrap_or(old.first_name);
    let last = c.last_name.clone().unwrap_or(old.last_name);
    let derived = validate::default_full_name(first.as_deref(), last.as_deref());
    let explicit = |given: &Option<Option<String>>, before: bool| match given {
        Some(Some(_)) => true,
        Some(None) => false,
        None => before,
    };
    let full_set = explicit(&c.full_name, full_was_set);
    if !full_set {
        c.full_name = Some(derived.clone());
    }
    let initials_set = explicit(&c.initials, initials_were_set);
    if !initials_set {
        c.initials = Some(validate::default_initials(derived.as_deref()));
    }
    c.full_name_set = Some(full_set);
    c.initials_set = Some(initials_set);
    Ok(())
}

/// The user an edit is about (also for `can-i edit`), not in the trash.
///
/// Decide first, then look: an actor with no standing at all (no
/// permission in any organization, no global role, no group to manage) is
/// related to nobody but themself, so anyone else (existing or not) is
/// answered as an unrelated user, and such an actor learns nothing about who
/// exists.
pub fn edit_target(tx: &dyn Tx, actor: &authz::Subject, who: &str) -> Result<authz::Subject> {
    let sel = crate::validate::user_selector(who)?;
    let found = tx.find_user(&sel)?;
    let standing =
        !actor.global.is_empty() || actor.memberships.iter().any(|(_, p)| !p.is_empty()) || !actor.managed_groups.is_empty();
    let id = match found {
        Some(id) if id == actor.id || standing => id,
        _ if !standing => return Ok(unrelated(who)),
        _ => return Err(error::not_found(format!("user '{}' not found", one_line(who))).into()),
    };
    let target = subject(tx, id)?;
    if target.trashed {
        return Err(error::conflict(format!("{} is in the trash", target.label))
            .with_hint(format!("restore them first with 'acct user restore {}'", target.label))
            .into());
    }
    Ok(target)
}

/// Somebody the actor has no relation to: every edit of theirs is refused.
fn unrelated(who: &str) -> authz::Subject {
    authz::Subject::bare(0, &one_line(who))
}

/// The decision of an edit of `target` (`user edit`, `apply` for a row's
/// attributes, `acct undo` of an edit): the flags validated into a change,
/// and the engine's permit for it.
pub fn edit_decision(
    tx: &dyn Tx,
    actor: &authz::Subject,
    org: &Org,
    target: &authz::Subject,
    a: &EditArgs,
) -> Result<(UserChange, authz::Permit)> {
    let (change, facts) = resolve(tx, org, target, a)?;
    let permit = authz::decide(actor, &Request::UserEdit { target, edit: &facts })?;
    Ok((change, permit))
}

/// Apply the flags to a user. A partly denied edit changes nothing.
pub fn edit(ctx: &Ctx, who: &str, a: &EditArgs) -> Result<(String, Changes)> {
    if a.is_empty() {
        return Err(AppError::new(Kind::Usage, "nothing to change")
            .with_hint("pass flags such as --first-name, or run on a terminal to edit in $EDITOR")
            .into());
    }
    let mut store = ctx.open_store()?;
    let mut tx = store.write()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let target = edit_target(&*tx, &actor, who)?;
    let (change, permit) = edit_decision(&*tx, &actor, &org, &target, a)?;
    let ch = record::users::update_user(&mut *tx, &permit, target.id, &change)?;
    ctx.finish(tx)?;
    Ok((target.label, ch))
}

/// The editable fields as a TOML document for `$EDITOR`.
pub fn to_toml(u: &User, current_org: &str) -> String {
    use toml_edit::{Array, DocumentMut, value};
    let mut d = DocumentMut::new();
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    d["full_name"] = value(s(&u.full_name));
    d["first_name"] = value(s(&u.first_name));
    d["last_name"] = value(s(&u.last_name));
    d["initials"] = value(s(&u.initials));
    d["email"] = value(u.email.clone());
    d["phone"] = value(s(&u.phone));
    d["timezone"] = value(s(&u.timezone));
    d["notify"] = value(u.notify);
    d["robot"] = value(u.robot);
    d["active"] = value(u.active);
    d["sso_disabled"] = value(u.sso_disabled);
    d["sms_auto_send"] = value(u.sms_auto_send);
    d["require_2fa"] = value(u.require_2fa);
    let pg = match (&u.primary_group, &u.organization) {
        (Some(g), Some(o)) if o == current_org => g.clone(),
        (Some(g), Some(o)) => format!("{o}/{g}"),
        _ => String::new(),
    };
    d["primary_group"] = value(pg);
    d["groups"] = value(u.groups.iter().collect::<Array>());
    format!(
        "# Editing {} (id {}, username {}). Save and quit to apply; lines starting with '#' are ignored.\n\
         # An empty string clears a value. Groups are slugs of {current_org}, or ORG/SLUG.\n\
         # Read-only: status = {}, two_factor = {}, organization = {}\n{d}",
        one_line(&u.email),
        u.id,
        u.username,
        u.status,
        u.two_factor,
        u.organization.as_deref().unwrap_or("(none)")
    )
}

/// The difference between the original and the edited document, as flags.
pub fn diff_toml(u: &User, current_org: &str, edited: &str) -> Result<EditArgs> {
    let original: toml_edit::DocumentMut =
        to_toml(u, current_org).parse().map_err(|e: toml_edit::TomlError| anyhow::anyhow!("internal: {e}"))?;
    let new: toml_edit::DocumentMut = edited.parse().map_err(|e: toml_edit::TomlError| {
        AppError::new(Kind::Invalid, format!("the edited text is not valid TOML: {}", one_line(e.message())))
    })?;
    let mut a = EditArgs::default();
    for (k, v) in new.iter() {
        if !original.contains_key(k) {
            return Err(AppError::new(Kind::Invalid, format!("'{}' cannot be edited", one_line(k))).into());
        }
        if original.get(k).map(|o| o.to_string().trim().to_string()) == Some(v.to_string().trim().to_string()) {
            continue;
        }
        let text = || -> Result<String> {
            v.as_str().map(str::to_string).ok_or_else(|| AppError::new(Kind::Invalid, format!("'{k}' must be a string")).into())
        };
        let boolean = || -> Result<bool> {
            v.as_bool().ok_or_else(|| AppError::new(Kind::Invalid, format!("'{k}' must be true or false")).into())
        };
        match k {
            "full_name" => a.full_name = Some(text()?),
            "first_name" => a.first_name = Some(text()?),
            "last_name" => a.last_name = Some(text()?),
            "initials" => a.initials = Some(text()?),
            "email" => a.email = Some(text()?),
            "phone" => a.phone = Some(text()?),
            "timezone" => a.timezone = Some(text()?),
            "notify" => a.notify = Some(boolean()?),
            "robot" => a.robot = Some(boolean()?),
            "active" => a.active = Some(boolean()?),
            "sso_disabled" => a.sso_disabled = Some(boolean()?),
            "sms_auto_send" => a.sms_auto_send = Some(boolean()?),
            "require_2fa" => a.require_2fa = Some(boolean()?),
            "primary_group" => a.primary_group = Some(text()?).filter(|g| !g.is_empty()),
            "groups" => {
                let arr = v.as_array().ok_or_else(|| AppError::new(Kind::Invalid, "'groups' must be a list of group names"))?;
                let mut now = Vec::new();
                for g in arr.iter() {
                    now.push(g.as_str().ok_or_else(|| AppError::new(Kind::Invalid, "'groups' must be a list of group names"))?);
                }
                a.add_groups = now.iter().filter(|g| !u.groups.iter().any(|o| o == *g)).map(|g| g.to_string()).collect();
                a.remove_groups = u.groups.iter().filter(|o| !now.contains(&o.as_str())).cloned().collect();
            }
            _ => return Err(AppError::new(Kind::Invalid, format!("'{}' cannot be edited", one_line(k))).into()),
        }
    }
    for (k, _) in original.iter() {
        if !new.contains_key(k) {
            return Err(AppError::new(Kind::Invalid, format!("'{k}' was deleted; to clear a value set it to \"\"")).into());
        }
    }
    Ok(a)
}

/// `user edit USER` with no flags on a terminal: edit as TOML in `$EDITOR`.
pub fn edit_in_editor(ctx: &Ctx, who: &str) -> Result<Option<(String, Changes)>> {
    let (user, org) = {
        let mut store = ctx.open_store()?;
        let tx = store.read()?;
        let actor = ctx.actor(&*tx)?;
        let org = ctx.org(&*tx)?;
        let target = edit_target(&*tx, &actor, who)?;
        let id = target.id;
        // Show the record only to someone who may see it, as `user show` does.
        let seen = authz::decide(&actor, &Request::UserView { org: &org.facts(), target: Some(&target) })?;
        (tx.record(&seen, id, Some(org.id))?.ok_or_else(|| error::not_found("user vanished"))?, org)
    };
    let text = to_toml(&user, &org.slug);
    let edited = run_editor(&text)?;
    let args = diff_toml(&user, &org.slug, &edited)?;
    if args.is_empty() {
        return Ok(None);
    }
    edit(ctx, &user.id.to_string(), &args).map(Some)
}

/// Write the text to a private temporary file, run `$VISUAL`/`$EDITOR` on it
/// (through the shell, so that `EDITOR="code --wait"` works), read it back.
fn run_editor(text: &str) -> Result<String> {
    use std::io::Write;
    // The editor is a command line for the shell: bytes that are not UTF-8
    // are passed on as they are (and shown escaped in errors).
    let editor =
        ["VISUAL", "EDITOR"].iter().find_map(|v| std::env::var_os(v).filter(|s| !s.is_empty())).unwrap_or_else(|| "vi".into());
    let shown = error::one_line_os(&editor);
    let mut script = editor;
    script.push(" \"$1\"");
    let mut file = tempfile::Builder::new().prefix("acct-edit-").suffix(".toml").tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(file.path())
        .status()
        .map_err(|e| error::failure(format!("cannot run the editor '{shown}': {e}")))?;
    if !status.success() {
        return Err(error::failure(format!("the editor '{shown}' failed; nothing was changed")).into());
    }
    Ok(std::fs::read_to_string(file.path())?)
}
