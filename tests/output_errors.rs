//! Output formats, errors and exit codes (SPEC §5), `acct can-i` (SPEC §3)
//! and `--dry-run` (SPEC §4).

mod common;
mod support;

use common::Env;
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use support::*;

// ---------------------------------------------------------------- can-i

/// ada (org and global admin), bob (plain member), mona (manages everyone),
/// hal (helpdesk).
fn people() -> Env {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    add_user(&env, "mona", "acme", &[]);
    add_user(&env, "hal", "acme", &["helpdesk"]);
    env.run(&["group", "add-manager", "everyone", "mona"]).ok();
    env
}

#[test]
fn can_i_answers_yes_or_no_with_reason_and_relations() {
    let env = people();
    let r = env.run(&["can-i", "edit", "bob", "--field", "phone"]);
    assert_eq!(
        r.fails(4),
        "reason: permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\nrelations: org admin\n"
    );
    assert_eq!(r.stdout, "no\n");

    let r = env.run(&["can-i", "edit", "bob", "--field", "full_name"]);
    assert_eq!(r.ok(), "yes\n");
    assert_eq!(r.stderr, "reason: you are org admin of acme\nrelations: org admin\n");

    // Any denied field makes the answer no.
    let r = env.run(&["can-i", "edit", "bob", "--field", "full-name", "--field", "phone"]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "no\n");

    // Self may change the phone.
    let r = env.run_as("bob", &["can-i", "edit", "bob", "--field", "phone"]);
    assert_eq!(r.ok(), "yes\n");
    assert_eq!(r.stderr, "reason: you are the user themself\nrelations: self\n");
    let r = env.run_as("bob", &["can-i", "edit", "bob", "--field", "robot"]);
    assert_eq!(r.code, 4);
    assert_eq!(
        r.stderr,
        "reason: permission denied: 'robot' can be changed only by a manager of the user's primary group or an org admin (you are the user themself)\nrelations: self\n"
    );

    // A manager of the primary group.
    let r = env.run_as("mona", &["can-i", "edit", "bob", "--field", "robot"]);
    assert_eq!(r.ok(), "yes\n");
    assert_eq!(r.stderr, "reason: you are manager of the user's primary group\nrelations: manager\n");
    let r = env.run_as("mona", &["can-i", "edit", "bob", "--field", "email"]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "no\n");

    // No relation at all.
    let r = env.run_as("bob", &["can-i", "edit", "hal", "--field", "full_name"]);
    assert_eq!(r.code, 4);
    assert!(r.stderr.starts_with("reason: permission denied: 'full_name' can be changed only by "), "{}", r.stderr);
    assert!(r.stderr.ends_with(" (you are not the user, their manager or an org admin)\nrelations: none\n"), "{}", r.stderr);
    assert_eq!(r.stdout, "no\n");
    // Nobody may change a username.
    let r = env.run(&["can-i", "edit", "bob", "--field", "username"]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stderr, "reason: 'username' cannot be changed\nrelations: org admin\n");
}

#[test]
fn can_i_edit_without_fields_lists_what_may_change() {
    let env = people();
    let r = env.run_as("bob", &["can-i", "edit", "bob"]);
    assert_eq!(r.ok(), "yes\n");
    assert_eq!(
        r.stderr,
        "reason: you may change full_name, first_name, last_name, initials, email, phone, timezone, notify, sms_auto_send\nrelations: self\n"
    );
}

