//! The machine contract across commands (SPEC §4, §5): answers that agree
//! between `can-i` and the command, no-op mutations, counts and names.

mod common;
mod support;

use common::Env;
use support::*;

fn member(env: &Env, email: &str, role: &str) {
    env.run(&["user", "add", email, "--role", role, "--no-send"]).ok();
    env.activate(email);
}

#[test]
fn sms_auto_send_can_always_be_turned_off_and_can_i_says_so() {
    let env = Env::new();
    member(&env, "bob@example.com", "read-only");
    member(&env, "carol@example.com", "read-only");
    env.run_as("bob@example.com", &["user", "edit", "bob@example.com", "--phone", "+4915112345678"]).ok();
    env.run_as("bob@example.com", &["user", "edit", "bob@example.com", "--sms-auto-send", "true"]).ok();
    let r = env.run(&["org", "set", "--sms-2fa", "disallowed"]);
    r.ok();
    assert!(
        r.stderr
            .starts_with("warning: 1 member(s) of acme still have sms_auto_send on; it has no effect while SMS is disallowed"),
        "{}",
        r.stderr
    );
    // On for bob: turning it off is allowed, and can-i agrees.
    assert_eq!(env.run(&["can-i", "edit", "bob@example.com", "--field", "sms_auto_send"]).ok(), "yes\n");
    env.run(&["user", "edit", "bob@example.com", "--sms-auto-send", "false", "--dry-run"]).ok();
    // Off for carol: turning it on is refused, and can-i agrees.
    let r = env.run(&["can-i", "edit", "carol@example.com", "--field", "sms_auto_send"]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert_eq!(r.stderr.lines().next(), Some("reason: 'sms_auto_send' needs an organization that allows sms_2fa"));
    assert_eq!(
        env.run(&["user", "edit", "carol@example.com", "--sms-auto-send", "true"]).fails(5),
        "error: 'sms_auto_send' needs an organization that allows sms_2fa\n"
    );
    env.run(&["user", "edit", "bob@example.com", "--sms-auto-send", "false"]).ok();
    assert_eq!(env.query("SELECT sms_auto_send FROM users WHERE email = 'bob@example.com'"), "0");
    // Nobody left with it on: no warning.
    env.run(&["org", "set", "--sms-2fa", "allowed"]).ok();
    let r = env.run(&["org", "set", "--sms-2fa", "disallowed"]);
    r.ok();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn no_op_mutations_succeed_and_say_unchanged_as_data() {
    let env = Env::new();
    member(&env, "bob@example.com", "read-only");
    env.run(&["group", "create", "eng"]).ok();
    let audit = env.audit_count();
    // Nothing to do: exit 0, "(unchanged)" for people, "changed": false for scripts.
    let r = env.run(&["role", "assign", "bob@example.com", "read-only", "--format", "json"]);
    assert_eq!(json(r.ok()), serde_json::json!([{"user": "bob@example.com", "role": ["read-only"], "changed": false}]));
    assert_eq!(r.stderr, "bob@example.com already holds read-only (unchanged)\n");
    let r = env.run(&["role", "unassign", "bob@example.com", "helpdesk", "--format", "jsonl"]);
    assert_eq!(r.ok(), "{\"user\":\"bob@example.com\",\"role\":[\"helpdesk\"],\"changed\":false}\n");
    let r = env.run(&["access", "revoke", "bob@example.com", "global-read-only", "--format", "json"]);
    assert_eq!(json(r.ok()), serde_json::json!([{"user": "bob@example.com", "role": ["global-read-only"], "changed": false}]));
    let r = env.run(&["group", "remove-member", "eng", "bob@example.com", "--format", "csv"]);
    assert_eq!(r.ok(), "user,group,as,changed\r\nbob@example.com,eng,member,false\r\n");
    assert_eq!(env.audit_count(), audit, "a no-op writes no audit entry");
    // The same commands with something to do say "changed": true.
    let r = env.run(&["role", "assign", "bob@example.com", "read-only", "helpdesk", "--format", "json"]);
    assert_eq!(
        json(r.ok()),
        serde_json::json!([
            {"user": "bob@example.com", "role": ["read-only"], "changed": false},
            {"user": "bob@example.com", "role": ["helpdesk"], "changed": true}
        ])
    );
    assert_eq!(r.stderr, "bob@example.com already holds read-only (unchanged)\nassigned helpdesk to bob@example.com\n");
    let r = env.run(&["group", "add-member", "eng", "bob@example.com", "--format", "json"]);
    assert_eq!(json(r.ok()), serde_json::json!([{"user": "bob@example.com", "group": "eng", "as": "member", "changed": true}]));
    // Without --format, stdout stays empty (the notes are for people).
    assert_eq!(env.run(&["group", "add-member", "eng", "bob@example.com"]).ok(), "");
    // `user add` of an existing member stays a conflict, unless --if-missing.
    assert_eq!(env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).code, 5);
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--if-missing"]).ok();
}

#[test]
fn commands_with_a_result_give_it_as_data_in_every_format() {
    let env = Env::new();
    let path = env.config_path().display().to_string();
    assert_eq!(
        json(env.run(&["config", "get", "org", "--format", "json"]).ok()),
        serde_json::json!({"key": "org", "value": "acme"})
    );
    assert_eq!(env.run(&["config", "get", "org", "--format", "jsonl"]).ok(), "{\"key\":\"org\",\"value\":\"acme\"}\n");
    assert_eq!(env.run(&["config", "get", "org"]).ok(), "acme\n");
    assert_eq!(json(env.run(&["config", "path", "--format", "json"]).ok()), serde_json::json!({"path": path}));
    assert_eq!(env.run(&["config", "path"]).ok(), format!("{path}\n"));
    let listed = json(env.run(&["config", "list", "--format", "json"]).ok());
    assert!(listed.as_array().unwrap().contains(&serde_json::json!({"key": "org", "value": "acme"})), "{listed}");
    // db check: the problems, an empty list when healthy; -q leaves the data.
    assert_eq!(json(env.run(&["db", "check", "--format", "json"]).ok()), serde_json::json!([]));
    let r = env.run(&["-q", "db", "check", "--format", "csv"]);
    assert_eq!((r.ok(), r.stderr.as_str()), ("problem\r\n", ""));
    let version = match env.on_postgres() {
        true => env.query("SELECT value FROM acct_meta WHERE key = 'schema_version'"),
        false => env.query("PRAGMA user_version"),
    };
    let version = version.parse::<i64>().unwrap();
    assert_eq!(
        json(env.run(&["db", "migrate", "--format", "json"]).ok()),
        serde_json::json!({"version_before": version, "version": version})
    );
}

/// acct's help on a pseudo-terminal, with the ANSI codes left in.
fn help_on_a_terminal(env: &Env, args: &[&str]) -> String {
    let mut c = env.command();
    c.stdin(std::process::Stdio::inherit()).env("TERM", "xterm-256color").args(args);
    let opts = rexpect::reader::Options::new().timeout_ms(Some(10_000)).strip_ansi_escape_codes(false);
    let mut p = rexpect::session::spawn_with_options(c, opts).expect("spawn acct on a pty");
    p.exp_eof().expect("help ends")
}

#[test]
fn no_color_also_takes_the_colour_out_of_clap_help_on_a_terminal() {
    let env = Env::new();
    let coloured = help_on_a_terminal(&env, &["user", "--help"]);
    assert!(coloured.contains("\u{1b}["), "clap colours help on a terminal: {coloured:?}");
    for args in [&["--no-color", "user", "--help"][..], &["user", "--help", "--no-color"][..]] {
        let plain = help_on_a_terminal(&env, args);
        assert!(!plain.contains('\u{1b}'), "{args:?}: {plain:?}");
        assert!(plain.contains("Usage: acct user"), "{plain}");
    }
}

#[test]
fn usage_hints_show_the_command_as_help_does() {
    let env = Env::new();
    // With ACCT_DB set, --db is not shown as if it were required.
    let db = env.db_path().display().to_string();
    let r = env.run_with(&["db", "backup"], &[("ACCT_DB", &db)], None);
    assert_eq!(
        r.fails(2),
        "error: the following required arguments were not provided: <FILE>\nhint: usage: acct db backup [OPTIONS] <FILE>\n"
    );
    // One line of help per option in the short help (-h). Every command now
    // has a long description, and clap's --help (the long help, as the man
    // page) puts each option's help on the line after it.
    let help = env.run(&["org", "create", "-h"]).ok().to_string();
    let line = help.lines().find(|l| l.contains("--display-name")).unwrap();
    assert_eq!(line.trim(), "--display-name <DISPLAY>  Display name [default: the slug]");
}

#[test]
fn sort_by_role_follows_every_role_change_and_db_check_verifies_the_key() {
    let env = Env::new();
    member(&env, "bob@example.com", "read-only");
    member(&env, "carol@example.com", "helpdesk");
    std::fs::write(env.home().join("i.csv"), "email,role\ndan@example.com,read-only;helpdesk\nerin@example.com,\n").unwrap();
    env.run(&["user", "import", "i.csv", "--no-send"]).ok();
    let order = |env: &Env, desc: bool| -> Vec<String> {
        let sort = if desc { "role:desc" } else { "role" };
        let v = json(env.run(&["user", "list", "--sort", sort, "--columns", "email,role", "--format", "json"]).ok());
        v.as_array().unwrap().iter().map(|u| format!("{} {}", u["email"].as_str().unwrap(), u["role"])).collect()
    };
    assert_eq!(
        order(&env, false),
        [
            "erin@example.com []",
            "ada@example.com [\"full-admin\"]",
            "carol@example.com [\"helpdesk\"]",
            "dan@example.com [\"helpdesk\",\"read-only\"]",
            "bob@example.com [\"read-only\"]",
        ]
    );
    env.run(&["role", "assign", "bob@example.com", "full-admin"]).ok();
    env.run(&["role", "unassign", "dan@example.com", "helpdesk"]).ok();
    env.run(&["role", "assign", "erin@example.com", "helpdesk"]).ok();
    assert_eq!(
        order(&env, true),
        [
            "dan@example.com [\"read-only\"]",
            "erin@example.com [\"helpdesk\"]",
            "carol@example.com [\"helpdesk\"]",
            "bob@example.com [\"full-admin\",\"read-only\"]",
            "ada@example.com [\"full-admin\"]",
        ]
    );
    assert_eq!(json(env.run(&["db", "check", "--format", "json"]).ok()), serde_json::json!([]));
    env.exec(
        "UPDATE memberships SET role_key = 'zzz' WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')",
        &[],
    );
    let r = env.run(&["db", "check", "--format", "json"]);
    r.fails(1);
    assert_eq!(
        json(&r.stdout),
        serde_json::json!([{"problem": "role key: bob@example.com in acme is sorted by roles it no longer holds"}])
    );
}

fn index_names(env: &Env) -> Vec<String> {
    match env.on_postgres() {
        true => rows(env, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname"),
        false => rows(env, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"),
    }
}

#[test]
fn a_large_import_rebuilds_the_indexes_it_set_aside_and_a_failed_one_keeps_them() {
    let env = Env::new();
    let before = index_names(&env);
    assert!(before.contains(&"users_email_ci".to_string()) && before.contains(&"memberships_role".to_string()), "{before:?}");
    let mut csv = String::from("email,first_name,role\n");
    for i in 0..20_000 {
        csv.push_str(&format!("user{i:05}@example.com,Name{i},read-only\n"));
    }
    // The last row is bad: nothing is imported, and every index is still there.
    std::fs::write(env.home().join("bad.csv"), format!("{csv}not-an-address,X,read-only\n")).unwrap();
    assert_eq!(env.run(&["user", "import", "bad.csv", "--no-send"]).code, 6);
    assert_eq!(index_names(&env), before);
    assert_eq!(env.query("SELECT count(*) FROM users"), "1");
    std::fs::write(env.home().join("good.csv"), &csv).unwrap();
    env.run(&["user", "import", "good.csv", "--no-send"]).ok();
    assert_eq!(index_names(&env), before, "every index set aside is built again");
    assert_eq!(env.query("SELECT count(*) FROM users"), "20001");
    assert_eq!(json(env.run(&["db", "check", "--format", "json"]).ok()), serde_json::json!([]));
    let first =
        json(env.run(&["user", "list", "--sort", "email:desc", "--limit", "2", "--columns", "email", "--format", "json"]).ok());
    assert_eq!(first, serde_json::json!([{"email": "user19999@example.com"}, {"email": "user19998@example.com"}]));
    let hits = json(env.run(&["user", "list", "--search", "name1234", "--columns", "email", "--format", "json"]).ok());
    assert_eq!(hits.as_array().unwrap().len(), 11, "{hits}");
}

#[test]
fn a_long_table_streams_in_the_widths_of_its_first_rows() {
    let env = Env::new();
    let mut csv = String::from("email,role\n");
    for i in 0..1500 {
        csv.push_str(&format!("u{i:04}@example.com,read-only\n"));
    }
    std::fs::write(env.home().join("f.csv"), &csv).unwrap();
    env.run(&["user", "import", "f.csv", "--no-send"]).ok();
    let out = env.run(&["user", "list", "--all", "--columns", "id,email,status"]).ok().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1502, "the header, ada and 1500 members");
    assert_eq!(lines[0], "ID    EMAIL              STATUS");
    assert_eq!(lines[1], "1     ada@example.com    active");
    // Rows held and rows streamed line up alike.
    assert_eq!(lines[1000], "1000  u0998@example.com  invited");
    assert_eq!(lines[1001], "1001  u0999@example.com  invited");
    assert_eq!(lines[1501], "1501  u1499@example.com  invited");
}

/// Issue 18.4: one `error:` line for an import with bad rows; the rows in
/// error are data: a `rows` array in the JSON error (capped at 100, with the
/// count of those left out), a table or CSV on stdout for people.
#[test]
fn import_rows_in_error_are_data_with_one_error_line() {
    let env = Env::new();
    let mut csv = String::from("email\nok@example.com\n");
    for i in 0..105 {
        csv.push_str(&format!("bad{i}\n"));
    }
    let path = env.home().join("bad.csv");
    std::fs::write(&path, &csv).unwrap();
    let audit = env.audit_count();
    let run = env.run(&["user", "import", path.to_str().unwrap(), "--no-send", "--format", "json"]);
    assert_eq!(run.stdout, "");
    let err = run.fails(6);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], "error: 105 of 106 row(s) have errors; nothing was imported");
    assert_eq!(lines[1], "hint: fix them, or see each row's outcome with --report FILE");
    let obj = json(lines[2]);
    let rows: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            serde_json::json!({"line": i + 3, "email": format!("bad{i}"),
                "error": format!("invalid e-mail 'bad{i}': must contain exactly one '@'")})
        })
        .collect();
    assert_eq!(
        obj,
        serde_json::json!({"error": {"kind": "invalid_input", "message": "105 of 106 row(s) have errors; nothing was imported",
            "hint": "fix them, or see each row's outcome with --report FILE", "exit": 6, "rows": rows, "rows_omitted": 5}})
    );
    // For people, every row in error, on stdout; stderr has the one error.
    let run = env.run(&["user", "import", path.to_str().unwrap(), "--no-send", "--format", "tsv"]);
    let want: String =
        (0..105).map(|i| format!("{}\tbad{i}\tinvalid e-mail 'bad{i}': must contain exactly one '@'\n", i + 3)).collect();
    assert_eq!(run.stdout, format!("line\temail\terror\n{want}"));
    assert_eq!(
        run.fails(6),
        "error: 105 of 106 row(s) have errors; nothing was imported\nhint: fix them, or see each row's outcome with --report FILE\n"
    );
    // A dry run's plan carries the rows on stdout; its JSON error has them too.
    std::fs::write(&path, "email\nok@example.com\nbad\n").unwrap();
    let run = env.run(&["user", "import", path.to_str().unwrap(), "--dry-run", "--format", "jsonl"]);
    assert_eq!(
        run.stdout,
        "{\"line\":2,\"email\":\"ok@example.com\",\"plan\":\"to add\"}\n\
         {\"line\":3,\"email\":\"bad\",\"plan\":\"error: invalid e-mail 'bad': must contain exactly one '@'\"}\n"
    );
    assert_eq!(
        run.fails(6),
        "plan: 1 to add (1 new, 0 existing accounts), 0 already present, 1 in error\n\
         dry run: nothing was changed\n\
         error: 1 row(s) have errors\n\
         {\"error\":{\"kind\":\"invalid_input\",\"message\":\"1 row(s) have errors\",\"hint\":null,\"exit\":6,\
         \"rows\":[{\"line\":3,\"email\":\"bad\",\"error\":\"invalid e-mail 'bad': must contain exactly one '@'\"}],\"rows_omitted\":0}}\n"
    );
    assert_eq!(env.audit_count(), audit);
}
