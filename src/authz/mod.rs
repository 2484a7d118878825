//! The authorization engine: one pure, deny-by-default decision function.
//!
//! [`decide`] looks at facts about the actor and the request, nothing else: no
//! database, no clock, no I/O. When it allows, it returns a [`Permit`], the only
//! value that the repository layer accepts for a mutation. `Permit`'s fields are
//! visible only inside this module and it has no public constructor, so no code
//! outside `authz` can make one: a write that did not pass the engine does not
//! compile.
//!
//! Rooms: `facts` (what the engine decides on), `field` (the user fields and
//! their edit matrix), `permit` (operations and permits), `perm`
//! (permissions and built-in roles), and here the requests and the decision.

mod facts;
mod field;
mod perm;
mod permit;
#[cfg(test)]
mod tests;

pub use facts::*;
pub use field::*;
pub use perm::*;
pub use permit::*;

use crate::error::{AppError, Kind};

/// Why the engine refused: a denial (exit 4) or a conflict with an invariant (exit 5).
pub type Refusal = AppError;

fn deny(msg: impl Into<String>) -> Refusal {
    AppError::new(Kind::Denied, format!("permission denied: {}", msg.into()))
}

fn conflict(msg: impl Into<String>) -> Refusal {
    AppError::new(Kind::Conflict, msg.into())
}

/// Everything that can be asked of the engine.
#[derive(Debug, Clone)]
pub enum Request<'a> {
    /// Read something in an organization: `user:read`, `role:read`,
    /// `group:read`, `audit:read`, `user:export`.
    Read {
        org: &'a OrgFacts,
        perm: Perm,
    },
    /// Any check of one permission in an organization (`can-i PERM`).
    Has {
        org: &'a OrgFacts,
        perm: Perm,
    },
    /// Read one user's record (`user show`, the record `user edit` opens
    /// in `$EDITOR`): themself, a manager of their primary group, or
    /// `user:read` in the organization. `None`: nobody by that name, which
    /// is answered as for anyone the actor may not read.
    UserView {
        org: &'a OrgFacts,
        target: Option<&'a Subject>,
    },
    /// Names offered by shell completion: what the actor may read.
    Candidates {
        org: Option<&'a OrgFacts>,
        of: Candidates,
    },
    /// See every organization.
    GlobalRead,
    /// List who holds the global roles (`access list`): global admins only.
    AccessList,
    /// See an organization: any permission there, or global read.
    OrgView {
        org: &'a OrgFacts,
    },
    OrgCreate,
    OrgSet {
        org: &'a OrgFacts,
    },
    /// Create, edit or delete a role. `role` is the role as it is (for
    /// create: as it will be); `next` the permissions an edit gives it.
    Role {
        op: Op,
        org: &'a OrgFacts,
        role: &'a RoleFacts,
        next: Option<PermSet>,
    },
    Assign {
        op: Op,
        org: &'a OrgFacts,
        target: &'a Subject,
        role: &'a RoleFacts,
    },
    Access {
        op: Op,
        target: &'a Subject,
        role: &'a RoleFacts,
        last_global_admin: bool,
    },
    Group {
        op: Op,
        org: &'a OrgFacts,
    },
    /// Put a user into an additional group, or take them out of one
    /// (without a target: whether the actor may change the group's members at all).
    GroupMember {
        op: Op,
        group: &'a GroupFacts,
        target: Option<&'a Subject>,
    },
    UserAdd {
        org: &'a OrgFacts,
        roles: PermSet,
        target: Option<i64>,
    },
    UserRemove {
        org: &'a OrgFacts,
        target: &'a Subject,
    },
    UserRestore {
        org: &'a OrgFacts,
        target: &'a Subject,
        roles: PermSet,
    },
    /// Delete a user removed more than 30 days ago, to add the address anew.
    UserPurge {
        org: &'a OrgFacts,
        target: &'a Subject,
    },
    UserEdit {
        target: &'a Subject,
        edit: &'a EditFacts,
    },
    UserReset2fa {
        target: &'a Subject,
    },
    /// Bind an account to a database login, or unbind it (SPEC §6): an
    /// admin of the account's organization who is not less privileged than
    /// it anywhere, or a global admin.
    UserBindLogin {
        target: &'a Subject,
    },
    /// Change a setting of the whole database: global admins only.
    DbSet,
    InviteSend {
        target: &'a Subject,
    },
    /// The actor's own two-factor enrolment and verification.
    OwnTwoFactor {
        op: Op,
    },
}