#[test]
fn can_i_permissions_and_actions() {
    let env = people();
    let r = env.run(&["can-i", "role:manage"]);
    assert_eq!(r.ok(), "yes\n");
    assert_eq!(r.stderr, "reason: you hold the permission\n");
    let r = env.run_as("hal", &["can-i", "role:manage"]);
    assert_eq!(r.fails(4), "reason: permission denied: 'role:manage' is needed in acme (you have user:read user:reset-2fa)\n");
    assert_eq!(r.stdout, "no\n");
    env.run_as("hal", &["can-i", "user:reset-2fa"]).ok();

    // A helpdesk member may not reset the 2FA of a more privileged user.
    let r = env.run_as("hal", &["can-i", "reset-2fa", "ada"]);
    assert_eq!(r.code, 4);
    assert!(
        r.stderr.starts_with("reason: permission denied: cannot reset the 2FA of ada@example.com: they hold "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with("\nrelations: none\n"), "{}", r.stderr);
    assert_eq!(env.run_as("hal", &["can-i", "reset-2fa", "bob"]).ok(), "yes\n");

    assert_eq!(env.run(&["can-i", "assign:helpdesk", "bob"]).ok(), "yes\n");
    assert_eq!(env.run_as("hal", &["can-i", "assign:helpdesk", "bob"]).code, 4);
    let r = env.run(&["can-i", "unassign:full-admin", "ada"]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stderr, "reason: ada@example.com is the last active full-admin of acme\nrelations: self, org admin\n");
}

#[test]
fn can_i_json() {
    let env = people();
    let r = env.run(&["can-i", "edit", "bob", "--field", "phone", "--format", "json"]);
    assert_eq!(r.code, 4);
    assert_eq!(
        json(&r.stdout),
        json!({
            "allowed": false,
            "action": "edit",
            "target": "bob@example.com",
            "reason": "permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)",
            "relations": ["org admin"],
        })
    );
    // A "no" is an answer, not an error: nothing on stderr.
    assert_eq!(r.stderr, "");
    let r = env.run(&["can-i", "edit", "ada", "--field", "phone", "--format", "json"]);
    assert_eq!(
        json(r.ok()),
        json!({
            "allowed": true,
            "action": "edit",
            "target": "ada@example.com",
            "reason": "you are the user themself and org admin of acme",
            "relations": ["self", "org admin"],
        })
    );
    let r = env.run(&["can-i", "group:manage", "--format", "json"]);
    assert_eq!(
        json(r.ok()),
        json!({"allowed": true, "action": "group:manage", "target": null, "reason": "you hold the permission", "relations": []})
    );
    let r = env.run(&["can-i", "group:manage", "--format", "jsonl"]);
    assert_eq!(
        r.ok(),
        "{\"allowed\":true,\"action\":\"group:manage\",\"target\":null,\"reason\":\"you hold the permission\",\"relations\":[]}\n"
    );
}

#[test]
fn can_i_usage_errors() {
    let env = people();
    let r = env.run(&["can-i", "edit", "bob", "--field", "shoe_size"]);
    assert!(r.fails(2).starts_with("error: unknown field 'shoe_size'\nhint: fields: full_name, "), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let r = env.run(&["can-i", "fly"]);
    assert!(r.fails(2).starts_with("error: unknown action 'fly'\nhint: actions: edit, "), "{}", r.stderr);
    assert_eq!(env.run(&["can-i", "edit"]).fails(2), "error: 'can-i edit' needs a USER\nhint: acct can-i edit USER\n");
    assert_eq!(env.run(&["can-i", "remove", "bob", "--field", "phone"]).fails(2), "error: --field goes with 'can-i edit'\n");
    assert_eq!(env.run(&["can-i", "edit", "ghost"]).fails(3), "error: user 'ghost' not found\n");
}

// ---------------------------------------------------------------- formats

/// Lists that exist right after `people()` plus a custom role, a group, an
/// org and a global grant; each with its field names.
fn lists() -> (Env, Vec<(Vec<&'static str>, Vec<&'static str>)>) {
    let env = people();
    env.run(&["role", "create", "auditor", "--permission", "audit:read", "--display-name", "Auditor, Senior"]).ok();
    env.run(&["group", "create", "eng", "--display-name", "Engineering"]).ok();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["access", "grant", "bob", "global-read-only"]).ok();
    env.run(&["config", "set", "list.columns", "email,id"]).ok();
    let lists = vec![
        (vec!["org", "list"], vec!["id", "slug", "display_name", "sso", "sms_2fa", "members_count", "created_at"]),
        (vec!["role", "list"], vec!["name", "display_name", "scope", "builtin", "permissions", "holders"]),
        (
            vec!["group", "list"],
            vec!["slug", "display_name", "primary_members_count", "members_count", "managers_count", "created_at"],
        ),
        (vec!["audit", "list"], vec!["id", "at", "actor", "org", "action", "target", "changes", "change", "reverts"]),
        (vec!["access", "list"], vec!["id", "email", "role"]),
        (vec!["config", "list"], vec!["key", "value"]),
    ];
    (env, lists)
}

fn run_format(env: &Env, cmd: &[&str], format: &str) -> String {
    let mut a = cmd.to_vec();
    a.extend(["--format", format]);
    let r = env.run(&a);
    assert_eq!(r.stderr, "", "{cmd:?} {format}");
    r.ok().to_string()
}

#[test]
fn lists_in_json_are_arrays_of_complete_objects() {
    let (env, lists) = lists();
    for (cmd, names) in &lists {
        let out = run_format(&env, cmd, "json");
        let v = json(&out);
        let arr = v.as_array().unwrap_or_else(|| panic!("{cmd:?}: not an array: {out}"));
        assert!(arr.len() >= 2, "{cmd:?}: {out}");
        for obj in arr {
            let keys: Vec<&str> = obj.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(&keys, names, "{cmd:?}");
        }
        assert!(out.starts_with("[\n{") && out.ends_with("}\n]\n"), "{cmd:?}: {out}");
    }
}

#[test]
fn lists_in_jsonl_are_one_object_per_line() {
    let (env, lists) = lists();
    for (cmd, _) in &lists {
        let arr = json(&run_format(&env, cmd, "json"));
        let out = run_format(&env, cmd, "jsonl");
        assert!(out.ends_with('\n'), "{cmd:?}");
        let objs: Vec<Value> = out.lines().map(json).collect();
        assert_eq!(&Value::Array(objs), &arr, "{cmd:?}");
        assert!(out.lines().all(|l| l.starts_with('{') && l.ends_with('}')), "{cmd:?}: {out}");
    }
}

/// For CSV/TSV/table: the JSON value as a cell; the audit's changes are
/// summarised text there, not JSON, so objects are skipped.
fn cells(obj: &Value, names: &[&str]) -> Vec<Option<String>> {
    names.iter().map(|n| if obj[*n].is_object() { None } else { Some(cell(&obj[*n])) }).collect()
}

#[test]
fn lists_in_csv_have_a_header_and_crlf() {
    let (env, lists) = lists();
    for (cmd, names) in &lists {
        let arr = json(&run_format(&env, cmd, "json"));
        let out = run_format(&env, cmd, "csv");
        assert!(out.ends_with("\r\n"), "{cmd:?}");
        assert_eq!(out.matches('\n').count(), out.matches("\r\n").count(), "{cmd:?}: bare LF in {out:?}");
        assert!(out.starts_with(&format!("{}\r\n", names.join(","))), "{cmd:?}: {out}");
        let mut rd = csv::Reader::from_reader(out.as_bytes());
        assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), *names);
        let records: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), arr.as_array().unwrap().len(), "{cmd:?}");
        for (rec, obj) in records.iter().zip(arr.as_array().unwrap()) {
            for (got, want) in rec.iter().zip(cells(obj, names)) {
                if let Some(w) = want {
                    assert_eq!(got, w, "{cmd:?}");
                }
            }
        }
    }
    // A comma inside a value is quoted.
    let out = run_format(&env, &["role", "list"], "csv");
    assert!(out.contains("\r\nauditor,\"Auditor, Senior\",org,false,audit:read,0\r\n"), "{out}");
}

