//! Global (account-level) roles: `acct access`.

use super::{role_in, subject, user_id};
use crate::authz::{self, Op, Request, Subject};
use crate::error::Result;
use crate::service::record;
use crate::store::{AccessRow, Role, Tx};

pub fn list(tx: &dyn Tx, actor: &Subject) -> Result<Vec<AccessRow>> {
    let seen = authz::decide(actor, &Request::AccessList)?;
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
pub fn change(tx: &mut dyn Tx, actor: &Subject, user: &str, role: &str, grant: bool) -> Result<bool> {
    let target = subject(tx, user_id(tx, user)?)?;
    let role = role_in(tx, None, role)?;
    let permit = decision(tx, actor, &target, &role, grant)?;
    if grant {
        record::members::grant_global(&mut *tx, &permit, target.id, role.id)
    } else {
        record::members::revoke_global(&mut *tx, &permit, target.id, role.id)
    }
}
