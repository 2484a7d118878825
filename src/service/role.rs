//! Organization roles: the built-in ones and custom ones per organization.

use super::{Outcome, for_each_target, member, role_in};
use crate::authz::Subject;
use crate::authz::{self, Op, Perm, PermSet, Request};
use crate::error::{self, AppError, Kind, Result, one_line};
use crate::service::record;
use crate::service::record::Changes;
use crate::service::session::Ask;
use crate::store::{NewRole, Org, Role, RoleChange, Tx};
use crate::validate;

pub struct RoleRow {
    pub role: Role,
    pub holders: u64,
}

pub fn parse_perms(names: &[String]) -> Result<PermSet, AppError> {
    let mut v = Vec::new();
    for n in names.iter().flat_map(|n| n.split(',')).map(str::trim).filter(|n| !n.is_empty()) {
        let p = Perm::parse(n).ok_or_else(|| {
            AppError::new(Kind::Invalid, format!("unknown permission '{}'", one_line(n))).with_hint(format!(
                "permissions: {}",
                Perm::ALL.iter().filter(|p| !p.is_global()).map(|p| p.name()).collect::<Vec<_>>().join(", ")
            ))
        })?;
        v.push(p);
    }
    Ok(PermSet::of(&v))
}

pub fn list(tx: &dyn Tx, actor: &Subject, org: &Org) -> Result<Vec<RoleRow>> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::RoleRead })?;
    tx.roles(Some(org.id))?
        .into_iter()
        .map(|role| {
            let holders =
                tx.count_users(&seen, &crate::store::UserQuery { org: org.id, role: Some(role.id), ..Default::default() })?;
            Ok(RoleRow { role, holders })
        })
        .collect()
}

pub fn show(tx: &dyn Tx, actor: &Subject, org: &Org, name: &str) -> Result<RoleRow> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::RoleRead })?;
    let role = role_in(tx, Some(org), name)?;
    let holders = if role.scope == authz::Scope::Org {
        tx.count_users(&seen, &crate::store::UserQuery { org: org.id, role: Some(role.id), ..Default::default() })?
    } else {
        tx.role_holders(role.id)?
    };
    Ok(RoleRow { role, holders })
}

/// A custom role as `role create` was given it, checked before any
/// database is opened.
pub fn new_role(name: &str, perms: &[String], display: Option<&str>) -> Result<NewRole> {
    let name = validate::slug("role name", name)?;
    if authz::builtin(&name).is_some() {
        return Err(error::conflict(format!("'{name}' is a built-in role")).into());
    }
    let perms = parse_perms(perms)?;
    if perms.is_empty() {
        return Err(error::usage("a role needs at least one --permission").into());
    }
    let display_name = validate::display_name(display, &name)?;
    Ok(NewRole { name, display_name, perms })
}

pub fn create(tx: &mut dyn Tx, actor: &Subject, org: &Org, new: &NewRole) -> Result<Role> {
    let facts = authz::RoleFacts { name: new.name.clone(), scope: authz::Scope::Org, perms: new.perms, builtin: false };
    let permit = authz::decide(actor, &Request::Role { op: Op::RoleCreate, org: &org.facts(), role: &facts, next: None })?;
    record::members::create_role(&mut *tx, &permit, org.id, new)?;
    role_in(tx, Some(org), &new.name)
}

