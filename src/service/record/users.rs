//! Identities: adding one, editing it (the old → new diff), the trash.

use super::Changes;
use super::audit;
use super::members::role_names;
use crate::authz::Permit;
use crate::error::{self, Result};
use crate::store::{Column, NewUser, Selector, Tx, User, UserChange, UserRow};
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
    audit(tx, p, Some(id), Some(&user.email), joined(Some(&user.email), &names))?;
    Ok(id)
}

/// The audit change of a user who joins an organization with roles: a new
/// identity (`created` is its e-mail) or an existing one.
pub fn joined(created: Option<&str>, roles: &[String]) -> Value {
    match created {
        Some(email) => json!({"user": {"old": null, "new": email}, "roles": {"old": [], "new": roles}}),
        None => json!({"member": {"old": false, "new": true}, "roles": {"old": [], "new": roles}}),
    }
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
    let status = match c.active {
        Some(false) => "inactive".to_string(),
        Some(true) if old.status == "inactive" => if account.accepted { "active" } else { "invited" }.to_string(),
        _ => old.status.clone(),
    };
    let row = new_row(c, &old, status, c.primary_group.or(old_pg));
    // The plain attributes come from the table; the others are told here.
    record_changes(&mut ch, &old, &row, &mut |col, ch| {
        match col {
            Column::Email => {
                if let Some((e, k)) = &c.email {
                    if tx.find_user(&Selector::EmailKey(k.clone()))?.is_some_and(|other| other != user) {
                        return Err(error::conflict(format!("the e-mail {e} belongs to another user")).into());
                    }
                    ch.push("email", old.email.as_str(), e.as_str());
                }
            }
            Column::Active => ch.push("active", old.active, row.status != "inactive"),
            Column::Status => ch.push("status", old.status.as_str(), row.status.as_str()),
            Column::PrimaryGroup if row.primary_group != old_pg => {
                // As a user's record names them: the group's slug, and the
                // organization (recorded when it changes with the group).
                let (old_org, old_slug) = org_and_slug(&*tx, old_pg)?;
                let (new_org, new_slug) = org_and_slug(&*tx, row.primary_group)?;
                ch.push("primary_group", old_slug, new_slug);
                ch.push("organization", old_org, new_org);
            }
            Column::Groups => {
                let groups_before = tx.additional_groups(user)?;
                tx.change_user_groups(p, user, c)?;
                ch.push("groups", groups_before, tx.additional_groups(user)?);
            }
            _ => {}
        }
        Ok(())
    })?;
    if ch.is_empty() {
        return Ok(ch);
    }
    tx.set_user(p, user, &row)?;
    audit(tx, p, Some(user), Some(&old.email), ch.to_json())?;
    Ok(ch)
}

/// The organization and the slug of a group (`null`s for none).
fn org_and_slug(tx: &dyn Tx, group: Option<i64>) -> Result<(Value, Value)> {
    let Some(g) = group else { return Ok((Value::Null, Value::Null)) };
    // `org/slug`: slugs hold no '/'.
    let label = tx.group_label(g)?;
    Ok(match label.split_once('/') {
        Some((org, slug)) => (Value::from(org), Value::from(slug)),
        None => (Value::Null, Value::from(label)),
    })
}

/// The row after an edit, and the audit changes it makes, from the attribute table.
macro_rules! define_edit_row {
    ([] $(($kind:ident, $name:ident, $($rest:tt)*),)*) => {
        /// The stored row after `c`: each plain attribute as changed or as it was.
        fn new_row(c: &UserChange, old: &User, status: String, primary_group: Option<i64>) -> UserRow {
            UserRow {
                $($name: c.$name.clone().unwrap_or_else(|| old.$name.clone()),)*
                email: c.email.clone(),
                status,
                primary_group,
            }
        }
    };
}
crate::attributes::plain_attributes! { define_edit_row }

/// The changes of an edit, in the table's order: the plain attributes
/// compare `old` and `row`; `special` records each other attribute.
macro_rules! define_record_changes {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:literal, $chg:literal, $($rest:tt)*),)*) => {
        fn record_changes(
            ch: &mut Changes,
            old: &User,
            row: &UserRow,
            special: &mut dyn FnMut(Column, &mut Changes) -> Result<()>,
        ) -> Result<()> {
            $(crate::service::record::users::change_of!($kind, $name, $var, ch, old, row, special);)*
            // In the order the audit log has always recorded them: the names
            // before the names derived from them, the status after the flags.
            ch.0.sort_by_key(|(name, _, _)| match name.as_str() {
                $(stringify!($name) => $chg,)*
                _ => u32::MAX,
            });
            Ok(())
        }
    };
}
crate::attributes::user_attributes! { define_record_changes }

/// One attribute's change: a plain one compared here, any other by `special`.
macro_rules! change_of {
    (text, $name:ident, $var:ident, $ch:ident, $old:ident, $row:ident, $special:ident) => {
        $ch.push(stringify!($name), opt_json(&$old.$name), opt_json(&$row.$name))
    };
    (flag, $name:ident, $var:ident, $ch:ident, $old:ident, $row:ident, $special:ident) => {
        $ch.push(stringify!($name), $old.$name, $row.$name)
    };
    ($kind:ident, $name:ident, $var:ident, $ch:ident, $old:ident, $row:ident, $special:ident) => {
        $special(Column::$var, $ch)?
    };
}
pub(crate) use change_of;

/// Bind `user` to a database login (or unbind it), audited as
/// `user.bind-login`.
pub fn bind_login(tx: &mut dyn Tx, p: &Permit, user: i64, label: &str, old: Option<&str>, new: Option<&str>) -> Result<()> {
    tx.set_db_login(p, user, new)?;
    audit(tx, p, Some(user), Some(label), json!({"db_login": {"old": old, "new": new}}))
}

/// Change a setting of the whole database, audited as `db.set`.
pub fn set_setting(tx: &mut dyn Tx, p: &Permit, key: &str, value: &str, old: &str) -> Result<()> {
    tx.set_setting(p, key, value)?;
    audit(tx, p, None, Some(key), json!({ key: {"old": old, "new": value} }))
}
