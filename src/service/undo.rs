//! `acct undo`: reverse one audit entry, or every entry of one change, as a
//! new change by the current actor.
//!
//! Each reversal is the mutation that the command making it would make, and
//! is decided by the same function that command calls (the user editor, the
//! role assignment, the group member rule, `org set`, `role edit`, `access`,
//! `user remove`, `user restore`, `user add`), so that the permissions and
//! the invariants hold: nobody undoes their way around the engine. Before
//! that, the target must still be as the entry left it (else a conflict
//! naming the field and its value now, unless `--force`).

use super::{group, role, subject, user, user_edit};
use crate::authz::{self, Op, PermSet, Permit, Request, Subject};
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::service::session::Ask;
use crate::store::{AuditEntry, AuditQuery, GroupRole, Org, OrgChange, RoleChange, Tx};
use serde_json::Value;

/// What to undo.
pub enum Which {
    Entry(i64),
    Change(String),
}

/// The write of a decided reversal.
type Apply = Box<dyn FnOnce(&mut dyn Tx) -> Result<()>>;

/// A reversal decided and ready to be applied.
pub struct Step {
    pub entry: AuditEntry,
    /// `field: now → back`, one per field the reversal changes.
    pub lines: Vec<String>,
    apply: Apply,
}

/// What `undo` did (or, in a dry run, would do).
pub struct Undone {
    pub steps: Vec<(AuditEntry, Vec<String>)>,
}

/// The entries to undo, newest first.
pub fn entries(tx: &dyn Tx, actor: &Subject, which: &Which) -> Result<Vec<AuditEntry>> {
    let q = match which {
        Which::Entry(id) => AuditQuery { id: Some(*id), ..Default::default() },
        Which::Change(c) => AuditQuery { change: Some(c.clone()), ..Default::default() },
    };
    // Decide first, then look: an entry the actor may not read (audit:read
    // in its organization, global read for an entry of none) is refused
    // before anything about it (its organization, its target) is told.
    let mut permits = Vec::new();
    for org in tx.audit_orgs(&q)? {
        match read_permit(tx, actor, org.as_deref())? {
            Some(p) => permits.push((org, p)),
            None => {
                let what = match which {
                    Which::Entry(id) => format!("audit entry {id}"),
                    Which::Change(c) => format!("the change '{}'", one_line(c)),
                };
                return Err(AppError::new(
                    Kind::Denied,
                    format!("permission denied: undoing {what} needs 'audit:read' where it was recorded"),
                )
                .into());
            }
        }
    }
    // Then read them, one organization at a time under its permit.
    let mut v: Vec<AuditEntry> = Vec::new();
    for (org, p) in &permits {
        v.extend(tx.audit(p, &AuditQuery { org: org.clone(), ..q.clone() })?);
    }
    v.sort_by_key(|e| e.id);
    v.dedup_by_key(|e| e.id);
    if v.is_empty() {
        return Err(match which {
            Which::Entry(id) => error::not_found(format!("audit entry {id} not found")),
            Which::Change(c) => error::not_found(format!("no audit entries belong to the change '{}'", one_line(c))),
        }
        .with_hint("'acct audit list' shows the entries with their ids and changes")
        .into());
    }
    v.reverse();
    Ok(v)
}

/// The permit to read the entries of an organization (`None`: of no
/// organization, or of one that no longer exists): `audit:read` there, or
/// `global:read`; `None` when the actor may not.
fn read_permit(tx: &dyn Tx, actor: &Subject, org: Option<&str>) -> Result<Option<authz::Permit>> {
    let facts = match org {
        Some(slug) => tx.org(slug)?.map(|o| o.facts()),
        None => None,
    };
    let req = match &facts {
        Some(f) => Request::Read { org: f, perm: crate::authz::Perm::AuditRead },
        None => Request::GlobalRead,
    };
    Ok(authz::decide(actor, &req).ok())
}