/// Refuse an actor who may do nothing at all.
pub fn check_actor(actor: &Subject) -> Result<(), Refusal> {
    if actor.trashed {
        return Err(deny(format!("the actor {} has been removed from every organization", actor.label)));
    }
    match actor.status {
        Status::Active => Ok(()),
        Status::Inactive => Err(deny(format!("the actor {} is inactive", actor.label))),
        Status::Invited => Err(deny(format!("the actor {} has not accepted their invitation yet", actor.label))),
    }
}

/// Bootstrap: `acct init` on a database that has no organization yet.
pub fn decide_init(database_is_empty: bool) -> Result<Permit, Refusal> {
    if !database_is_empty {
        return Err(conflict("the database is already initialized"));
    }
    Ok(Permit {
        op: Op::Init,
        actor_id: None,
        actor_label: "init".into(),
        org_id: None,
        org_slug: None,
        target: None,
        fields: vec![],
        audience: vec![],
        read: None,
    })
}

/// Accepting an invitation: the valid token is the credential; a deactivated
/// account cannot be activated that way.
pub fn decide_accept(target: &Subject, org: Option<&OrgFacts>, token_is_valid: bool) -> Result<Permit, Refusal> {
    if !token_is_valid {
        return Err(deny("the invitation token is not valid"));
    }
    if target.status == Status::Inactive {
        return Err(conflict("this account has been deactivated").with_hint("ask an administrator to reactivate it"));
    }
    if target.status == Status::Active {
        return Err(conflict("this account is already active"));
    }
    Ok(Permit {
        op: Op::InviteAccept,
        actor_id: Some(target.id),
        actor_label: target.label.clone(),
        org_id: org.map(|o| o.id),
        org_slug: org.map(|o| o.slug.clone()),
        target: Some(target.id),
        fields: vec![],
        audience: target.org_ids().into_iter().filter(|o| Some(*o) != org.map(|o| o.id)).collect(),
        read: None,
    })
}

fn need(actor: &Subject, org: &OrgFacts, perm: Perm) -> Result<(), Refusal> {
    let have = actor.perms_in(org.id);
    if have.has(perm) {
        return Ok(());
    }
    let you = if have.is_empty() {
        if actor.is_member(org.id) {
            format!("you have no role in {}; ask an administrator", org.slug)
        } else {
            format!("you are not a member of {}", org.slug)
        }
    } else {
        format!("you have {}", have.org_part())
    };
    Err(deny(format!("'{}' is needed in {} ({you})", perm.name(), org.slug)))
}

fn need_global(actor: &Subject, perm: Perm) -> Result<(), Refusal> {
    if actor.global_perms().has(perm) {
        return Ok(());
    }
    Err(deny(format!("'{}' is needed (global roles are granted with 'acct access grant')", perm.name())))
}

/// The actor must hold, in the organization, every permission the target holds
/// there (global permissions included).
fn not_more_privileged(actor: &Subject, target: &Subject, org: &OrgFacts, what: &str) -> Result<(), Refusal> {
    if actor.id == target.id {
        return Ok(());
    }
    let missing = actor.perms_in(org.id).missing(target.perms_in(org.id));
    if missing.is_empty() {
        return Ok(());
    }
    Err(deny(format!("cannot {what} {}: they hold {missing} in {}, which you do not", target.label, org.slug)))
}

/// For a change to the identity itself (it is the same person in every
/// organization): the actor must hold every permission the target holds in
/// each of the target's organizations, and every global permission the target
/// holds (SPEC §3).
fn not_more_privileged_anywhere(actor: &Subject, target: &Subject, what: &str) -> Result<(), Refusal> {
    if actor.id == target.id {
        return Ok(());
    }
    // The target's own organization first, then the others, then the
    // global permissions themselves.
    let mut orgs = target.org_ids();
    if let Some(o) = &target.org {
        orgs.retain(|id| *id != o.id);
        orgs.insert(0, o.id);
    }
    for org in orgs {
        // Global permissions the target holds count in every organization;
        // alone they are reported once, below.
        let missing = actor.perms_in(org).missing(target.perms_in(org));
        if !missing.org_part().is_empty() {
            return Err(deny(format!(
                "cannot {what} {}: they hold {missing} in {}, which you do not",
                target.label,
                target.org_slug(org)
            )));
        }
    }
    let missing = actor.global_perms().missing(target.global_perms()).global_part();
    if !missing.is_empty() {
        return Err(deny(format!("cannot {what} {}: they hold the global permission {missing}, which you do not", target.label)));
    }
    Ok(())
}

