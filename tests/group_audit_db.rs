//! `acct group`, `acct audit` and `acct db` (SPEC §4).

mod common;
mod support;

use common::Env;
use serde_json::json;
use support::*;

fn members(env: &Env, table: &str, group: &str) -> Vec<String> {
    rows(
        env,
        &format!(
            "SELECT u.username FROM {table} x JOIN users u ON u.id = x.user_id JOIN groups g ON g.id = x.group_id WHERE g.slug = '{group}' ORDER BY 1"
        ),
    )
}

// ---------------------------------------------------------------- group

#[test]
fn group_list_show_create() {
    let env = Env::new();
    let at = env.query("SELECT created_at FROM groups WHERE slug = 'everyone'");
    assert_eq!(
        json(env.run(&["group", "list", "--format", "json"]).ok()),
        json!([{"slug": "everyone", "display_name": "Everyone", "primary_members_count": 1, "members_count": 0, "managers_count": 0, "created_at": at}])
    );
    let r = env.run(&["group", "create", "eng", "--display-name", "Engineering"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "created group eng\n");
    assert_eq!(
        rows(&env, "SELECT o.slug, g.slug, g.display_name FROM groups g JOIN orgs o ON o.id = g.org_id ORDER BY g.id"),
        ["acme|everyone|Everyone", "acme|eng|Engineering"]
    );
    let eng_at = env.query("SELECT created_at FROM groups WHERE slug = 'eng'");
    assert_eq!(
        json(env.run(&["group", "show", "eng", "--format", "json"]).ok()),
        json!({"slug": "eng", "display_name": "Engineering", "managers": [], "primary_members": [], "members": [], "created_at": eng_at})
    );
    assert_eq!(
        json(env.run(&["group", "show", "everyone", "--format", "json"]).ok()),
        json!({"slug": "everyone", "display_name": "Everyone", "managers": [], "primary_members": ["ada@example.com"], "members": [], "created_at": at})
    );
    env.run(&["group", "create", "ops"]).ok();
    assert_eq!(json(env.run(&["group", "show", "ops", "--format", "json"]).ok())["display_name"], "ops");
    assert_eq!(
        env.run(&["group", "list"]).ok(),
        format!(
            "SLUG      DISPLAY_NAME  PRIMARY_MEMBERS_COUNT  MEMBERS_COUNT  MANAGERS_COUNT  CREATED_AT\n\
             eng       Engineering   0                      0              0               {eng_at}\n\
             everyone  Everyone      1                      0              0               {at}\n\
             ops       ops           0                      0              0               {}\n",
            env.query("SELECT created_at FROM groups WHERE slug = 'ops'")
        )
    );
    assert_eq!(
        rows(&env, "SELECT actor, org, action, target, changes FROM audit WHERE action LIKE 'group.%' ORDER BY id"),
        [
            r#"ada@example.com|acme|group.create|eng|{"display_name":{"old":null,"new":"Engineering"}}"#,
            r#"ada@example.com|acme|group.create|ops|{"display_name":{"old":null,"new":"ops"}}"#,
        ]
    );
}

#[test]
fn group_refusals() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "rita", "acme", &["read-only"]);
    add_user(&env, "nora", "acme", &[]);
    let before = snapshot(&env);
    assert_eq!(env.run(&["group", "create", "eng"]).fails(5), "error: group 'eng' already exists\n");
    assert_eq!(env.run(&["group", "create", "Eng Team"]).fails(6).lines().count(), 1);
    assert_eq!(
        env.run(&["group", "show", "nope"]).fails(3),
        "error: group 'nope' not found in acme\nhint: 'acct group list' shows the groups\n"
    );
    assert_eq!(env.run(&["group", "delete", "nope", "--yes"]).code, 3);
    assert_eq!(env.run(&["group", "add-member", "nope", "rita"]).code, 3);
    let denied =
        "error: permission denied: 'group:manage' is needed in acme (you have user:read role:read group:read audit:read)\n";
    assert_eq!(env.run_as("rita", &["group", "create", "ops"]).fails(4), denied);
    assert_eq!(env.run_as("rita", &["group", "delete", "eng", "--yes"]).fails(4), denied);
    assert_eq!(env.run_as("rita", &["group", "add-member", "eng", "nora"]).fails(4), denied);
    assert_eq!(env.run_as("rita", &["group", "add-manager", "eng", "rita"]).fails(4), denied);
    assert_eq!(
        env.run_as("nora", &["group", "list"]).fails(4),
        "error: permission denied: 'group:read' is needed in acme (you have no role in acme; ask an administrator)\n"
    );
    env.run_as("rita", &["group", "show", "eng"]).ok();
    assert_eq!(snapshot(&env), before);
}