/// `undo ID` / `undo --change ID`: all or nothing, in the transaction;
/// undoing several entries asks first.
pub fn undo(tx: &mut dyn Tx, actor: &Subject, which: &Which, force: bool, ask: &mut Ask<'_>) -> Result<Undone> {
    let list = entries(&*tx, actor, which)?;
    let mut steps = Vec::new();
    for e in list {
        // Decided on the facts as the earlier reversals left them.
        let step = decide(&*tx, actor, &e, force)?;
        tx.set_reverts(Some(e.id));
        let r = (step.apply)(&mut *tx);
        tx.set_reverts(None);
        r?;
        steps.push((step.entry, step.lines));
    }
    if steps.len() > 1 {
        let change = steps[0].0.change.clone().unwrap_or_default();
        ask(&format!("Undo the {} entries of change {change}?", steps.len()))?;
    }
    Ok(Undone { steps })
}

fn not_reversible(e: &AuditEntry, why: &str) -> anyhow::Error {
    AppError::new(Kind::Conflict, format!("audit entry {} ({}) cannot be undone: {why}", e.id, e.action)).into()
}

/// The target changed since the entry: refused unless `--force`.
fn changed_since(e: &AuditEntry, what: &str, field: &str, now: &Value) -> anyhow::Error {
    AppError::new(
        Kind::Conflict,
        format!("audit entry {} cannot be undone: {what} has changed since: {field} is now {}", e.id, one_line(&show(now))),
    )
    .with_hint("pass --force to reverse it anyway")
    .into()
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "∅".into(),
        Value::String(s) => s.clone(),
        o => o.to_string(),
    }
}

/// The recorded changes: `(field, old, new)`.
fn fields(e: &AuditEntry) -> Vec<(String, Value, Value)> {
    e.changes
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v["old"].clone(), v["new"].clone())).collect())
        .unwrap_or_default()
}

/// What reversing `e` changes: its fields with `old` and `new` swapped.
pub fn reversed(e: &AuditEntry) -> Value {
    let mut m = serde_json::Map::new();
    for (f, old, new) in fields(e) {
        m.insert(f, serde_json::json!({"old": new, "new": old}));
    }
    Value::Object(m)
}

fn field(e: &AuditEntry, name: &str) -> (Value, Value) {
    (e.changes[name]["old"].clone(), e.changes[name]["new"].clone())
}

fn entry_org(tx: &dyn Tx, e: &AuditEntry) -> Result<Org> {
    let slug = e.org.as_deref().ok_or_else(|| not_reversible(e, "it belongs to no organization"))?;
    tx.org(slug)?.ok_or_else(|| not_reversible(e, &format!("its organization '{slug}' no longer exists")))
}

fn entry_user(tx: &dyn Tx, e: &AuditEntry) -> Result<Subject> {
    let id = e.target_id.ok_or_else(|| not_reversible(e, "it names no user"))?;
    tx.subject(id)?.ok_or_else(|| not_reversible(e, &format!("user {id} no longer exists (purged)")))
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
    out.sort();
    out
}

fn step(e: &AuditEntry, apply: impl FnOnce(&mut dyn Tx) -> Result<()> + 'static) -> Step {
    let lines = fields(e).into_iter().map(|(f, o, n)| format!("{f}: {} → {}", show(&n), show(&o))).collect();
    Step { entry: e.clone(), lines, apply: Box::new(apply) }
}