/// The actor must hold every permission of a role to change or delete it.
fn holds_role(actor: &Subject, org: &OrgFacts, role: &RoleFacts, what: &str) -> Result<(), Refusal> {
    let missing = actor.perms_in(org.id).missing(role.perms.effective());
    if missing.is_empty() {
        return Ok(());
    }
    Err(deny(format!("{what} '{}' needs every permission it has; you lack {missing} in {}", role.name, org.slug)))
}

/// May the actor put a user into an additional group, or take them out of
/// one: `group:manage` (or org admin) in the group's organization, or being a
/// manager of that group (SPEC §3).
fn may_change_group_members(actor: &Subject, group: &GroupFacts) -> Result<(), Refusal> {
    if actor.managed_groups.contains(&group.id) {
        return Ok(());
    }
    need(actor, &group.org, Perm::GroupManage)
}

fn member_of_group_org(target: &Subject, group: &GroupFacts) -> Result<(), Refusal> {
    if target.is_member(group.org.id) {
        return Ok(());
    }
    Err(conflict(format!("{} is not a member of the organization of group '{}'", target.label, group.slug)))
}

fn no_escalation(actor: &Subject, org: &OrgFacts, granted: PermSet, what: &str) -> Result<(), Refusal> {
    let missing = actor.perms_in(org.id).missing(granted.effective());
    if missing.is_empty() {
        return Ok(());
    }
    Err(deny(format!("{what} would grant {missing} in {}, which you do not hold", org.slug)))
}

fn target_org(target: &Subject) -> Result<&OrgFacts, Refusal> {
    target.org.as_ref().ok_or_else(|| conflict(format!("{} belongs to no organization", target.label)))
}

/// A decision that guards no read or write of its own: a precondition
/// (`org use` may name only an organization the actor can see).
pub fn check(actor: &Subject, req: &Request<'_>) -> Result<(), Refusal> {
    decide(actor, req).map(drop)
}

