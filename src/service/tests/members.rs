//! Removing, resetting, restoring and purging members, and the usernames
//! new members get.

use super::{World, hint, refusal, subject};
use crate::error::Kind;
use crate::service::user;

// ------------------------------------------------------------ remove, reset, restore

#[test]
fn helpdesk_may_reset_a_peer_but_not_someone_holding_more() {
    let mut w = World::new();
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let peer = w.member("peer@example.com", &["helpdesk"]);
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let root = w.root;
    let tx = w.read();
    let actor = subject(&*tx, hd);
    assert!(user::decide_reset_2fa(&actor, &org, &subject(&*tx, peer)).is_ok());
    // read-only holds audit:read, role:read and group:read, which helpdesk does not.
    assert_eq!(
        refusal(user::decide_reset_2fa(&actor, &org, &subject(&*tx, ro))),
        (Kind::Denied, "permission denied: cannot reset the 2FA of ro@example.com: they hold role:read group:read audit:read in acme, which you do not".into())
    );
    assert_eq!(refusal(user::decide_reset_2fa(&actor, &org, &subject(&*tx, root))).0, Kind::Denied);
}

#[test]
fn removing_needs_user_remove_and_the_last_administrator_stays() {
    let mut w = World::new();
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let root = w.root;
    let tx = w.read();
    let admin = subject(&*tx, root);
    assert_eq!(
        refusal(user::decide_remove(&subject(&*tx, hd), &org, &subject(&*tx, ro))),
        (Kind::Denied, "permission denied: 'user:remove' is needed in acme (you have user:read user:reset-2fa)".into())
    );
    assert!(user::decide_remove(&admin, &org, &subject(&*tx, ro)).is_ok());
    assert_eq!(
        refusal(user::decide_remove(&admin, &org, &admin)),
        (Kind::Conflict, "root@example.com is the last active full-admin of acme".into())
    );
}

#[test]
fn restore_is_refused_for_a_user_not_in_the_trash_and_by_an_actor_who_cannot_invite() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let bob = w.member("bob@example.com", &["helpdesk"]);
    let tx = w.read();
    let admin = subject(&*tx, 1);
    let r = user::restore_decision(&*tx, &admin, "bob@example.com");
    assert_eq!(refusal(r), (Kind::Conflict, "bob@example.com is not in the trash".into()));
    assert_eq!(
        hint(user::restore_decision(&*tx, &admin, "bob@example.com")).as_deref(),
        Some("only removed users can be restored")
    );
    drop(tx);
    w.remove(bob);
    let tx = w.read();
    let (target, org, _permit) = user::restore_decision(&*tx, &subject(&*tx, 1), "bob@example.com").unwrap();
    assert_eq!((target.id, org.slug.as_str()), (bob, "acme"));
    assert_eq!(
        refusal(user::restore_decision(&*tx, &subject(&*tx, ro), "bob@example.com")),
        (
            Kind::Denied,
            "permission denied: 'user:invite' is needed in acme (you have user:read role:read group:read audit:read)".into()
        )
    );
}

#[test]
fn the_trash_window_is_thirty_days() {
    assert_eq!(user::purge_at("2026-01-01T00:00:00Z").as_deref(), Some("2026-01-31T00:00:00Z"));
    assert_eq!(user::purge_at("not a time"), None);
    assert!(user::restorable(&crate::store::sqlite::now()));
    assert!(!user::restorable("2000-01-01T00:00:00Z"));
    assert!(!user::restorable("garbage"), "an unreadable time is not restorable");
}

#[test]
fn purging_expired_trash_removes_only_what_is_past_the_window() {
    let mut w = World::new();
    let old = w.member("old@example.com", &["read-only"]);
    let recent = w.member("recent@example.com", &["read-only"]);
    w.remove(old);
    w.remove(recent);
    w.store.backdate_trash(old, "2000-01-01T00:00:00Z");
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    assert_eq!(user::expired_trash(&*tx).unwrap(), 1);
    let done = user::purge_expired(&mut *tx, &admin).unwrap();
    assert_eq!(done.purged.iter().map(|p| p.email.as_str()).collect::<Vec<_>>(), ["old@example.com"]);
    assert!(done.left.is_empty());
    assert_eq!(tx.find_user(&crate::store::Selector::Id(old)).unwrap(), None);
    assert_eq!(tx.find_user(&crate::store::Selector::Id(recent)).unwrap(), Some(recent));
    assert_eq!(user::expired_trash(&*tx).unwrap(), 0);
}

#[test]
fn purging_expired_trash_leaves_what_the_actor_may_not_purge_with_the_reason() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let old = w.member("old@example.com", &["read-only"]);
    w.remove(old);
    w.store.backdate_trash(old, "2000-01-01T00:00:00Z");
    let mut tx = w.write();
    let reader = subject(&*tx, ro);
    let done = user::purge_expired(&mut *tx, &reader).unwrap();
    assert!(done.purged.is_empty());
    assert_eq!(done.left.len(), 1);
    assert_eq!(done.left[0].0, "old@example.com");
    assert!(done.left[0].1.starts_with("permission denied"), "{:?}", done.left[0].1);
    assert_eq!(tx.find_user(&crate::store::Selector::Id(old)).unwrap(), Some(old));
}

// ------------------------------------------------------------ usernames

#[test]
fn a_free_username_is_the_requested_one_or_the_next_numbered_one() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let tx = w.read();
    assert_eq!(user::free_username(&*tx, &mut user::Usernames::default(), "bob@other.example", None).unwrap(), "bob2");
    assert_eq!(user::free_username(&*tx, &mut user::Usernames::default(), "carol@example.com", None).unwrap(), "carol");
    assert_eq!(user::free_username(&*tx, &mut user::Usernames::default(), "x@example.com", Some("robert")).unwrap(), "robert");
    assert_eq!(
        refusal(user::free_username(&*tx, &mut user::Usernames::default(), "x@example.com", Some("bob"))),
        (Kind::Conflict, "the username 'bob' is taken".into())
    );
}

#[test]
fn free_usernames_of_one_base_continue_after_the_last_one_given() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    w.member("bob3@example.com", &["read-only"]);
    let tx = w.read();
    let mut names = user::Usernames::default();
    // The first free number, then onwards from the one given (bob3 is taken).
    assert_eq!(user::free_username(&*tx, &mut names, "bob@a.example", None).unwrap(), "bob2");
    assert_eq!(user::free_username(&*tx, &mut names, "bob@b.example", None).unwrap(), "bob4");
    assert_eq!(user::free_username(&*tx, &mut names, "BOB@c.example", None).unwrap(), "bob5");
    // Other bases keep their own count; a fresh run looks from 1 again.
    assert_eq!(user::free_username(&*tx, &mut names, "carol@example.com", None).unwrap(), "carol");
    assert_eq!(user::free_username(&*tx, &mut user::Usernames::default(), "bob@d.example", None).unwrap(), "bob2");
}

#[test]
fn roles_rank_from_reading_to_administering() {
    let rank = |name: &str| {
        let b = crate::authz::builtin(name).unwrap();
        user::privilege_rank(crate::authz::PermSet::of(b.perms))
    };
    assert!(rank("read-only") < rank("helpdesk"));
    assert!(rank("helpdesk") < rank("full-admin"));
}