/// The reversal of one entry, decided by the engine on the facts as they
/// are now (also `can-i undo ID`). Nothing is written.
pub fn decide(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    match e.action.as_str() {
        "user.edit" => undo_edit(tx, actor, e, force),
        "user.add" | "user.restore" => undo_membership_added(tx, actor, e, force),
        "user.remove" => undo_remove(tx, actor, e, force),
        "role.assign" | "role.unassign" => undo_role(tx, actor, e, force),
        "group.add-member" | "group.remove-member" | "group.add-manager" | "group.remove-manager" => {
            undo_group_person(tx, actor, e, force)
        }
        "org.set" => undo_org_set(tx, actor, e, force),
        "role.edit" => undo_role_edit(tx, actor, e, force),
        "access.grant" | "access.revoke" => undo_access(tx, actor, e, force),
        "invite.send" => Err(not_reversible(e, "an invitation that was sent cannot be taken back")),
        "invite.accept" => Err(not_reversible(e, "an accepted invitation and the password set with it cannot be taken back")),
        "2fa.enroll" | "2fa.verify" => Err(not_reversible(e, "two-factor enrolment and verification cannot be undone")),
        "user.reset-2fa" => Err(not_reversible(e, "a two-factor reset cannot be undone: the old secret is gone")),
        "user.purge" => Err(not_reversible(e, "a purged user's record is gone")),
        other => Err(AppError::new(Kind::Conflict, format!("audit entry {} ({other}) cannot be undone: it is not a reversible action", e.id))
            .with_hint("reversible: user.edit, user.add, user.remove, user.restore, role.assign, role.unassign, group member and manager changes, org.set, role.edit, access.grant, access.revoke")
            .into()),
    }
}

/// The value of an edited field now, as the audit entry writes it;
/// `legacy`: the entry names the primary group `org/slug` (as entries
/// written before it was recorded as the slug, with `organization` beside
/// it, do).
fn current_field(u: &crate::store::User, name: &str, legacy: bool) -> Option<Value> {
    if user_edit::is_plain(name) {
        return crate::store::Column::parse(name).map(|c| c.value(u));
    }
    let opt = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| Value::from(s.as_str()));
    Some(match name {
        "email" => Value::from(u.email.clone()),
        "active" => Value::from(u.active),
        "status" => Value::from(u.status.clone()),
        "primary_group" if legacy => match (&u.organization, &u.primary_group) {
            (Some(o), Some(g)) => Value::from(format!("{o}/{g}")),
            _ => Value::Null,
        },
        "primary_group" => opt(&u.primary_group),
        "organization" => opt(&u.organization),
        "groups" => {
            let mut g = u.groups.clone();
            g.sort();
            Value::from(g)
        }
        _ => return None,
    })
}

/// Whether an entry names the primary group `org/slug` (the form written
/// before the slug and the organization were recorded apart).
fn legacy_primary_group(e: &AuditEntry) -> bool {
    let (old, new) = field(e, "primary_group");
    [old, new].iter().any(|v| v.as_str().is_some_and(|s| s.contains('/')))
}

/// The primary group that reverting `e` goes back to, as `user edit
/// --primary-group` takes it (`org/slug`): an old entry names it so; a newer
/// one has the slug, and the organization when that changed too (else it
/// is the user's organization, which the group did not leave).
fn primary_group_before(e: &AuditEntry, u: &crate::store::User) -> Result<String> {
    let changes = e.changes.as_object();
    let before = |name: &str, now: &Option<String>| match changes.and_then(|m| m.get(name)) {
        Some(c) => c["old"].as_str().map(str::to_string),
        None => now.clone(),
    };
    if legacy_primary_group(e) {
        return before("primary_group", &None).ok_or_else(|| not_reversible(e, "the user had no primary group before"));
    }
    match (before("organization", &u.organization), before("primary_group", &u.primary_group)) {
        (Some(org), Some(slug)) => Ok(format!("{org}/{slug}")),
        _ => Err(not_reversible(e, "the user had no primary group before")),
    }
}

