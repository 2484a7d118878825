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
    // `init` writes the URL without its password; the tests keep it there.
    env.run(&["config", "set", "database", &url]).ok();
    (env, url)
}

/// The URL as acct shows it: without the password.
fn shown(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    match rest.split_once('@') {
        Some((userinfo, host)) => format!("{scheme}://{}@{host}", userinfo.split(':').next().unwrap()),
        None => url.to_string(),
    }
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
    for loc in [url.map(str::to_string), url.map(shown), Some(env.db_path().display().to_string())].into_iter().flatten() {
        out.1 = out.1.replace(&loc, "DB");
        out.2 = out.2.replace(&loc, "DB");
    }
    out.1 = out.1.replace(&env.home().display().to_string(), "HOME");
    out.2 = out.2.replace(&env.home().display().to_string(), "HOME");
    out.2 = outbox_names(&out.2);
    out
}

/// The outbox's file names (a time and random digits) made neutral.
fn outbox_names(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("outbox/") {
        out.push_str(&rest[..i + 7]);
        rest = &rest[i + 7..];
        match rest.find(".eml") {
            Some(j) if !rest[..j].contains(char::is_whitespace) => {
                out.push_str("FILE");
                rest = &rest[j..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
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
        // A change id: 12 lowercase hex digits standing alone.
        let alone = |j: usize| j >= b.len() || !b[j].is_ascii_alphanumeric();
        let hex = |c: &char| c.is_ascii_hexdigit() && !c.is_ascii_uppercase();
        if (i == 0 || alone(i - 1)) && i + 12 <= b.len() && b[i..i + 12].iter().all(hex) && alone(i + 12) {
            out.push_str("CHANGE");
            i += 12;
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
    let lite = Env::new_sqlite();
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
        vec!["user", "edit", bob, "--first-name", "Bob", "--last-name", "Builder", "--timezone", "Europe/Berlin"],
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
        vec!["user", "list", "--sort", "last_name:desc", "--sort", "email", "--format", "tsv"],
        vec!["group", "create", "qa"],
        vec!["group", "add-member", "qa", "dan@example.com"],
        vec!["user", "edit", "erin@example.com", "--primary-group", "qa", "--timezone", "Asia/Tokyo", "--last-name", "Ärger"],
        vec![
            "user",
            "add",
            "Ünal@example.com",
            "under_score@example.com",
            "pct%@example.com",
            "--role",
            "read-only",
            "--no-send",
        ],
        vec!["user", "list", "--sort", "role:desc", "--sort", "email", "--format", "csv", "--columns", "email,role"],
        vec!["user", "list", "--sort", "groups", "--format", "csv", "--columns", "email,groups"],
        vec![
            "user",
            "list",
            "--sort",
            "primary_group:desc",
            "--sort",
            "email",
            "--format",
            "csv",
            "--columns",
            "email,primary_group",
        ],
        vec!["user", "list", "--sort", "organization", "--sort", "username:desc", "--format", "csv"],
        vec![
            "user",
            "list",
            "--sort",
            "timezone",
            "--sort",
            "last_name",
            "--format",
            "csv",
            "--columns",
            "email,timezone,last_name",
        ],
        vec!["user", "list", "--sort", "two_factor", "--sort", "id:desc", "--format", "csv", "--columns", "id,two_factor"],
        vec!["user", "list", "--search", "ärg", "--format", "csv", "--columns", "email"],
        vec!["user", "list", "--search", "_", "--format", "csv", "--columns", "email"],
        vec!["user", "list", "--search", "%", "--format", "csv", "--columns", "email"],
        vec!["user", "list", "--search", "ÜNAL", "--format", "csv", "--columns", "email"],
        vec!["user", "list", "--two-factor", "none", "--status", "invited", "--format", "jsonl"],
        vec!["user", "list", "--group", "everyone", "--limit", "1", "--offset", "2"],
        vec!["user", "export", "--format", "json", "--fields", "email,role,groups,organization,primary_group"],
        vec!["user", "import", "people.csv", "--dry-run"],
        vec!["user", "edit", "dan@example.com", "--active", "false"],
        vec!["user", "edit", "dan@example.com", "--active", "true"],
        vec!["user", "reset-2fa", "erin@example.com", "--yes"],
        vec!["invite", "send", "--all"],
        vec!["invite", "list"],
        vec!["invite", "resend", bob],
        vec!["role", "show", "helpdesk", "--format", "json"],
        vec!["org", "show", "--format", "json"],
        vec!["access", "revoke", bob, "global-read-only"],
        vec!["2fa", "status", "--format", "json"],
        vec!["audit", "head"],
        vec!["audit", "list", "--action", "user", "--format", "csv"],
        vec!["undo", "--change", "nonexistent"],
        vec!["can-i", "restore", "carol@example.com"],
        vec!["can-i", "remove", bob],
        vec!["apply", "team.csv", "--prune", "--yes", "--dry-run"],
        vec!["db", "purge"],
        vec!["user", "remove", "Zed@Example.com", "--yes", "--format", "json"],
        vec!["user", "show", "zed@example.com"],
        vec!["audit", "verify"],
    ];
    let mut failed = 0;
    for args in runs {
        let ran = lite.run(&args);
        failed += usize::from(ran.code != 0);
        let a = neutral(&ran, &lite, None);
        let b = neutral(&pg.run(&args), &pg, Some(&url));
        assert_eq!(a, b, "acct {}: SQLite (left) and PostgreSQL (right) differ", args.join(" "));
    }
    // The refusals in the list are meant: a member added again, a blank
    // name, the last full-admin, two answers "no" of can-i, an unknown user,
    // an import of rows already imported, an unknown change, apply rows that
    // name a deleted group.
    assert_eq!(failed, 9, "commands that failed on both backends");
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

/// The URL with a password: the server's own when it has one (the server
/// asks for it), else an invented one (a server that trusts loopback
/// ignores it). Returns the URL and the password.
fn with_password(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let userinfo = rest.split_once('@').map(|(u, _)| u).unwrap_or("");
    match userinfo.split_once(':') {
        Some((_, pw)) => (url.to_string(), pw.to_string()),
        None => (url.replacen("://postgres@", "://postgres:hunter2secret@", 1), "hunter2secret".to_string()),
    }
}

#[test]
fn the_password_is_never_printed() {
    let Some(server) = server() else { return };
    let (url, pw) = with_password(&empty_database(&server));
    let env = Env::empty();
    let r = env.run(&["--db", &url, "init", "--org", "acme", "--admin", "ada@example.com"]);
    r.ok();
    assert!(r.stderr.starts_with("created postgres://postgres@127.0.0.1:"), "{}", r.stderr);
    assert!(!r.stderr.contains(&pw) && !r.stdout.contains(&pw), "{r:?}");
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(!config.contains(&pw), "{config}");
    // The configuration names the database without the password; it comes from PGPASSWORD.
    let listed = env.run_with(&["user", "list", "--format", "csv", "--columns", "email"], &[("PGPASSWORD", &pw)], None);
    assert_eq!(listed.ok(), "email\r\nada@example.com\r\n");
    let gone = format!("postgres://postgres:{pw}@127.0.0.1:1/acct");
    let r = env.run(&["--db", &gone, "user", "list"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.starts_with("error: cannot connect to the database postgres://postgres@127.0.0.1:1/acct: "), "{}", r.stderr);
    assert!(!r.stderr.contains(&pw), "{}", r.stderr);
}

#[test]
fn db_copy_moves_an_account_from_sqlite_to_postgresql_and_back() {
    let Some(server) = server() else { return };
    let lite = Env::new_sqlite();
    lite.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--no-send"]).ok();
    lite.run(&["group", "create", "eng"]).ok();
    lite.run(&["group", "add-member", "eng", "bob@example.com"]).ok();
    let url = empty_database(&server);
    let r = lite.run(&["db", "copy", &url]);
    r.ok();
    assert!(r.stderr.starts_with(&format!("copied {} to {}: ", lite.db_path().display(), shown(&url))), "{}", r.stderr);
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

/// `url` for another login with its password.
fn as_login(url: &str, login: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{login}:{password}@{host}")
}

/// An account bound to a login acts only on connections the server
/// authenticated as that login; with require-login-binding on, an unbound
/// account does not act at all. Against a server that checks passwords
/// (scram-sha-256 in CI), a wrong password does not even connect.
#[test]
fn bound_actors_act_only_on_their_own_database_login() {
    let Some(server) = server() else { return };
    let (pg, url) = pg_env(&server);
    let n = std::process::id();
    let (ada_login, bea_login) = (format!("ada_{n}"), format!("bea_{n}"));
    let db = url.rsplit('/').next().unwrap().to_string();
    for (login, pw) in [(&ada_login, "pw-ada"), (&bea_login, "pw-bea")] {
        sql(&server, &format!("DROP ROLE IF EXISTS {login}"));
        sql(&server, &format!("CREATE ROLE {login} LOGIN PASSWORD '{pw}'"));
        sql(&url, &format!("GRANT ALL ON ALL TABLES IN SCHEMA public TO {login}"));
        sql(&url, &format!("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {login}"));
        sql(&url, &format!("GRANT CONNECT ON DATABASE {db} TO {login}"));
    }
    let (as_ada, as_bea) = (as_login(&url, &ada_login, "pw-ada"), as_login(&url, &bea_login, "pw-bea"));
    pg.run(&["user", "add", "bea@example.com", "--role", "full-admin", "--no-send"]).ok();
    sql(&url, "UPDATE users SET status = 'active', accepted = true WHERE email = 'bea@example.com'");

    // Bind both, as ada (unbound yet, on the administrator's connection).
    let bound = pg.run(&["user", "edit", "ada@example.com", "--db-login", &ada_login]);
    assert_eq!(bound.ok(), "", "{}", bound.stderr);
    assert_eq!(bound.stderr, format!("ada@example.com: changed db_login: ∅ → {ada_login}\n"));
    // Now ada acts only as her login: the administrator's connection is refused.
    let refused = pg.run(&["user", "edit", "bea@example.com", "--db-login", &bea_login]).fails(4).to_string();
    assert_eq!(
        refused,
        format!(
            "error: permission denied: ada@example.com acts only on the database login '{ada_login}'; this connection is the login 'postgres'\n\
             hint: connect as '{ada_login}' (the user in the database URL)\n"
        )
    );
    pg.run(&["--db", &as_ada, "user", "edit", "bea@example.com", "--db-login", &bea_login]).ok();
    // One login proves one account.
    let twice = pg.run(&["--db", &as_ada, "user", "edit", "bea@example.com", "--db-login", &ada_login]).fails(5).to_string();
    assert!(
        twice.starts_with(&format!("error: the database login '{ada_login}' is bound to ada@example.com already")),
        "{twice}"
    );
    let who = pg.run(&["--db", &as_ada, "whoami", "--format", "json"]);
    assert!(who.ok().contains(&format!("\"db_login\": \"{ada_login}\"")), "{}", who.stdout);
    // Bea's account on ada's login is refused, and on her own works.
    let r = pg.run_with(&["--db", &as_ada, "user", "list"], &[("ACCT_ACTOR", "bea@example.com")], None);
    assert_eq!(r.code, 4, "{r:?}");
    let r = pg.run_with(
        &["--db", &as_bea, "user", "list", "--format", "csv", "--columns", "email"],
        &[("ACCT_ACTOR", "bea@example.com")],
        None,
    );
    assert_eq!(r.ok(), "email\r\nada@example.com\r\nbea@example.com\r\n");
    // A password the server does not accept does not connect (scram-sha-256).
    if std::env::var("ACCT_TEST_POSTGRES_AUTH").as_deref() == Ok("scram-sha-256") {
        let wrong = as_login(&url, &ada_login, "pw-bea");
        let r = pg.run(&["--db", &wrong, "whoami"]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.contains("password authentication failed"), "{}", r.stderr);
        assert!(!r.stderr.contains("pw-bea"), "{}", r.stderr);
    }
    // Requiring bindings: carol, unbound, no longer acts; the setting is audited.
    pg.run(&["--db", &as_ada, "user", "add", "carol@example.com", "--role", "full-admin", "--no-send"]).ok();
    sql(&url, "UPDATE users SET status = 'active', accepted = true WHERE email = 'carol@example.com'");
    let carol = |args: &[&str]| pg.run_with(args, &[("ACCT_ACTOR", "carol@example.com")], None);
    assert_eq!(carol(&["user", "list"]).code, 0);
    let on = pg.run(&["--db", &as_ada, "db", "set", "require-login-binding", "on"]);
    assert_eq!(on.stderr, "require-login-binding set to on\n");
    let r = carol(&["user", "list"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: carol@example.com is bound to no database login, and this database requires one\n\
         hint: an administrator binds it with 'acct user edit USER --db-login NAME'\n"
    );
    // Nobody unbinds themself out of a database that requires bindings.
    let out = pg.run(&["--db", &as_ada, "user", "edit", "ada@example.com", "--db-login", ""]).fails(5).to_string();
    assert!(out.starts_with("error: ada@example.com cannot unbind their own login while this database requires one"), "{out}");
    let audit = pg.run(&["--db", &as_ada, "audit", "list", "--action", "db.set", "--format", "csv"]);
    assert!(audit.ok().contains("require_login_binding"), "{}", audit.stdout);
    pg.run(&["--db", &as_ada, "db", "set", "require-login-binding", "off"]).ok();
    assert_eq!(carol(&["user", "list"]).code, 0);
    for login in [&ada_login, &bea_login] {
        sql(&url, &format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {login}"));
        sql(&url, &format!("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {login}"));
        sql(&url, &format!("REVOKE CONNECT ON DATABASE {db} FROM {login}"));
        sql(&server, &format!("DROP ROLE {login}"));
    }
}

/// A file has no logins: binding one, or requiring bindings, is refused
/// there (exit 2) and changes nothing.
#[test]
fn a_sqlite_file_has_no_logins_to_bind() {
    let env = Env::new_sqlite();
    let before = env.audit_count();
    assert_eq!(
        env.run(&["user", "edit", "ada@example.com", "--db-login", "ada"]).fails(2),
        "error: database logins exist only on PostgreSQL; this database is a file\n\
         hint: a file's actor is whoever can open the file: protect it with its mode (0600)\n"
    );
    assert_eq!(
        env.run(&["db", "set", "require-login-binding", "on"]).fails(2),
        "error: database logins exist only on PostgreSQL; this database is a file\n"
    );
    assert_eq!(
        env.run(&["user", "edit", "ada@example.com", "--db-login", "bad name "]).fails(6).lines().next(),
        Some("error: invalid database login 'bad name '")
    );
    assert_eq!(env.audit_count(), before);
    let who = env.run(&["whoami", "--format", "json"]);
    assert!(who.ok().contains("\"db_login\": null"), "{}", who.stdout);
}

/// A writer waits for another at most the busy timeout (10 s), then fails
/// saying what it waited for and changing nothing; readers never wait.
#[test]
fn a_writer_waits_for_another_at_most_the_busy_timeout() {
    let Some(server) = server() else { return };
    let (pg, url) = pg_env(&server);
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let mut tx = holder.transaction().unwrap();
    // The writers' lock, as another acct command holds it ("acct" in ASCII).
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&0x6163_6374i64]).unwrap();
    let start = std::time::Instant::now();
    let read = pg.run(&["user", "list", "--format", "csv", "--columns", "email"]);
    assert_eq!(read.ok(), "email\r\nada@example.com\r\n");
    assert!(start.elapsed() < std::time::Duration::from_secs(5), "a read waited {:?}", start.elapsed());
    let before = pg.run(&["audit", "list", "--format", "jsonl"]).ok().lines().count();
    let start = std::time::Instant::now();
    let write = pg.run(&["user", "edit", "ada@example.com", "--first-name", "Ada"]);
    let waited = start.elapsed();
    assert_eq!(
        write.fails(1),
        "error: the database is busy: another acct command held the write lock for 10 s; nothing was changed\n\
         hint: pg_stat_activity shows the holder (application_name 'acct PID'); try again when it has finished\n"
    );
    assert!(waited >= std::time::Duration::from_secs(9) && waited < std::time::Duration::from_secs(30), "{waited:?}");
    tx.rollback().unwrap();
    assert_eq!(pg.run(&["audit", "list", "--format", "jsonl"]).ok().lines().count(), before);
    pg.run(&["user", "edit", "ada@example.com", "--first-name", "Ada"]).ok();
}

/// TLS by `sslmode`, against a server with a certificate for `db.example`
/// signed by a test CA (`ACCT_TEST_POSTGRES_CA`, set by `.ci/run`):
/// require encrypts without checking, verify-ca checks the chain only,
/// verify-full the chain and the host name; an unknown issuer is refused.
#[test]
fn tls_follows_sslmode_and_sslrootcert() {
    let Some(server) = server() else { return };
    let Ok(ca) = std::env::var("ACCT_TEST_POSTGRES_CA") else {
        assert!(std::env::var_os("ACCT_REQUIRE_POSTGRES").is_none(), "ACCT_TEST_POSTGRES_CA names no test CA");
        eprintln!("skipped: ACCT_TEST_POSTGRES_CA names no CA of the server's certificate");
        return;
    };
    let (pg, url) = pg_env(&server);
    let encrypted = |u: &str| {
        let r = pg.run(&["--db", u, "whoami", "--format", "json"]);
        (r.code, r.stderr)
    };
    let port = url.split("127.0.0.1:").nth(1).unwrap().split('/').next().unwrap().to_string();
    let by_name = url.replacen(&format!("127.0.0.1:{port}"), &format!("db.example:{port}"), 1);
    let q = |base: &str, params: &str| format!("{base}?{params}");
    // The server's certificate names db.example, reached at 127.0.0.1.
    assert_eq!(encrypted(&q(&url, "sslmode=require")).0, 0);
    assert_eq!(encrypted(&q(&url, "sslmode=disable")).0, 0);
    assert_eq!(encrypted(&q(&by_name, &format!("hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert={ca}"))).0, 0);
    assert_eq!(encrypted(&q(&url, &format!("sslmode=verify-ca&sslrootcert={ca}"))).0, 0);
    // verify-full to 127.0.0.1: not the name in the certificate.
    let (code, err) = encrypted(&q(&url, &format!("sslmode=verify-full&sslrootcert={ca}")));
    assert_eq!(code, 1, "{err}");
    assert!(err.starts_with("error: cannot connect to the database postgres://postgres@127.0.0.1:"), "{err}");
    assert!(err.contains("invalid peer certificate: certificate not valid for name"), "{err}");
    // The system's roots do not know the test CA.
    let (code, err) = encrypted(&q(&by_name, "hostaddr=127.0.0.1&sslmode=verify-full"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("invalid peer certificate: UnknownIssuer"), "{err}");
    // A root file that is not PEM.
    let bogus = pg.home().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let (code, err) = encrypted(&q(&url, &format!("sslmode=verify-ca&sslrootcert={}", bogus.display())));
    assert_eq!(code, 1, "{err}");
    let (code, err) = encrypted(&q(&url, "sslmode=sometimes"));
    let expect = format!("error: cannot read the database URL {}?sslmode=sometimes: invalid sslmode 'sometimes'", shown(&url));
    assert_eq!((code, err.lines().next().unwrap_or("")), (2, expect.as_str()));
    assert!(err.contains("hint: use disable, prefer, require, verify-ca or verify-full"), "{err}");
}
