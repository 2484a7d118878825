//! `acct undo` (SPEC §4): every reversible action, done, undone and redone
//! through the real binary, the whole state compared each time.

mod common;
mod support;

use common::Env;
use support::*;

/// Everything an account holds that undo must put back: users (not the ones
/// in the trash, not `updated_at`), memberships, roles, groups, managers,
/// organizations and roles. The audit log and invitations are left out.
fn state(env: &Env) -> Vec<String> {
    let queries = [
        "SELECT id, username, email, email_key, first_name, last_name, full_name, initials, phone, timezone, notify, robot,
                sso_disabled, sms_auto_send, require_2fa, status, accepted, two_factor, primary_group_id, search_key, created_at
         FROM users WHERE trashed_at IS NULL ORDER BY id",
        "SELECT m.org_id, m.user_id FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.trashed_at IS NULL ORDER BY 1, 2",
        "SELECT org_id, user_id, role_id FROM user_roles ORDER BY 1, 2, 3",
        "SELECT user_id, role_id FROM global_roles ORDER BY 1, 2",
        "SELECT group_id, user_id FROM group_members ORDER BY 1, 2",
        "SELECT group_id, user_id FROM group_managers ORDER BY 1, 2",
        "SELECT * FROM orgs ORDER BY id",
        "SELECT * FROM groups ORDER BY id",
        "SELECT * FROM roles ORDER BY id",
        "SELECT * FROM role_permissions ORDER BY 1, 2",
    ];
    let mut out = Vec::new();
    for q in queries {
        out.push(format!("-- {q}"));
        out.extend(rows(env, q));
    }
    out
}

fn last_id(env: &Env) -> i64 {
    env.query("SELECT max(id) FROM audit").parse().unwrap()
}

fn last_change(env: &Env) -> String {
    env.query("SELECT change_id FROM audit ORDER BY id DESC LIMIT 1")
}

/// Two organizations, a few members, a group with a manager.
fn base() -> Env {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "carl@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    env.run(&["group", "create", "qa"]).ok();
    env.run(&["group", "add-member", "eng", "carl"]).ok();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["--org", "beta", "user", "add", "carl@example.com", "--role", "read-only"]).ok();
    env
}

/// Run `cmd` (as `actor` when given), undo the change it made, compare; then
/// undo the undo and compare with the state after `cmd`.
fn round_trip(env: &Env, actor: Option<&str>, cmd: &[&str]) {
    let before = state(env);
    let audits = last_id(env);
    match actor {
        Some(a) => env.run_as(a, cmd).ok(),
        None => env.run(cmd).ok(),
    };
    assert!(last_id(env) > audits, "{cmd:?} wrote no audit entry");
    let after = state(env);
    assert_ne!(before, after, "{cmd:?} changed nothing");
    let change = last_change(env);
    let r = env.run(&["undo", "--change", &change, "--yes"]);
    assert_eq!(r.code, 0, "undo of {cmd:?}: {}", r.stderr);
    assert_eq!(state(env), before, "undo of {cmd:?}");
    let undo_change = last_change(env);
    assert_ne!(undo_change, change);
    let r = env.run(&["undo", "--change", &undo_change, "--yes"]);
    assert_eq!(r.code, 0, "undo of the undo of {cmd:?}: {}", r.stderr);
    assert_eq!(state(env), after, "undo of the undo of {cmd:?}");
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact: "));
}