fn undo_edit(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let target = entry_user(tx, e)?;
    let user = tx.user(target.id, None)?.ok_or_else(|| error::not_found(format!("no user with id {}", target.id)))?;
    let mut a = user_edit::EditArgs::default();
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let legacy = legacy_primary_group(e);
    for (f, old, new) in fields(e) {
        let now = current_field(&user, &f, legacy)
            .ok_or_else(|| not_reversible(e, &format!("the field '{f}' is not one acct edits")))?;
        if !force && now != new {
            return Err(changed_since(e, &user.email, &f, &now));
        }
        if user_edit::set_plain_from(&mut a, &f, &old) {
            continue;
        }
        match f.as_str() {
            "email" => a.email = Some(text(&old)),
            "active" => a.active = old.as_bool(),
            // Follows `active`.
            "status" => {}
            // The organization follows the primary group.
            "primary_group" | "organization" => a.primary_group = Some(primary_group_before(e, &user)?),
            "groups" => {
                let (was, now) = (strings(&old), strings(&now));
                a.add_groups = was.iter().filter(|g| !now.contains(g)).cloned().collect();
                a.remove_groups = now.iter().filter(|g| !was.contains(g)).cloned().collect();
            }
            _ => {}
        }
    }
    if a.is_empty() {
        return Ok(step(e, |_| Ok(())));
    }
    let org = match tx.org(user.organization.as_deref().unwrap_or_default())? {
        Some(o) => o,
        None => entry_org(tx, e)?,
    };
    let target = user_edit::edit_target(tx, actor, &target.id.to_string())?;
    let (change, permit) = user_edit::edit_decision(tx, actor, &org, &target, &a)?;
    let id = target.id;
    Ok(step(e, move |tx| record::users::update_user(&mut *tx, &permit, id, &change).map(drop)))
}

/// The check that a membership added by `e` (user.add, user.restore) is as
/// the entry left it: a member of the organization with those roles.
fn check_member_with_roles(tx: &dyn Tx, e: &AuditEntry, org: &Org, t: &Subject) -> Result<()> {
    if t.trashed || !t.is_member(org.id) {
        return Err(changed_since(e, &t.label, "member", &Value::from(false)));
    }
    let mut roles = tx.user_roles(org.id, t.id)?;
    roles.sort();
    let (_, added) = field(e, "roles");
    if roles != strings(&added) {
        return Err(changed_since(e, &t.label, &format!("roles in {}", org.slug), &Value::from(roles)));
    }
    Ok(())
}

/// Undo of an addition or a restore: the membership is removed as by `user
/// remove` (a user left without any goes to the trash).
fn undo_membership_added(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let org = entry_org(tx, e)?;
    let t = entry_user(tx, e)?;
    if !force {
        check_member_with_roles(tx, e, &org, &t)?;
    }
    let permit = user::decide_remove(actor, &org, &t)?;
    let (o, id) = (org.id, t.id);
    Ok(step(e, move |tx| record::members::remove_membership(&mut *tx, &permit, o, id).map(drop)))
}

/// Undo of a removal: a trashed user is restored (`user restore`); a user
/// who kept other memberships gets this one back with the roles they had,
/// as by `user add`, and their primary group back when the removal moved it.
fn undo_remove(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let org = entry_org(tx, e)?;
    let t = entry_user(tx, e)?;
    let (_, trashed) = field(e, "trashed");
    if trashed == Value::Bool(true) {
        if !t.trashed {
            return Err(changed_since(e, &t.label, "trashed", &Value::from(false)));
        }
        let (target, _, permit) = user::restore_decision(tx, actor, &t.id.to_string())?;
        let (id, actor, e2) = (target.id, actor.clone(), e.clone());
        return Ok(step(e, move |tx| {
            record::users::restore_user(&mut *tx, &permit, id)?;
            regroup(tx, &actor, &org, id, &e2)
        }));
    }
    if t.trashed || t.is_member(org.id) {
        if !force || t.trashed {
            return Err(changed_since(e, &t.label, &format!("member of {}", org.slug), &Value::from(true)));
        }
        return Ok(step(e, |_| Ok(())));
    }
    let (old_roles, _) = field(e, "roles");
    let mut ids = Vec::new();
    let mut perms = PermSet::EMPTY;
    for name in strings(&old_roles) {
        let r = super::role_in(tx, Some(&org), &name)?;
        perms = perms.union(r.perms);
        ids.push(r.id);
    }
    let permit = authz::decide(actor, &Request::UserAdd { org: &org.facts(), roles: perms, target: Some(t.id) })?;
    let (old_primary, _) = field(e, "primary_group");
    let (o, id, actor, org2, e2) = (org.id, t.id, actor.clone(), org.clone(), e.clone());
    Ok(step(e, move |tx| {
        record::members::add_membership(&mut *tx, &permit, o, id, &ids, None)?;
        if let Some(g) = old_primary.as_str() {
            // The removal moved the primary group out of this organization: back, as `user edit --primary-group`.
            let target = subject(&*tx, id)?;
            let a = user_edit::EditArgs { primary_group: Some(g.to_string()), ..Default::default() };
            let (change, permit) = user_edit::edit_decision(&*tx, &actor, &org2, &target, &a)?;
            record::users::update_user(&mut *tx, &permit, id, &change)?;
        }
        regroup(tx, &actor, &org2, id, &e2)
    }))
}