#[test]
fn lists_in_tsv_have_a_header_and_tabs() {
    let (env, lists) = lists();
    for (cmd, names) in &lists {
        let arr = json(&run_format(&env, cmd, "json"));
        let out = run_format(&env, cmd, "tsv");
        assert!(!out.contains('\r'), "{cmd:?}");
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(names.join("\t").as_str()), "{cmd:?}");
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), arr.as_array().unwrap().len(), "{cmd:?}");
        for (line, obj) in rows.iter().zip(arr.as_array().unwrap()) {
            let got: Vec<&str> = line.split('\t').collect();
            assert_eq!(got.len(), names.len(), "{cmd:?}: {line}");
            for (g, want) in got.iter().zip(cells(obj, names)) {
                if let Some(w) = want {
                    assert_eq!(*g, w, "{cmd:?}");
                }
            }
        }
    }
}

#[test]
fn lists_as_tables_off_a_terminal_have_no_borders() {
    let (env, lists) = lists();
    for (cmd, names) in &lists {
        let arr = json(&run_format(&env, cmd, "json"));
        for out in [run_format(&env, cmd, "table"), env.run(cmd).ok().to_string()] {
            assert!(!out.contains(['│', '─', '┌', '╭', '|', '+', '═', '║']), "{cmd:?}: {out}");
            let lines: Vec<Vec<char>> = out.lines().map(|l| l.chars().collect()).collect();
            assert_eq!(lines.len(), 1 + arr.as_array().unwrap().len(), "{cmd:?}: {out}");
            assert!(out.lines().all(|l| l == l.trim()), "{cmd:?}: padding at a line end: {out:?}");
            // The header: the field names upper-cased; each cell starts in its column.
            let header: String = lines[0].iter().collect();
            let upper: Vec<String> = names.iter().map(|n| n.to_uppercase()).collect();
            assert_eq!(header.split_whitespace().collect::<Vec<_>>(), upper, "{cmd:?}");
            let mut starts = Vec::new();
            let mut from = 0;
            for u in &upper {
                let at = from + header[from..].find(u.as_str()).unwrap();
                starts.push(at);
                from = at + u.len();
            }
            for (line, obj) in lines[1..].iter().zip(arr.as_array().unwrap()) {
                for (i, want) in cells(obj, names).into_iter().enumerate() {
                    if let Some(w) = want {
                        let at: String = line.iter().skip(starts[i]).take(w.chars().count()).collect();
                        assert_eq!(at, w, "{cmd:?} column {}", names[i]);
                    }
                }
            }
        }
    }
}

