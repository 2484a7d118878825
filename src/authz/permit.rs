//! The operations a permit covers and the permit itself: proof that the
//! engine allowed one operation.

use super::{Field, OrgFacts, Subject};
use crate::error::{AppError, Kind};

/// The operations a permit can cover. The name is the audit action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Reading: covers no write.
    Read,
    Init,
    OrgCreate,
    OrgSet,
    RoleCreate,
    RoleEdit,
    RoleDelete,
    RoleAssign,
    RoleUnassign,
    AccessGrant,
    AccessRevoke,
    GroupCreate,
    GroupDelete,
    GroupAddManager,
    GroupRemoveManager,
    GroupAddMember,
    GroupRemoveMember,
    UserAdd,
    UserRemove,
    UserRestore,
    UserPurge,
    UserEdit,
    UserReset2fa,
    InviteSend,
    InviteAccept,
    TwoFactorEnroll,
    TwoFactorVerify,
}

impl Op {
    pub fn name(self) -> &'static str {
        use Op::*;
        match self {
            Read => "read",
            Init => "init",
            OrgCreate => "org.create",
            OrgSet => "org.set",
            RoleCreate => "role.create",
            RoleEdit => "role.edit",
            RoleDelete => "role.delete",
            RoleAssign => "role.assign",
            RoleUnassign => "role.unassign",
            AccessGrant => "access.grant",
            AccessRevoke => "access.revoke",
            GroupCreate => "group.create",
            GroupDelete => "group.delete",
            GroupAddManager => "group.add-manager",
            GroupRemoveManager => "group.remove-manager",
            GroupAddMember => "group.add-member",
            GroupRemoveMember => "group.remove-member",
            UserAdd => "user.add",
            UserRemove => "user.remove",
            UserRestore => "user.restore",
            UserPurge => "user.purge",
            UserEdit => "user.edit",
            UserReset2fa => "user.reset-2fa",
            InviteSend => "invite.send",
            InviteAccept => "invite.accept",
            TwoFactorEnroll => "2fa.enroll",
            TwoFactorVerify => "2fa.verify",
        }
    }
}

/// Proof that the engine allowed one operation. Only this module can make one;
/// the repository layer reads it to check what it covers and to write the audit
/// entry.
#[derive(Debug)]
#[must_use = "a permit is only useful when handed to the repository"]
pub struct Permit {
    pub(super) op: Op,
    pub(super) actor_id: Option<i64>,
    pub(super) actor_label: String,
    pub(super) org_id: Option<i64>,
    pub(super) org_slug: Option<String>,
    pub(super) target: Option<i64>,
    pub(super) fields: Vec<Field>,
    /// Further organizations whose audit readers see the entries written
    /// under this permit: a change to an identity concerns every
    /// organization the identity belongs to.
    pub(super) audience: Vec<i64>,
}

impl Permit {
    pub fn op(&self) -> Op {
        self.op
    }
    pub fn actor_id(&self) -> Option<i64> {
        self.actor_id
    }
    pub fn actor_label(&self) -> &str {
        &self.actor_label
    }
    pub fn org_id(&self) -> Option<i64> {
        self.org_id
    }
    pub fn org_slug(&self) -> Option<&str> {
        self.org_slug.as_deref()
    }
    pub fn target(&self) -> Option<i64> {
        self.target
    }
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
    /// Organizations beside [`Permit::org_id`] that see this change in their audit log.
    pub fn audience(&self) -> &[i64] {
        &self.audience
    }

    /// Like [`Permit::check`], and the permit must be for this organization.
    pub fn check_in(&self, op: Op, org: i64, target: Option<i64>) -> Result<(), AppError> {
        self.check(op, target)?;
        if self.org_id != Some(org) {
            return Err(AppError::new(
                Kind::Failure,
                format!("internal error: a permit for {} in another organization does not cover this one", self.op.name()),
            ));
        }
        Ok(())
    }

    /// Used by the repository before it writes: the permit must be for this
    /// operation on this target.
    pub fn check(&self, op: Op, target: Option<i64>) -> Result<(), AppError> {
        if self.op != op || (target.is_some() && self.target != target) {
            return Err(AppError::new(
                Kind::Failure,
                format!("internal error: a permit for {} does not cover {}", self.op.name(), op.name()),
            ));
        }
        Ok(())
    }
}

pub(super) fn permit(actor: &Subject, op: Op, org: Option<&OrgFacts>, target: Option<i64>) -> Permit {
    Permit {
        op,
        actor_id: Some(actor.id),
        actor_label: actor.label.clone(),
        org_id: org.map(|o| o.id),
        org_slug: org.map(|o| o.slug.clone()),
        target,
        fields: vec![],
        audience: vec![],
    }
}

/// A permit for a change to the identity of `target`, seen by the audit
/// readers of each of its organizations.
pub(super) fn identity_permit(actor: &Subject, op: Op, org: Option<&OrgFacts>, target: &Subject) -> Permit {
    let mut p = permit(actor, op, org, Some(target.id));
    p.audience = target.org_ids().into_iter().filter(|o| Some(*o) != p.org_id).collect();
    p
}