/// Back into the groups of `org` that the removal `e` took the user out of,
/// each decided as `group add-member` / `group add-manager` would be.
fn regroup(tx: &mut dyn Tx, actor: &Subject, org: &Org, id: i64, e: &AuditEntry) -> Result<()> {
    for (key, role) in [("groups", GroupRole::Member), ("managed_groups", GroupRole::Manager)] {
        let (old, _) = field(e, key);
        for label in strings(&old) {
            let slug = label.split_once('/').map(|(_, g)| g).unwrap_or(&label);
            let Some(g) = tx.group(org.id, slug)? else { continue };
            let target = subject(&*tx, id)?;
            let permit = group::person_decision(actor, org, &g, role, true, Some(&target))?;
            record::groups::set_group_person(&mut *tx, &permit, g.id, id, role, true)?;
        }
    }
    Ok(())
}

fn undo_role(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let org = entry_org(tx, e)?;
    let t = entry_user(tx, e)?;
    let (old, new) = field(e, "role");
    let assigned = e.action == "role.assign";
    let name = if assigned { new.as_str() } else { old.as_str() }.unwrap_or_default().to_string();
    let holds = tx.user_roles(org.id, t.id)?.contains(&name);
    if holds != assigned {
        if !force {
            return Err(changed_since(
                e,
                &t.label,
                &format!("role {name} in {}", org.slug),
                &Value::from(if holds { "held" } else { "not held" }),
            ));
        }
        return Ok(step(e, |_| Ok(())));
    }
    let op = if assigned { Op::RoleUnassign } else { Op::RoleAssign };
    let (r, permit) = role::assign_decision(tx, actor, &org, t.id, &name, op)?;
    let (o, id) = (org.id, t.id);
    Ok(step(e, move |tx| {
        if assigned {
            record::members::unassign_role(&mut *tx, &permit, o, id, r.id)
        } else {
            record::members::assign_role(&mut *tx, &permit, o, id, r.id)
        }
        .map(drop)
    }))
}

fn undo_group_person(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let t = entry_user(tx, e)?;
    let role = if e.action.ends_with("manager") { GroupRole::Manager } else { GroupRole::Member };
    let key = if role == GroupRole::Manager { "manager_of" } else { "member_of" };
    let (old, new) = field(e, key);
    let added = e.action.contains(".add-");
    let label = if added { new.as_str() } else { old.as_str() }.unwrap_or_default().to_string();
    let (org_slug, slug) = label.split_once('/').ok_or_else(|| not_reversible(e, "it names no group"))?;
    let org = tx.org(org_slug)?.ok_or_else(|| not_reversible(e, &format!("the organization '{org_slug}' no longer exists")))?;
    let g = tx.group(org.id, slug)?.ok_or_else(|| not_reversible(e, &format!("the group '{label}' no longer exists")))?;
    let present = tx.in_group(g.id, t.id, role)?;
    if present != added {
        if !force {
            return Err(changed_since(e, &t.label, key, &Value::from(if present { label.clone() } else { "∅".into() })));
        }
        return Ok(step(e, |_| Ok(())));
    }
    if role == GroupRole::Member && !added && t.primary_group == Some(g.id) {
        return Err(error::conflict(format!("'{}' is already the primary group of {}", g.slug, t.label)).into());
    }
    let permit = group::person_decision(actor, &org, &g, role, !added, Some(&t))?;
    let (gid, id) = (g.id, t.id);
    Ok(step(e, move |tx| record::groups::set_group_person(&mut *tx, &permit, gid, id, role, !added).map(drop)))
}

