//! `acct can-i` gives the answer the command itself would give (SPEC §3):
//! for a generated set of actors × targets × actions, `can-i` is run and then
//! the command under `--dry-run`, and the two must agree — yes ⇔ exit 0, no
//! ⇔ a denial or a conflict (exit 4 or 5), and any other error (a target
//! that is not found or not a member) is the same exit code in both.

mod common;
mod support;

use common::Env;
use support::*;

/// Two organizations and people of every kind of standing:
/// - root: global admin; adm: full-admin of acme; hd: helpdesk; ro: read-only;
/// - rm: a custom role with role:assign and user:read; gm: manages acme/ops, no role;
/// - nobody: a member without a role; badm: full-admin of beta only;
/// - boss: member of acme (primary group ops) and full-admin of beta;
/// - inv: invited, never accepted; gone: removed (in the trash); off: inactive.
fn world() -> Env {
    let env = Env::init(&["--org", "acme", "--admin", "root@acme.test"]);
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["role", "create", "assigner", "--permission", "role:assign", "--permission", "user:read"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    let add = |org: &str, email: &str, role: &str| {
        env.run(&["--org", org, "user", "add", email, "--role", role, "--no-send"]).ok();
        env.activate(email);
    };
    add("acme", "adm@acme.test", "full-admin");
    add("acme", "hd@acme.test", "helpdesk");
    add("acme", "ro@acme.test", "read-only");
    add("acme", "rm@acme.test", "assigner");
    add("acme", "gm@acme.test", "read-only");
    env.run(&["role", "unassign", "gm@acme.test", "read-only"]).ok();
    env.run(&["group", "add-manager", "ops", "gm@acme.test"]).ok();
    add("acme", "nobody@acme.test", "read-only");
    env.run(&["role", "unassign", "nobody@acme.test", "read-only"]).ok();
    add("beta", "badm@beta.test", "full-admin");
    add("acme", "boss@acme.test", "read-only");
    env.run(&["--org", "beta", "user", "add", "boss@acme.test", "--role", "full-admin"]).ok();
    env.run(&["user", "edit", "boss@acme.test", "--primary-group", "ops"]).ok();
    env.run(&["user", "add", "inv@acme.test", "--role", "read-only", "--no-send"]).ok();
    add("acme", "gone@acme.test", "read-only");
    env.run(&["user", "remove", "gone@acme.test", "--yes"]).ok();
    add("acme", "off@acme.test", "read-only");
    env.run(&["user", "edit", "off@acme.test", "--active", "false"]).ok();
    env
}

const ACTORS: &[&str] = &[
    "root@acme.test",
    "adm@acme.test",
    "hd@acme.test",
    "ro@acme.test",
    "rm@acme.test",
    "gm@acme.test",
    "nobody@acme.test",
    "badm@beta.test",
];

const TARGETS: &[&str] = &[
    "root@acme.test",
    "adm@acme.test",
    "hd@acme.test",
    "boss@acme.test",
    "inv@acme.test",
    "gone@acme.test",
    "off@acme.test",
    "badm@beta.test",
    "ghost@nowhere.test",
];

/// (can-i arguments, the command's arguments) for one target.
fn pairs(t: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let local = t.split('@').next().unwrap();
    vec![
        (s(&["can-i", "remove", t]), s(&["user", "remove", t, "--yes"])),
        (s(&["can-i", "reset-2fa", t]), s(&["user", "reset-2fa", t, "--yes"])),
        (s(&["can-i", "resend", t]), s(&["invite", "resend", t])),
        (s(&["can-i", "restore", t]), s(&["user", "restore", t])),
        (s(&["can-i", "assign:read-only", t]), s(&["role", "assign", t, "read-only"])),
        (s(&["can-i", "unassign:full-admin", t]), s(&["role", "unassign", t, "full-admin"])),
        (s(&["can-i", "deactivate", t]), s(&["user", "edit", t, "--active", "false"])),
        (s(&["can-i", "edit", t, "--field", "first_name"]), s(&["user", "edit", t, "--first-name", "Zed"])),
        (s(&["can-i", "edit", t, "--field", "phone"]), s(&["user", "edit", t, "--phone", "+4915112345678"])),
        (s(&["can-i", "edit", t, "--field", "require_2fa"]), s(&["user", "edit", t, "--require-2fa", "true"])),
        (s(&["can-i", "edit", t, "--field", "email"]), s(&["user", "edit", t, "--email", &format!("{local}-new@acme.test")])),
        (s(&["can-i", "edit", t, "--field", "active"]), s(&["user", "edit", t, "--active", "false"])),
    ]
}

fn agree(filter: &dyn Fn(&str) -> bool) {
    let env = world();
    let before = snapshot(&env);
    let mut disagreements = Vec::new();
    let mut seen = [0usize; 3];
    for actor in ACTORS {
        for t in TARGETS {
            for (ask, cmd) in pairs(t).into_iter().filter(|(ask, _)| filter(&ask[1])) {
                let ask_ref: Vec<&str> = ask.iter().map(String::as_str).collect();
                let mut cmd_ref: Vec<&str> = vec!["--dry-run"];
                cmd_ref.extend(cmd.iter().map(String::as_str));
                let a = env.run_as(actor, &ask_ref);
                let c = env.run_as(actor, &cmd_ref);
                let consistent = match a.code {
                    0 => c.code == 0,
                    4 => c.code == 4 || c.code == 5,
                    other => c.code == other,
                };
                seen[match a.code {
                    0 => 0,
                    4 => 1,
                    _ => 2,
                }] += 1;
                if !consistent || !matches!(a.code, 0 | 2..=5) {
                    disagreements.push(format!(
                        "{actor}: {ask:?} → {} {}{}   but {cmd:?} → {} {}",
                        a.code,
                        a.stdout.trim(),
                        a.stderr.lines().next().unwrap_or(""),
                        c.code,
                        c.stderr.lines().next().unwrap_or("")
                    ));
                }
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    assert!(seen.iter().all(|n| *n > 0), "every kind of answer occurs (yes, no, error): {seen:?}");
    assert_eq!(snapshot(&env), before, "dry runs and can-i change nothing");
}

#[test]
fn can_i_agrees_with_remove_reset_2fa_resend_and_restore() {
    agree(&|a| matches!(a, "remove" | "reset-2fa" | "resend" | "restore"));
}

#[test]
fn can_i_agrees_with_role_assign_and_unassign() {
    agree(&|a| a.starts_with("assign:") || a.starts_with("unassign:"));
}

#[test]
fn can_i_agrees_with_user_edit() {
    agree(&|a| matches!(a, "edit" | "deactivate"));
}