/// The decision. Deny by default: every request names what allows it.
pub fn decide(actor: &Subject, req: &Request<'_>) -> Result<Permit, Refusal> {
    check_actor(actor)?;
    match req {
        Request::Read { org, perm } | Request::Has { org, perm } => {
            if perm.is_global() {
                need_global(actor, *perm)?;
            } else {
                need(actor, org, *perm)?;
            }
            Ok(read_permit(actor, *perm, Some(org), None))
        }
        Request::UserView { org, target } => {
            if let Some(t) = target {
                let rel = relations(actor, t);
                if rel.is_self || rel.manager {
                    return Ok(permit(actor, Op::Read, Some(org), Some(t.id)));
                }
            }
            need(actor, org, Perm::UserRead)?;
            Ok(read_permit(actor, Perm::UserRead, Some(org), target.map(|t| t.id)))
        }
        Request::GlobalRead => {
            need_global(actor, Perm::GlobalRead)?;
            Ok(read_permit(actor, Perm::GlobalRead, None, None))
        }
        Request::AccessList => {
            need_global(actor, Perm::GlobalAdmin)?;
            Ok(read_permit(actor, Perm::GlobalAdmin, None, None))
        }
        Request::Candidates { org, of } => match (of, org) {
            // Organizations: all of them with global read, else the actor's
            // own (the repository keeps to those under a permit that is not
            // global read).
            (Candidates::Orgs, _) => Ok(match need_global(actor, Perm::GlobalRead) {
                Ok(()) => read_permit(actor, Perm::GlobalRead, None, None),
                Err(_) => permit(actor, Op::Read, None, Some(actor.id)),
            }),
            (_, None) => Err(deny("completing names needs an organization")),
            (kind, Some(org)) => {
                let perm = kind.perm();
                need(actor, org, perm)?;
                Ok(read_permit(actor, perm, Some(org), None))
            }
        },
        Request::OrgView { org } => {
            if actor.perms_in(org.id).is_empty() {
                return Err(need(actor, org, Perm::UserRead).err().unwrap_or_else(|| deny("no permission")));
            }
            Ok(permit(actor, Op::Read, Some(org), None))
        }
        Request::OrgCreate => {
            need_global(actor, Perm::GlobalAdmin)?;
            Ok(permit(actor, Op::OrgCreate, None, None))
        }
        Request::OrgSet { org } => {
            need(actor, org, Perm::OrgAdmin)?;
            Ok(permit(actor, Op::OrgSet, Some(org), None))
        }
        Request::Role { op, org, role, next } => {
            need(actor, org, Perm::RoleManage)?;
            if role.builtin && *op != Op::RoleCreate {
                return Err(conflict(format!("'{}' is a built-in role and cannot be changed", role.name)));
            }
            let after = next.unwrap_or(role.perms);
            if role.scope == Scope::Global || role.perms.iter().chain(after.iter()).any(Perm::is_global) {
                return Err(conflict("a custom role holds organization permissions only")
                    .with_hint("global roles are managed with 'acct access'"));
            }
            match op {
                Op::RoleCreate => no_escalation(actor, org, role.perms, &format!("creating '{}'", role.name))?,
                Op::RoleEdit => {
                    holds_role(actor, org, role, "editing")?;
                    no_escalation(actor, org, after, &format!("editing '{}'", role.name))?;
                }
                _ => holds_role(actor, org, role, "deleting")?,
            }
            Ok(permit(actor, *op, Some(org), None))
        }
        Request::Assign { op, org, target, role } => {
            if role.scope == Scope::Global {
                return Err(conflict(format!("'{}' is a global role and cannot be assigned with 'acct role'", role.name))
                    .with_hint("use 'acct access grant'"));
            }
            need(actor, org, Perm::RoleAssign)?;
            if *op == Op::RoleAssign {
                no_escalation(actor, org, role.perms, &format!("assigning '{}'", role.name))?;
            } else {
                let missing = actor.perms_in(org.id).missing(role.perms.effective());
                if !missing.is_empty() {
                    return Err(deny(format!(
                        "unassigning '{}' needs every permission it grants; you lack {missing} in {}",
                        role.name, org.slug
                    )));
                }
            }
            if *op == Op::RoleUnassign && role.name == FULL_ADMIN && target.last_admin_of.contains(&org.id) {
                return Err(conflict(format!("{} is the last active full-admin of {}", target.label, org.slug))
                    .with_hint("assign full-admin to another active member first"));
            }
            Ok(permit(actor, *op, Some(org), Some(target.id)))
        }
        Request::Access { op, target, role, last_global_admin } => {
            need_global(actor, Perm::GlobalAdmin)?;
            if role.scope != Scope::Global {
                return Err(conflict(format!("'{}' is an organization role", role.name)).with_hint("use 'acct role assign'"));
            }
            if *op == Op::AccessRevoke && *last_global_admin && role.name == GLOBAL_ADMIN {
                return Err(conflict(format!("{} is the last active global-admin", target.label))
                    .with_hint("grant global-admin to another active user first"));
            }
            Ok(permit(actor, *op, None, Some(target.id)))
        }
        Request::Group { op, org } => {
            need(actor, org, Perm::GroupManage)?;
            Ok(permit(actor, *op, Some(org), None))
        }
        Request::GroupMember { op, group, target } => {
            may_change_group_members(actor, group)?;
            if let Some(t) = target {
                member_of_group_org(t, group)?;
            }
            Ok(permit(actor, *op, Some(&group.org), target.map(|t| t.id)))
        }
        Request::UserAdd { org, roles, target } => {
            need(actor, org, Perm::UserInvite)?;
            no_escalation(actor, org, *roles, "adding a user with these roles")?;
            Ok(permit(actor, Op::UserAdd, Some(org), *target))
        }
        Request::UserRemove { org, target } => {
            need(actor, org, Perm::UserRemove)?;
            not_more_privileged(actor, target, org, "remove")?;
            if target.last_admin_of.contains(&org.id) {
                return Err(conflict(format!("{} is the last active full-admin of {}", target.label, org.slug))
                    .with_hint("assign full-admin to another active member first"));
            }
            Ok(permit(actor, Op::UserRemove, Some(org), Some(target.id)))
        }
        Request::UserRestore { org, target, roles } => {
            need(actor, org, Perm::UserInvite)?;
            no_escalation(actor, org, *roles, "restoring this user's roles")?;
            Ok(permit(actor, Op::UserRestore, Some(org), Some(target.id)))
        }
        Request::UserPurge { org, target } => {
            need(actor, org, Perm::UserInvite)?;
            if !target.trashed {
                return Err(conflict(format!("{} is not in the trash", target.label)));
            }
            // Purging deletes the identity with its global roles: only a global
            // admin may take those away.
            if !target.global.is_empty() {
                need_global(actor, Perm::GlobalAdmin).map_err(|_| {
                    deny(format!(
                        "purging {} would remove their global roles ({}); 'global:admin' is needed",
                        target.label, target.global
                    ))
                })?;
            }
            Ok(permit(actor, Op::UserPurge, Some(org), Some(target.id)))
        }
        Request::UserEdit { target, edit } => decide_edit(actor, target, edit),
        Request::UserReset2fa { target } => {
            let org = target_org(target)?;
            need(actor, org, Perm::UserReset2fa)?;
            not_more_privileged_anywhere(actor, target, "reset the 2FA of")?;
            if org.sso && !target.sso_disabled {
                return Err(conflict(format!("2FA is managed by your SSO provider ({} has sso on)", org.slug))
                    .with_hint(format!("set --sso-disabled true on {} first, or reset 2FA in the SSO provider", target.label)));
            }
            Ok(identity_permit(actor, Op::UserReset2fa, Some(org), target))
        }
        Request::UserBindLogin { target } => {
            if need_global(actor, Perm::GlobalAdmin).is_ok() {
                let org = target.org.as_ref();
                return Ok(identity_permit(actor, Op::UserBindLogin, org, target));
            }
            let org = target_org(target)?;
            need(actor, org, Perm::OrgAdmin)?;
            not_more_privileged_anywhere(actor, target, "bind the database login of")?;
            Ok(identity_permit(actor, Op::UserBindLogin, Some(org), target))
        }
        Request::DbSet => {
            need_global(actor, Perm::GlobalAdmin)?;
            Ok(permit(actor, Op::DbSet, None, None))
        }
        Request::InviteSend { target } => {
            let org = target_org(target)?;
            need(actor, org, Perm::UserInvite)?;
            not_more_privileged_anywhere(actor, target, "send an invitation to")?;
            match target.status {
                Status::Invited => {}
                Status::Active => return Err(conflict(format!("{} has already accepted their invitation", target.label))),
                Status::Inactive => {
                    return Err(conflict(format!("{} has been deactivated", target.label))
                        .with_hint(format!("reactivate them first: acct user edit {} --active true", target.label)));
                }
            }
            Ok(identity_permit(actor, Op::InviteSend, Some(org), target))
        }
        Request::OwnTwoFactor { op } => Ok(permit(actor, *op, actor.org.as_ref(), Some(actor.id))),
    }
}

