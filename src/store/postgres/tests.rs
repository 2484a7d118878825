//! The repository conformance suite against a real PostgreSQL server: each
//! check in a database of its own, made from a template that holds acct's
//! schema (`CREATE DATABASE … TEMPLATE`, a few tens of milliseconds).
//!
//! The server is `ACCT_TEST_POSTGRES` (a URL whose user may create
//! databases). Without it the checks say so and pass; `.ci/run` starts a
//! server, sets the variable and `ACCT_REQUIRE_POSTGRES=1`, under which a
//! missing or unreachable server fails every check.

use super::PgStore;
use crate::store::Store;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The server's URL, or `None` (and a note) when the tests are to skip.
pub(crate) fn server() -> Option<String> {
    match std::env::var("ACCT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("ACCT_REQUIRE_POSTGRES").is_none(),
                "ACCT_REQUIRE_POSTGRES is set but ACCT_TEST_POSTGRES names no server"
            );
            eprintln!("skipped: ACCT_TEST_POSTGRES names no PostgreSQL server");
            None
        }
    }
}

/// `url` with its database replaced by `db`.
pub(crate) fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A new, empty database with acct's schema (uninitialized), made from this
/// process's template.
pub(crate) fn fresh_database(server: &str) -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let template = TEMPLATE.get_or_init(|| {
        let name = format!("acct_tpl_{}", std::process::id());
        let mut admin = super::connect::client(server).expect("the test server");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).expect("dropping an old template");
        admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("creating the template");
        drop(PgStore::create(&with_database(server, &name)).expect("acct's schema in the template"));
        name
    });
    let name = format!("acct_t_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let mut admin = super::connect::client(server).expect("the test server");
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).expect("dropping an old test database");
    admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).expect("a test database");
    with_database(server, &name)
}

/// The store of a fresh database, for the conformance checks.
fn store() -> Option<Box<dyn Store>> {
    let server = server()?;
    Some(Box::new(PgStore::open(&fresh_database(&server)).expect("the test database")))
}

macro_rules! pg_conformance {
    ($($check:ident,)*) => {
        $(
            #[test]
            fn $check() {
                if let Some(s) = store() {
                    crate::store::conformance::$check(s);
                }
            }
        )*
    };
}

crate::store::conformance::for_each_check!(pg_conformance);

#[test]
fn the_migrations_are_numbered_as_sqlites() {
    let pg: Vec<&str> = super::MIGRATIONS.iter().map(|(name, _)| *name).collect();
    assert_eq!(pg, crate::store::sqlite::MIGRATION_NAMES);
}

#[test]
fn a_database_with_other_tables_is_not_taken_over() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server);
    // Make it a foreign database: drop acct's schema, add a table of someone else's.
    let mut c = super::connect::client(&url).unwrap();
    c.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public; CREATE TABLE invoices (id bigint)").unwrap();
    let err = PgStore::create(&url).err().expect("refused");
    let r = crate::error::classify(&err);
    assert_eq!(r.kind, crate::error::Kind::Conflict);
    assert!(r.message.ends_with("is not empty and is not an acct database; it was left as it was"), "{}", r.message);
    let err = PgStore::open(&url).err().expect("refused");
    assert!(crate::error::classify(&err).message.ends_with("is not an acct database"));
}

#[test]
fn an_empty_database_is_missing_until_init_and_then_exists() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server);
    let mut c = super::connect::client(&url).unwrap();
    c.batch_execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public").unwrap();
    let err = PgStore::open(&url).err().expect("nothing to open");
    assert!(crate::error::classify(&err).message.starts_with("no database at postgres"), "{err:#}");
    let mut s = PgStore::create(&url).unwrap();
    let n = super::MIGRATIONS.len() as u32;
    assert_eq!(s.schema_version().unwrap(), (n, n));
    let err = PgStore::create(&url).err().expect("a second create");
    assert_eq!(crate::error::classify(&err).kind, crate::error::Kind::Conflict);
}