#[test]
fn show_commands_print_one_object() {
    let (env, _) = lists();
    for cmd in [&["org", "show"][..], &["role", "show", "auditor"][..], &["group", "show", "eng"][..], &["whoami"][..]] {
        let out = run_format(&env, cmd, "json");
        assert!(json(&out).is_object(), "{cmd:?}: {out}");
        let line = run_format(&env, cmd, "jsonl");
        assert_eq!(line.lines().count(), 1, "{cmd:?}");
        assert_eq!(json(&line), json(&out), "{cmd:?}");
    }
    let out = run_format(&env, &["role", "show", "auditor"], "csv");
    assert_eq!(
        out,
        "name,display_name,scope,builtin,permissions,holders\r\nauditor,\"Auditor, Senior\",org,false,audit:read,0\r\n"
    );
}

#[test]
fn unset_fields_are_null_not_missing() {
    let env = Env::new();
    env.run(&["config", "unset", "org"]).ok();
    let v = json(env.run(&["whoami", "--format", "json"]).ok());
    assert_eq!(
        v,
        json!({"id": 1, "email": "ada@example.com", "username": "ada", "org": null, "role": [], "global_roles": ["global-admin"], "organizations": ["acme"], "db_login": null})
    );
}

#[test]
fn empty_lists() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    let args = |f: &str| {
        vec!["--org", "beta", "audit", "list", "--action", "nothing", "--format", f]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let run = |f: &str| {
        let a = args(f);
        env.run(&a.iter().map(String::as_str).collect::<Vec<_>>()).ok().to_string()
    };
    assert_eq!(run("json"), "[]\n");
    assert_eq!(run("jsonl"), "");
    assert_eq!(run("csv"), "id,at,actor,org,action,target,changes,change,reverts\r\n");
    assert_eq!(run("tsv"), "id\tat\tactor\torg\taction\ttarget\tchanges\tchange\treverts\n");
}

// ---------------------------------------------------------------- errors

/// The error lines of stderr and the JSON object after them.
fn json_error(stderr: &str) -> (Vec<&str>, Value) {
    let lines: Vec<&str> = stderr.lines().collect();
    let (last, text) = lines.split_last().expect("stderr lines");
    (text.to_vec(), json(last))
}