fn decide_edit(actor: &Subject, target: &Subject, edit: &EditFacts) -> Result<Permit, Refusal> {
    let rel = relations(actor, target);
    for f in &edit.fields {
        field_allowed(&rel, *f)?;
    }
    let org = target.org.as_ref();
    for f in &edit.fields {
        match f {
            Field::SsoDisabled if !org.is_some_and(|o| o.sso) => {
                return Err(conflict(format!(
                    "'sso_disabled' applies only when the organization has sso on ({} has it off)",
                    org.map(|o| o.slug.as_str()).unwrap_or("the user's organization")
                )));
            }
            Field::SmsAutoSend if edit.enabling_sms_auto_send && !org.is_some_and(|o| o.sms_2fa) => {
                return Err(conflict("'sms_auto_send' needs an organization that allows sms_2fa"));
            }
            Field::SmsAutoSend if edit.enabling_sms_auto_send && !edit.phone_after => {
                return Err(conflict("'sms_auto_send' needs a phone number").with_hint("set --phone first (only the user can)"));
            }
            _ => {}
        }
    }
    if edit.email_change {
        not_more_privileged_anywhere(actor, target, "change the e-mail of")?;
    }
    if edit.deactivating {
        not_more_privileged_anywhere(actor, target, "deactivate")?;
        if !target.last_admin_of.is_empty() {
            return Err(conflict(format!("{} is the last active full-admin of an organization", target.label))
                .with_hint("assign full-admin to another active member first"));
        }
    }
    if let Some((group, group_org)) = edit.new_primary_group {
        if !target.is_member(group_org) {
            return Err(conflict(format!("{} is not a member of the new primary group's organization", target.label)));
        }
        let admin_there = actor.perms_in(group_org).has(Perm::OrgAdmin);
        if !admin_there && !actor.managed_groups.contains(&group) {
            return Err(deny(format!("a manager may set a primary group only to a group they also manage ({})", rel.describe())));
        }
    }
    for g in &edit.groups {
        may_change_group_members(actor, g)?;
        member_of_group_org(target, g)?;
    }
    let mut p = identity_permit(actor, Op::UserEdit, org, target);
    p.fields = edit.fields.clone();
    Ok(p)
}