#[test]
fn group_managers_and_members() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "bob", "acme", &[]);
    add_user(&env, "carl", "acme", &[]);

    let r = env.run(&["group", "add-manager", "eng", "ada", "bob"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "ada is now a manager of eng\nbob is now a manager of eng\n");
    assert_eq!(members(&env, "group_managers", "eng"), ["ada", "bob"]);
    let r = env.run(&["group", "add-member", "eng", "bob@example.com", "carl"]);
    assert_eq!(r.stderr, "bob@example.com is now a member of eng\ncarl is now a member of eng\n");
    assert_eq!(members(&env, "group_members", "eng"), ["bob", "carl"]);
    assert_eq!(
        json(env.run(&["group", "show", "eng", "--format", "json"]).ok())["managers"],
        json!(["ada@example.com", "bob@example.com"])
    );
    assert_eq!(json(env.run(&["group", "list", "--format", "json"]).ok())[0]["members_count"], 2);

    let audits = env.audit_count();
    let r = env.run(&["group", "add-member", "eng", "carl"]);
    assert_eq!(r.stderr, "carl already is a member of eng (unchanged)\n");
    assert_eq!(env.audit_count(), audits);

    let r = env.run(&["group", "remove-manager", "eng", "bob"]);
    assert_eq!(r.stderr, "bob is no longer a manager of eng\n");
    let r = env.run(&["group", "remove-member", "eng", "carl"]);
    assert_eq!(r.stderr, "carl is no longer a member of eng\n");
    let r = env.run(&["group", "remove-member", "eng", "carl"]);
    assert_eq!(r.stderr, "carl was not a member of eng (unchanged)\n");
    assert_eq!(members(&env, "group_managers", "eng"), ["ada"]);
    assert_eq!(members(&env, "group_members", "eng"), ["bob"]);
    assert_eq!(
        rows(&env, "SELECT action, target, changes FROM audit WHERE action LIKE 'group.%-%' ORDER BY id"),
        [
            r#"group.add-manager|ada@example.com|{"manager_of":{"old":null,"new":"acme/eng"}}"#,
            r#"group.add-manager|bob@example.com|{"manager_of":{"old":null,"new":"acme/eng"}}"#,
            r#"group.add-member|bob@example.com|{"member_of":{"old":null,"new":"acme/eng"}}"#,
            r#"group.add-member|carl@example.com|{"member_of":{"old":null,"new":"acme/eng"}}"#,
            r#"group.remove-manager|bob@example.com|{"manager_of":{"old":"acme/eng","new":null}}"#,
            r#"group.remove-member|carl@example.com|{"member_of":{"old":"acme/eng","new":null}}"#,
        ]
    );
}

#[test]
fn adding_a_member_to_their_primary_group_is_a_conflict() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["group", "add-member", "everyone", "bob"]).fails(5),
        "error: 'everyone' is already the primary group of bob@example.com\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn group_people_of_another_org_are_not_found() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "bea", "beta", &[]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["group", "add-member", "eng", "bea"]).fails(3),
        "error: bea@example.com is not a member of acme\nhint: add them with 'acct user add bea@example.com'\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn keep_going_applies_the_good_targets_and_exits_7() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "bob", "acme", &[]);
    let audits = env.audit_count();
    let r = env.run(&["group", "add-member", "eng", "ghost", "bob", "--keep-going"]);
    assert_eq!(
        r.fails(7),
        "bob is now a member of eng\nwarning: ghost: user 'ghost' not found\nerror: 1 of 2 targets failed; the others were applied\n"
    );
    assert_eq!(r.stdout, "");
    assert_eq!(members(&env, "group_members", "eng"), ["bob"]);
    assert_eq!(env.audit_count(), audits + 1);

    let r = env.run(&["group", "add-manager", "eng", "bob", "ghost", "--keep-going"]);
    r.fails(7);
    assert_eq!(members(&env, "group_managers", "eng"), ["bob"]);
}