#[test]
fn json_errors_are_one_object_on_stderr() {
    let env = people();
    let garbage = env.home().join("garbage.db");
    std::fs::write(&garbage, vec![0u8; 4096]).unwrap();
    let g = garbage.to_str().unwrap();
    let cases: Vec<(Vec<&str>, Option<&str>, i32, &str)> = vec![
        (vec!["org", "show", "nope"], None, 3, "not_found"),
        (vec!["org", "create", "beta"], Some("bob"), 4, "permission_denied"),
        (vec!["org", "create", "acme"], None, 5, "conflict"),
        (vec!["org", "create", "Bad_Slug"], None, 6, "invalid_input"),
        (vec!["org", "set"], None, 2, "usage"),
        (vec!["--db", g, "org", "list"], None, 1, "failure"),
        (vec!["group", "add-member", "everyone", "ghost", "--keep-going"], None, 7, "partial"),
    ];
    for format in ["json", "jsonl"] {
        for (args, actor, code, kind) in &cases {
            let mut a = args.clone();
            a.extend(["--format", format]);
            let r = match actor {
                Some(who) => env.run_as(who, &a),
                None => env.run(&a),
            };
            let stderr = r.fails(*code);
            assert_eq!(r.stdout, "", "{a:?}");
            let (text, obj) = json_error(stderr);
            let first = text.iter().find(|l| l.starts_with("error: ")).expect("error line");
            let message = first.strip_prefix("error: ").unwrap();
            let hint = text.iter().find_map(|l| l.strip_prefix("hint: ")).map(|h| json!(h)).unwrap_or(Value::Null);
            assert_eq!(obj, json!({"error": {"kind": kind, "message": message, "hint": hint, "exit": code}}), "{a:?}: {stderr}");
        }
    }
    // Only with a JSON format.
    let r = env.run(&["org", "show", "nope"]);
    assert_eq!(r.fails(3), "error: organization 'nope' not found\n");
    let r = env.run(&["org", "show", "nope", "--format", "csv"]);
    assert_eq!(r.fails(3), "error: organization 'nope' not found\n");
}

#[test]
fn json_error_for_an_exact_case() {
    let env = Env::new();
    let r = env.run(&["--format", "json", "org", "show", "nope"]);
    assert_eq!(
        r.fails(3),
        "error: organization 'nope' not found\n{\"error\":{\"kind\":\"not_found\",\"message\":\"organization 'nope' not found\",\"hint\":null,\"exit\":3}}\n"
    );
}

#[test]
fn usage_errors_exit_2_with_an_error_line_first() {
    let env = Env::new();
    let r = env.run(&["org", "frob"]);
    assert_eq!(r.fails(2), "error: unrecognized subcommand 'frob'\nhint: usage: acct org [OPTIONS] <COMMAND>\n");
    assert_eq!(r.stdout, "");
    let r = env.run(&["--bogus", "org", "list"]);
    assert_eq!(r.fails(2), "error: unexpected argument '--bogus' found\nhint: usage: acct [OPTIONS] <COMMAND>\n");
    let r = env.run(&["org", "lst"]);
    assert_eq!(
        r.fails(2),
        "error: unrecognized subcommand 'lst'\nhint: some similar subcommands exist: 'ls', 'list'\nhint: usage: acct org [OPTIONS] <COMMAND>\n"
    );
    for args in [
        &["org", "set", "--sso", "maybe"][..],
        &["--format", "xml", "org", "list"][..],
        &["role", "create", "x"][..],
        &["audit", "list", "--limit", "many"][..],
        &["group", "add-member", "eng"][..],
        &["frobnicate"][..],
    ] {
        let r = env.run(args);
        let err = r.fails(2);
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.lines().skip(1).all(|l| l.starts_with("hint: ")), "{args:?}: {err}");
        assert_eq!(r.stdout, "", "{args:?}");
    }
    assert!(env.run(&["org", "set", "--sso", "maybe"]).stderr.starts_with("error: invalid value 'maybe' for '--sso <SSO>'"));
}

