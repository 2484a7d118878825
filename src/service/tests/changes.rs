//! Edits, invitations, undo, the audit chain and multi-target steps.

use super::{World, hint, refusal, seer, subject};
use crate::authz::Op;
use crate::error::Kind;
use crate::service::{self, group, invite, undo, user_edit};
use crate::store::{AuditQuery, Tx};

// ------------------------------------------------------------ edits

#[test]
fn an_actor_without_standing_learns_nothing_about_who_exists() {
    let mut w = World::new();
    let beta = w.other_org("beta");
    let nobody = w.member_of(&beta, "nobody@example.com", &[]);
    w.member("bob@example.com", &["read-only"]);
    let tx = w.read();
    let actor = subject(&*tx, nobody);
    let existing = user_edit::edit_target(&*tx, &actor, "bob@example.com").unwrap();
    let missing = user_edit::edit_target(&*tx, &actor, "ghost@example.com").unwrap();
    assert_eq!((existing.id, missing.id), (0, 0), "both answered as an unrelated user");
    assert_eq!(user_edit::edit_target(&*tx, &actor, "nobody@example.com").unwrap().id, nobody);
}

#[test]
fn an_actor_with_standing_is_told_of_a_missing_or_trashed_user() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    w.remove(bob);
    let tx = w.read();
    let admin = subject(&*tx, 1);
    assert_eq!(
        refusal(user_edit::edit_target(&*tx, &admin, "ghost@example.com")),
        (Kind::NotFound, "user 'ghost@example.com' not found".into())
    );
    assert_eq!(
        refusal(user_edit::edit_target(&*tx, &admin, "bob@example.com")),
        (Kind::Conflict, "bob@example.com is in the trash".into())
    );
    assert_eq!(
        hint(user_edit::edit_target(&*tx, &admin, "bob@example.com")).as_deref(),
        Some("restore them first with 'acct user restore bob@example.com'")
    );
}

#[test]
fn users_change_their_own_names_but_not_their_own_2fa_requirement() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let me = subject(&*tx, ro);
    let names = user_edit::EditArgs { first_name: Some("Rosa".into()), ..Default::default() };
    let (change, permit) = user_edit::edit_decision(&*tx, &me, &org, &me, &names).unwrap();
    assert_eq!(change.first_name, Some(Some("Rosa".into())));
    assert_eq!(permit.op(), Op::UserEdit);
    let req = user_edit::EditArgs { require_2fa: Some(false), ..Default::default() };
    let (kind, msg) = refusal(user_edit::edit_decision(&*tx, &me, &org, &me, &req));
    assert_eq!(kind, Kind::Denied);
    assert!(msg.contains("'require_2fa' can be changed only by an org admin"), "{msg}");
}

#[test]
fn an_edit_validates_its_values_before_deciding() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let me = subject(&*tx, ro);
    let bad = user_edit::EditArgs { email: Some("not an address".into()), ..Default::default() };
    assert_eq!(
        refusal(user_edit::edit_decision(&*tx, &me, &org, &me, &bad)),
        (Kind::Invalid, "invalid e-mail 'not an address': contains white space".into())
    );
    let group = user_edit::EditArgs { primary_group: Some("nowhere".into()), ..Default::default() };
    assert_eq!(
        refusal(user_edit::edit_decision(&*tx, &subject(&*tx, 1), &org, &me, &group)),
        (Kind::NotFound, "group 'nowhere' not found in acme".into())
    );
}

#[test]
fn the_editor_document_round_trips_to_no_change() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let u = tx.user(ro, Some(org.id)).unwrap().unwrap();
    let doc = user_edit::to_toml(&u, "acme");
    assert!(user_edit::diff_toml(&u, "acme", &doc).unwrap().is_empty());
    let edited = doc.replace("first_name = \"\"", "first_name = \"Rosa\"");
    assert_ne!(edited, doc, "the document names first_name: {doc}");
    let args = user_edit::diff_toml(&u, "acme", &edited).unwrap();
    assert_eq!(args, user_edit::EditArgs { first_name: Some("Rosa".into()), ..Default::default() });
}

// ------------------------------------------------------------ invitations

#[test]
fn sending_an_invitation_needs_user_invite() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    w.invited("new@example.com", &["read-only"]);
    let org = w.org.clone();
    let tx = w.read();
    let (target, permit) = invite::send_decision(&*tx, &subject(&*tx, 1), &org, "new@example.com").unwrap();
    assert_eq!((target.label.as_str(), permit.op()), ("new@example.com", Op::InviteSend));
    assert_eq!(
        refusal(invite::send_decision(&*tx, &subject(&*tx, ro), &org, "new@example.com")),
        (
            Kind::Denied,
            "permission denied: 'user:invite' is needed in acme (you have user:read role:read group:read audit:read)".into()
        )
    );
}

