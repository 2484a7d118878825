//! The operations a permit covers and the permit itself: proof that the
//! engine allowed one operation.

use super::{Field, OrgFacts, Perm, Subject};
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
    UserBindLogin,
    DbSet,
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
            UserBindLogin => "user.bind-login",
            DbSet => "db.set",
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
    /// For a read: the permission it was decided on (`global:read` covers
    /// what any organization's readers may see). The repository returns
    /// lists, records and candidates only under a read permit that covers
    /// them.
    pub(super) read: Option<Perm>,
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

    /// Used by the repository before it returns what only some may see: a
    /// read permit decided on one of `perms` in the organization `org` (a
    /// `global:read` permit covers every organization's reads; `None` for
    /// `org`: reads that belong to no organization, which need `global:read`
    /// unless `perms` are global themselves).
    pub fn check_read(&self, perms: &[Perm], org: Option<i64>) -> Result<(), AppError> {
        let read = self.read.filter(|_| self.op == Op::Read);
        let covered = match read {
            Some(Perm::GlobalRead) => perms.iter().any(|p| !p.is_global() || *p == Perm::GlobalRead),
            Some(p) if p.is_global() => perms.contains(&p),
            Some(p) => perms.contains(&p) && org.is_some() && self.org_id == org,
            None => false,
        };
        if covered {
            return Ok(());
        }
        let names: Vec<&str> = perms.iter().map(|p| p.name()).collect();
        Err(AppError::new(
            Kind::Failure,
            format!("internal error: a permit for {} does not cover reading what needs {}", self.describe(), names.join(" or ")),
        ))
    }

    /// Like [`Permit::check_read`] for one user's record: also a permit
    /// decided on that very user (themself, their manager).
    pub fn check_view(&self, user: i64, org: Option<i64>) -> Result<(), AppError> {
        if self.op == Op::Read && self.target == Some(user) && self.read.is_none() && self.org_id == org {
            return Ok(());
        }
        self.check_read(&[Perm::UserRead], org)
    }

    /// Used by the repository before it returns audit entries: entries of
    /// the organization `org` (with those of no organization when
    /// `include_global`) need `audit:read` there or `global:read`; entries of
    /// every organization (`org` `None`) need `global:read`.
    pub fn check_audit(&self, org: Option<&str>, include_global: bool) -> Result<(), AppError> {
        let global = self.op == Op::Read && self.read == Some(Perm::GlobalRead);
        let here = self.op == Op::Read
            && self.read == Some(Perm::AuditRead)
            && org.is_some()
            && self.org_slug.as_deref() == org
            && !include_global;
        if global || here {
            return Ok(());
        }
        Err(AppError::new(
            Kind::Failure,
            format!("internal error: a permit for {} does not cover reading these audit entries", self.describe()),
        ))
    }

    /// A read permit for the organization `org` (any permission there), or
    /// global read.
    pub fn check_org(&self, org: i64) -> Result<(), AppError> {
        if self.op == Op::Read && (self.org_id == Some(org) || self.read == Some(Perm::GlobalRead)) {
            return Ok(());
        }
        Err(AppError::new(
            Kind::Failure,
            format!("internal error: a permit for {} does not cover this organization", self.describe()),
        ))
    }

    /// Used by the repository before it offers organization names: `None`
    /// for every organization (`global:read`), or the user whose own
    /// organizations alone may be offered.
    pub fn check_orgs(&self) -> Result<Option<i64>, AppError> {
        if self.op == Op::Read && self.read == Some(Perm::GlobalRead) {
            return Ok(None);
        }
        if self.op == Op::Read
            && self.read.is_none()
            && self.org_id.is_none()
            && self.target.is_some()
            && self.target == self.actor_id
        {
            return Ok(self.target);
        }
        Err(AppError::new(
            Kind::Failure,
            format!("internal error: a permit for {} does not cover naming organizations", self.describe()),
        ))
    }

    fn describe(&self) -> String {
        match (self.op, self.read) {
            (Op::Read, Some(p)) => format!("reading with {}", p.name()),
            (op, _) => op.name().to_string(),
        }
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
        read: None,
    }
}

/// What shell completion offers names of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidates {
    /// E-mails and usernames of the members of an organization.
    Users,
    Roles,
    Groups,
    Orgs,
}

impl Candidates {
    /// The permission that lets one read the names, in an organization.
    pub fn perm(self) -> Perm {
        match self {
            Candidates::Users => Perm::UserRead,
            Candidates::Roles => Perm::RoleRead,
            Candidates::Groups => Perm::GroupRead,
            Candidates::Orgs => Perm::GlobalRead,
        }
    }
}

/// A read permit decided on `perm`.
pub(super) fn read_permit(actor: &Subject, perm: Perm, org: Option<&OrgFacts>, target: Option<i64>) -> Permit {
    Permit { read: Some(perm), ..permit(actor, Op::Read, org, target) }
}

/// A permit for a change to the identity of `target`, seen by the audit
/// readers of each of its organizations.
pub(super) fn identity_permit(actor: &Subject, op: Op, org: Option<&OrgFacts>, target: &Subject) -> Permit {
    let mut p = permit(actor, op, org, Some(target.id));
    p.audience = target.org_ids().into_iter().filter(|o| Some(*o) != p.org_id).collect();
    p
}
