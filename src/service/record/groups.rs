//! Groups: creation, deletion (never of `everyone`, never while someone's
//! primary group), managers and additional members.

use super::{audit, change};
use crate::authz::Permit;
use crate::error::{self, Result};
use crate::store::{GroupRole, Tx};
use serde_json::{Value, json};

pub fn create_group(tx: &mut dyn Tx, p: &Permit, org: i64, slug: &str, display_name: &str) -> Result<i64> {
    if tx.group(org, slug)?.is_some() {
        return Err(error::conflict(format!("group '{slug}' already exists")).into());
    }
    let id = tx.insert_group(p, org, slug, display_name)?;
    audit(tx, p, None, Some(slug), json!({"display_name": {"old": null, "new": display_name}}))?;
    Ok(id)
}

pub fn delete_group(tx: &mut dyn Tx, p: &Permit, group: i64) -> Result<()> {
    let g = tx.group_by_id(group)?.ok_or_else(|| error::not_found("group not found"))?;
    if g.slug == "everyone" {
        return Err(error::conflict("group 'everyone' cannot be deleted: it is the organization's default group")
            .with_hint("every organization keeps its 'everyone' group")
            .into());
    }
    let primary = tx.primary_users(group)?;
    if primary > 0 {
        return Err(error::conflict(format!(
            "group '{}' cannot be deleted: it is the primary group of {primary} user(s)",
            g.slug
        ))
        .with_hint(format!(
            "move them first: 'acct user list --group {}' lists them, 'acct user edit USER --primary-group G' moves one",
            g.slug
        ))
        .into());
    }
    tx.delete_group(p, group)?;
    audit(tx, p, None, Some(&g.slug), json!({}))
}

/// Add or remove a manager or member; false when nothing changed.
pub fn set_group_person(tx: &mut dyn Tx, p: &Permit, group: i64, user: i64, role: GroupRole, present: bool) -> Result<bool> {
    if !tx.set_group_person(p, group, user, role, present)? {
        return Ok(false);
    }
    let (email, label) = (tx.email_of(user)?, tx.group_label(group)?);
    let field = if role == GroupRole::Manager { "manager_of" } else { "member_of" };
    let entry = if present { change(field, Value::Null, label) } else { change(field, label, Value::Null) };
    audit(tx, p, Some(user), Some(&email), entry)?;
    Ok(true)
}