#[test]
fn without_keep_going_nothing_is_applied() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "bob", "acme", &[]);
    add_user(&env, "carl", "acme", &[]);
    let before = snapshot(&env);
    let r = env.run(&["group", "add-member", "eng", "bob", "ghost", "carl"]);
    assert_eq!(r.fails(3), "error: user 'ghost' not found\n");
    assert_eq!(snapshot(&env), before);
    assert_eq!(env.run(&["group", "add-manager", "eng", "bob", "ghost"]).code, 3);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn everyone_cannot_be_deleted() {
    let env = Env::new();
    let before = snapshot(&env);
    for args in [&["group", "delete", "everyone", "--yes"][..], &["group", "delete", "everyone"][..]] {
        let err = env.run(args).fails(5).to_string();
        assert_eq!(err.lines().next(), Some("error: group 'everyone' cannot be deleted: it is the organization's default group"));
    }
    assert_eq!(snapshot(&env), before);
}

#[test]
fn a_primary_group_cannot_be_deleted() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user_with(&env, "bob", "acme", &[], "active", "eng");
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["group", "delete", "eng", "--yes"]).fails(5),
        "error: group 'eng' cannot be deleted: it is the primary group of 1 user(s)\nhint: move them first: 'acct user list --group eng' lists them, 'acct user edit USER --primary-group G' moves one\n"
    );
    assert_eq!(snapshot(&env), before);
    // The conflict is reported before asking for confirmation.
    assert_eq!(env.run(&["group", "delete", "eng"]).code, 5);
}

#[test]
fn group_delete_needs_confirmation_and_removes_people() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    add_user(&env, "bob", "acme", &[]);
    env.run(&["group", "add-member", "eng", "bob"]).ok();
    env.run(&["group", "add-manager", "eng", "ada"]).ok();
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["group", "delete", "eng"]).fails(2),
        "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n"
    );
    assert_eq!(snapshot(&env), before);
    let r = env.run(&["group", "delete", "eng", "--yes"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "deleted group eng\n");
    assert_eq!(rows(&env, "SELECT slug FROM groups"), ["everyone"]);
    assert_eq!(env.query("SELECT count(*) FROM group_members"), "0");
    assert_eq!(env.query("SELECT count(*) FROM group_managers"), "0");
    assert_eq!(rows(&env, "SELECT action, target FROM audit ORDER BY id DESC LIMIT 1"), ["group.delete|eng"]);
}

// ---------------------------------------------------------------- audit

/// A history: ada sets up, bob (full-admin) acts on carl.
fn history() -> Env {
    let env = Env::new();
    add_user(&env, "bob", "acme", &["full-admin"]);
    add_user(&env, "carl", "acme", &[]);
    env.run(&["org", "set", "--sso", "on"]).ok(); // 2
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok(); // 3
    env.run(&["role", "assign", "carl", "auditor"]).ok(); // 4
    env.run_as("bob", &["group", "create", "eng"]).ok(); // 5
    env.run_as("bob", &["group", "add-member", "eng", "carl"]).ok(); // 6
    env.run_as("bob", &["role", "unassign", "carl", "auditor"]).ok(); // 7
    env
}

fn ids(v: &serde_json::Value) -> Vec<i64> {
    v.as_array().expect("array").iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

fn audit_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let mut a = vec!["audit", "list", "--format", "json"];
    a.extend_from_slice(args);
    json(env.run(&a).ok())
}

