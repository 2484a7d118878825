//! The real binary against a real PostgreSQL server (`ACCT_TEST_POSTGRES`):
//! the same commands give the same output, exit codes and audit on both
//! backends; writers on two connections keep the invariants; `db copy`
//! moves an account between them; the password is never shown.
//!
//! Without `ACCT_TEST_POSTGRES` each test says it was skipped; `.ci/run`
//! starts a server and sets `ACCT_REQUIRE_POSTGRES=1`, under which a missing
//! server fails them.

mod common;

use common::{Env, Run};
use std::sync::atomic::{AtomicUsize, Ordering};

fn server() -> Option<String> {
    match std::env::var("ACCT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(std::env::var_os("ACCT_REQUIRE_POSTGRES").is_none(), "ACCT_REQUIRE_POSTGRES is set but no server is named");
            eprintln!("skipped: ACCT_TEST_POSTGRES names no PostgreSQL server");
            None
        }
    }
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let start = base.find("://").map_or(0, |i| i + 3);
    let base = base[start..].find('/').map_or(base, |i| &base[..start + i]);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A new, empty database on the server; its URL.
fn empty_database(server: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("acct_it_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let mut c = postgres::Client::connect(server, postgres::NoTls).expect("the test server");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    with_database(server, &name)
}

/// `acct init` as `Env::new` does, on a new PostgreSQL database; the
/// configuration then names it, so every later command uses it.
fn pg_env(server: &str) -> (Env, String) {
    let env = Env::empty();
    let url = empty_database(server);
    env.run(&["--db", &url, "init", "--org", "acme", "--admin", "ada@example.com", "--name", "Acme Corp"]).ok();
    (env, url)
}

fn sql(url: &str, q: &str) -> Vec<postgres::Row> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    c.query(q, &[]).unwrap()
}

/// A run's output with the database's location and the run's times made
/// neutral, for comparing the two backends.
fn neutral(r: &Run, env: &Env, url: Option<&str>) -> (i32, String, String) {
    let times = regex_lite(&r.stdout);
    let mut out = (r.code, times, regex_lite(&r.stderr));
    for loc in [url.map(str::to_string), Some(env.db_path().display().to_string())].into_iter().flatten() {
        out.1 = out.1.replace(&loc, "DB");
        out.2 = out.2.replace(&loc, "DB");
    }
    out.1 = out.1.replace(&env.home().display().to_string(), "HOME");
    out.2 = out.2.replace(&env.home().display().to_string(), "HOME");
    out
}