fn undo_org_set(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let org = entry_org(tx, e)?;
    let mut c = OrgChange::default();
    for (f, old, new) in fields(e) {
        let now = match f.as_str() {
            "display_name" => Value::from(org.display_name.clone()),
            "sso" => Value::from(if org.sso { "on" } else { "off" }),
            "sms_2fa" => Value::from(if org.sms_2fa { "allowed" } else { "disallowed" }),
            _ => return Err(not_reversible(e, &format!("the field '{f}' is not one 'org set' changes"))),
        };
        if !force && now != new {
            return Err(changed_since(e, &org.slug, &f, &now));
        }
        match f.as_str() {
            "display_name" => c.display_name = old.as_str().map(str::to_string),
            "sso" => c.sso = Some(old == "on"),
            _ => c.sms_2fa = Some(old == "allowed"),
        }
    }
    let permit = authz::decide(actor, &Request::OrgSet { org: &org.facts() })?;
    let o = org.id;
    Ok(step(e, move |tx| record::orgs::update_org(&mut *tx, &permit, o, &c).map(drop)))
}

fn undo_role_edit(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let org = entry_org(tx, e)?;
    let name = e.target.clone().unwrap_or_default();
    let r = tx.role(Some(org.id), &name)?.ok_or_else(|| not_reversible(e, &format!("the role '{name}' no longer exists")))?;
    let mut c = RoleChange::default();
    for (f, old, new) in fields(e) {
        let now = match f.as_str() {
            "display_name" => Value::from(r.display_name.clone()),
            "permissions" => Value::from(r.perms.names()),
            _ => return Err(not_reversible(e, &format!("the field '{f}' is not one 'role edit' changes"))),
        };
        if !force && now != new {
            return Err(changed_since(e, &format!("role {name}"), &f, &now));
        }
        if f == "display_name" {
            c.display_name = old.as_str().map(str::to_string);
        } else {
            c.perms = Some(super::role::parse_perms(&strings(&old))?);
        }
    }
    let permit = authz::decide(actor, &Request::Role { op: Op::RoleEdit, org: &org.facts(), role: &r.facts(), next: c.perms })?;
    let id = r.id;
    Ok(step(e, move |tx| record::members::update_role(&mut *tx, &permit, id, &c).map(drop)))
}

fn undo_access(tx: &dyn Tx, actor: &Subject, e: &AuditEntry, force: bool) -> Result<Step> {
    let t = entry_user(tx, e)?;
    let (old, new) = field(e, "global_role");
    let granted = e.action == "access.grant";
    let name = if granted { new.as_str() } else { old.as_str() }.unwrap_or_default().to_string();
    let holds = tx.global_roles_of(t.id)?.contains(&name);
    if holds != granted {
        if !force {
            return Err(changed_since(
                e,
                &t.label,
                &format!("global role {name}"),
                &Value::from(if holds { "held" } else { "not held" }),
            ));
        }
        return Ok(step(e, |_| Ok(())));
    }
    let r = super::role_in(tx, None, &name)?;
    let permit: Permit = super::access::decision(tx, actor, &t, &r, !granted)?;
    let (rid, id) = (r.id, t.id);
    Ok(step(e, move |tx| {
        if granted {
            record::members::revoke_global(&mut *tx, &permit, id, rid)
        } else {
            record::members::grant_global(&mut *tx, &permit, id, rid)
        }
        .map(drop)
    }))
}