#[test]
fn every_reversible_action_round_trips() {
    let env = base();
    let edits: Vec<Vec<&str>> = vec![
        vec!["user", "edit", "bob", "--first-name", "Bob", "--last-name", "Builder", "--full-name", "Bob B.", "--initials", "BB"],
        vec![
            "user",
            "edit",
            "bob",
            "--timezone",
            "Europe/Berlin",
            "--notify",
            "false",
            "--robot",
            "true",
            "--require-2fa",
            "true",
        ],
        vec!["user", "edit", "bob", "--email", "robert@example.com"],
        vec!["user", "edit", "bob", "--active", "false"],
        vec!["user", "edit", "bob", "--primary-group", "qa"],
        vec!["user", "edit", "bob", "--add-group", "ops", "--add-group", "eng"],
        vec!["user", "edit", "carl", "--remove-group", "eng"],
        vec!["user", "add", "dora@example.com", "--role", "read-only", "--role", "helpdesk", "--no-send"],
        vec!["--org", "beta", "user", "add", "bob@example.com", "--role", "read-only"],
        vec!["role", "assign", "bob", "helpdesk", "auditor"],
        vec!["role", "unassign", "carl", "helpdesk"],
        vec!["group", "add-member", "eng", "carl"],
        vec!["group", "remove-member", "eng", "carl"],
        vec!["group", "add-manager", "ops", "bob"],
        vec!["org", "set", "--sso", "on", "--sms-2fa", "disallowed", "--display-name", "Acme Ltd"],
        vec!["role", "edit", "auditor", "--display-name", "Auditor", "--add-permission", "user:read"],
        vec!["access", "grant", "bob", "global-read-only"],
        vec!["access", "grant", "carl", "global-admin"],
        // Removals last: each round trip ends with its command applied.
        vec!["--org", "beta", "user", "remove", "carl", "--yes"],
        vec!["user", "remove", "carl", "--yes"],
        vec!["user", "remove", "bob", "--yes"],
    ];
    // The phone is the user's own: bob sets it, bob undoes it.
    env.exec("UPDATE users SET status = 'active', accepted = TRUE WHERE username = 'bob'", &[]);
    env.run(&["user", "edit", "bob", "--phone", "+4915112345678"]).fails(4);
    let before = state(&env);
    env.run_as("bob", &["user", "edit", "bob", "--phone", "+4915112345678"]).ok();
    let id = last_id(&env).to_string();
    assert_eq!(
        env.run(&["undo", &id]).fails(4),
        "error: permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\n"
    );
    env.run_as("bob", &["undo", &id]).ok();
    assert_eq!(state(&env), before);
    // Revoking: grant then revoke, and undo the revoke.
    env.run(&["access", "grant", "bob", "global-read-only"]).ok();
    round_trip(&env, None, &["access", "revoke", "bob", "global-read-only"]);
    for cmd in &edits {
        round_trip(&env, None, cmd);
    }
}

