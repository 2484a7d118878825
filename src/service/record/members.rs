//! Memberships, organization roles and global roles.

use super::Changes;
use super::{audit, change};
use crate::authz::{self, Permit};
use crate::error::{self, Result};
use crate::store::{NewRole, RoleChange, RoleRow, Tx};
use serde_json::{Value, json};

/// The names of roles given by id.
pub(super) fn role_names(tx: &dyn Tx, roles: &[i64]) -> Result<Vec<String>> {
    roles.iter().map(|r| Ok(tx.role_by_id(*r)?.ok_or_else(|| anyhow::anyhow!("role {r} not found"))?.name)).collect()
}

/// Give an existing identity a membership and roles.
pub fn add_membership(tx: &mut dyn Tx, p: &Permit, org: i64, user: i64, roles: &[i64], group: Option<i64>) -> Result<()> {
    if tx.is_member(org, user)? {
        return Err(error::conflict(format!("{} is already a member", tx.email_of(user)?)).into());
    }
    tx.join_org(p, org, user, roles, group)?;
    let names = role_names(tx, roles)?;
    let email = tx.email_of(user)?;
    audit(tx, p, Some(user), Some(&email), super::users::joined(None, &names))
}

/// Remove a membership; returns true when the user went to the trash.
pub fn remove_membership(tx: &mut dyn Tx, p: &Permit, org: i64, user: i64) -> Result<bool> {
    if !tx.is_member(org, user)? {
        return Err(error::not_found(format!("{} is not a member of this organization", tx.email_of(user)?)).into());
    }
    let left = tx.leave_org(p, org, user)?;
    let email = tx.email_of(user)?;
    let mut entry = json!({"member": {"old": true, "new": false}, "roles": {"old": left.roles, "new": []}});
    if left.trashed {
        entry["trashed"] = json!({"old": false, "new": true});
    }
    if let Some((old, new)) = &left.primary_group {
        entry["primary_group"] = json!({"old": old, "new": new});
    }
    if let Some((old, new)) = &left.invitation {
        entry["invitation"] = json!({"old": old, "new": new});
    }
    if !left.groups.is_empty() {
        entry["groups"] = json!({"old": left.groups, "new": []});
    }
    if !left.managed_groups.is_empty() {
        entry["managed_groups"] = json!({"old": left.managed_groups, "new": []});
    }
    audit(tx, p, Some(user), Some(&email), entry)?;
    Ok(left.trashed)
}

pub fn create_role(tx: &mut dyn Tx, p: &Permit, org: i64, role: &NewRole) -> Result<i64> {
    if tx.role(Some(org), &role.name)?.is_some() || authz::builtin(&role.name).is_some() {
        return Err(error::conflict(format!("role '{}' already exists", role.name)).into());
    }
    let row = RoleRow {
        name: role.name.clone(),
        display_name: role.display_name.clone(),
        scope: authz::Scope::Org,
        builtin: false,
        perms: role.perms,
    };
    let id = tx.insert_role(p, Some(org), &row)?;
    audit(
        tx,
        p,
        None,
        Some(&role.name),
        json!({"display_name": {"old": null, "new": role.display_name}, "permissions": {"old": [], "new": role.perms.names()}}),
    )?;
    Ok(id)
}

pub fn update_role(tx: &mut dyn Tx, p: &Permit, role: i64, c: &RoleChange) -> Result<Changes> {
    let old = tx.role_by_id(role)?.ok_or_else(|| error::not_found("role not found"))?;
    let mut ch = Changes::default();
    if let Some(d) = &c.display_name {
        ch.push("display_name", old.display_name.as_str(), d.as_str());
    }
    if let Some(perms) = c.perms {
        ch.push("permissions", old.perms.names(), perms.names());
    }
    tx.set_role(p, role, c.display_name.as_deref(), c.perms)?;
    if !ch.is_empty() {
        audit(tx, p, None, Some(&old.name), ch.to_json())?;
    }
    Ok(ch)
}

pub fn delete_role(tx: &mut dyn Tx, p: &Permit, role: i64) -> Result<()> {
    let r = tx.role_by_id(role)?.ok_or_else(|| error::not_found("role not found"))?;
    if r.org_id.is_none() {
        return Err(error::conflict(format!("'{}' is a built-in role and cannot be deleted", r.name)).into());
    }
    let holders = tx.role_holders(role)?;
    if holders > 0 {
        return Err(error::conflict(format!("role '{}' is held by {holders} user(s)", r.name))
            .with_hint("unassign it first: acct user list --role NAME shows who holds it")
            .into());
    }
    tx.delete_role(p, role)?;
    audit(tx, p, None, Some(&r.name), json!({}))
}

/// The audit entry of a role given or taken; nothing when nothing changed.
fn role_changed(tx: &mut dyn Tx, p: &Permit, user: i64, role: i64, field: &str, changed: bool, given: bool) -> Result<bool> {
    if changed {
        let email = tx.email_of(user)?;
        let name = role_names(tx, &[role])?.remove(0);
        let entry = if given { change(field, Value::Null, name) } else { change(field, name, Value::Null) };
        audit(tx, p, Some(user), Some(&email), entry)?;
    }
    Ok(changed)
}

pub fn assign_role(tx: &mut dyn Tx, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool> {
    let changed = tx.set_user_role(p, org, user, role, true)?;
    role_changed(tx, p, user, role, "role", changed, true)
}

pub fn unassign_role(tx: &mut dyn Tx, p: &Permit, org: i64, user: i64, role: i64) -> Result<bool> {
    let changed = tx.set_user_role(p, org, user, role, false)?;
    role_changed(tx, p, user, role, "role", changed, false)
}

pub fn grant_global(tx: &mut dyn Tx, p: &Permit, user: i64, role: i64) -> Result<bool> {
    let changed = tx.set_global_role(p, user, role, true)?;
    role_changed(tx, p, user, role, "global_role", changed, true)
}

pub fn revoke_global(tx: &mut dyn Tx, p: &Permit, user: i64, role: i64) -> Result<bool> {
    let changed = tx.set_global_role(p, user, role, false)?;
    role_changed(tx, p, user, role, "global_role", changed, false)
}