/// RFC 3339 times (`2026-12-03T10:00:00Z`), change ids and hashes replaced
/// by placeholders: they differ between any two runs.
fn regex_lite(s: &str) -> String {
    let b: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        // A time: dddd-dd-ddTdd:dd:ddZ
        if i + 20 <= b.len() {
            let w: String = b[i..i + 20].iter().collect();
            let shape: String = w.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect();
            if shape == "9999-99-99T99:99:99Z" {
                out.push_str("TIME");
                i += 20;
                continue;
            }
        }
        // A change id: 12 lowercase hex digits between quotes.
        if b[i] == '"'
            && i + 13 < b.len()
            && b[i + 13] == '"'
            && b[i + 1..i + 13].iter().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        {
            out.push_str("\"CHANGE\"");
            i += 14;
            continue;
        }
        // A hash: 64 lowercase hex digits.
        if i + 64 <= b.len() && b[i..i + 64].iter().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()) {
            out.push_str("HASH");
            i += 64;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The same commands on SQLite and on PostgreSQL print the same, exit the
/// same and leave the same audit trail.
#[test]
fn the_same_commands_give_the_same_results_on_both_backends() {
    let Some(server) = server() else { return };
    let lite = Env::new();
    let (pg, url) = pg_env(&server);
    std::fs::write(
        lite.home().join("people.csv"),
        "email,first_name,role\ndan@example.com,Dan,read-only\nerin@example.com,Erin,helpdesk\n",
    )
    .unwrap();
    std::fs::write(
        pg.home().join("people.csv"),
        "email,first_name,role\ndan@example.com,Dan,read-only\nerin@example.com,Erin,helpdesk\n",
    )
    .unwrap();
    std::fs::write(lite.home().join("team.csv"), "email,last_name,groups\ndan@example.com,Dee,eng\nerin@example.com,Eve,\n")
        .unwrap();
    std::fs::write(pg.home().join("team.csv"), "email,last_name,groups\ndan@example.com,Dee,eng\nerin@example.com,Eve,\n")
        .unwrap();
    let bob = "bob@example.com";
    let runs: Vec<Vec<&str>> = vec![
        vec!["whoami", "--format", "json"],
        vec!["user", "add", bob, "--role", "read-only", "--no-send"],
        vec!["user", "add", "carol@example.com", "Zed@Example.com", "--role", "helpdesk", "--no-send", "--format", "json"],
        vec!["user", "add", bob, "--role", "read-only", "--no-send"],
        vec!["user", "list"],
        vec!["user", "list", "--sort", "email:desc", "--format", "csv"],
        vec!["user", "list", "--search", "ZED", "--format", "json"],
        vec!["user", "list", "--sort", "role", "--limit", "2", "--offset", "1"],
        vec!["user", "show", bob, "--format", "json"],
        vec!["user", "edit", bob, "--first-name", "Bob", "--last-name", "Builder", "--phone", "+15551234567"],
        vec!["user", "edit", bob, "--first-name", "  "],
        vec!["user", "import", "people.csv", "--no-send"],
        vec!["group", "create", "eng"],
        vec!["group", "add-member", "eng", bob, "carol@example.com"],
        vec!["group", "add-manager", "eng", bob],
        vec!["group", "show", "eng", "--format", "json"],
        vec!["group", "list", "--format", "json"],
        vec!["apply", "team.csv"],
        vec!["apply", "team.csv", "--format", "json"],
        vec!["role", "create", "ops", "--permission", "user:read", "--permission", "audit:read"],
        vec!["role", "assign", bob, "ops", "helpdesk"],
        vec!["role", "list", "--format", "json"],
        vec!["role", "set", bob, "read-only"],
        vec!["access", "grant", bob, "global-read-only"],
        vec!["access", "list", "--format", "json"],
        vec!["org", "set", "--sms-2fa", "disallowed"],
        vec!["org", "create", "beta"],
        vec!["org", "list", "--format", "json"],
        vec!["invite", "list", "--format", "json"],
        vec!["user", "remove", "carol@example.com", "--yes"],
        vec!["user", "list", "--status", "removed", "--format", "json"],
        vec!["user", "restore", "carol@example.com"],
        vec!["role", "unassign", "ada@example.com", "full-admin"],
        vec!["can-i", "edit", bob, "--field", "phone"],
        vec!["user", "export", "--fields", "id,email,first_name,last_name,role,groups,two_factor,status"],
        vec!["audit", "list", "--format", "json"],
        vec!["audit", "verify", "--format", "json"],
        vec!["db", "check"],
        vec!["user", "show", "nobody@example.com"],
        vec!["group", "delete", "eng", "--yes"],
        vec!["role", "delete", "ops", "--yes"],
        vec!["user", "list", "--all-columns", "--format", "json"],
    ];
    for args in runs {
        let a = neutral(&lite.run(&args), &lite, None);
        let b = neutral(&pg.run(&args), &pg, Some(&url));
        assert_eq!(a, b, "acct {}: SQLite (left) and PostgreSQL (right) differ", args.join(" "));
    }
}

#[test]
fn init_refuses_a_database_that_is_not_empty_and_not_accts() {
    let Some(server) = server() else { return };
    let url = empty_database(&server);
    sql(&url, "CREATE TABLE invoices (id bigint)");
    let env = Env::empty();
    let err = env.run(&["--db", &url, "init", "--org", "acme", "--admin", "ada@example.com"]).fails(5).to_string();
    assert!(err.starts_with("error: the database postgres://"), "{err}");
    assert!(err.contains("is not empty and is not an acct database; it was left as it was"), "{err}");
    assert_eq!(sql(&url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0].get::<_, i64>(0), 1);
    // And a second init of an acct database is the usual conflict.
    let (pg, url) = pg_env(&server);
    let again = pg.run(&["--db", &url, "init", "--org", "beta", "--admin", "bo@example.com"]).fails(5).to_string();
    assert!(again.starts_with("error: a database already exists at postgres://"), "{again}");
}

#[test]
fn the_password_is_never_printed() {
    let Some(server) = server() else { return };
    let url = empty_database(&server);
    // A wrong password for a server that does not ask for one still must
    // not show; a server that is not there fails to connect, naming the URL without it.
    let with_pw = url.replacen("://postgres@", "://postgres:hunter2secret@", 1);
    let env = Env::empty();
    let r = env.run(&["--db", &with_pw, "init", "--org", "acme", "--admin", "ada@example.com"]);
    r.ok();
    assert!(!r.stderr.contains("hunter2secret") && !r.stdout.contains("hunter2secret"), "{r:?}");
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(!config.contains("hunter2secret"), "{config}");
    let gone = "postgres://postgres:hunter2secret@127.0.0.1:1/acct";
    let r = env.run(&["--db", gone, "user", "list"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("error: cannot connect to the database postgres://postgres@127.0.0.1:1/acct: "), "{}", r.stderr);
    assert!(!r.stderr.contains("hunter2secret"), "{}", r.stderr);
}

#[test]
fn db_copy_moves_an_account_from_sqlite_to_postgresql_and_back() {
    let Some(server) = server() else { return };
    let lite = Env::new();
    lite.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--no-send"]).ok();
    lite.run(&["group", "create", "eng"]).ok();
    lite.run(&["group", "add-member", "eng", "bob@example.com"]).ok();
    let url = empty_database(&server);
    let r = lite.run(&["db", "copy", &url]);
    r.ok();
    assert!(r.stderr.starts_with(&format!("copied {} to {url}: ", lite.db_path().display())), "{}", r.stderr);
    // The copy is refused once the destination holds an account.
    lite.run(&["db", "copy", &url]).fails(5);
    let on_pg = |args: &[&str]| {
        let mut a = vec!["--db", url.as_str()];
        a.extend(args);
        lite.run(&a)
    };
    assert_eq!(on_pg(&["user", "list", "--format", "csv"]).ok(), lite.run(&["user", "list", "--format", "csv"]).ok());
    assert_eq!(on_pg(&["audit", "verify"]).code, 0);
    on_pg(&["user", "edit", "bob@example.com", "--first-name", "Robert"]).ok();
    let back = lite.home().join("back.db");
    on_pg(&["db", "backup", back.to_str().unwrap()]).ok();
    let b = back.to_str().unwrap();
    let shown = lite.run(&["--db", b, "user", "show", "bob@example.com", "--format", "json"]);
    assert!(shown.ok().contains("\"first_name\": \"Robert\""), "{}", shown.stdout);
    assert_eq!(lite.run(&["--db", b, "audit", "verify"]).code, 0);
    let entries = |r: Run| r.stdout.lines().count();
    assert_eq!(
        entries(lite.run(&["--db", b, "audit", "list", "--format", "jsonl"])),
        entries(on_pg(&["audit", "list", "--format", "jsonl"]))
    );
}

/// Two administrators each take the other's full-admin role at the same
/// moment, from two processes on two connections: one of them wins, the
/// other is refused as the last full-admin, and the organization keeps one.
#[test]
fn concurrent_unassigns_never_leave_an_organization_without_a_full_admin() {
    let Some(server) = server() else { return };
    for _ in 0..5 {
        let (pg, url) = pg_env(&server);
        pg.run(&["user", "add", "bea@example.com", "--role", "full-admin", "--no-send"]).ok();
        // As if Bea had accepted her invitation: active, and able to act.
        sql(&url, "UPDATE users SET status = 'active', accepted = true WHERE email = 'bea@example.com'");
        let spawn = |actor: &str, target: &str| {
            let mut c = pg.command();
            c.env("ACCT_ACTOR", actor).args(["role", "unassign", target, "full-admin"]);
            c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        };
        let (a, b) = (spawn("ada@example.com", "bea@example.com"), spawn("bea@example.com", "ada@example.com"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
        let admins = pg.run(&["user", "list", "--role", "full-admin", "--format", "csv", "--columns", "email"]);
        let left = admins.ok().lines().count() - 1;
        assert!(left >= 1, "no full-admin left: {codes:?}\n{}", String::from_utf8_lossy(&b.stderr));
        if left == 1 {
            assert!(codes.contains(&0) && codes.iter().any(|c| *c == 5 || *c == 4), "{codes:?}");
        }
    }
}

/// Sixteen writers on sixteen connections, two hundred edits in all: every
/// edit is kept and audited once, and the chain verifies.
#[test]
fn sixteen_concurrent_writers_lose_no_update() {
    let Some(server) = server() else { return };
    let (pg, url) = pg_env(&server);
    let people: Vec<String> = (0..16).map(|i| format!("w{i}@example.com")).collect();
    let mut add = vec!["user", "add"];
    add.extend(people.iter().map(String::as_str));
    add.extend(["--role", "read-only", "--no-send"]);
    pg.run(&add).ok();
    let before: i64 = sql(&url, "SELECT count(*) FROM audit")[0].get(0);
    std::thread::scope(|s| {
        for (i, p) in people.iter().enumerate() {
            let pg = &pg;
            s.spawn(move || {
                let rounds = if i < 8 { 13 } else { 12 };
                for n in 0..rounds {
                    let name = format!("N{i}x{n}");
                    let r = pg.run(&["user", "edit", p, "--last-name", &name]);
                    assert_eq!(r.code, 0, "{p} round {n}: {}", r.stderr);
                }
            });
        }
    });
    let after: i64 = sql(&url, "SELECT count(*) FROM audit")[0].get(0);
    assert_eq!(after - before, 200);
    for (i, p) in people.iter().enumerate() {
        let last = if i < 8 { 12 } else { 11 };
        let shown = pg.run(&["user", "show", p, "--format", "json"]);
        assert!(shown.ok().contains(&format!("\"last_name\": \"N{i}x{last}\"")), "{p}: {}", shown.stdout);
    }
    assert_eq!(pg.run(&["audit", "verify"]).code, 0);
}
