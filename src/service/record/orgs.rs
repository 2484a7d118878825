//! Initialization and organizations.

use super::Changes;
use super::{audit, audit_in};
use crate::authz::{self, PermSet, Permit, Status};
use crate::error::{self, Result};
use crate::store::{NewOrg, NewUser, OrgChange, OrgSettings, RoleRow, Tx};
use serde_json::json;

/// The first organization, the built-in roles and the first administrator,
/// who holds full-admin there and global-admin.
pub fn init(tx: &mut dyn Tx, p: &Permit, org: &NewOrg, admin: &NewUser) -> Result<(i64, i64)> {
    tx.mark_created(p)?;
    for b in authz::BUILTIN_ROLES.iter() {
        let role = RoleRow {
            name: b.name.to_string(),
            display_name: b.display_name.to_string(),
            scope: b.scope,
            builtin: true,
            perms: PermSet::of(b.perms),
        };
        tx.insert_role(p, None, &role)?;
    }
    let org_id = insert_org(tx, p, org)?;
    let user = super::users::insert_user(tx, p, &NewUser { status: Some(Status::Active), ..admin.clone() })?;
    let full_admin = tx.role(Some(org_id), authz::FULL_ADMIN)?.map(|r| r.id);
    let global_admin = tx.role(None, authz::GLOBAL_ADMIN)?.map(|r| r.id);
    let (Some(fa), Some(ga)) = (full_admin, global_admin) else {
        return Err(anyhow::anyhow!("built-in roles missing after creation"));
    };
    tx.join_org(p, org_id, user, &[fa], None)?;
    tx.set_global_role(p, user, ga, true)?;
    audit_in(
        tx,
        p,
        Some(&org.slug),
        Some(user),
        Some(&admin.email),
        json!({"org": {"old": null, "new": org.slug}, "roles": {"old": [], "new": ["full-admin", "global-admin"]}}),
    )?;
    Ok((org_id, user))
}

fn insert_org(tx: &mut dyn Tx, p: &Permit, org: &NewOrg) -> Result<i64> {
    if tx.org(&org.slug)?.is_some() {
        return Err(error::conflict(format!("organization '{}' already exists", org.slug)).into());
    }
    tx.insert_org(p, org)
}

pub fn create_org(tx: &mut dyn Tx, p: &Permit, org: &NewOrg) -> Result<i64> {
    let id = insert_org(tx, p, org)?;
    let change = json!({"display_name": {"old": null, "new": org.display_name}});
    audit_in(tx, p, Some(&org.slug), None, Some(&org.slug), change)?;
    Ok(id)
}

pub fn update_org(tx: &mut dyn Tx, p: &Permit, org: i64, c: &OrgChange) -> Result<Changes> {
    let old = tx.org_by_id(org)?.ok_or_else(|| error::not_found("organization not found"))?;
    let new = OrgSettings {
        display_name: c.display_name.clone().unwrap_or(old.display_name.clone()),
        sso: c.sso.unwrap_or(old.sso),
        sms_2fa: c.sms_2fa.unwrap_or(old.sms_2fa),
    };
    let on = |b: bool| if b { "on" } else { "off" };
    let allowed = |b: bool| if b { "allowed" } else { "disallowed" };
    let mut ch = Changes::default();
    ch.push("display_name", old.display_name.as_str(), new.display_name.as_str());
    ch.push("sso", on(old.sso), on(new.sso));
    ch.push("sms_2fa", allowed(old.sms_2fa), allowed(new.sms_2fa));
    if ch.is_empty() {
        return Ok(ch);
    }
    tx.set_org(p, org, &new)?;
    audit(tx, p, None, Some(&old.slug), ch.to_json())?;
    Ok(ch)
}
