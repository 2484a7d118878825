//! `user edit`: every requested change is decided before any is applied.

use super::subject;
use crate::authz::{self, EditFacts, Field, Request};
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::service::record::Changes;
use crate::store::{Group, Org, Tx, User, UserChange};
use crate::validate;

/// The flags of `user edit` and the resolution of the plain ones, from the attribute table.
macro_rules! define_edit_args {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:tt, $chg:tt, $who:tt, $sort:ident, $check:tt, $flag:tt),)*) => {
        /// The flags of `user edit`, as given. An empty text clears the value.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct EditArgs {
            $(pub $name: crate::attributes::attr_type!(given, $kind),)*
            pub email: Option<String>,
            pub active: Option<bool>,
            pub primary_group: Option<String>,
            pub add_groups: Vec<String>,
            pub remove_groups: Vec<String>,
        }

        /// The plain attributes of the flags, checked, as a change.
        fn plain_change(a: &EditArgs) -> Result<UserChange, AppError> {
            Ok(UserChange { $($name: crate::service::user_edit::checked!($kind, a.$name, $check),)* ..Default::default() })
        }

        /// Set the plain attribute `key` of the flags from an edited TOML value;
        /// `false` when `key` is not one.
        fn set_plain(a: &mut EditArgs, key: &str, text: &dyn Fn() -> Result<String>, boolean: &dyn Fn() -> Result<bool>) -> Result<bool> {
            match key {
                $(stringify!($name) => a.$name = Some(crate::service::user_edit::toml_value!($kind, text, boolean)),)*
                _ => return Ok(false),
            }
            Ok(true)
        }

        /// Whether `name` is a plain attribute (text or flag) of the table.
        pub fn is_plain(name: &str) -> bool {
            matches!(name, $(stringify!($name))|*)
        }

        /// Set the plain attribute `name` of the flags from a value as the
        /// audit log and `apply` write it (null or "" clears a text); `false`
        /// when `name` is not one.
        pub fn set_plain_from(a: &mut EditArgs, name: &str, v: &serde_json::Value) -> bool {
            match name {
                $(stringify!($name) => a.$name = crate::service::user_edit::from_value!($kind, v),)*
                _ => return false,
            }
            true
        }

        /// A cell of a plain attribute as `apply` reads it, checked: an empty
        /// text is null (it clears), an empty flag is the flag's default.
        /// `None` when `c` is not a plain attribute.
        pub fn plain_cell(c: crate::store::Column, v: &str) -> Option<Result<serde_json::Value, AppError>> {
            match c.name() {
                $(stringify!($name) => Some(crate::service::user_edit::cell!($kind, $name, v, $check)),)*
                _ => None,
            }
        }

        /// The plain attribute `key` of a user as a TOML value.
        fn plain_toml(u: &User, key: &str) -> Option<toml_edit::Item> {
            match key {
                $(stringify!($name) => Some(crate::service::user_edit::toml_item!($kind, u.$name)),)*
                _ => None,
            }
        }
    };
}

/// A flag's value checked: a text by its attribute's check (empty clears it).
macro_rules! checked {
    (text, $v:expr, ($check:expr)) => {
        clearable(&$v, $check)?
    };
    (flag, $v:expr, $default:tt) => {
        $v
    };
}
use checked;

/// An edited TOML value as a flag of the kind.
macro_rules! toml_value {
    (text, $text:ident, $boolean:ident) => {
        $text()?
    };
    (flag, $text:ident, $boolean:ident) => {
        $boolean()?
    };
}
use toml_value;

/// A plain attribute's flag from a value as written in the audit log.
macro_rules! from_value {
    (text, $v:ident) => {
        Some($v.as_str().unwrap_or_default().to_string())
    };
    (flag, $v:ident) => {
        $v.as_bool()
    };
}
use from_value;

/// A plain attribute's cell in an `apply` input, checked.
macro_rules! cell {
    (text, $name:ident, $v:ident, ($check:expr)) => {
        if $v.is_empty() { Ok(serde_json::Value::Null) } else { ($check)($v).map(serde_json::Value::from) }
    };
    (flag, $name:ident, $v:ident, ($default:expr)) => {
        if $v.trim().is_empty() {
            Ok(serde_json::Value::Bool($default))
        } else {
            validate::boolean(stringify!($name), $v.trim())
                .map(serde_json::Value::Bool)
                .map_err(|e| AppError { kind: Kind::Invalid, ..e })
        }
    };
}
use cell;

/// A plain attribute as a TOML value (an unset text is "").
macro_rules! toml_item {
    (text, $v:expr) => {
        toml_edit::value($v.clone().unwrap_or_default())
    };
    (flag, $v:expr) => {
        toml_edit::value($v)
    };
}
use toml_item;

crate::attributes::plain_attributes! { define_edit_args }

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
        email: a.email.as_deref().map(validate::email).transpose()?.map(|e| (e.display, e.key)),
        active: a.active,
        ..plain_change(a)?
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
    let mut fields = c.fields();
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
    let sel = crate::service::user_selector(who)?;
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

/// An edit needs something to change (checked before anything is opened).
pub fn require_change(a: &EditArgs) -> Result<(), AppError> {
    if a.is_empty() {
        return Err(AppError::new(Kind::Usage, "nothing to change")
            .with_hint("pass flags such as --first-name, or run on a terminal to edit in $EDITOR"));
    }
    Ok(())
}

/// Apply the flags to a user; returns the user's label and the changes. A
/// partly denied edit changes nothing.
pub fn edit(tx: &mut dyn Tx, actor: &authz::Subject, org: &Org, who: &str, a: &EditArgs) -> Result<(String, Changes)> {
    require_change(a)?;
    let target = edit_target(&*tx, actor, who)?;
    let (change, permit) = edit_decision(&*tx, actor, org, &target, a)?;
    let ch = record::users::update_user(tx, &permit, target.id, &change)?;
    Ok((target.label, ch))
}

/// The record of a user as its editor sees it in `$EDITOR`: only for someone
/// who may see it, as `user show` decides.
pub fn editable(tx: &dyn Tx, actor: &authz::Subject, org: &Org, who: &str) -> Result<User> {
    let target = edit_target(tx, actor, who)?;
    let seen = authz::decide(actor, &Request::UserView { org: &org.facts(), target: Some(&target) })?;
    Ok(tx.record(&seen, target.id, Some(org.id))?.ok_or_else(|| error::not_found("user vanished"))?)
}

/// The editable fields as a TOML document for `$EDITOR`.
pub fn to_toml(u: &User, current_org: &str) -> String {
    use toml_edit::{Array, DocumentMut, value};
    let mut d = DocumentMut::new();
    // The editable fields in the order of SPEC §3; the plain ones from the table.
    for f in Field::ALL {
        let key = f.name();
        if let Some(item) = plain_toml(u, key) {
            d[key] = item;
        }
        match f {
            Field::Email => d["email"] = value(u.email.clone()),
            Field::Active => d["active"] = value(u.active),
            _ => {}
        }
    }
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
        if set_plain(&mut a, k, &text, &boolean)? {
            continue;
        }
        match k {
            "email" => a.email = Some(text()?),
            "active" => a.active = Some(boolean()?),
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
