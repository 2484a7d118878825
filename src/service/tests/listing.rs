//! `user list` and `user export` as services: rows streamed to a callback,
//! filtered in the database, and the read decided by the engine.

use super::{World, refusal, subject};
use crate::error::Kind;
use crate::service::user_list::{self, ExportArgs, Filters, Page};
use crate::store::{Column, User};

fn emails(rows: &[User]) -> Vec<String> {
    rows.iter().map(|u| u.email.clone()).collect()
}

#[test]
fn list_streams_a_page_and_counts_what_it_left_out() {
    let mut w = World::new();
    for n in ["b", "c", "d"] {
        w.member(&format!("{n}@example.com"), &["read-only"]);
    }
    let (org, root) = (w.org.clone(), w.root);
    let tx = w.read();
    let actor = subject(&*tx, root);
    let f = Filters { sort: vec!["email".into()], ..Filters::default() };
    let mut rows = Vec::new();
    let got = user_list::list(&*tx, &actor, &org, &f, &[Column::Email], &Page { limit: Some(2), offset: 1 }, &mut |u| {
        rows.push(u.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!(got, (2, Some(4)));
    assert_eq!(emails(&rows), ["c@example.com", "d@example.com"]);
}

#[test]
fn list_by_someone_without_user_read_gives_no_row() {
    let mut w = World::new();
    let other = w.other_org("beta");
    let outsider = w.member_of(&other, "out@example.com", &["full-admin"]);
    let org = w.org.clone();
    let tx = w.read();
    let actor = subject(&*tx, outsider);
    let mut rows = 0;
    let r =
        user_list::list(&*tx, &actor, &org, &Filters::default(), &[Column::Email], &Page { limit: None, offset: 0 }, &mut |_| {
            rows += 1;
            Ok(())
        });
    let (kind, msg) = refusal(r);
    assert_eq!(kind, Kind::Denied);
    assert!(msg.starts_with("permission denied: 'user:read' is needed in acme"), "{msg}");
    assert_eq!(rows, 0);
}

#[test]
fn trash_lists_removed_users_with_their_roles_and_refuses_group_filters() {
    let mut w = World::new();
    let gone = w.member("gone@example.com", &["helpdesk"]);
    w.member("kept@example.com", &["read-only"]);
    w.remove(gone);
    let (org, root) = (w.org.clone(), w.root);
    let tx = w.read();
    let actor = subject(&*tx, root);
    let page = Page { limit: None, offset: 0 };
    let (rows, total) = user_list::trash(&*tx, &actor, &org, &Filters::default(), &page).unwrap();
    assert_eq!(total, 1);
    assert_eq!((rows[0].user.email.as_str(), rows[0].user.status.as_str()), ("gone@example.com", "removed"));
    assert_eq!(rows[0].user.roles, ["helpdesk"]);
    let f = Filters { group: Some("eng".into()), ..Filters::default() };
    let (kind, msg) = refusal(user_list::trash(&*tx, &actor, &org, &f, &page));
    assert_eq!(
        (kind, msg.as_str()),
        (Kind::Usage, "--status removed goes with --search, --two-factor, --limit and --offset only")
    );
}

#[test]
fn export_of_named_users_gives_only_them_and_refuses_the_trash() {
    let mut w = World::new();
    w.member("b@example.com", &["read-only"]);
    w.member("c@example.com", &["read-only"]);
    let (org, root) = (w.org.clone(), w.root);
    let tx = w.read();
    let actor = subject(&*tx, root);
    let users = vec!["c@example.com".to_string()];
    let f = Filters::default();
    let mut rows = Vec::new();
    let a = ExportArgs { users: &users, fields: &[Column::Email], filters: &f, limit: None };
    let n = user_list::export(&*tx, &actor, &org, &a, &mut |u| {
        rows.push(u.clone());
        Ok(())
    })
    .unwrap();
    assert_eq!((n, emails(&rows)), (1, vec!["c@example.com".to_string()]));
    let removed = Filters { status: Some("removed".into()), ..Filters::default() };
    let a = ExportArgs { users: &[], fields: &[Column::Email], filters: &removed, limit: None };
    let (kind, msg) = refusal(user_list::export(&*tx, &actor, &org, &a, &mut |_| Ok(())));
    assert_eq!((kind, msg.as_str()), (Kind::Usage, "export writes members; users in the trash are not members"));
}

#[test]
fn import_validates_every_row_first_and_writes_nothing_when_one_is_wrong() {
    use crate::service::import::{self, Options, Outcome};
    let mut w = World::new();
    let (org, root) = (w.org.clone(), w.root);
    let config = crate::config::Config::load(std::path::Path::new("/nonexistent/acct/config.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        import::open_input(p.to_str().unwrap()).unwrap().start().unwrap()
    };
    let opts = Options { no_send: true, if_missing: false, plan_only: false };
    let mut tx = w.write();
    let actor = subject(&*tx, root);
    let bad = csv("bad.csv", "email,role\nann@example.com,read-only\nnot-an-address,read-only\n");
    let mut r = import::import(&mut *tx, &actor, &org, &config, bad, &opts, &mut |_, _| {}).unwrap();
    assert_eq!((r.applied, r.counts.add, r.counts.errors), (false, 1, 1));
    let mut lines = Vec::new();
    r.lines.each(|l| Ok(lines.push((l.line, matches!(l.outcome, Outcome::Error(_)))))).unwrap();
    assert_eq!(lines, [(2, false), (3, true)]);
    let good = csv("good.csv", "email,role\nann@example.com,read-only\n");
    let r = import::import(&mut *tx, &actor, &org, &config, good, &opts, &mut |_, _| {}).unwrap();
    assert_eq!((r.applied, r.counts.add, r.mails.len()), (true, 1, 0));
    let ann = tx.find_user(&crate::store::Selector::EmailKey("ann@example.com".into())).unwrap().unwrap();
    assert_eq!(tx.user_roles(org.id, ann).unwrap(), ["read-only"]);
}