pub struct RoleEdit {
    pub display_name: Option<String>,
    pub set: Vec<String>,
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

/// What `role edit` was asked, checked before any database is opened.
pub struct RoleEditSpec {
    display_name: Option<String>,
    set: Option<PermSet>,
    add: PermSet,
    remove: PermSet,
}

pub fn edit_spec(e: &RoleEdit) -> Result<RoleEditSpec> {
    if e.display_name.is_none() && e.set.is_empty() && e.add.is_empty() && e.remove.is_empty() {
        return Err(error::usage("nothing to change")
            .with_hint("pass --display-name, --permission, --add-permission or --remove-permission")
            .into());
    }
    let display_name = e.display_name.as_deref().map(|d| validate::name("display name", d)).transpose()?;
    let set = if e.set.is_empty() { None } else { Some(parse_perms(&e.set)?) };
    Ok(RoleEditSpec { display_name, set, add: parse_perms(&e.add)?, remove: parse_perms(&e.remove)? })
}

pub fn edit(tx: &mut dyn Tx, actor: &Subject, org: &Org, name: &str, e: &RoleEditSpec) -> Result<Changes> {
    let role = role_in(tx, Some(org), name)?;
    let perms = if e.set.is_none() && e.add.is_empty() && e.remove.is_empty() {
        None
    } else {
        let base = e.set.unwrap_or(role.perms);
        let next = PermSet::of(&base.union(e.add).iter().filter(|p| !e.remove.has(*p)).collect::<Vec<_>>());
        if next.is_empty() {
            return Err(error::conflict("a role needs at least one permission").into());
        }
        Some(next)
    };
    let permit = authz::decide(actor, &Request::Role { op: Op::RoleEdit, org: &org.facts(), role: &role.facts(), next: perms })?;
    record::members::update_role(&mut *tx, &permit, role.id, &RoleChange { display_name: e.display_name.clone(), perms })
}

pub fn delete(tx: &mut dyn Tx, actor: &Subject, org: &Org, name: &str, ask: &mut Ask<'_>) -> Result<()> {
    let role = role_in(tx, Some(org), name)?;
    let permit = authz::decide(actor, &Request::Role { op: Op::RoleDelete, org: &org.facts(), role: &role.facts(), next: None })?;
    let holders = tx.role_holders(role.id)?;
    if holders > 0 {
        return Err(error::conflict(format!("role '{}' is held by {holders} user(s)", role.name))
            .with_hint(format!("unassign it first; 'acct user list --role {}' shows who holds it", role.name))
            .into());
    }
    ask(&format!("Delete the role '{}' from {}?", role.name, org.slug))?;
    record::members::delete_role(&mut *tx, &permit, role.id)
}

/// The decision of assigning or unassigning one role of a member (also
/// `can-i assign:ROLE`), with the member's facts as they are now.
pub fn assign_decision(
    tx: &dyn Tx,
    actor: &Subject,
    org: &Org,
    target: i64,
    name: &str,
    op: Op,
) -> Result<(Role, authz::Permit)> {
    let role = match tx.role(Some(org.id), name)? {
        Some(r) => r,
        None => role_in(tx, None, name)?,
    };
    let target = super::subject(tx, target)?;
    let permit = authz::decide(actor, &Request::Assign { op, org: &org.facts(), target: &target, role: &role.facts() })?;
    Ok((role, permit))
}

/// Assign or unassign roles of one user in the current organization.
pub fn assign(
    tx: &mut dyn Tx,
    actor: &Subject,
    org: &Org,
    user: &str,
    roles: &[String],
    assign: bool,
) -> Result<Vec<Outcome<bool>>> {
    let op = if assign { Op::RoleAssign } else { Op::RoleUnassign };
    super::gate(actor, org, Perm::RoleAssign)?;
    let target = member(tx, org, user)?;
    for_each_target(tx, roles, false, |tx, name| {
        // Facts again per role: an earlier unassignment may make this user the last admin.
        let (role, permit) = assign_decision(tx, actor, org, target.id, name, op)?;
        if assign {
            record::members::assign_role(&mut *tx, &permit, org.id, target.id, role.id)
        } else {
            record::members::unassign_role(&mut *tx, &permit, org.id, target.id, role.id)
        }
    })
}

/// What `role set` did to one role.
pub struct Step {
    pub role: String,
    pub assigned: bool,
}

/// Make a member's roles in the organization exactly `wanted`: the missing
/// ones assigned, then the others unassigned, each decided as `role assign`
/// or `role unassign` would decide it, with the facts as they are by then.
pub fn set_roles(tx: &mut dyn Tx, actor: &Subject, org: &Org, target: i64, wanted: &[String]) -> Result<Vec<Step>> {
    let held = tx.user_roles(org.id, target)?;
    let mut steps = Vec::new();
    for name in wanted.iter().filter(|w| !held.contains(w)) {
        let (role, permit) = assign_decision(tx, actor, org, target, name, Op::RoleAssign)?;
        if record::members::assign_role(&mut *tx, &permit, org.id, target, role.id)? {
            steps.push(Step { role: role.name, assigned: true });
        }
    }
    for name in held.iter().filter(|h| !wanted.contains(h)) {
        let (role, permit) = assign_decision(tx, actor, org, target, name, Op::RoleUnassign)?;
        if record::members::unassign_role(&mut *tx, &permit, org.id, target, role.id)? {
            steps.push(Step { role: role.name, assigned: false });
        }
    }
    Ok(steps)
}

/// What `role set` did: the member's roles before and after (sorted), and
/// the assignments and unassignments that made the difference.
pub struct RolesSet {
    /// The member as acct names them in notes.
    pub label: String,
    pub old: Vec<String>,
    pub new: Vec<String>,
    pub steps: Vec<Step>,
}

/// `role set USER ROLE...`: the member's roles become exactly these, in one
/// transaction; the names are checked before anything changes.
pub fn set(tx: &mut dyn Tx, actor: &Subject, org: &Org, user: &str, roles: &[String]) -> Result<RolesSet> {
    super::gate(actor, org, Perm::RoleAssign)?;
    let target = member(tx, org, user)?;
    let mut wanted: Vec<String> = Vec::new();
    for r in roles {
        let role = match tx.role(Some(org.id), r)? {
            Some(role) => role,
            None => role_in(tx, None, r)?,
        };
        if role.scope == authz::Scope::Global {
            return Err(error::conflict(format!("'{}' is a global role and cannot be assigned with 'acct role'", role.name))
                .with_hint("use 'acct access grant'")
                .into());
        }
        if !wanted.contains(&role.name) {
            wanted.push(role.name);
        }
    }
    let mut old = tx.user_roles(org.id, target.id)?;
    old.sort();
    let steps = set_roles(tx, actor, org, target.id, &wanted)?;
    let mut new = tx.user_roles(org.id, target.id)?;
    new.sort();
    Ok(RolesSet { label: target.label, old, new, steps })
}
