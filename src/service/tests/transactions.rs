//! The services as the commands call them: a function of a transaction, the
//! acting user and the organization, returning what it did. Nothing is
//! printed and nothing is committed here; the tests look at the data
//! returned and at the database afterwards.

use super::{World, refusal, subject};
use crate::error::Kind;
use crate::service::{access, group, invite, org, role};
use crate::store::{GroupRole, OrgChange, Tx};

fn names(tx: &dyn Tx, org: i64, user: i64) -> Vec<String> {
    tx.user_roles(org, user).unwrap()
}

#[test]
fn role_assign_reports_each_role_and_a_held_role_as_unchanged() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let roles = vec!["helpdesk".to_string(), "read-only".to_string()];
    let out = role::assign(&mut *tx, &root, &org, "bob@example.com", &roles, true).unwrap();
    let shown: Vec<(&str, bool)> = out.iter().map(|o| (o.target.as_str(), *o.result.as_ref().unwrap())).collect();
    assert_eq!(shown, [("helpdesk", true), ("read-only", false)]);
    let mut held = names(&*tx, org.id, bob);
    held.sort();
    assert_eq!(held, ["helpdesk", "read-only"]);
}

#[test]
fn role_assign_by_a_reader_is_refused_before_the_target_is_looked_up() {
    let mut w = World::new();
    let ro = w.member("ro@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let reader = subject(&*tx, ro);
    let (kind, msg) = refusal(role::assign(&mut *tx, &reader, &org, "nobody@example.com", &["helpdesk".into()], true));
    assert_eq!(kind, Kind::Denied);
    assert!(msg.starts_with("permission denied: 'role:assign' is needed in acme"), "{msg}");
}

#[test]
fn role_set_of_the_same_roles_changes_nothing() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let done = role::set(&mut *tx, &root, &org, "bob@example.com", &["helpdesk".into()]).unwrap();
    assert_eq!((done.label.as_str(), done.steps.len()), ("bob@example.com", 0));
    assert_eq!((done.old, done.new), (vec!["helpdesk".to_string()], vec!["helpdesk".to_string()]));
    assert_eq!(names(&*tx, org.id, bob), ["helpdesk"]);
    let (kind, msg) = refusal(role::set(&mut *tx, &root, &org, "bob@example.com", &["global-admin".into()]));
    assert_eq!((kind, msg.as_str()), (Kind::Conflict, "'global-admin' is a global role and cannot be assigned with 'acct role'"));
}

#[test]
fn a_new_role_is_checked_before_any_database_is_opened() {
    assert_eq!(refusal(role::new_role("full-admin", &["user:read".into()], None)).0, Kind::Conflict);
    assert_eq!(refusal(role::new_role("auditor", &[], None)).0, Kind::Usage);
    assert_eq!(
        refusal(role::new_role("auditor", &["user:fly".into()], None)),
        (Kind::Invalid, "unknown permission 'user:fly'".into())
    );
    let r = role::new_role("auditor", &["audit:read,user:read".into()], Some("Auditors")).unwrap();
    assert_eq!(
        (r.name.as_str(), r.display_name.as_str(), r.perms.names()),
        ("auditor", "Auditors", vec!["user:read", "audit:read"])
    );
    let empty = role::RoleEdit { display_name: None, set: vec![], add: vec![], remove: vec![] };
    assert_eq!(refusal(role::edit_spec(&empty)), (Kind::Usage, "nothing to change".into()));
}

#[test]
fn a_created_role_may_hold_only_what_its_creator_holds() {
    let mut w = World::new();
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let spec = role::new_role("auditor", &["audit:read".into()], None).unwrap();
    let made = role::create(&mut *tx, &root, &org, &spec).unwrap();
    assert_eq!(made.name, "auditor");
    let wide = role::new_role("wide", &["role:manage".into()], None).unwrap();
    let helpdesk = subject(&*tx, hd);
    assert_eq!(refusal(role::create(&mut *tx, &helpdesk, &org, &wide)).0, Kind::Denied);
    assert!(tx.role(Some(org.id), "wide").unwrap().is_none());
}

