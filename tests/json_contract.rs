//! Issue 18.5: one name and one JSON type per concept. Every command that
//! prints JSON is run (with arguments that make it succeed) in `json` and
//! `jsonl`, and every key of every object on stdout, nested ones included, is
//! held to the "Output formats" table of README.md, parsed here so that the
//! two cannot drift: an unknown key, a wrong type, or a `null` where the
//! table does not allow one fails. The clap tree is walked so that a new
//! command has to be listed here, run or exempted with a reason.

mod common;
mod support_mail;

use clap::CommandFactory;
use common::Env;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// key → (type, nullable), from README.md.
fn contract() -> BTreeMap<String, (String, bool)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split_once("### Output formats").expect("README has an 'Output formats' section").1;
    let mut keys = BTreeMap::new();
    for line in section.lines() {
        if line.starts_with("## ") {
            break;
        }
        let Some(row) = line.strip_prefix("| `") else { continue };
        let cells: Vec<&str> = row.split(" | ").map(str::trim).collect();
        let key = cells[0].trim_end_matches('`').to_string();
        let null = match cells[2] {
            "yes" => true,
            "no" => false,
            other => panic!("README: null must be yes or no for {key}, not {other}"),
        };
        assert!(keys.insert(key.clone(), (cells[1].to_string(), null)).is_none(), "README lists {key} twice");
    }
    assert!(keys.len() > 50, "the table was not found: {keys:?}");
    keys
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match ty {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array of string" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        "any" => true,
        other => panic!("README: unknown type {other}"),
    }
}

/// Check one value against the table; `at` names where it is, for failures.
fn check(keys: &BTreeMap<String, (String, bool)>, v: &Value, at: &str, errors: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| check(keys, x, at, errors)),
        Value::Object(o) => {
            for (k, x) in o {
                let Some((ty, null)) = keys.get(k) else {
                    errors.push(format!("{at}: key '{k}' is not in README's table"));
                    continue;
                };
                if x.is_null() {
                    if !null {
                        errors.push(format!("{at}: '{k}' is null, which the table does not allow"));
                    }
                    continue;
                }
                if !type_ok(ty, x) {
                    errors.push(format!("{at}: '{k}' is {x}, not {ty}"));
                }
                // The keys of an audit entry's changes are field names, and
                // old/new are any value: not walked.
                if k != "changes" && k != "old" && k != "new" {
                    check(keys, x, at, errors);
                }
            }
        }
        _ => {}
    }
}

/// The leaf commands of the clap tree, as `user add`, `2fa status`, ...
fn leaves(cmd: &clap::Command, prefix: &str, out: &mut BTreeSet<String>) {
    for sub in cmd.get_subcommands() {
        let name = if prefix.is_empty() { sub.get_name().to_string() } else { format!("{prefix} {}", sub.get_name()) };
        if sub.has_subcommands() {
            leaves(sub, &name, out);
        } else {
            out.insert(name);
        }
    }
}

/// Commands that print no JSON on stdout yet, and why.
const EXEMPT: &[(&str, &str)] = &[
    ("init", "creates the database; says so on stderr"),
    ("completions", "prints a shell script"),
    ("apply", "its plan rows are checked in plan form below (dry run); a real run prints the same rows"),
    ("db set", "PostgreSQL only (a file has no logins); run in tests/postgres.rs"),
    ("db restore", "replaces the database file; says so on stderr"),
    ("2fa verify", "a yes/no answer by exit status; the note is on stderr"),
    ("2fa enroll", "needs a code computed from its output: tests/twofa.rs checks its object"),
    ("audit verify", "run below"),
];