#[test]
fn audit_lists_every_mutation_with_its_changes() {
    let env = history();
    let v = audit_json(&env, &[]);
    let at = |i: usize| v[i]["at"].clone();
    // One change per invocation: seven commands, seven change ids.
    let ch = |i: usize| v[i]["change"].clone();
    assert_eq!(
        v,
        json!([
            {"id": 1, "at": at(0), "change": ch(0), "reverts": null, "actor": "init", "org": "acme", "action": "init", "target": "ada@example.com",
             "changes": {"org": {"old": null, "new": "acme"}, "roles": {"old": [], "new": ["full-admin", "global-admin"]}}},
            {"id": 2, "at": at(1), "change": ch(1), "reverts": null, "actor": "ada@example.com", "org": "acme", "action": "org.set", "target": "acme",
             "changes": {"sso": {"old": "off", "new": "on"}}},
            {"id": 3, "at": at(2), "change": ch(2), "reverts": null, "actor": "ada@example.com", "org": "acme", "action": "role.create", "target": "auditor",
             "changes": {"display_name": {"old": null, "new": "auditor"}, "permissions": {"old": [], "new": ["audit:read"]}}},
            {"id": 4, "at": at(3), "change": ch(3), "reverts": null, "actor": "ada@example.com", "org": "acme", "action": "role.assign", "target": "carl@example.com",
             "changes": {"role": {"old": null, "new": "auditor"}}},
            {"id": 5, "at": at(4), "change": ch(4), "reverts": null, "actor": "bob@example.com", "org": "acme", "action": "group.create", "target": "eng",
             "changes": {"display_name": {"old": null, "new": "eng"}}},
            {"id": 6, "at": at(5), "change": ch(5), "reverts": null, "actor": "bob@example.com", "org": "acme", "action": "group.add-member", "target": "carl@example.com",
             "changes": {"member_of": {"old": null, "new": "acme/eng"}}},
            {"id": 7, "at": at(6), "change": ch(6), "reverts": null, "actor": "bob@example.com", "org": "acme", "action": "role.unassign", "target": "carl@example.com",
             "changes": {"role": {"old": "auditor", "new": null}}},
        ])
    );
    let changes: std::collections::HashSet<&str> = (0..7).map(|i| v[i]["change"].as_str().unwrap()).collect();
    assert_eq!(changes.len(), 7, "{v}");
    for c in &changes {
        assert!(c.len() == 12 && c.bytes().all(|b| b.is_ascii_hexdigit()), "{c}");
    }
    for i in 0..7 {
        let t = v[i]["at"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'), "{t}");
    }
}

#[test]
fn audit_filters() {
    let env = history();
    assert_eq!(ids(&audit_json(&env, &["--actor", "bob"])), [5, 6, 7]);
    assert_eq!(ids(&audit_json(&env, &["--actor", "ada@example.com"])), [2, 3, 4]);
    assert_eq!(ids(&audit_json(&env, &["--target", "carl@example.com"])), [4, 6, 7]);
    assert_eq!(ids(&audit_json(&env, &["--target", "ada"])), [1]);
    assert_eq!(ids(&audit_json(&env, &["--actor", "bob", "--target", "carl"])), [6, 7]);
    assert_eq!(ids(&audit_json(&env, &["--action", "role.assign"])), [4]);
    assert_eq!(ids(&audit_json(&env, &["--action", "role"])), [3, 4, 7]);
    assert_eq!(ids(&audit_json(&env, &["--action", "role."])), [3, 4, 7]);
    assert_eq!(ids(&audit_json(&env, &["--action", "group"])), [5, 6]);
    assert_eq!(ids(&audit_json(&env, &["--action", "rol"])), Vec::<i64>::new());
    assert_eq!(ids(&audit_json(&env, &["--limit", "2"])), [6, 7]);
    assert_eq!(ids(&audit_json(&env, &["--action", "role", "--limit", "1"])), [7]);
    assert_eq!(ids(&audit_json(&env, &["--limit", "0"])), Vec::<i64>::new());
    assert_eq!(env.run(&["audit", "list", "--actor", "ghost"]).fails(3), "error: user 'ghost' not found\n");
}

#[test]
fn audit_time_filters() {
    let env = history();
    // Old times set by hand, with the numeric time acct keeps beside them
    // (schema version 7; lifecycle.rs writes such times with faketime).
    env.exec("UPDATE audit SET at = '2020-01-01T00:00:00Z', at_unix = 1577836800 WHERE id = 1", &[]);
    env.exec("UPDATE audit SET at = '2021-06-01T12:00:00Z', at_unix = 1622548800 WHERE id = 2", &[]);
    assert_eq!(ids(&audit_json(&env, &["--until", "2021-01-01"])), [1]);
    assert_eq!(ids(&audit_json(&env, &["--since", "2020-06-01", "--until", "2022-01-01"])), [2]);
    assert_eq!(ids(&audit_json(&env, &["--since", "2021-06-01T12:00:00Z", "--until", "2021-06-01T12:00:01Z"])), [2]);
    assert_eq!(ids(&audit_json(&env, &["--since", "2021-06-01T14:00:00+02:00", "--until", "2021-06-01T12:00:01Z"])), [2]);
    assert_eq!(ids(&audit_json(&env, &["--until", "2021-06-01T12:00:00Z"])), [1]);
    assert_eq!(ids(&audit_json(&env, &["--since", "1d"])), [3, 4, 5, 6, 7]);
    assert_eq!(ids(&audit_json(&env, &["--since", "2w", "--until", "2021-01-01"])), Vec::<i64>::new());
    assert_eq!(ids(&audit_json(&env, &["--since", "2000-01-01"])), [1, 2, 3, 4, 5, 6, 7]);
    for bad in ["yesterday", "7x", "2021-13-01"] {
        assert_eq!(
            env.run(&["audit", "list", "--since", bad]).fails(2),
            format!(
                "error: invalid time '{bad}'\nhint: use RFC 3339 (2026-11-01T09:00:00Z), a date (2026-11-01) or an age (30m, 12h, 7d)\n"
            )
        );
    }
}

#[test]
fn audit_needs_audit_read() {
    let env = history();
    add_user(&env, "hal", "acme", &["helpdesk"]);
    add_user(&env, "rita", "acme", &["read-only"]);
    let r = env.run_as("hal", &["audit", "list"]);
    assert_eq!(r.fails(4), "error: permission denied: 'audit:read' is needed in acme (you have user:read user:reset-2fa)\n");
    assert_eq!(r.stdout, "");
    assert_eq!(ids(&json(env.run_as("rita", &["audit", "list", "--format", "json"]).ok())).len(), 7);
}

#[test]
fn audit_formats() {
    let env = history();
    let v = audit_json(&env, &["--limit", "2"]);
    // jsonl: one object per line, the same objects.
    let out = env.run(&["audit", "list", "--format", "jsonl", "--limit", "2"]).ok().to_string();
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    assert_eq!(serde_json::Value::Array(lines), v);
    assert!(out.ends_with("}\n"));
    // csv: a header row, CRLF, the changes summarised as text.
    let out = env.run(&["audit", "list", "--format", "csv", "--limit", "2"]).ok().to_string();
    assert_eq!(
        out,
        format!(
            "id,at,actor,org,action,target,changes,change,reverts\r\n\
             6,{},bob@example.com,acme,group.add-member,carl@example.com,member_of: ∅ → acme/eng,{},\r\n\
             7,{},bob@example.com,acme,role.unassign,carl@example.com,role: auditor → ∅,{},\r\n",
            v[0]["at"].as_str().unwrap(),
            v[0]["change"].as_str().unwrap(),
            v[1]["at"].as_str().unwrap(),
            v[1]["change"].as_str().unwrap()
        )
    );
    // tsv and the plain table.
    let out = env.run(&["audit", "list", "--format", "tsv", "--limit", "1"]).ok().to_string();
    assert_eq!(
        out,
        format!(
            "id\tat\tactor\torg\taction\ttarget\tchanges\tchange\treverts\n7\t{}\tbob@example.com\tacme\trole.unassign\tcarl@example.com\trole: auditor → ∅\t{}\t\n",
            v[1]["at"].as_str().unwrap(),
            v[1]["change"].as_str().unwrap()
        )
    );
    let out = env.run(&["audit", "list", "--limit", "1"]).ok().to_string();
    assert_eq!(
        out,
        format!(
            "ID  AT{}  ACTOR            ORG   ACTION         TARGET            CHANGES            CHANGE        REVERTS\n\
             7   {}  bob@example.com  acme  role.unassign  carl@example.com  role: auditor → ∅  {}\n",
            " ".repeat(18),
            v[1]["at"].as_str().unwrap(),
            v[1]["change"].as_str().unwrap()
        )
    );
    // Nothing found: an empty array, no rows.
    assert_eq!(env.run(&["audit", "list", "--format", "json", "--action", "nothing"]).ok(), "[]\n");
    assert_eq!(env.run(&["audit", "list", "--format", "jsonl", "--action", "nothing"]).ok(), "");
    assert_eq!(
        env.run(&["audit", "list", "--format", "csv", "--action", "nothing"]).ok(),
        "id,at,actor,org,action,target,changes,change,reverts\r\n"
    );
}

#[test]
fn audit_shows_org_creation_and_global_role_changes() {
    // SPEC §4: every successful mutation writes an audit entry (time, actor,
    // org, action, target, changes) and `acct audit list` lists them. An
    // organization's creation is recorded in the new organization (with its
    // creator becoming full-admin there); global-role changes belong to no
    // organization and are shown to global readers in every organization.
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["access", "grant", "bob", "global-read-only"]).ok();
    env.run(&["access", "revoke", "bob", "global-read-only"]).ok();
    assert_eq!(env.audit_count(), 5);
    let actions = |args: &[&str]| -> Vec<String> {
        audit_json(&env, args).as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(actions(&[]), ["init", "access.grant", "access.revoke"]);
    assert_eq!(actions(&["--org", "beta"]), ["org.create", "user.add", "access.grant", "access.revoke"]);
}

#[test]
fn audit_action_filter_matches_an_exact_action_without_a_dot() {
    // `--action A` takes an action or a family; `init` is an action (the
    // first entry of every database) but is searched as `init.%` only.
    let env = Env::new();
    assert_eq!(ids(&audit_json(&env, &["--action", "init"])), [1]);
}

// ---------------------------------------------------------------- db

#[test]
fn db_backup_makes_a_private_copy_that_opens() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    let dest = env.home().join("backup.db");
    let r = env.run(&["db", "backup", dest.to_str().unwrap()]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, format!("backed up to {}\n", dest.display()));
    assert_eq!(mode(&dest), 0o600);
    let c = rusqlite::Connection::open(&dest).unwrap();
    let n: i64 = c.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2);
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    drop(c);
    // The copy is a working acct database.
    let v = json(env.run(&["--db", dest.to_str().unwrap(), "org", "show", "--format", "json"]).ok());
    assert_eq!(v["display_name"], "Acme Corp");
    env.run(&["--db", dest.to_str().unwrap(), "db", "check"]).ok();
}

