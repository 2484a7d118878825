//! Global (account-level) roles: `acct access`.

use super::{role_in, subject, user_id};
use crate::authz::{self, Op, Request, Subject};
use crate::error::Result;
use crate::service::record;
use crate::service::session::Ctx;
use crate::store::{AccessRow, Role, Tx};

pub fn list(ctx: &Ctx) -> Result<Vec<AccessRow>> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let seen = authz::decide(&actor, &Request::AccessList)?;
    tx.access_list(&seen)
}

/// The decision of granting or revoking a global role (also `acct undo`).
pub fn decision(tx: &dyn Tx, actor: &Subject, target: &Subject, role: &Role, grant: bool) -> Result<authz::Permit> {
    let op = if grant { Op::AccessGrant } else { Op::AccessRevoke };
    let holds = tx.global_roles_of(target.id)?.contains(&role.name);
    let last = holds && tx.active_global_admins()? <= 1 && target.status == authz::Status::Active;
    Ok(authz::decide(actor, &Request::Access { op, target, role: &role.facts(), last_global_admin: last })?)
}

/// Grant or revoke a global role; false when nothing changed.
pub fn change(ctx: &Ctx, user: &str, role: &str, grant: bool) -> Result<bool> {
    let mut store = ctx.open_store()?;
    let mut tx = store.write()?;
    let actor = ctx.actor(&*tx)?;
    let target = subject(&*tx, user_id(&*tx, user)?)?;
    let role = role_in(&*tx, None, role)?;
    let permit = decision(&*tx, &actor, &target, &role, grant)?;
    let changed = if grant {
        record::members::grant_global(&mut *tx, &permit, target.id, role.id)?
    } else {
        record::members::revoke_global(&mut *tx, &permit, target.id, role.id)?
    };
    ctx.finish(tx)?;
    Ok(changed)
}
