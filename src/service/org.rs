//! Organizations.

use crate::authz::{self, Request, Subject};
use crate::error::{self, Result};
use crate::service::record;
use crate::service::record::Changes;
use crate::store::{NewOrg, Org, OrgChange, Tx};
use crate::validate;

pub struct OrgRow {
    pub org: Org,
    pub members: u64,
}

/// The organizations the actor belongs to; every one for global readers.
pub fn list(tx: &dyn Tx, actor: &Subject) -> Result<Vec<OrgRow>> {
    let global = authz::decide(actor, &Request::GlobalRead).ok();
    let mut out = Vec::new();
    for org in tx.orgs()? {
        let seen = match &global {
            Some(_) => None,
            None if actor.is_member(org.id) => Some(authz::decide(actor, &Request::OrgView { org: &org.facts() })?),
            None => continue,
        };
        let Some(seen) = seen.as_ref().or(global.as_ref()) else { continue };
        let members = tx.member_count(seen, org.id)?;
        out.push(OrgRow { org, members });
    }
    Ok(out)
}

/// One organization, which the actor must be allowed to see.
pub fn show(tx: &dyn Tx, actor: &Subject, org: Org) -> Result<OrgRow> {
    let seen = authz::decide(actor, &Request::OrgView { org: &org.facts() })?;
    let members = tx.member_count(&seen, org.id)?;
    Ok(OrgRow { org, members })
}

/// A new organization's slug and display name, checked before any database
/// is opened.
pub fn new_org(slug: &str, display: Option<&str>) -> Result<NewOrg> {
    let slug = validate::slug("organization", slug)?;
    let display_name = validate::display_name(display, &slug)?;
    Ok(NewOrg { slug, display_name })
}

pub fn create(tx: &mut dyn Tx, actor: &Subject, new: &NewOrg) -> Result<Org> {
    let permit = authz::decide(actor, &Request::OrgCreate)?;
    let id = record::orgs::create_org(&mut *tx, &permit, new)?;
    let org = tx.org_by_id(id)?.ok_or_else(|| anyhow::anyhow!("organization vanished"))?;
    // An organization always keeps an active full-admin: its creator becomes one.
    let full_admin = super::role_in(tx, Some(&org), authz::FULL_ADMIN)?;
    let join = authz::decide(actor, &Request::UserAdd { org: &org.facts(), roles: full_admin.perms, target: Some(actor.id) })?;
    record::members::add_membership(&mut *tx, &join, org.id, actor.id, &[full_admin.id], None)?;
    Ok(org)
}

/// `org use`: the organization must exist and be visible to the actor.
/// `slug` has passed `validate::slug`.
pub fn check_usable(tx: &dyn Tx, actor: &Subject, slug: &str) -> Result<()> {
    let org = tx.org(slug)?.ok_or_else(|| error::not_found(format!("organization '{slug}' not found")))?;
    authz::check(actor, &Request::OrgView { org: &org.facts() })?;
    Ok(())
}

/// What `org set` was asked, checked before any database is opened.
pub fn org_change(change: &OrgChange) -> Result<OrgChange> {
    if change.display_name.is_none() && change.sso.is_none() && change.sms_2fa.is_none() {
        return Err(error::usage("nothing to change").with_hint("pass --sso, --sms-2fa or --display-name").into());
    }
    Ok(OrgChange {
        display_name: change.display_name.as_deref().map(|d| validate::name("display name", d)).transpose()?,
        ..change.clone()
    })
}

/// What `org set` did: the changes, and how many members still have
/// `sms_auto_send` on when SMS was just disallowed (it is left as it is:
/// they may turn it off, nobody may turn it on).
pub struct OrgSet {
    pub changes: Changes,
    pub sms_still_on: u64,
}

pub fn set(tx: &mut dyn Tx, actor: &Subject, org: &Org, change: &OrgChange) -> Result<OrgSet> {
    let permit = authz::decide(actor, &Request::OrgSet { org: &org.facts() })?;
    let changes = record::orgs::update_org(&mut *tx, &permit, org.id, change)?;
    let mut sms_still_on = 0;
    if change.sms_2fa == Some(false) && org.sms_2fa {
        let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: authz::Perm::UserRead })?;
        sms_still_on =
            tx.count_users(&seen, &crate::store::UserQuery { org: org.id, sms_auto_send: Some(true), ..Default::default() })?;
    }
    Ok(OrgSet { changes, sms_still_on })
}
