//! `acct undo --change ID` of a whole `acct apply` (SPEC §4, issue 16):
//! attributes, roles, groups, adds and prunes reversed in one change, the
//! state before the apply restored exactly, and the undo of the undo
//! applying it again; `can-i undo` agrees with `undo` for an actor lacking a
//! permission.

mod common;
mod support;

use common::Env;
use support::*;

/// Every table an apply or its undo could change, but the audit log (undo
/// appends to it) and the invitations (an invitation is not taken back).
/// Users in the trash are left out: an undone add sends a new identity to
/// the trash (SPEC §4), and the undo of that undo restores it.
fn state(env: &Env) -> Vec<String> {
    let mut out: Vec<String> = snapshot(env)
        .into_iter()
        .scan(String::new(), |table, line| {
            if let Some(t) = line.strip_prefix("-- ") {
                *table = t.to_string();
            }
            Some((table.clone(), line))
        })
        .filter(|(table, _)| table != "audit" && table != "users" && table != "memberships")
        .map(|(_, line)| line)
        .collect();
    out.push("-- memberships".into());
    out.extend(rows(
        env,
        // A membership that undo gives back is a new one: its created_at is
        // the time of the undo (the clock may have moved to the next second).
        "SELECT m.org_id, m.user_id, m.role_key FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE u.trashed_at IS NULL ORDER BY 1, 2",
    ));
    out.push("-- users".into());
    out.extend(rows(
        env,
        "SELECT id, username, email, email_key, first_name, last_name, full_name, initials, phone, timezone, notify, robot,
                sso_disabled, sms_auto_send, require_2fa, status, accepted, two_factor, primary_group_id, search_key, created_at
         FROM users WHERE trashed_at IS NULL ORDER BY id",
    ));
    out
}

fn last_change(env: &Env) -> String {
    env.query("SELECT change_id FROM audit ORDER BY id DESC LIMIT 1")
}

/// ada (full-admin), bob and carol (read-only), dan (helpdesk) who will be
/// pruned; groups eng and ops; carol in ops.
fn team() -> Env {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "edit", "bob", "--first-name", "Bob", "--last-name", "Builder"]).ok();
    env.run(&["user", "add", "dan@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    env.run(&["user", "edit", "carol", "--timezone", "Europe/Paris", "--add-group", "ops"]).ok();
    env
}

const APPLIED: &str = "email,first_name,last_name,timezone,notify,robot,primary_group,groups,role\n\
    ada@example.com,,,,,,everyone,,full-admin\n\
    bob@example.com,Bob,Baumeister,Europe/Berlin,false,true,eng,ops,helpdesk\n\
    carol@example.com,Carol,,,,,everyone,eng,read-only;helpdesk\n\
    erin@example.com,Erin,Eve,,,,ops,,read-only\n";

#[test]
fn undo_of_a_whole_apply_restores_the_state_before_and_its_undo_applies_it_again() {
    let env = team();
    let file = write_file(&env, "team.csv", APPLIED);
    let before = state(&env);
    let run = env.run(&["apply", &file, "--prune", "--yes", "--no-send"]);
    run.ok();
    let after = state(&env);
    assert_ne!(before, after);
    // The apply's change id, as `audit list` shows it.
    let listed = json(env.run(&["audit", "list", "--reverse", "--limit", "1", "--format", "json"]).ok());
    let change = listed[0]["change"].as_str().expect("a change id").to_string();
    assert_eq!(change, last_change(&env));
    let actions = rows(&env, &format!("SELECT action || ' ' || target FROM audit WHERE change_id = '{change}' ORDER BY id"));
    for wanted in
        ["user.edit bob@example.com", "role.assign bob@example.com", "user.add erin@example.com", "user.remove dan@example.com"]
    {
        assert!(actions.iter().any(|a| a == wanted), "no {wanted} in {actions:?}");
    }
    assert!(actions.len() >= 8, "{actions:?}");

    // A dry run shows every reversal and changes nothing.
    let dry = env.run(&["undo", "--change", &change, "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stderr.lines().filter(|l| l.starts_with("would revert entry")).count() >= actions.len(), "{}", dry.stderr);
    assert_eq!(state(&env), after);
    // Without a terminal, the confirmation needs --yes.
    env.run(&["undo", "--change", &change]).fails(2);
    assert_eq!(state(&env), after);

    let r = env.run(&["undo", "--change", &change, "--yes"]);
    assert_eq!(r.code, 0, "undo of the apply: {}", r.stderr);
    assert_eq!(state(&env), before, "undo of the apply");
    let undo_change = last_change(&env);
    assert_ne!(undo_change, change);
    // Every entry of the apply is reversed by one entry naming it, newest first.
    let reverts: Vec<i64> = rows(&env, &format!("SELECT reverts FROM audit WHERE change_id = '{undo_change}' ORDER BY id"))
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let mut ids: Vec<i64> = rows(&env, &format!("SELECT id FROM audit WHERE change_id = '{change}' ORDER BY id"))
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    ids.reverse();
    let mut seen = reverts.clone();
    seen.dedup();
    assert_eq!(seen, ids, "each entry reversed, newest first");

    let r = env.run(&["undo", "--change", &undo_change, "--yes"]);
    assert_eq!(r.code, 0, "undo of the undo: {}", r.stderr);
    assert_eq!(state(&env), after, "undo of the undo of the apply");
    // The file matches the organization again: applying it changes nothing.
    let again = env.run(&["apply", &file, "--prune", "--yes", "--no-send"]);
    assert_eq!(again.ok(), "");
    assert!(again.stderr.contains("no changes"), "{}", again.stderr);
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact: "));
}

#[test]
fn undo_of_an_apply_is_decided_by_the_engine_and_can_i_agrees() {
    let env = team();
    // hal holds role:assign, role:read and user:read through a custom role:
    // reversing the apply's add and prune is beyond him.
    env.run(&[
        "role",
        "create",
        "assigner",
        "--permission",
        "role:assign",
        "--permission",
        "user:read",
        "--permission",
        "role:read",
        "--permission",
        "audit:read",
    ])
    .ok();
    // hal may read the audit log (undo needs that first), so the answer is the engine's for the reversal.
    add_user(&env, "hal", "acme", &["assigner"]);
    let file = write_file(&env, "team.csv", &format!("{APPLIED}hal@example.com,,,,,,everyone,,assigner\n"));
    env.run(&["apply", &file, "--prune", "--yes", "--no-send"]).ok();
    let after = state(&env);
    let change = last_change(&env);

    // The reversals are decided newest first: the first refusal stops the
    // whole undo, and is the one `can-i undo` gives for that entry.
    let newest = env.query(&format!("SELECT max(id) FROM audit WHERE change_id = '{change}'"));
    let denied = "permission denied: 'user:invite' is needed in acme (you have user:read role:read role:assign audit:read)";
    assert_eq!(env.run_as("hal", &["undo", "--change", &change, "--yes"]).fails(4), format!("error: {denied}\n"));
    assert_eq!(state(&env), after, "nothing undone");
    assert_eq!(env.run_as("hal", &["undo", &newest, "--yes"]).fails(4), format!("error: {denied}\n"));
    let r = env.run_as("hal", &["can-i", "undo", &newest]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert_eq!(r.stderr, format!("reason: {denied}\nrelations: none\n"));
    assert_eq!(state(&env), after);
    // The administrator may.
    assert_eq!(env.run(&["can-i", "undo", &newest]).ok(), "yes\n");
    env.run(&["undo", "--change", &change, "--yes"]).ok();
}