#[test]
fn usage_errors_name_what_is_wrong() {
    // The error line for a missing required argument ends with "not
    // provided:" and names nothing, because only the first line of clap's
    // message is kept (the indented list of missing arguments and the
    // "[possible values: ...]" line are dropped).
    let env = Env::new();
    let err = env.run(&["role", "create", "x"]).fails(2).to_string();
    assert!(err.lines().next().unwrap().contains("--permission <PERM>"), "{err}");
    let err = env.run(&["org", "set", "--sso", "maybe"]).fails(2).to_string();
    assert!(err.contains("on") && err.contains("off") && err.contains("possible values"), "{err}");
}

#[test]
fn usage_errors_in_json_mode_emit_a_json_object() {
    // SPEC §5: with --format json or jsonl an error is also written to
    // stderr as one JSON object. Errors from clap (unknown subcommand,
    // missing argument, bad value) return before the format is known.
    let env = Env::new();
    let r = env.run(&["--format", "json", "org", "frob"]);
    let (_, obj) = json_error(r.fails(2));
    assert_eq!(obj["error"]["kind"], "usage");
    assert_eq!(obj["error"]["exit"], 2);
}

#[test]
fn help_and_version_go_to_stdout() {
    let env = Env::empty();
    let r = env.run(&["--version"]);
    assert_eq!(r.ok(), "acct 0.1.0\n");
    let r = env.run(&["-h"]);
    assert!(r.ok().starts_with("Administer the user accounts of an organization\n\nUsage: acct [OPTIONS] <COMMAND>\n"));
    assert_eq!(r.stderr, "");
    let r = env.run(&["--help"]);
    assert!(r.ok().contains("Exit status:\n  0  success\n"), "{}", r.stdout);
    let r = env.run(&["org", "--help"]);
    assert!(r.ok().contains("Usage: acct org [OPTIONS] <COMMAND>"), "{}", r.stdout);
}

#[test]
fn hostile_input_stays_on_one_line() {
    let env = Env::new();
    let r = env.run(&["org", "show", "a\nb\u{1b}[31m"]);
    assert_eq!(r.fails(3), "error: organization 'a\\nb\\u{1b}[31m' not found\n");
    let r = env.run(&["role", "show", "x\u{202e}y"]);
    assert_eq!(r.fails(3).lines().count(), 2);
    assert!(!r.stderr.contains('\u{202e}'));
}

// ---------------------------------------------------------------- broken pipe

/// Run acct with its stdout closed before it writes anything.
fn run_with_closed_stdout(env: &Env, args: &[&str]) -> common::Run {
    let mut c = env.command();
    c.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `acct ARGS | head -c N` in bash; returns acct's own exit status and stderr.
fn run_into_head(env: &Env, args: &[&str], bytes: usize) -> (i32, String) {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "'{}' {} 2>\"$ERR\" | head -c {bytes} >/dev/null; exit ${{PIPESTATUS[0]}}",
        common::bin().display(),
        quoted.join(" ")
    );
    let err = env.home().join("stderr.txt");
    let status = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.config_dir())
        .env("XDG_DATA_HOME", env.data_dir())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ERR", &err)
        .current_dir(env.home())
        .stdin(Stdio::null())
        .status()
        .expect("bash");
    (status.code().unwrap_or(-1), read(&err))
}

#[test]
fn a_closed_stdout_is_success() {
    let (env, lists) = lists();
    for (cmd, _) in &lists {
        for format in ["table", "json", "csv"] {
            let mut a = cmd.clone();
            a.extend(["--format", format]);
            let r = run_with_closed_stdout(&env, &a);
            assert_eq!((r.code, r.stderr.as_str()), (0, ""), "{a:?}");
            assert_eq!(run_into_head(&env, &a, 0), (0, String::new()), "{a:?}");
        }
    }
    for cmd in [&["org", "show"][..], &["whoami"][..], &["config", "path"][..], &["can-i", "role:read"][..]] {
        assert_eq!(run_with_closed_stdout(&env, cmd).code, 0, "{cmd:?}");
    }
}