#[test]
fn group_people_with_keep_going_applies_the_others_and_reports_the_failure() {
    let mut w = World::new();
    w.member("a@example.com", &["read-only"]);
    w.member("b@example.com", &["read-only"]);
    let g = w.group("eng");
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let users: Vec<String> = ["a@example.com", "ghost@example.com", "b@example.com"].map(String::from).into();
    let out = group::people(&mut *tx, &root, &org, "eng", &users, (GroupRole::Member, true), true).unwrap();
    let ok: Vec<bool> = out.iter().map(|o| o.result.is_ok()).collect();
    assert_eq!(ok, [true, false, true]);
    let people = tx.group_people(&super::seer(&*tx), g.id).unwrap();
    assert_eq!(people.members, ["a@example.com", "b@example.com"]);
    // All-or-nothing without it: the first failure is the error, and the
    // savepoints leave nothing of the targets before it.
    let again: Vec<String> = ["ghost@example.com"].map(String::from).into();
    assert_eq!(refusal(group::people(&mut *tx, &root, &org, "eng", &again, (GroupRole::Manager, true), false)).0, Kind::NotFound);
}

#[test]
fn access_change_says_whether_anything_changed() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    assert!(access::change(&mut *tx, &root, "bob@example.com", "global-read-only", true).unwrap());
    assert!(!access::change(&mut *tx, &root, "bob@example.com", "global-read-only", true).unwrap());
    let rows = access::list(&*tx, &root).unwrap();
    let shown: Vec<(&str, &str)> = rows.iter().map(|r| (r.email.as_str(), r.role.as_str())).collect();
    assert_eq!(shown, [("root@example.com", "global-admin"), ("bob@example.com", "global-read-only")]);
}

#[test]
fn org_set_counts_the_members_whose_sms_setting_outlives_the_policy() {
    let mut w = World::new();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let acme = tx.org("acme").unwrap().unwrap();
    let on = OrgChange { sms_2fa: Some(true), ..OrgChange::default() };
    org::set(&mut *tx, &root, &acme, &on).unwrap();
    let acme = tx.org("acme").unwrap().unwrap();
    let off = org::org_change(&OrgChange { sms_2fa: Some(false), ..OrgChange::default() }).unwrap();
    let done = org::set(&mut *tx, &root, &acme, &off).unwrap();
    assert_eq!(done.sms_still_on, 0);
    assert!(!tx.org("acme").unwrap().unwrap().sms_2fa);
    assert_eq!(refusal(org::org_change(&OrgChange::default())), (Kind::Usage, "nothing to change".into()));
}

#[test]
fn invite_send_plans_one_mail_per_pending_invitation() {
    let mut w = World::new();
    let new = w.invited("new@example.com", &["read-only"]);
    w.member("active@example.com", &["read-only"]);
    let org = w.org.clone();
    let config = crate::config::Config::load(std::path::Path::new("/nonexistent/acct/config.toml")).unwrap();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    // As 'user add --no-send' leaves it: an invitation pending delivery.
    let add = crate::authz::decide(
        &root,
        &crate::authz::Request::UserAdd { org: &org.facts(), roles: crate::authz::PermSet::EMPTY, target: Some(new) },
    )
    .unwrap();
    tx.queue_invitation(&add, new, org.id).unwrap();
    let all = invite::SendFlags { all: true, resend: false, keep_going: false };
    let plan = invite::send(&mut *tx, &root, &org, &config, &[], all).unwrap();
    let mails: Vec<&str> = plan.mails.iter().map(|(_, m)| m.email.as_str()).collect();
    assert_eq!((mails, plan.nothing_pending), (vec!["new@example.com"], None));
    // Someone who joined long ago is a conflict, not a mail.
    let one = invite::SendFlags { all: false, ..all };
    let (kind, msg) = refusal(invite::send(&mut *tx, &root, &org, &config, &["active@example.com".into()], one));
    assert_eq!((kind, msg.as_str()), (Kind::Conflict, "active@example.com has already accepted their invitation"));
    // Once the plan's token is stored, the invitation is no longer pending
    // but it is not sent either: a second --all plans it again, with a new token.
    let again = invite::send(&mut *tx, &root, &org, &config, &[], all).unwrap();
    let ids = |p: &invite::SendPlan| p.mails.iter().map(|(_, m)| m.invitation).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&plan));
}