#[test]
fn db_backup_gives_the_file_it_wrote_as_data() {
    let env = Env::new();
    // A relative FILE is given back as the absolute path written.
    let r = env.run(&["db", "backup", "b.db", "--format", "json"]);
    let path = env.home().join("b.db").display().to_string();
    assert_eq!(r.ok(), format!("{{\n  \"path\": {},\n  \"changed\": true\n}}\n", serde_json::json!(path)));
    assert_eq!(r.stderr, "backed up to b.db\n");
    assert!(env.home().join("b.db").is_file());
    let r = env.run(&["db", "backup", "c.db", "--dry-run", "--format", "csv"]);
    assert_eq!(r.ok(), format!("path,changed\r\n{},true\r\n", env.home().join("c.db").display()));
    assert!(!env.home().join("c.db").exists());
    // An existing file without --force: the conflict, and no data.
    let r = env.run(&["db", "backup", "b.db", "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (5, ""));
}

#[test]
fn db_backup_refuses_an_existing_target() {
    let env = Env::new();
    let dest = env.home().join("backup.db");
    std::fs::write(&dest, "precious").unwrap();
    assert_eq!(
        env.run(&["db", "backup", dest.to_str().unwrap()]).fails(5),
        // The hint says --force exists (issue 17.12).
        format!("error: {} already exists\nhint: choose a new file name, or pass --force to replace it\n", dest.display())
    );
    assert_eq!(read(&dest), "precious");
}

#[test]
fn db_check_and_migrate_on_a_fresh_database() {
    let env = Env::new();
    let r = env.run(&["db", "check"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "ok: integrity, foreign keys and the audit chain (1 entries)\n");
    let r = env.run(&["db", "migrate"]);
    assert_eq!(r.ok(), "");
    // Version 10: member counts kept as deltas, folded at commit (PostgreSQL).
    assert_eq!(r.stderr, "schema version 10: up to date\n");
    assert_eq!(schema_version(&env), "10");
    if !env.on_postgres() {
        assert_eq!(env.query("PRAGMA application_id"), 0x6163_6374.to_string());
        assert_eq!(env.query("PRAGMA journal_mode"), "wal");
    } else {
        assert_eq!(env.query("SELECT value FROM acct_meta WHERE key = 'application'"), "acct");
    }
}

#[test]
fn db_check_reports_a_broken_foreign_key() {
    if common::sqlite_only("a broken foreign key needs foreign_keys = OFF; PostgreSQL enforces them always") {
        return;
    }
    let env = Env::new();
    let db = env.db();
    db.execute_batch("PRAGMA foreign_keys = OFF; INSERT INTO group_members (group_id, user_id) VALUES (999, 1);").unwrap();
    drop(db);
    let r = env.run(&["db", "check"]);
    assert_eq!(r.fails(1), "error: the database has 1 problem(s)\nhint: restore from a backup made with 'acct db backup'\n");
    // The problems are the command's result: data on stdout, in every format.
    assert_eq!(r.stdout, "PROBLEM\nforeign key: group_members row 0 refers to a missing groups\n");
    let r = env.run(&["db", "check", "--format", "json"]);
    assert_eq!(json(&r.stdout), serde_json::json!([{"problem": "foreign key: group_members row 0 refers to a missing groups"}]));
}

#[test]
fn a_garbage_file_is_not_an_acct_database() {
    let env = Env::new();
    let garbage = env.home().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    for args in [&["org", "list"][..], &["db", "check"][..], &["db", "migrate"][..], &["group", "create", "x"][..]] {
        let mut a = vec!["--db", garbage.to_str().unwrap()];
        a.extend_from_slice(args);
        let r = env.run(&a);
        assert_eq!(
            r.fails(1),
            format!(
                "error: {} is not an acct database (not SQLite)\nhint: name the right file with --db or ACCT_DB\n",
                garbage.display()
            ),
            "{args:?}"
        );
    }
    assert_eq!(std::fs::read(&garbage).unwrap(), vec![0x42u8; 8192]);
    // Another program's SQLite database is refused as well.
    let other = env.home().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    assert_eq!(
        env.run(&["--db", other.to_str().unwrap(), "org", "list"]).fails(1),
        format!("error: {} is not an acct database\nhint: name the right file with --db or ACCT_DB\n", other.display())
    );
    // A missing file is not created.
    let missing = env.home().join("missing.db");
    assert_eq!(
        env.run(&["--db", missing.to_str().unwrap(), "org", "list"]).fails(1),
        format!(
            "error: no database at {}\nhint: create one with 'acct init --org SLUG --admin EMAIL', or name another with --db\n",
            missing.display()
        )
    );
    assert!(!missing.exists());
}

#[test]
fn a_foreign_sqlite_file_is_left_untouched() {
    // `connect` runs `PRAGMA journal_mode = WAL` before `identify` checks the
    // application_id, so `acct --db their.db ...` permanently changes the
    // journal mode of a file it then says is not its own.
    let env = Env::new();
    let other = env.home().join("other.db");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    env.run(&["--db", other.to_str().unwrap(), "org", "list"]).fails(1);
    let mode: String = rusqlite::Connection::open(&other).unwrap().query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, "delete");
}

#[test]
fn a_newer_schema_is_refused() {
    let env = Env::new();
    match env.on_postgres() {
        true => assert_eq!(env.exec("UPDATE acct_meta SET value = '99' WHERE key = 'schema_version'", &[]), 1),
        false => env.db().pragma_update(None, "user_version", 99).unwrap(),
    }
    let expected = format!(
        "error: the database {} has schema version 99, newer than this acct knows (10)\nhint: upgrade acct to a version that knows this schema\n",
        env.shown_location()
    );
    for args in [&["org", "list"][..], &["db", "migrate"][..], &["db", "check"][..], &["whoami"][..]] {
        assert_eq!(env.run(args).fails(1), expected, "{args:?}");
    }
    assert_eq!(schema_version(&env), "99");
}

/// The schema version the database records: SQLite's `user_version`, or
/// `acct_meta` on PostgreSQL.
fn schema_version(env: &Env) -> String {
    match env.on_postgres() {
        true => env.query("SELECT value FROM acct_meta WHERE key = 'schema_version'"),
        false => env.query("PRAGMA user_version"),
    }
}

#[test]
fn a_database_readable_by_others_gets_a_warning() {
    if common::sqlite_only("file modes of the database") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    std::fs::set_permissions(env.db_path(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = env.run(&["org", "list", "--format", "jsonl"]);
    r.ok();
    let p = env.db_path().display().to_string();
    assert_eq!(r.stderr, format!("warning: the database {p} is accessible to other users (mode 644); run: chmod 600 {p}\n"));
}