#[test]
fn a_pipe_closed_in_the_middle_of_a_long_listing_is_success() {
    let env = Env::new();
    long_audit_log(&env);
    for format in ["tsv", "table"] {
        let (code, err) = run_into_head(&env, &["audit", "list", "--format", format], 1000);
        assert_eq!((code, err.as_str()), (0, ""), "{format}");
    }
}

/// A long audit log: far more than a pipe buffer of output.
fn long_audit_log(env: &Env) {
    env.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
         INSERT INTO audit (id, at, actor_id, actor, org, action, target, changes)
         SELECT (SELECT max(id) FROM audit) + i, '2026-01-01T00:00:00Z', 1, 'ada@example.com', 'acme', 'group.create', 'g' || i,
                '{\"display_name\":{\"old\":null,\"new\":\"a rather long display name to fill the pipe quickly\"}}' FROM n",
        &[],
    );
}

#[test]
fn a_pipe_closed_in_the_middle_of_machine_output_is_success() {
    // The rows are written through serde_json / the csv writer, whose errors
    // wrap the io::Error so that `is_broken_pipe` does not see it; once the
    // output outgrows the 64 KiB buffer, `acct audit list --format jsonl |
    // head` fails. (Small outputs pass: their error comes from the final
    // flush, a plain io::Error.)
    let env = Env::new();
    long_audit_log(&env);
    for format in ["jsonl", "json", "csv"] {
        let (code, err) = run_into_head(&env, &["audit", "list", "--format", format], 1000);
        assert_eq!((code, err.as_str()), (0, ""), "{format}");
    }
}

// ---------------------------------------------------------------- dry run

fn unchanged(env: &Env, args: &[&str]) -> String {
    let before = snapshot(env);
    let audits = env.audit_count();
    let cfg = read(&env.config_path());
    let mut a = args.to_vec();
    a.push("--dry-run");
    let r = env.run(&a);
    assert_eq!(r.ok(), "", "{a:?}");
    assert_eq!(snapshot(env), before, "{a:?}");
    assert_eq!(env.audit_count(), audits, "{a:?}");
    assert_eq!(read(&env.config_path()), cfg, "{a:?}");
    r.stderr.clone()
}

#[test]
fn dry_run_changes_nothing_and_says_so() {
    let env = people();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    assert_eq!(
        unchanged(&env, &["role", "create", "viewer", "--permission", "role:read"]),
        "would create role viewer (role:read)\ndry run: nothing was changed\n"
    );
    assert_eq!(
        unchanged(&env, &["org", "set", "--sso", "on", "--display-name", "Acme Ltd"]),
        "organization: would change display_name: Acme Corp → Acme Ltd\norganization: would change sso: off → on\ndry run: nothing was changed\n"
    );
    assert_eq!(unchanged(&env, &["group", "create", "ops"]), "would create group ops\ndry run: nothing was changed\n");
    assert_eq!(
        unchanged(&env, &["org", "create", "beta"]),
        "would create organization beta with you as its full-admin\ndry run: nothing was changed\n"
    );
    assert_eq!(
        unchanged(&env, &["role", "edit", "auditor", "--add-permission", "user:read"]),
        "role auditor: would change permissions: [\"audit:read\"] → [\"user:read\",\"audit:read\"]\ndry run: nothing was changed\n"
    );
    assert_eq!(
        unchanged(&env, &["role", "assign", "bob", "read-only"]),
        "would assign read-only to bob\ndry run: nothing was changed\n"
    );
    assert_eq!(
        unchanged(&env, &["role", "unassign", "hal", "helpdesk"]),
        "would unassign helpdesk from hal\ndry run: nothing was changed\n"
    );
    // Destructive commands need no --yes under --dry-run.
    assert_eq!(unchanged(&env, &["role", "delete", "auditor"]), "would delete role auditor\ndry run: nothing was changed\n");
    assert_eq!(unchanged(&env, &["group", "delete", "eng"]), "would delete group eng\ndry run: nothing was changed\n");
    let err = unchanged(&env, &["group", "add-member", "eng", "bob", "hal"]);
    assert!(err.ends_with("dry run: nothing was changed\n"), "{err}");
    assert_eq!(
        unchanged(&env, &["config", "set", "invite.ttl_days", "3"]),
        "would set invite.ttl_days = 3\ndry run: nothing was changed\n"
    );
    assert_eq!(unchanged(&env, &["config", "unset", "actor"]), "would unset actor\ndry run: nothing was changed\n");
    assert_eq!(unchanged(&env, &["org", "use", "acme"]), "working in acme (unchanged)\ndry run: nothing was changed\n");
    let backup = env.home().join("b.db");
    assert_eq!(
        unchanged(&env, &["db", "backup", backup.to_str().unwrap()]),
        format!("would copy {} to {}\n", env.shown_location(), backup.display())
    );
    assert!(!backup.exists());
}