fn w_root() -> i64 {
    1
}

#[test]
fn twofa_verify_without_an_app_is_a_conflict_that_records_nothing() {
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    let mut tx = w.write();
    let actor = subject(&*tx, bob);
    let (kind, msg) = refusal(crate::service::twofa::verify(&mut *tx, &actor, "123456"));
    assert_eq!((kind, msg.as_str()), (Kind::Conflict, "bob@example.com has no authenticator app enrolled"));
    assert_eq!(tx.totp_state(bob).unwrap().failures, 0);
}

#[test]
fn the_audit_log_is_read_with_audit_read_and_filtered_by_target() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let tx = w.read();
    let root = subject(&*tx, w_root());
    let f = crate::service::audit::Filter { target: Some("bob@example.com".into()), ..Default::default() };
    let entries = crate::service::audit::list(&*tx, &root, &org, &f).unwrap();
    let shown: Vec<(&str, Option<&str>)> = entries.iter().map(|e| (e.action.as_str(), e.target.as_deref())).collect();
    assert_eq!(shown, [("user.add", Some("bob@example.com"))]);
    let (head, _) = crate::service::audit::head(&*tx, &root, &org).unwrap();
    let all = crate::service::audit::list(&*tx, &root, &org, &crate::service::audit::Filter::default()).unwrap();
    assert_eq!(Some(head), all.last().map(|e| e.id));
    let (kind, _) = refusal(crate::service::audit::list(&*tx, &subject(&*tx, hd), &org, &f));
    assert_eq!(kind, Kind::Denied);
}

#[test]
fn user_edit_returns_the_changes_and_a_refused_edit_writes_nothing() {
    use crate::service::user_edit::{self, EditArgs};
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let a = EditArgs { first_name: Some("Robert".into()), ..EditArgs::default() };
    let (label, ch) = user_edit::edit(&mut *tx, &root, &org, "bob@example.com", &a).unwrap();
    assert_eq!(label, "bob@example.com");
    assert_eq!(ch.0.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["first_name", "full_name", "initials"]);
    assert_eq!(tx.user(bob, None).unwrap().unwrap().first_name.as_deref(), Some("Robert"));
    let helpdesk = subject(&*tx, hd);
    let both = EditArgs { last_name: Some("B".into()), email: Some("robert@example.com".into()), ..EditArgs::default() };
    assert_eq!(refusal(user_edit::edit(&mut *tx, &helpdesk, &org, "bob@example.com", &both)).0, Kind::Denied);
    let u = tx.user(bob, None).unwrap().unwrap();
    assert_eq!((u.last_name, u.email.as_str()), (None, "bob@example.com"));
    assert_eq!(refusal(user_edit::edit(&mut *tx, &root, &org, "bob@example.com", &EditArgs::default())).0, Kind::Usage);
}

#[test]
fn user_add_invites_the_new_address_and_reports_an_existing_member_in_its_place() {
    use crate::service::user::{self, AddArgs, Added};
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let org = w.org.clone();
    let config = crate::config::Config::load(std::path::Path::new("/nonexistent/acct/config.toml")).unwrap();
    let a = AddArgs {
        emails: vec!["Ada@Example.com".into(), "bob@example.com".into(), "ada@example.com".into()],
        roles: vec!["helpdesk".into()],
        first_name: None,
        last_name: None,
        username: None,
        group: None,
        no_send: false,
        if_missing: false,
        keep_going: true,
    };
    let checked = user::additions(&a).unwrap();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let r = user::add(&mut *tx, &root, &org, &config, &a, checked).unwrap();
    let rows: Vec<(&str, Option<Added>)> = r.rows.iter().map(|r| (r.email.as_str(), r.outcome.as_ref().ok().cloned())).collect();
    assert_eq!(rows, [("Ada@Example.com", Some(Added::Invited)), ("bob@example.com", None)]);
    assert_eq!(refusal::<()>(Err(r.rows.into_iter().nth(1).unwrap().outcome.unwrap_err())).0, Kind::Conflict);
    assert_eq!(r.mails.iter().map(|m| m.email.as_str()).collect::<Vec<_>>(), ["Ada@Example.com"]);
    let ada = tx.find_user(&crate::store::Selector::EmailKey("ada@example.com".into())).unwrap().unwrap();
    assert_eq!(names(&*tx, org.id, ada), ["helpdesk"]);
}