#[test]
fn an_invitation_shows_expired_and_deactivated_states() {
    let now = chrono::Utc::now();
    let inv = |state: &str, expires: Option<&str>| crate::store::Invitation {
        id: 1,
        org: "acme".into(),
        created_at: "2000-01-01T00:00:00Z".into(),
        sent_at: None,
        expires_at: expires.map(String::from),
        delivery: "sent".into(),
        delivery_error: None,
        state: state.into(),
    };
    let past = inv("open", Some("2000-01-01T00:00:00Z"));
    let future = inv("open", Some("2999-01-01T00:00:00Z"));
    assert_eq!(invite::shown_state(&past, "invited", now), "expired");
    assert_eq!(invite::shown_state(&future, "invited", now), "open");
    assert_eq!(invite::shown_state(&future, "inactive", now), "deactivated");
    assert_eq!(invite::shown_state(&inv("accepted", Some("2000-01-01T00:00:00Z")), "active", now), "accepted");
    assert!(!invite::expired(&inv("open", None), now), "no link yet: nothing to expire");
}

#[test]
fn the_token_is_found_in_whatever_was_pasted() {
    let t = "https://id.example.com/accept?token={token}";
    assert_eq!(invite::token_of("https://id.example.com/accept?token=abc123", t), "abc123");
    assert_eq!(invite::token_of("  abc123\n", t), "abc123");
    assert_eq!(invite::token_of("https://other.example/i/abc123/", t), "abc123");
    assert_eq!(invite::token_of("https://other.example/i/abc123?utm=x#top", t), "abc123");
}

// ------------------------------------------------------------ audit and undo

#[test]
fn undo_refuses_an_actor_who_may_not_read_the_entry_before_telling_anything() {
    let mut w = World::new();
    // helpdesk holds no audit:read.
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let tx = w.read();
    let last = tx.audit(&seer(&*tx), &AuditQuery::default()).unwrap().last().unwrap().id;
    let reader = subject(&*tx, hd);
    let (kind, msg) = refusal(undo::entries(&*tx, &reader, &undo::Which::Entry(last)));
    assert_eq!(kind, Kind::Denied);
    assert!(!msg.contains("hd@example.com") && !msg.contains("user.add"), "nothing about the entry is told: {msg}");
    let admin = subject(&*tx, 1);
    let found = undo::entries(&*tx, &admin, &undo::Which::Entry(last)).unwrap();
    assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), vec![last]);
}

#[test]
fn undo_of_an_addition_is_decided_as_a_removal() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let tx = w.read();
    let entry = tx.audit(&seer(&*tx), &AuditQuery::default()).unwrap().pop().unwrap();
    assert_eq!(entry.action, "user.add");
    let step = undo::decide(&*tx, &subject(&*tx, 1), &entry, false).unwrap();
    assert_eq!(step.entry.id, entry.id);
    assert!(!step.lines.is_empty());
}

#[test]
fn the_audit_chain_verifies_after_writes_and_breaks_when_an_entry_is_edited() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    w.member("carol@example.com", &["helpdesk"]);
    {
        let tx = w.read();
        let intact = crate::service::audit::verify_chain(&*tx, None).unwrap().expect("intact");
        assert_eq!(intact.entries, tx.audit(&seer(&*tx), &AuditQuery::default()).unwrap().len() as u64);
    }
    w.store.tamper_audit_target("user.add", "mallory@example.com");
    let tx = w.read();
    assert!(crate::service::audit::verify_chain(&*tx, None).unwrap().is_err(), "an edited entry breaks the chain");
}

// ------------------------------------------------------------ multi-target steps

#[test]
fn all_or_nothing_stops_at_the_first_failure_and_keep_going_keeps_the_rest() {
    let mut w = World::new();
    let org = w.org.clone();
    let ops = w.group("ops");
    let bob = w.member("bob@example.com", &["read-only"]);
    let carol = w.member("carol@example.com", &["read-only"]);
    let targets: Vec<String> = ["bob@example.com", "ghost@example.com", "carol@example.com"].map(String::from).to_vec();
    let mut tx = w.write();
    let admin = subject(&*tx, 1);
    let mut add = |tx: &mut dyn Tx, who: &str| {
        let t = service::member(tx, &org, who)?;
        group::set_member(tx, &admin, &org, &ops, &t, true)
    };
    assert_eq!(refusal(service::for_each_target(&mut *tx, &targets, false, &mut add)).0, Kind::NotFound);
    let outcomes = service::for_each_target(&mut *tx, &targets, true, &mut add).unwrap();
    let ok: Vec<bool> = outcomes.iter().map(|o| o.result.is_ok()).collect();
    assert_eq!(ok, vec![true, false, true]);
    let members = tx.group_people(&seer(&*tx), ops.id).unwrap().members;
    assert_eq!(members, vec!["bob@example.com".to_string(), "carol@example.com".to_string()]);
    assert!(bob < carol);
}