#[test]
fn every_json_key_of_every_command_is_in_the_readme_table() {
    let keys = contract();
    let env = Env::new();
    let bob = "bob@example.com";
    let runs: Vec<Vec<&str>> = vec![
        vec!["whoami"],
        vec!["config", "get", "org"],
        vec!["config", "path"],
        vec!["config", "list"],
        vec!["config", "set", "invite.ttl_days", "5"],
        vec!["config", "unset", "invite.ttl_days"],
        vec!["user", "add", bob, "--role", "read-only", "--no-send"],
        vec!["user", "add", "carol@example.com", "--role", "helpdesk", "--no-send"],
        vec!["user", "list"],
        vec!["user", "show", bob],
        vec!["user", "edit", bob, "--first-name", "Bob"],
        vec!["user", "export"],
        vec!["user", "import", "people.csv", "--dry-run"],
        vec!["apply", "team.csv", "--dry-run"],
        vec!["group", "create", "eng"],
        vec!["group", "list"],
        vec!["group", "show", "eng"],
        vec!["group", "add-member", "eng", bob],
        vec!["group", "add-manager", "eng", bob],
        vec!["group", "remove-manager", "eng", bob],
        vec!["group", "remove-member", "eng", bob],
        vec!["role", "create", "ops", "--permission", "user:read"],
        vec!["role", "list"],
        vec!["role", "show", "ops"],
        vec!["role", "edit", "ops", "--display-name", "Ops"],
        vec!["role", "assign", bob, "helpdesk"],
        vec!["role", "unassign", bob, "helpdesk"],
        vec!["role", "set", bob, "read-only"],
        vec!["access", "grant", bob, "global-read-only"],
        vec!["access", "list"],
        vec!["access", "revoke", bob, "global-read-only"],
        vec!["org", "list"],
        vec!["org", "show"],
        vec!["org", "set", "--sms-2fa", "disallowed"],
        vec!["org", "create", "beta"],
        vec!["org", "use", "acme"],
        vec!["invite", "list"],
        vec!["audit", "list"],
        vec!["audit", "head"],
        vec!["audit", "verify"],
        vec!["db", "check"],
        vec!["db", "migrate"],
        vec!["db", "copy", "copy.db"],
        vec!["db", "backup", "backup.db"],
        vec!["2fa", "status"],
        vec!["can-i", "edit", bob, "--field", "phone"],
        vec!["user", "reset-2fa", bob, "--yes"],
        vec!["user", "remove", "carol@example.com", "--yes"],
        vec!["user", "list", "--status", "removed"],
        vec!["user", "restore", "carol@example.com"],
        vec!["group", "delete", "eng", "--yes"],
        vec!["role", "delete", "ops", "--yes"],
    ];
    std::fs::write(env.home().join("people.csv"), "email,role\ndan@example.com,read-only\n").unwrap();
    std::fs::write(env.home().join("team.csv"), "email,last_name\nbob@example.com,Builder\n").unwrap();
    let mut all = BTreeSet::new();
    leaves(&acct::Cli::command(), "", &mut all);
    let mut errors = Vec::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let mut walk = |args: &[&str], stdin: Option<&[u8]>| {
        // Each mutation once (in json); the read-only ones in both formats.
        let formats: &[&str] = if args.iter().any(|a| {
            ["list", "show", "whoami", "get", "path", "export", "head", "check", "status", "can-i", "--dry-run", "migrate"]
                .contains(a)
        }) {
            &["json", "jsonl"]
        } else {
            &["json"]
        };
        for format in formats {
            // Before the arguments, which may end with `-- TOKEN`.
            let mut a = vec!["--format", format];
            a.extend_from_slice(args);
            let run = env.run_with(&a, &[], stdin);
            // can-i answers no with exit 4, and prints its answer.
            assert!(run.code == 0 || args[0] == "can-i", "{a:?}: {run:?}");
            let at = a.join(" ");
            // An empty list is no line at all in jsonl.
            assert!(*format == "jsonl" || !run.stdout.trim().is_empty(), "{at}: no JSON on stdout\n{}", run.stderr);
            let values: Vec<Value> = if *format == "json" {
                vec![serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{at}: {e}\n{}", run.stdout))]
            } else {
                run.stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{at}: {e}\n{l}"))).collect()
            };
            // A mutation's result is data: not an empty list.
            let mutation = formats.len() == 1;
            assert!(!mutation || values.iter().all(|v| v.as_array().is_none_or(|a| !a.is_empty())), "{at}: {values:?}");
            for v in &values {
                check(&keys, v, &at, &mut errors);
            }
        }
        // The leaf run: the longest prefix of the arguments that names one.
        if let Some(leaf) = (1..=args.len()).rev().map(|n| args[..n].join(" ")).find(|c| all.contains(c)) {
            covered.insert(leaf);
        }
    };
    for args in &runs {
        walk(args, None);
    }
    // The commands that need something of an earlier run: an invitation
    // sent and resent to the outbox and accepted with its token, an audit
    // entry undone, a user past the trash's 30 days purged.
    env.run(&["user", "add", "erin@example.com", "--role", "read-only", "--no-send"]).ok();
    walk(&["invite", "send", "erin@example.com"], None);
    support_mail::take_outbox_token(&env, "erin@example.com");
    walk(&["invite", "resend", "erin@example.com"], None);
    let token = support_mail::take_outbox_token(&env, "erin@example.com");
    walk(&["invite", "accept", "--password-stdin", "--", &token], Some(b"correct horse battery staple\n"));
    let edit = env.query("SELECT max(id) FROM audit WHERE action = 'user.edit'");
    walk(&["undo", &edit], None);
    env.run(&["user", "remove", "carol@example.com", "--yes"]).ok();
    env.exec("UPDATE users SET trashed_at = '2001-01-01T00:00:00Z' WHERE email = 'carol@example.com'", &[]);
    walk(&["db", "purge"], None);
    assert!(errors.is_empty(), "{} problem(s):\n{}", errors.len(), errors.join("\n"));
    // Every leaf of the command tree is run above or exempted with a reason.
    let exempt: BTreeSet<String> = EXEMPT.iter().map(|(c, _)| c.to_string()).collect();
    let missing: Vec<&String> = all.iter().filter(|c| !covered.contains(*c) && !exempt.contains(*c)).collect();
    assert!(missing.is_empty(), "commands neither run nor exempted: {missing:?}");
    let stale: Vec<&String> = exempt.iter().filter(|c| !all.contains(*c)).collect();
    assert!(stale.is_empty(), "exempted commands that do not exist: {stale:?}");
}