#[test]
fn user_add_checks_every_address_before_anything_is_opened() {
    use crate::service::user::{self, AddArgs};
    let a = AddArgs {
        emails: vec!["ok@example.com".into(), "not an address".into()],
        roles: vec![],
        first_name: None,
        last_name: None,
        username: None,
        group: None,
        no_send: true,
        if_missing: false,
        keep_going: false,
    };
    assert_eq!(refusal(user::additions(&a)).0, Kind::Invalid);
    let named = AddArgs { first_name: Some("Ada".into()), ..a };
    assert_eq!(refusal(user::additions(&named)).0, Kind::Usage);
}

#[test]
fn undo_reverses_an_addition_in_the_transaction_and_asks_nothing_for_one_entry() {
    use crate::service::undo;
    use crate::store::AuditQuery;
    let mut w = World::new();
    let bob = w.member("bob@example.com", &["read-only"]);
    let org = w.org.clone();
    let mut tx = w.write();
    let root = subject(&*tx, w_root());
    let last = tx.audit(&super::seer(&*tx), &AuditQuery::default()).unwrap().pop().unwrap().id;
    let mut asked = Vec::new();
    let done = undo::undo(&mut *tx, &root, &undo::Which::Entry(last), false, &mut |q: &str| {
        asked.push(q.to_string());
        Ok(())
    })
    .unwrap();
    assert_eq!(done.steps.iter().map(|(e, _)| e.id).collect::<Vec<_>>(), [last]);
    assert!(asked.is_empty());
    assert!(!subject(&*tx, bob).is_member(org.id));
    let (kind, _) = refusal(undo::undo(&mut *tx, &root, &undo::Which::Change("no-such-change".into()), false, &mut |_| Ok(())));
    assert_eq!(kind, Kind::NotFound);
}

#[test]
fn can_i_answers_a_permission_in_the_current_org_and_restore_without_one() {
    use crate::service::can_i;
    let mut w = World::new();
    let hd = w.member("hd@example.com", &["helpdesk"]);
    let org = w.org.clone();
    let tx = w.read();
    let helpdesk = subject(&*tx, hd);
    let current = |_: &dyn Tx| -> crate::error::Result<crate::store::Org> { Ok(org.clone()) };
    let a = can_i::ask(&*tx, &helpdesk, &current, "user:remove", None, &[]).unwrap();
    assert!(!a.allowed, "{}", a.reason);
    let a = can_i::ask(&*tx, &helpdesk, &current, "user:read", None, &[]).unwrap();
    assert_eq!((a.allowed, a.reason.as_str()), (true, "you hold the permission"));
    let none = |_: &dyn Tx| -> crate::error::Result<crate::store::Org> { panic!("restore needs no current organization") };
    let (kind, _) = refusal(can_i::ask(&*tx, &helpdesk, &none, "restore", Some("ghost@example.com"), &[]));
    assert_eq!(kind, Kind::NotFound);
    assert_eq!(refusal(can_i::question("remove", &["email".into()])).0, Kind::Usage);
    assert_eq!(refusal(can_i::question("fly", &[])).0, Kind::Usage);
}

#[test]
fn db_check_of_a_healthy_database_finds_no_problem_and_counts_the_chain() {
    let mut w = World::new();
    w.member("bob@example.com", &["read-only"]);
    let checked = crate::service::db::check(&mut w.store).unwrap();
    assert_eq!((checked.problems.len(), checked.expired_trash), (0, 0));
    assert!(checked.entries >= 2, "{}", checked.entries);
}
