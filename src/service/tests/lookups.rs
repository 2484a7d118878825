//! How the services find users, organizations, roles and groups, and the
//! gates they pass first.

use super::{World, hint, refusal, subject};
use crate::authz::Perm;
use crate::error::Kind;
use crate::service::{self};

// ------------------------------------------------------------ lookups

#[test]
fn an_unknown_user_is_not_found_by_address_username_or_id() {
    let mut w = World::new();
    let tx = w.read();
    for who in ["nobody@example.com", "nobody", "999"] {
        let (kind, msg) = refusal(service::user_id(&*tx, who));
        assert_eq!(kind, Kind::NotFound, "{who}");
        let expected = if who == "999" { "user '999' not found".to_string() } else { format!("user '{who}' not found") };
        assert_eq!(msg, expected);
    }
}

#[test]
fn a_user_of_another_organization_is_not_a_member_and_the_hint_says_how_to_add() {
    let mut w = World::new();
    let beta = w.other_org("beta");
    w.member_of(&beta, "bea@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let r = service::member(&*tx, &org, "bea@example.com");
    assert_eq!(
        refusal(service::member(&*tx, &org, "bea@example.com")),
        (Kind::NotFound, "bea@example.com is not a member of acme".into())
    );
    assert_eq!(hint(r).as_deref(), Some("add them with 'acct user add bea@example.com'"));
}

#[test]
fn a_trashed_member_is_named_as_in_the_trash_with_the_restore_hint() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    w.remove(bob);
    let org = w.org.clone();
    let tx = w.read();
    assert_eq!(
        refusal(service::member(&*tx, &org, "bob@example.com")),
        (Kind::NotFound, "bob@example.com is in the trash".into())
    );
    assert_eq!(
        hint(service::member(&*tx, &org, "bob@example.com")).as_deref(),
        Some("bring them back with 'acct user restore bob@example.com'")
    );
}

#[test]
fn a_mistyped_organization_role_or_group_is_answered_with_the_closest_name() {
    let mut w = World::new();
    w.group("engineering");
    let org = w.org.clone();
    let tx = w.read();
    assert_eq!(refusal(service::org_named(&*tx, "acmee")), (Kind::NotFound, "organization 'acmee' not found".into()));
    assert_eq!(hint(service::org_named(&*tx, "acmee")).as_deref(), Some("did you mean 'acme'?"));
    assert_eq!(refusal(service::role_in(&*tx, Some(&org), "helpdsk")), (Kind::NotFound, "role 'helpdsk' not found".into()));
    assert_eq!(hint(service::role_in(&*tx, Some(&org), "helpdsk")).as_deref(), Some("did you mean 'helpdesk'?"));
    assert_eq!(hint(service::role_in(&*tx, Some(&org), "zzzzzzzz")).as_deref(), Some("'acct role list' shows the roles of acme"));
    assert_eq!(
        refusal(service::group_in(&*tx, &org, "enginering")),
        (Kind::NotFound, "group 'enginering' not found in acme".into())
    );
    assert_eq!(hint(service::group_in(&*tx, &org, "enginering")).as_deref(), Some("did you mean 'engineering'?"));
}

#[test]
fn hostile_bytes_in_a_name_come_back_on_one_line() {
    let mut w = World::new();
    let tx = w.read();
    let (_, msg) = refusal(service::org_named(&*tx, "evil\nerror: forged"));
    assert!(!msg.contains('\n'), "{msg:?}");
    assert!(msg.starts_with("organization 'evil"), "{msg:?}");
}

// ------------------------------------------------------------ gates

#[test]
fn a_gate_refuses_a_permission_the_actor_does_not_hold_in_the_organization() {
    let mut w = World::new();
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let tx = w.read();
    let actor = subject(&*tx, hd);
    assert!(service::gate(&actor, &org, Perm::UserReset2fa).is_ok());
    assert_eq!(
        refusal(service::gate(&actor, &org, Perm::UserRemove)),
        (Kind::Denied, "permission denied: 'user:remove' is needed in acme (you have user:read user:reset-2fa)".into())
    );
}

#[test]
fn a_record_is_shown_to_its_user_a_manager_and_readers_only() {
    let mut w = World::new();
    let plain = w.member("plain@example.com", &[]);
    let mgr = w.member("mgr@example.com", &[]);
    let bob = w.member("bob@example.com", &["read-only"]);
    let org_id = w.org.id;
    let everyone = w.read().group(org_id, "everyone").unwrap().unwrap();
    w.manage(&everyone, mgr);
    let org = w.org.clone();
    let tx = w.read();
    let actor = subject(&*tx, plain);
    let (me, seen) = service::viewable(&*tx, &actor, &org, "plain@example.com").unwrap();
    assert_eq!(me.id, plain);
    assert_eq!(tx.record(&seen, plain, Some(org.id)).unwrap().unwrap().email, "plain@example.com");
    // The permit to see oneself shows nobody else.
    assert_eq!(
        tx.record(&seen, bob, Some(org.id)).unwrap_err().to_string(),
        "internal error: a permit for read does not cover reading what needs user:read"
    );
    let existing = refusal(service::viewable(&*tx, &actor, &org, "bob@example.com"));
    let missing = refusal(service::viewable(&*tx, &actor, &org, "ghost@example.com"));
    assert_eq!(
        existing,
        (
            Kind::Denied,
            "permission denied: 'user:read' is needed in acme (you have no role in acme; ask an administrator)".into()
        )
    );
    assert_eq!(existing, missing, "the same answer whether or not the user exists");
    let (managed, seen) = service::viewable(&*tx, &subject(&*tx, mgr), &org, "bob@example.com").unwrap();
    assert_eq!(managed.id, bob);
    assert_eq!(tx.record(&seen, bob, Some(org.id)).unwrap().unwrap().email, "bob@example.com");
    assert_eq!(
        refusal(service::viewable(&*tx, &subject(&*tx, bob), &org, "ghost@example.com")),
        (Kind::NotFound, "user 'ghost@example.com' not found".into())
    );
}
