//! The product rules of the writes, against an in-memory SQLite database:
//! the exact refusal, its kind and its hint.

use super::{groups, members, users};
use crate::authz::{Op, Perm, PermSet};
use crate::error::{Kind, classify};
use crate::store::conformance::{add, create_group, create_role, group_permit, init, person, remove, role_permit};
use crate::store::sqlite::SqliteStore;
use crate::store::{Store, UserChange};

/// The kind, message and hint of a refusal.
fn refusal(r: crate::error::Result<impl std::fmt::Debug>) -> (Kind, String, Option<String>) {
    let r = classify(&r.expect_err("refused"));
    (r.kind, r.message, r.hint)
}

#[test]
fn the_everyone_group_is_never_deleted() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    let everyone = tx.group(w.org, "everyone").unwrap().unwrap().id;
    let p = group_permit(&*tx, w.admin, w.org, Op::GroupDelete);
    assert_eq!(
        refusal(groups::delete_group(&mut *tx, &p, everyone)),
        (
            Kind::Conflict,
            "group 'everyone' cannot be deleted: it is the organization's default group".into(),
            Some("every organization keeps its 'everyone' group".into())
        )
    );
}

#[test]
fn a_primary_group_is_not_deleted_and_the_hint_says_how_to_move_its_members() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    let ops = create_group(&mut *tx, w.admin, w.org, "ops", "Ops");
    add(&mut *tx, w.admin, w.org, &person("bob@example.com"), &[], Some(ops));
    let p = group_permit(&*tx, w.admin, w.org, Op::GroupDelete);
    assert_eq!(
        refusal(groups::delete_group(&mut *tx, &p, ops)),
        (
            Kind::Conflict,
            "group 'ops' cannot be deleted: it is the primary group of 1 user(s)".into(),
            Some(
                "move them first: 'acct user list --group ops' lists them, 'acct user edit USER --primary-group G' moves one"
                    .into()
            )
        )
    );
}

#[test]
fn a_second_group_of_the_same_name_is_a_conflict() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    create_group(&mut *tx, w.admin, w.org, "ops", "Ops");
    let p = group_permit(&*tx, w.admin, w.org, Op::GroupCreate);
    assert_eq!(
        refusal(groups::create_group(&mut *tx, &p, w.org, "ops", "Again")),
        (Kind::Conflict, "group 'ops' already exists".into(), None)
    );
}

#[test]
fn a_role_someone_holds_is_not_deleted() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    let perms = PermSet::of(&[Perm::AuditRead]);
    let auditor = create_role(&mut *tx, w.admin, w.org, "auditor", "Auditor", perms);
    add(&mut *tx, w.admin, w.org, &person("bob@example.com"), &["auditor"], None);
    let p = role_permit(&*tx, w.admin, w.org, Op::RoleDelete, "auditor", perms);
    assert_eq!(
        refusal(members::delete_role(&mut *tx, &p, auditor)),
        (
            Kind::Conflict,
            "role 'auditor' is held by 1 user(s)".into(),
            Some("unassign it first: acct user list --role NAME shows who holds it".into())
        )
    );
}

#[test]
fn an_edit_reports_old_and_new_of_every_changed_field_and_nothing_else() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    let bob = add(&mut *tx, w.admin, w.org, &person("bob@example.com"), &[], None);
    let change = UserChange { first_name: Some(Some("Bob".into())), robot: Some(true), ..UserChange::default() };
    let ch = crate::store::conformance::edit(&mut *tx, w.admin, bob, &change).unwrap();
    assert_eq!(
        ch.to_json(),
        serde_json::json!({"first_name": {"old": null, "new": "Bob"}, "robot": {"old": false, "new": true}})
    );
    assert!(crate::store::conformance::edit(&mut *tx, w.admin, bob, &change).unwrap().is_empty(), "the same edit again");
}

#[test]
fn removing_the_last_membership_trashes_and_only_the_trash_is_purged() {
    let mut store = SqliteStore::memory().unwrap();
    let w = init(&mut store);
    let mut tx = store.write().unwrap();
    let bob = add(&mut *tx, w.admin, w.org, &person("bob@example.com"), &[], None);
    assert!(remove(&mut *tx, w.admin, w.org, bob), "bob had no other organization");
    let p = group_permit(&*tx, w.admin, w.org, Op::GroupCreate);
    assert_eq!(
        refusal(users::purge_user(&mut *tx, &p, w.admin)),
        (Kind::Conflict, format!("user {} is not in the trash and cannot be purged", w.admin), None)
    );
}