#[test]
fn undo_gives_the_entries_it_reverted_and_its_change_as_data() {
    use serde_json::json;
    let env = base();
    env.run(&["user", "edit", "bob", "--last-name", "Builder"]).ok();
    let id = last_id(&env);
    let reversal = |change: serde_json::Value| {
        json!([{
            "reverts": id,
            "action": "user.edit",
            "target": "bob@example.com",
            "changes": {
                "last_name": {"old": "Builder", "new": null},
                "full_name": {"old": "Builder", "new": null},
                "initials": {"old": "B", "new": null}
            },
            "change": change,
            "changed": true
        }])
    };
    // A dry run: what it would revert, and no change id (nothing recorded).
    let r = env.run(&["undo", &id.to_string(), "--dry-run", "--format", "json"]);
    assert_eq!(json(r.ok()), reversal(json!(null)));
    assert_eq!(last_id(&env), id);
    let r = env.run(&["undo", &id.to_string(), "--format", "json"]);
    let change = last_change(&env);
    assert_eq!(json(r.ok()), reversal(json!(change)));
    // jsonl: one line per entry; a change of two entries, newest first.
    env.run(&["role", "set", "bob", "helpdesk"]).ok();
    let set = last_change(&env);
    let ids: Vec<i64> = rows(&env, &format!("SELECT id FROM audit WHERE change_id = '{set}' ORDER BY id DESC"))
        .iter()
        .map(|i| i.parse().unwrap())
        .collect();
    let r = env.run(&["undo", "--change", &set, "--yes", "--format", "jsonl"]);
    let change = last_change(&env);
    assert_eq!(
        r.ok(),
        format!(
            "{{\"reverts\":{},\"action\":\"role.unassign\",\"target\":\"bob@example.com\",\"changes\":{{\"role\":{{\"old\":null,\"new\":\"read-only\"}}}},\"change\":\"{change}\",\"changed\":true}}\n\
             {{\"reverts\":{},\"action\":\"role.assign\",\"target\":\"bob@example.com\",\"changes\":{{\"role\":{{\"old\":\"helpdesk\",\"new\":null}}}},\"change\":\"{change}\",\"changed\":true}}\n",
            ids[0], ids[1]
        )
    );
    // A refusal keeps its exit code and prints no data.
    let r = env.run(&["undo", &id.to_string(), "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (5, ""));
}

/// The changes recorded by the newest audit entry.
fn last_changes(env: &Env) -> serde_json::Value {
    json(&env.query("SELECT changes FROM audit ORDER BY id DESC LIMIT 1"))
}

#[test]
fn a_primary_group_edit_is_audited_as_the_user_record_names_it_and_undone() {
    use serde_json::json;
    let env = base();
    env.run(&["--org", "beta", "group", "create", "dev"]).ok();
    // Within the organization: the slugs, as user JSON has them.
    let r = env.run(&["user", "edit", "bob", "--primary-group", "eng", "--format", "json"]);
    assert_eq!(json(r.ok()), json!([{"field": "primary_group", "old": "everyone", "new": "eng"}]));
    assert_eq!(last_changes(&env), json!({"primary_group": {"old": "everyone", "new": "eng"}}));
    let shown = json(env.run(&["user", "show", "bob", "--format", "json"]).ok());
    assert_eq!((&shown["primary_group"], &shown["organization"]), (&json!("eng"), &json!("acme")));
    // Into another organization: the organization changes too, and says so.
    let r = env.run(&["user", "edit", "carl", "--primary-group", "beta/dev", "--format", "json"]);
    assert_eq!(
        json(r.ok()),
        json!([
            {"field": "primary_group", "old": "everyone", "new": "dev"},
            {"field": "organization", "old": "acme", "new": "beta"}
        ])
    );
    assert_eq!(
        last_changes(&env),
        json!({"primary_group": {"old": "everyone", "new": "dev"}, "organization": {"old": "acme", "new": "beta"}})
    );
    env.run(&["user", "edit", "carl", "--primary-group", "beta/everyone"]).ok();
    assert_eq!(last_changes(&env), json!({"primary_group": {"old": "dev", "new": "everyone"}}));
    // The same slug in another organization: only the organization changed.
    env.run(&["user", "edit", "carl", "--primary-group", "acme/everyone"]).ok();
    assert_eq!(last_changes(&env), json!({"organization": {"old": "beta", "new": "acme"}}));
    // Each is undone, and the undo undone.
    round_trip(&env, None, &["user", "edit", "bob", "--primary-group", "qa"]);
    round_trip(&env, None, &["user", "edit", "carl", "--primary-group", "beta/dev"]);
    round_trip(&env, None, &["user", "edit", "carl", "--primary-group", "beta/everyone"]);
    // Undo of the organization-only change checks the organization now.
    env.run(&["user", "edit", "carl", "--primary-group", "acme/everyone"]).ok();
    let id = last_id(&env).to_string();
    env.run(&["user", "edit", "carl", "--primary-group", "beta/everyone"]).ok();
    assert_eq!(
        env.run(&["undo", &id]).fails(5),
        format!(
            "error: audit entry {id} cannot be undone: carl@example.com has changed since: organization is now beta\n\
             hint: pass --force to reverse it anyway\n"
        )
    );
}

/// Rewrite the newest audit entry's changes to `changes` and give it the
/// hash the chain then needs (it is the last entry: nothing chains to it),
/// as an entry written by an older acct would be.
fn rewrite_last_entry(env: &Env, changes: &str) {
    let id = last_id(env);
    env.exec("UPDATE audit SET changes = ?1 WHERE id = ?2", &[changes.into(), id.into()]);
    let out = python_chain(env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text.lines().last().unwrap();
    let cells: Vec<&str> = line.split(' ').collect();
    assert_eq!(cells[0], id.to_string(), "{text}");
    env.exec("UPDATE audit SET hash = ?1 WHERE id = ?2", &[cells[1].into(), id.into()]);
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact: "));
}

#[test]
fn an_entry_that_names_the_primary_group_org_slash_slug_is_still_undone() {
    let env = base();
    env.run(&["--org", "beta", "group", "create", "dev"]).ok();
    // Within the organization.
    let before = state(&env);
    env.run(&["user", "edit", "bob", "--primary-group", "ops"]).ok();
    rewrite_last_entry(&env, r#"{"primary_group":{"old":"acme/everyone","new":"acme/ops"}}"#);
    let id = last_id(&env).to_string();
    let r = env.run(&["undo", &id, "--format", "json"]);
    let change = last_change(&env);
    assert_eq!(
        json(r.ok()),
        serde_json::json!([{
            "reverts": id.parse::<i64>().unwrap(), "action": "user.edit", "target": "bob@example.com",
            "changes": {"primary_group": {"old": "acme/ops", "new": "acme/everyone"}},
            "change": change, "changed": true
        }])
    );
    assert_eq!(state(&env), before);
    // The undo itself is recorded in today's form.
    assert_eq!(last_changes(&env), serde_json::json!({"primary_group": {"old": "ops", "new": "everyone"}}));
    // Into another organization.
    env.run(&["user", "edit", "carl", "--primary-group", "beta/dev"]).ok();
    rewrite_last_entry(&env, r#"{"primary_group":{"old":"acme/everyone","new":"beta/dev"}}"#);
    let id = last_id(&env).to_string();
    env.run(&["undo", &id]).ok();
    assert_eq!(state(&env), before);
    // Changed since: the old form is compared in its own terms.
    env.run(&["user", "edit", "bob", "--primary-group", "ops"]).ok();
    rewrite_last_entry(&env, r#"{"primary_group":{"old":"acme/everyone","new":"acme/ops"}}"#);
    let id = last_id(&env).to_string();
    env.run(&["user", "edit", "bob", "--primary-group", "qa"]).ok();
    assert_eq!(
        env.run(&["undo", &id]).fails(5),
        format!(
            "error: audit entry {id} cannot be undone: bob@example.com has changed since: primary_group is now acme/qa\n\
             hint: pass --force to reverse it anyway\n"
        )
    );
    env.run(&["undo", &id, "--force"]).ok();
    assert_eq!(json(env.run(&["user", "show", "bob", "--format", "json"]).ok())["primary_group"], "everyone");
}

#[test]
fn undo_prints_the_reversal_and_records_what_it_reverts() {
    let env = base();
    env.run(&["user", "edit", "bob", "--last-name", "Builder"]).ok();
    let id = last_id(&env);
    let r = env.run(&["undo", &id.to_string(), "--dry-run"]);
    assert_eq!(r.ok(), "");
    assert_eq!(
        r.stderr,
        format!(
            "would revert entry {id} (user.edit bob@example.com): last_name: Builder → ∅\n\
             would revert entry {id} (user.edit bob@example.com): full_name: Builder → ∅\n\
             would revert entry {id} (user.edit bob@example.com): initials: B → ∅\n\
             dry run: nothing was changed\n"
        )
    );
    assert_eq!(last_id(&env), id);
    let r = env.run(&["undo", &id.to_string()]);
    let change = last_change(&env);
    assert_eq!(
        r.stderr,
        format!(
            "reverted entry {id} (user.edit bob@example.com): last_name: Builder → ∅\n\
             reverted entry {id} (user.edit bob@example.com): full_name: Builder → ∅\n\
             reverted entry {id} (user.edit bob@example.com): initials: B → ∅\n\
             undone as change {change}\n"
        )
    );
    let e = json(env.run(&["audit", "list", "--reverse", "--limit", "1", "--format", "json"]).ok());
    assert_eq!(e[0]["action"], "user.edit");
    assert_eq!(e[0]["actor"], "ada@example.com");
    assert_eq!(e[0]["reverts"], id);
    // The names follow the last name back (full_name and initials are derived).
    assert_eq!(
        e[0]["changes"],
        serde_json::json!({
            "full_name": {"old": "Builder", "new": null},
            "last_name": {"old": "Builder", "new": null},
            "initials": {"old": "B", "new": null}
        })
    );
    assert_eq!(env.query("SELECT coalesce(last_name, 'NULL') FROM users WHERE username = 'bob'"), "NULL");
    // Undone twice: the target is no longer as the entry left it.
    assert_eq!(
        env.run(&["undo", &id.to_string()]).fails(5),
        format!(
            "error: audit entry {id} cannot be undone: bob@example.com has changed since: last_name is now ∅\nhint: pass --force to reverse it anyway\n"
        )
    );
    assert_eq!(
        env.run(&["undo", "999"]).fails(3),
        "error: audit entry 999 not found\nhint: 'acct audit list' shows the entries with their ids and changes\n"
    );
    assert_eq!(
        env.run(&["undo", "--change", "nope"]).fails(3),
        "error: no audit entries belong to the change 'nope'\nhint: 'acct audit list' shows the entries with their ids and changes\n"
    );
    assert!(env.run(&["undo"]).fails(2).starts_with("error: the following required arguments were not provided"));
}

#[test]
fn undo_of_a_whole_import_needs_confirmation_and_is_all_or_nothing() {
    let env = base();
    let before = state(&env);
    std::fs::write(
        env.home().join("i.csv"),
        "email,first_name,role,group\nd1@example.com,Dörte,read-only,eng\nd2@example.com,Dan,helpdesk,\nbob@example.com,,helpdesk,\n",
    )
    .unwrap();
    env.run(&["user", "import", "i.csv", "--no-send", "--if-missing"]).ok();
    let after = state(&env);
    let change = last_change(&env);
    assert_eq!(env.query(&format!("SELECT count(*) FROM audit WHERE change_id = '{change}'")), "2");
    let r = env.run(&["undo", "--change", &change]);
    assert_eq!(r.fails(2), "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n");
    assert_eq!(state(&env), after, "nothing undone without the confirmation");
    let r = env.run(&["undo", "--change", &change, "--dry-run"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr.lines().filter(|l| l.starts_with("would revert entry")).count(), 4, "{}", r.stderr);
    assert_eq!(state(&env), after);
    env.run(&["undo", "--change", &change, "--yes"]).ok();
    assert_eq!(state(&env), before);
    assert_eq!(env.query("SELECT count(*) FROM users WHERE trashed_at IS NOT NULL"), "2", "the new identities went to the trash");
    // Newest first, one change, each naming its entry.
    let undo_change = last_change(&env);
    assert_eq!(
        rows(&env, &format!("SELECT action, target, reverts FROM audit WHERE change_id = '{undo_change}' ORDER BY id")),
        [
            format!("user.remove|d2@example.com|{}", last_id(&env) - 2),
            format!("user.remove|d1@example.com|{}", last_id(&env) - 3),
        ]
    );
    // And back.
    env.run(&["undo", "--change", &undo_change, "--yes"]).ok();
    assert_eq!(state(&env), after);

    // All or nothing: one entry that cannot be reversed stops the whole change.
    env.run(&["undo", "--change", &change, "--yes"]).ok();
    let restore = last_change(&env);
    env.run(&["role", "assign", "d1@example.com", "helpdesk"]).fails(3);
    env.run(&["user", "restore", "d2@example.com"]).ok();
    let snapshot = state(&env);
    let r = env.run(&["undo", "--change", &restore, "--yes"]);
    assert!(r.fails(5).starts_with("error: audit entry"), "{}", r.stderr);
    assert_eq!(state(&env), snapshot);
}

#[test]
fn undo_is_refused_after_a_later_change_unless_forced() {
    let env = base();
    env.run(&["user", "edit", "bob", "--last-name", "Builder"]).ok();
    let id = last_id(&env).to_string();
    env.run(&["user", "edit", "bob", "--last-name", "Baumeister"]).ok();
    let r = env.run(&["undo", &id]);
    assert_eq!(
        r.fails(5),
        format!(
            "error: audit entry {id} cannot be undone: bob@example.com has changed since: last_name is now Baumeister\nhint: pass --force to reverse it anyway\n"
        )
    );
    assert_eq!(env.query("SELECT last_name FROM users WHERE username = 'bob'"), "Baumeister");
    env.run(&["undo", &id, "--force"]).ok();
    assert_eq!(env.query("SELECT coalesce(last_name, 'NULL') FROM users WHERE username = 'bob'"), "NULL");

    env.run(&["role", "assign", "bob", "helpdesk"]).ok();
    let id = last_id(&env).to_string();
    env.run(&["role", "unassign", "bob", "helpdesk"]).ok();
    assert_eq!(
        env.run(&["undo", &id]).fails(5),
        format!(
            "error: audit entry {id} cannot be undone: bob@example.com has changed since: role helpdesk in acme is now not held\nhint: pass --force to reverse it anyway\n"
        )
    );
    env.run(&["user", "add", "eve@example.com", "--role", "read-only", "--no-send"]).ok();
    let id = last_id(&env).to_string();
    env.run(&["role", "assign", "eve", "helpdesk"]).ok();
    assert_eq!(
        env.run(&["undo", &id]).fails(5),
        format!(
            "error: audit entry {id} cannot be undone: eve@example.com has changed since: roles in acme is now [\"helpdesk\",\"read-only\"]\nhint: pass --force to reverse it anyway\n"
        )
    );
    env.run(&["undo", &id, "--force"]).ok();
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'eve'"), "0");
}

#[test]
fn undo_is_decided_by_the_engine_and_can_i_agrees() {
    let env = base();
    add_user(&env, "hal", "acme", &["helpdesk"]);
    add_user(&env, "rita", "acme", &["read-only"]);
    env.run(&["role", "assign", "bob", "auditor"]).ok();
    let id = last_id(&env).to_string();
    // Without audit:read, the entry is not even read.
    let unread = format!("permission denied: undoing audit entry {id} needs 'audit:read' where it was recorded");
    assert_eq!(env.run_as("hal", &["undo", &id]).fails(4), format!("error: {unread}\n"));
    let r = env.run_as("hal", &["can-i", "undo", &id]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert_eq!(r.stderr, format!("reason: {unread}\n"));
    // With it, the reversal is decided as the command that makes it.
    let denied = "permission denied: 'role:assign' is needed in acme (you have user:read role:read group:read audit:read)";
    let r = env.run_as("rita", &["undo", &id]);
    assert_eq!(r.fails(4), format!("error: {denied}\n"));
    let r = env.run_as("rita", &["can-i", "undo", &id]);
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "no\n");
    assert_eq!(r.stderr, format!("reason: {denied}\nrelations: none\n"));
    let r = env.run(&["can-i", "undo", &id]);
    assert_eq!(r.ok(), "yes\n");
    env.run(&["undo", &id]).ok();

    // The only full-admin keeps the role: the invariant holds through undo.
    add_user(&env, "zed", "acme", &[]);
    env.run(&["role", "assign", "zed", "full-admin"]).ok();
    let assigned = last_id(&env).to_string();
    env.run_as("zed", &["role", "unassign", "ada", "full-admin"]).ok();
    let last_admin = "zed@example.com is the last active full-admin of acme";
    assert_eq!(
        env.run_as("zed", &["undo", &assigned]).fails(5),
        format!("error: {last_admin}\nhint: assign full-admin to another active member first\n")
    );
    let r = env.run_as("zed", &["can-i", "undo", &assigned]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert!(r.stderr.starts_with(&format!("reason: {last_admin}\n")), "{}", r.stderr);
    assert_eq!(
        env.query(
            "SELECT count(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'full-admin' AND ur.org_id = 1"
        ),
        "1"
    );

    // Not reversible, and saying why.
    env.run_as("zed", &["group", "create", "qa2"]).ok();
    let created = last_id(&env).to_string();
    let r = env.run_as("zed", &["undo", &created]);
    assert!(r.fails(5).starts_with(&format!(
        "error: audit entry {created} (group.create) cannot be undone: it is not a reversible action\nhint: reversible: "
    )));
    env.run_as("zed", &["user", "add", "fay@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run_as("zed", &["invite", "send", "fay@example.com"]).ok();
    let sent = last_id(&env).to_string();
    assert_eq!(env.query(&format!("SELECT action FROM audit WHERE id = {sent}")), "invite.send");
    assert_eq!(
        env.run_as("zed", &["undo", &sent]).fails(5),
        format!("error: audit entry {sent} (invite.send) cannot be undone: an invitation that was sent cannot be taken back\n")
    );
    let r = env.run_as("zed", &["can-i", "undo", &sent]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert_eq!(
        env.run(&["can-i", "undo", "x"]).fails(2),
        "error: 'can-i undo' needs an audit entry ID\nhint: acct can-i undo ID\n"
    );
}