/// Migration 009's statement-level checks refuse what the foreign keys they
/// replace refused, with the same SQLSTATE, and take what they took.
#[test]
fn the_foreign_keys_checked_per_statement_refuse_what_foreign_keys_refuse() {
    let Some(server) = server() else { return };
    let url = fresh_database(&server);
    let mut c = super::connect::client(&url).unwrap();
    c.batch_execute(
        "INSERT INTO orgs (id, slug, display_name, created_at) VALUES (1, 'acme', 'Acme', 't');
         INSERT INTO groups (id, org_id, slug, display_name, created_at) VALUES (1, 1, 'everyone', 'Everyone', 't');
         INSERT INTO roles (id, name, display_name, scope, builtin, created_at) VALUES (100, 'r', 'R', 'org', false, 't');
         INSERT INTO users (id, username, email, email_key, status, primary_group_id, created_at, updated_at)
              SELECT g, 'u' || g, 'u' || g || '@x', 'u' || g || '@x', 'invited', 1, 't', 't' FROM generate_series(1, 3) g;
         INSERT INTO memberships (org_id, user_id, created_at) SELECT 1, g, 't' FROM generate_series(1, 3) g;
         INSERT INTO invitations (user_id, org_id, created_at) VALUES (1, 1, 't');
         INSERT INTO user_roles (org_id, user_id, role_id) VALUES (1, 1, 100), (1, 2, 100);",
    )
    .expect("rows that name existing rows are taken");
    let refused = |c: &mut postgres::Client, sql: &str| {
        let err = c.batch_execute(sql).err().unwrap_or_else(|| panic!("taken: {sql}"));
        assert_eq!(err.code(), Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION), "{sql}: {err}");
    };
    refused(&mut c, "INSERT INTO invitations (user_id, org_id, created_at) VALUES (1, 1, 't'), (99, 1, 't')");
    refused(&mut c, "INSERT INTO memberships (org_id, user_id, created_at) VALUES (7, 1, 't')");
    refused(&mut c, "INSERT INTO user_roles (org_id, user_id, role_id) VALUES (1, 3, 100), (1, 4, 100)");
    refused(&mut c, "INSERT INTO user_roles (org_id, user_id, role_id) VALUES (1, 3, 101)");
    refused(&mut c, "UPDATE users SET primary_group_id = 2 WHERE id = 2");
    refused(&mut c, "UPDATE memberships SET user_id = 9 WHERE user_id = 3");
    refused(&mut c, "DELETE FROM memberships WHERE user_id = 2");
    refused(&mut c, "DELETE FROM roles WHERE id = 100");
    refused(&mut c, "UPDATE roles SET id = 101 WHERE id = 100");
    refused(&mut c, "DELETE FROM groups WHERE id = 1");
    // A key no row names can go; NULL names nothing.
    c.batch_execute(
        "DELETE FROM memberships WHERE user_id = 3;
         UPDATE users SET primary_group_id = NULL WHERE id = 3;
         UPDATE users SET trash_org_id = 1 WHERE id = 3;
         INSERT INTO user_roles (org_id, user_id, role_id) VALUES (1, 2, 100) ON CONFLICT DO NOTHING;",
    )
    .expect("changes that leave every key named taken");
    let n: i64 = c.query_one("SELECT count(*) FROM memberships", &[]).unwrap().get(0);
    assert_eq!(n, 2);
}

/// The user queries give each column where `row_to_user` reads it by position.
#[test]
fn user_rows_have_each_column_where_the_decoder_reads_it() {
    use super::user_query::{USER_NAMES, user_query_sql, user_row_sql};
    use crate::store::model::{Column, UserQuery};
    let Some(server) = server() else { return };
    let mut c = super::connect::client(&fresh_database(&server)).unwrap();
    let mut want = USER_NAMES.to_vec();
    want.extend(["roles", "groups"]);
    let some = Some(vec![Column::Email, Column::Role]);
    let queries = [
        user_query_sql(&UserQuery { org: 1, ..Default::default() }, false).0,
        user_query_sql(&UserQuery { org: 1, columns: some, search: Some("x".into()), ..Default::default() }, false).0,
        user_row_sql(),
    ];
    for sql in queries {
        let st = c.prepare(&sql).unwrap();
        let names: Vec<&str> = st.columns().iter().map(|c| c.name()).collect();
        assert_eq!(names, want, "{sql}");
    }
}

/// Many single-row steps in one transaction (apply, `--prune`, undo, a
/// command with many targets) rewrite no row that every step shares: the
/// organization's member count is updated once, at commit (migration 010),
/// and so is `audit_seq`, as the highest id kept, not the id of an entry
/// whose step was rolled back.
#[test]
fn steps_of_one_transaction_rewrite_shared_rows_once_at_commit() {
    use crate::store::conformance::{add, init, person};
    let Some(server) = server() else { return };
    let url = fresh_database(&server);
    let mut store = PgStore::open(&url).unwrap();
    let w = init(&mut store);
    let mut c = super::connect::client(&url).unwrap();
    // The line pointer of the row's current version: one more per update.
    let org_row = |c: &mut postgres::Client| -> i64 {
        c.query_one("SELECT (ctid::text::point)[1]::bigint FROM orgs WHERE id = $1", &[&w.org]).unwrap().get(0)
    };
    let before = org_row(&mut c);
    let mut tx = store.write().unwrap();
    for i in 0..40 {
        tx.step_begin().unwrap();
        add(&mut *tx, w.admin, w.org, &person(&format!("u{i}@example.com")), &["read-only"], None);
        tx.step_end(i % 13 != 12 && i != 39).unwrap();
    }
    tx.commit().unwrap();
    assert_eq!(org_row(&mut c), before + 1, "the organization's row is rewritten once, at commit");
    let (seq, max): (String, i64) = {
        let r = c
            .query_one("SELECT (SELECT value FROM acct_meta WHERE key = 'audit_seq'), (SELECT max(id) FROM audit)", &[])
            .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(seq, max.to_string());
    let tx = store.read().unwrap();
    assert_eq!(tx.org_member_count(w.org).unwrap(), 1 + 40 - 4);
    assert!(crate::service::audit::verify_chain(&*tx, None).unwrap().is_ok());
}
