//! Identities: adding one, editing it (the old → new diff), the trash.

use super::audit;
use super::members::role_names;
use crate::authz::Permit;
use crate::error::{self, Result};
use super::Changes;
use crate::store::{NewUser, Selector, Tx, UserChange, UserRow};
use serde_json::{Value, json};

/// A new identity; its e-mail (by key) and username must be free.
pub(super) fn insert_user(tx: &mut dyn Tx, p: &Permit, u: &NewUser) -> Result<i64> {
    if tx.find_user(&Selector::EmailKey(u.email_key.clone()))?.is_some() {
        return Err(error::conflict(format!("a user with the e-mail {} already exists", u.email)).into());
    }
    if tx.username_taken(&u.username)? {
        return Err(error::conflict(format!("the username '{}' is taken", u.username)).into());
    }
    tx.insert_user(p, u)
}

/// Create an identity (status invited) with a membership and roles.
pub fn add_user(tx: &mut dyn Tx, p: &Permit, org: i64, user: &NewUser, roles: &[i64], group: Option<i64>) -> Result<i64> {
    let id = insert_user(tx, p, user)?;
    tx.join_org(p, org, id, roles, group)?;
    let names = role_names(tx, roles)?;
    audit(
        tx,
        p,
        Some(id),
        Some(&user.email),
        json!({"user": {"old": null, "new": user.email}, "roles": {"old": [], "new": names}}),
    )?;
    Ok(id)
}

/// Bring a user back from the trash into the organization they were
/// removed from, with the roles of theirs that still exist there; someone
/// who never accepted is invited again (pending: `acct invite send`).
pub fn restore_user(tx: &mut dyn Tx, p: &Permit, user: i64) -> Result<()> {
    let info = tx.trash_info(user)?.ok_or_else(|| {
        error::conflict(format!("user {user} is not in the trash")).with_hint("only removed users can be restored")
    })?;
    let org = info.org_id;
    let mut ids = Vec::new();
    let mut restored = Vec::new();
    for n in &info.roles {
        if let Some(r) = tx.role(Some(org), n)? {
            ids.push(r.id);
            restored.push(n.clone());
        }
    }
    let account = tx.account(user)?.ok_or_else(|| error::not_found(format!("no user with id {user}")))?;
    let keep_primary = match account.primary_group {
        Some(g) => tx.group_by_id(g)?.is_some_and(|g| g.org_id == org),
        None => false,
    };
    tx.untrash(p, user, keep_primary)?;
    tx.join_org(p, org, user, &ids, None)?;
    if !account.accepted {
        tx.queue_invitation(p, user, org)?;
    }
    let email = tx.email_of(user)?;
    audit(tx, p, Some(user), Some(&email), json!({"trashed": {"old": true, "new": false}, "roles": {"old": [], "new": restored}}))
}

/// Delete a user in the trash for good; the audit entry says which kinds
/// of things went with them.
pub fn purge_user(tx: &mut dyn Tx, p: &Permit, user: i64) -> Result<()> {
    if !tx.account(user)?.is_some_and(|a| a.trashed) {
        return Err(error::conflict(format!("user {user} is not in the trash and cannot be purged")).into());
    }
    let email = tx.email_of(user)?;
    let gone = tx.purge(p, user)?;
    let mut entry = json!({"purged": {"old": false, "new": true}});
    let mut removed = |field: &str, old: Value, empty: bool| {
        if !empty {
            entry[field] = json!({"old": old, "new": null});
        }
    };
    removed("global_roles", json!(gone.global_roles), gone.global_roles.is_empty());
    removed("roles", json!(gone.roles), gone.roles.is_empty());
    removed("trash_roles", json!(gone.trash_roles), gone.trash_roles.is_empty());
    removed("groups", json!(gone.groups), gone.groups.is_empty());
    removed("managed_groups", json!(gone.managed_groups), gone.managed_groups.is_empty());
    removed("credentials", json!(gone.credentials), gone.credentials.is_empty());
    removed("invitations", json!(gone.invitations), gone.invitations == 0);
    audit(tx, p, Some(user), Some(&email), entry)
}

