//! Organizations.

use crate::authz::{self, Request};
use crate::error::{self, Result};
use crate::service::record;
use crate::service::record::Changes;
use crate::service::session::Ctx;
use crate::store::{NewOrg, Org, OrgChange};
use crate::validate;

pub struct OrgRow {
    pub org: Org,
    pub members: u64,
}

/// The organizations the actor belongs to; every one for global readers.
pub fn list(ctx: &Ctx) -> Result<Vec<OrgRow>> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let global = authz::decide(&actor, &Request::GlobalRead).ok();
    let mut out = Vec::new();
    for org in tx.orgs()? {
        let seen = match &global {
            Some(_) => None,
            None if actor.is_member(org.id) => Some(authz::decide(&actor, &Request::OrgView { org: &org.facts() })?),
            None => continue,
        };
        let Some(seen) = seen.as_ref().or(global.as_ref()) else { continue };
        let members = tx.member_count(seen, org.id)?;
        out.push(OrgRow { org, members });
    }
    Ok(out)
}

pub fn show(ctx: &Ctx, slug: Option<&str>) -> Result<OrgRow> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let org = match slug {
        Some(s) => super::org_named(&*tx, s)?,
        None => ctx.org(&*tx)?,
    };
    let seen = authz::decide(&actor, &Request::OrgView { org: &org.facts() })?;
    let members = tx.member_count(&seen, org.id)?;
    Ok(OrgRow { org, members })
}

pub fn create(ctx: &Ctx, slug: &str, display: Option<&str>) -> Result<Org> {
    let slug = validate::slug("organization", slug)?;
    let display_name = validate::display_name(display, &slug)?;
    let mut store = ctx.open_store()?;
    let mut tx = store.write()?;
    let actor = ctx.actor(&*tx)?;
    let permit = authz::decide(&actor, &Request::OrgCreate)?;
    let id = record::orgs::create_org(&mut *tx, &permit, &NewOrg { slug: slug.clone(), display_name })?;
    let org = tx.org_by_id(id)?.ok_or_else(|| anyhow::anyhow!("organization vanished"))?;
    // An organization always keeps an active full-admin: its creator becomes one.
    let full_admin = super::role_in(&*tx, Some(&org), authz::FULL_ADMIN)?;
    let join = authz::decide(&actor, &Request::UserAdd { org: &org.facts(), roles: full_admin.perms, target: Some(actor.id) })?;
    record::members::add_membership(&mut *tx, &join, org.id, actor.id, &[full_admin.id], None)?;
    ctx.finish(tx)?;
    Ok(org)
}

/// `org use`: the organization must exist and be visible to the actor.
pub fn use_org(ctx: &mut Ctx, slug: &str) -> Result<()> {
    let slug = validate::slug("organization", slug)?;
    {
        let mut store = ctx.open_store()?;
        let tx = store.read()?;
        let actor = ctx.actor(&*tx)?;
        let org = tx.org(&slug)?.ok_or_else(|| error::not_found(format!("organization '{slug}' not found")))?;
        authz::check(&actor, &Request::OrgView { org: &org.facts() })?;
    }
    if ctx.dry_run {
        ctx.note("dry run: nothing was changed");
        return Ok(());
    }
    ctx.config.set("org", &slug)
}

pub fn set(ctx: &Ctx, change: &OrgChange) -> Result<Changes> {
    if change.display_name.is_none() && change.sso.is_none() && change.sms_2fa.is_none() {
        return Err(error::usage("nothing to change").with_hint("pass --sso, --sms-2fa or --display-name").into());
    }
    let change = OrgChange {
        display_name: change.display_name.as_deref().map(|d| validate::name("display name", d)).transpose()?,
        ..change.clone()
    };
    let mut store = ctx.open_store()?;
    let mut tx = store.write()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let permit = authz::decide(&actor, &Request::OrgSet { org: &org.facts() })?;
    let ch = record::orgs::update_org(&mut *tx, &permit, org.id, &change)?;
    // Turning SMS off leaves users' sms_auto_send as it is (they may turn it
    // off; nobody may turn it on): say how many.
    if change.sms_2fa == Some(false) && org.sms_2fa {
        let seen = authz::decide(&actor, &Request::Read { org: &org.facts(), perm: authz::Perm::UserRead })?;
        let on =
            tx.count_users(&seen, &crate::store::UserQuery { org: org.id, sms_auto_send: Some(true), ..Default::default() })?;
        if on > 0 {
            ctx.warn(format!(
                "{on} member(s) of {} still have sms_auto_send on; it has no effect while SMS is disallowed ('acct user list --columns email,sms_auto_send' shows them)",
                org.slug
            ));
        }
    }
    ctx.finish(tx)?;
    Ok(ch)
}