#[test]
fn dry_run_still_reports_errors() {
    let env = people();
    let before = snapshot(&env);
    assert_eq!(env.run(&["role", "create", "x", "--permission", "nope", "--dry-run"]).code, 6);
    assert_eq!(env.run(&["role", "unassign", "ada", "full-admin", "--dry-run"]).code, 5);
    assert_eq!(env.run(&["org", "create", "acme", "--dry-run"]).code, 5);
    assert_eq!(env.run_as("hal", &["group", "create", "x", "--dry-run"]).code, 4);
    assert_eq!(env.run(&["group", "delete", "everyone", "--dry-run"]).code, 5);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn dry_run_prints_what_would_change() {
    // SPEC §4: --dry-run does everything inside a transaction, *prints what
    // would change*, and rolls back. `org set`, `role edit` and `role assign`
    // do ("would change ...", "would assign ..."); `role create`,
    // `group create`, `org create`, `role delete` and `group delete` print
    // only "dry run: nothing was changed".
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    let err = unchanged(&env, &["role", "create", "viewer", "--permission", "role:read"]);
    assert!(err.contains("would create role viewer"), "{err}");
    let err = unchanged(&env, &["group", "create", "ops"]);
    assert!(err.contains("would create group ops"), "{err}");
    let err = unchanged(&env, &["org", "create", "beta"]);
    assert!(err.contains("would create organization beta"), "{err}");
    let err = unchanged(&env, &["group", "delete", "eng"]);
    assert!(err.contains("would delete group eng"), "{err}");
}

#[test]
fn dry_run_access_grant_says_would() {
    let env = people();
    let err = unchanged(&env, &["access", "grant", "bob", "global-read-only"]);
    assert!(!err.contains("granted"), "{err}");
    assert!(err.contains("would grant global-read-only to bob"), "{err}");
    env.run(&["access", "grant", "bob", "global-read-only"]).ok();
    let err = unchanged(&env, &["access", "revoke", "bob", "global-read-only"]);
    assert!(err.contains("would revoke global-read-only from bob"), "{err}");
}

#[test]
fn dry_run_group_people_says_would() {
    let env = people();
    env.run(&["group", "create", "eng"]).ok();
    let err = unchanged(&env, &["group", "add-member", "eng", "bob"]);
    assert!(!err.contains("is now a member"), "{err}");
}

// ---------------------------------------------------------------- quiet

#[test]
fn quiet_drops_notes_but_not_errors() {
    let env = Env::new();
    let r = env.run(&["group", "create", "eng", "-q"]);
    assert_eq!((r.ok(), r.stderr.as_str()), ("", ""));
    assert_eq!(env.query("SELECT count(*) FROM groups WHERE slug = 'eng'"), "1");
    let r = env.run(&["org", "set", "--sso", "on", "--quiet"]);
    assert_eq!((r.ok(), r.stderr.as_str()), ("", ""));
    assert_eq!(env.run(&["group", "create", "eng", "-q"]).fails(5), "error: group 'eng' already exists\n");
    // A denied can-i still answers on stdout; its reason is a note.
    add_user(&env, "hal", "acme", &["helpdesk"]);
    let r = env.run_as("hal", &["can-i", "role:manage", "-q"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (4, "no\n", ""));
}