fn opt_json(v: &Option<String>) -> Value {
    v.as_ref().map_or(Value::Null, |s| Value::from(s.as_str()))
}

/// Apply an edit; returns what changed (old → new), as the audit entry records it.
pub fn update_user(tx: &mut dyn Tx, p: &Permit, user: i64, c: &UserChange) -> Result<Changes> {
    let old = tx.user(user, None)?.ok_or_else(|| error::not_found(format!("no user with id {user}")))?;
    let account = tx.account(user)?.ok_or_else(|| error::not_found(format!("no user with id {user}")))?;
    let old_pg = account.primary_group;
    let mut ch = Changes::default();
    let pick = |new: &Option<Option<String>>, old: &Option<String>| new.clone().unwrap_or_else(|| old.clone());
    let b = |n: Option<bool>, o: bool| n.unwrap_or(o);
    let status = match c.active {
        Some(false) => "inactive".to_string(),
        Some(true) if old.status == "inactive" => if account.accepted { "active" } else { "invited" }.to_string(),
        _ => old.status.clone(),
    };
    let row = UserRow {
        full_name: pick(&c.full_name, &old.full_name),
        first_name: pick(&c.first_name, &old.first_name),
        last_name: pick(&c.last_name, &old.last_name),
        initials: pick(&c.initials, &old.initials),
        email: c.email.clone(),
        phone: pick(&c.phone, &old.phone),
        timezone: pick(&c.timezone, &old.timezone),
        notify: b(c.notify, old.notify),
        robot: b(c.robot, old.robot),
        sso_disabled: b(c.sso_disabled, old.sso_disabled),
        sms_auto_send: b(c.sms_auto_send, old.sms_auto_send),
        require_2fa: b(c.require_2fa, old.require_2fa),
        status,
        primary_group: c.primary_group.or(old_pg),
    };
    ch.push("first_name", opt_json(&old.first_name), opt_json(&row.first_name));
    ch.push("last_name", opt_json(&old.last_name), opt_json(&row.last_name));
    ch.push("full_name", opt_json(&old.full_name), opt_json(&row.full_name));
    ch.push("initials", opt_json(&old.initials), opt_json(&row.initials));
    if let Some((e, k)) = &c.email {
        if tx.find_user(&Selector::EmailKey(k.clone()))?.is_some_and(|other| other != user) {
            return Err(error::conflict(format!("the e-mail {e} belongs to another user")).into());
        }
        ch.push("email", old.email.as_str(), e.as_str());
    }
    ch.push("phone", opt_json(&old.phone), opt_json(&row.phone));
    ch.push("timezone", opt_json(&old.timezone), opt_json(&row.timezone));
    ch.push("notify", old.notify, row.notify);
    ch.push("robot", old.robot, row.robot);
    ch.push("sso_disabled", old.sso_disabled, row.sso_disabled);
    ch.push("sms_auto_send", old.sms_auto_send, row.sms_auto_send);
    ch.push("require_2fa", old.require_2fa, row.require_2fa);
    ch.push("active", old.active, row.status != "inactive");
    ch.push("status", old.status.as_str(), row.status.as_str());
    if row.primary_group != old_pg {
        let label = |g: Option<i64>, tx: &dyn Tx| -> Result<Value> { Ok(g.map(|g| tx.group_label(g)).transpose()?.into()) };
        ch.push("primary_group", label(old_pg, tx)?, label(row.primary_group, tx)?);
    }
    let groups_before = tx.additional_groups(user)?;
    tx.change_user_groups(p, user, c)?;
    ch.push("groups", groups_before, tx.additional_groups(user)?);
    if ch.is_empty() {
        return Ok(ch);
    }
    tx.set_user(p, user, &row)?;
    audit(tx, p, Some(user), Some(&old.email), ch.to_json())?;
    Ok(ch)
}
