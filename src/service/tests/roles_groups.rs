//! Organization roles, global roles and groups: who may change them, and
//! the invariants that hold.

use super::{World, refusal, seer, subject};
use crate::authz::{Op, Perm};
use crate::error::Kind;
use crate::service::{access, group, role};
use crate::store::GroupRole;

// ------------------------------------------------------------ roles

#[test]
fn assigning_needs_role_assign_and_a_known_role() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let admin = subject(&*tx, 1);
    let (r, permit) = role::assign_decision(&*tx, &admin, &org, ro, "helpdesk", Op::RoleAssign).unwrap();
    assert_eq!((r.name.as_str(), permit.op()), ("helpdesk", Op::RoleAssign));
    assert_eq!(
        refusal(role::assign_decision(&*tx, &subject(&*tx, ro), &org, ro, "full-admin", Op::RoleAssign)),
        (
            Kind::Denied,
            "permission denied: 'role:assign' is needed in acme (you have user:read role:read group:read audit:read)".into()
        )
    );
    assert_eq!(
        refusal(role::assign_decision(&*tx, &admin, &org, ro, "nope", Op::RoleAssign)),
        (Kind::NotFound, "role 'nope' not found".into())
    );
}

#[test]
fn set_roles_makes_the_roles_exactly_those_named() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    let steps = role::set_roles(&mut *tx, &admin, &org, ro, &["helpdesk".to_string()]).unwrap();
    let steps: Vec<(String, bool)> = steps.into_iter().map(|s| (s.role, s.assigned)).collect();
    assert_eq!(steps, vec![("helpdesk".to_string(), true), ("read-only".to_string(), false)]);
    assert_eq!(tx.user_roles(org.id, ro).unwrap(), vec!["helpdesk".to_string()]);
    let again = role::set_roles(&mut *tx, &admin, &org, ro, &["helpdesk".to_string()]).unwrap();
    assert!(again.is_empty(), "nothing to do the second time");
}

#[test]
fn set_roles_keeps_the_last_full_admin() {
    let mut w = World::new();
    let org = w.org.clone();
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    assert_eq!(
        refusal(role::set_roles(&mut *tx, &admin, &org, 1, &["read-only".to_string()])),
        (Kind::Conflict, "root@example.com is the last active full-admin of acme".into())
    );
    drop(tx);
    let tx = w.read();
    assert_eq!(tx.user_roles(org.id, 1).unwrap(), vec!["full-admin".to_string()], "nothing half-applied");
}

#[test]
fn a_custom_role_needs_known_permissions() {
    let set = role::parse_perms(&["user:read, user:reset-2fa".into(), "group:read".into()]).unwrap();
    assert!(set.has(Perm::UserRead) && set.has(Perm::UserReset2fa) && set.has(Perm::GroupRead));
    assert!(!set.has(Perm::UserRemove));
    let (kind, msg) = refusal(role::parse_perms(&["user:fly".into()]).map_err(anyhow::Error::from));
    assert_eq!((kind, msg.as_str()), (Kind::Invalid, "unknown permission 'user:fly'"));
    assert!(role::parse_perms(&[" , ".into()]).unwrap().is_empty());
}

// ------------------------------------------------------------ global roles

#[test]
fn the_last_global_administrator_cannot_be_revoked() {
    let mut w = World::new();
    let tx = w.read();
    let admin = subject(&*tx, 1);
    let ga = tx.role(None, "global-admin").unwrap().unwrap();
    assert_eq!(
        refusal(access::decision(&*tx, &admin, &admin, &ga, false)),
        (Kind::Conflict, "root@example.com is the last active global-admin".into())
    );
}

#[test]
fn an_organization_administrator_cannot_grant_a_global_role() {
    let mut w = World::new();
    let fa = w.member("fa@example.com", &["full-admin"]);
    let ro = w.member("ro@example.com", &["read-only"]);
    let tx = w.read();
    let gro = tx.role(None, "global-read-only").unwrap().unwrap();
    assert_eq!(
        refusal(access::decision(&*tx, &subject(&*tx, fa), &subject(&*tx, ro), &gro, true)),
        (Kind::Denied, "permission denied: 'global:admin' is needed (global roles are granted with 'acct access grant')".into())
    );
    assert!(access::decision(&*tx, &subject(&*tx, 1), &subject(&*tx, ro), &gro, true).is_ok());
}

// ------------------------------------------------------------ groups

#[test]
fn a_group_manager_changes_members_but_does_not_appoint_managers() {
    let mut w = World::new();
    let ops = w.group("ops");
    let mgr = w.member("mgr@example.com", &["read-only"]);
    let bob = w.member("bob@example.com", &["read-only"]);
    w.manage(&ops, mgr);
    let org = w.org.clone();
    let tx = w.read();
    let actor = subject(&*tx, mgr);
    let target = subject(&*tx, bob);
    assert!(group::person_decision(&actor, &org, &ops, GroupRole::Member, true, Some(&target)).is_ok());
    assert_eq!(
        refusal(group::person_decision(&actor, &org, &ops, GroupRole::Manager, true, Some(&target))),
        (
            Kind::Denied,
            "permission denied: 'group:manage' is needed in acme (you have user:read role:read group:read audit:read)".into()
        )
    );
}

#[test]
fn a_primary_group_is_not_also_an_additional_group() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    let everyone = tx.group(org.id, "everyone").unwrap().unwrap();
    let target = subject(&*tx, bob);
    assert_eq!(
        refusal(group::set_member(&mut *tx, &admin, &org, &everyone, &target, true)),
        (Kind::Conflict, "'everyone' is already the primary group of bob@example.com".into())
    );
}

#[test]
fn adding_a_member_twice_changes_nothing_the_second_time() {
    let mut w = World::new();
    let ops = w.group("ops");
    let bob = w.member("bob@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    let target = subject(&*tx, bob);
    assert!(group::set_member(&mut *tx, &admin, &org, &ops, &target, true).unwrap());
    assert!(!group::set_member(&mut *tx, &admin, &org, &ops, &target, true).unwrap());
    assert_eq!(tx.group_people(&seer(&*tx), ops.id).unwrap().members.len(), 1);
}
