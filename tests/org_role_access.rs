//! `acct org`, `acct role` and `acct access` (SPEC §1, §3, §4).

mod common;
mod support;

use common::Env;
use serde_json::json;
use support::*;

fn audit_changes(env: &Env, action: &str) -> Vec<String> {
    rows(
        env,
        &format!(
            "SELECT actor || ' ' || ifnull(org, '-') || ' ' || ifnull(target, '-') || ' ' || changes FROM audit WHERE action = '{action}' ORDER BY id"
        ),
    )
}

// ---------------------------------------------------------------- org

#[test]
fn org_list_and_show() {
    let env = Env::new();
    let at = env.query("SELECT created_at FROM orgs WHERE slug = 'acme'");
    assert_eq!(
        env.run(&["org", "list"]).ok(),
        format!(
            "ID  SLUG  DISPLAY_NAME  SSO    SMS_2FA  MEMBERS_COUNT  CREATED_AT\n1   acme  Acme Corp     false  true     1              {at}\n"
        )
    );
    let expected = json!({"id": 1, "slug": "acme", "display_name": "Acme Corp", "sso": false, "sms_2fa": true, "members_count": 1, "created_at": at});
    assert_eq!(json(env.run(&["org", "list", "--format", "json"]).ok()), json!([expected]));
    assert_eq!(json(env.run(&["org", "show", "--format", "json"]).ok()), expected);
    assert_eq!(json(env.run(&["org", "show", "acme", "--format", "json"]).ok()), expected);
    assert_eq!(
        env.run(&["org", "show"]).ok(),
        format!(
            "id             1\nslug           acme\ndisplay_name   Acme Corp\nsso            false\nsms_2fa        true\nmembers_count  1\ncreated_at     {at}\n"
        )
    );
}

#[test]
fn org_show_of_an_unknown_org_is_not_found() {
    let env = Env::new();
    let r = env.run(&["org", "show", "nope"]);
    assert_eq!(r.fails(3), "error: organization 'nope' not found\n");
    assert_eq!(r.stdout, "");
    assert_eq!(env.run(&["org", "show", "--org", "nope"]).fails(3), "error: organization 'nope' not found\n");
    assert_eq!(env.run_with(&["role", "list"], &[("ACCT_ORG", "nope")], None).fails(3), "error: organization 'nope' not found\n");
    assert_eq!(env.run(&["--org", "nope", "org", "set", "--sso", "on"]).fails(3), "error: organization 'nope' not found\n");
}

#[test]
fn org_create_makes_an_org_with_its_everyone_group() {
    let env = Env::new();
    let audits = env.audit_count();
    let r = env.run(&["org", "create", "beta", "--display-name", "Beta Inc"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "created organization beta with you as its full-admin\n");
    assert_eq!(
        rows(&env, "SELECT slug, display_name, sso, sms_2fa FROM orgs ORDER BY id"),
        ["acme|Acme Corp|0|1", "beta|Beta Inc|0|1"]
    );
    assert_eq!(
        rows(&env, "SELECT o.slug, g.slug FROM groups g JOIN orgs o ON o.id = g.org_id ORDER BY g.id"),
        ["acme|everyone", "beta|everyone"]
    );
    // The creator becomes the new organization's full-admin (an organization
    // always keeps one), recorded as a second entry.
    assert_eq!(env.audit_count(), audits + 2);
    assert_eq!(
        audit_changes(&env, "org.create"),
        [r#"ada@example.com beta beta {"display_name":{"old":null,"new":"Beta Inc"}}"#]
    );
    assert_eq!(
        rows(
            &env,
            "SELECT u.email FROM user_roles ur JOIN users u ON u.id = ur.user_id JOIN orgs o ON o.id = ur.org_id JOIN roles r ON r.id = ur.role_id WHERE o.slug = 'beta' AND r.name = 'full-admin'"
        ),
        ["ada@example.com"]
    );
    // The display name defaults to the slug; a global admin lists every org.
    env.run(&["org", "create", "gamma"]).ok();
    let v = json(env.run(&["org", "list", "--format", "json"]).ok());
    let slugs: Vec<_> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["slug"].clone(), o["display_name"].clone(), o["members_count"].clone()))
        .collect();
    assert_eq!(
        slugs,
        [
            (json!("acme"), json!("Acme Corp"), json!(1)),
            (json!("beta"), json!("Beta Inc"), json!(1)),
            (json!("gamma"), json!("gamma"), json!(1))
        ]
    );
}

#[test]
fn org_create_duplicate_is_a_conflict_and_bad_slug_invalid() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    let before = snapshot(&env);
    assert_eq!(env.run(&["org", "create", "beta"]).fails(5), "error: organization 'beta' already exists\n");
    assert_eq!(
        env.run(&["org", "create", "acme", "--display-name", "X"]).fails(5),
        "error: organization 'acme' already exists\n"
    );
    assert_eq!(
        env.run(&["org", "create", "Beta_2"]).fails(6),
        "error: invalid organization 'Beta_2': must match [a-z0-9][a-z0-9-]{0,62}\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn org_create_needs_global_admin() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &["full-admin"]);
    let before = snapshot(&env);
    let r = env.run_as("bob", &["org", "create", "beta"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: 'global:admin' is needed (global roles are granted with 'acct access grant')\n"
    );
    assert_eq!(snapshot(&env), before);
    // global-read-only is not enough either.
    let bob = env.query("SELECT id FROM users WHERE username = 'bob'").parse().unwrap();
    give_global(&env, bob, "global-read-only");
    assert_eq!(env.run_as("bob", &["org", "create", "beta"]).code, 4);
    assert_eq!(env.query("SELECT count(*) FROM orgs"), "1");
}

#[test]
fn org_list_shows_a_member_only_their_orgs() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    add_user(&env, "bob", "acme", &["read-only"]);
    let v = json(env.run_as("bob", &["org", "list", "--format", "json"]).ok());
    assert_eq!(v.as_array().unwrap().iter().map(|o| o["slug"].clone()).collect::<Vec<_>>(), [json!("acme")]);
    // A global reader sees all.
    let bob = env.query("SELECT id FROM users WHERE username = 'bob'").parse().unwrap();
    give_global(&env, bob, "global-read-only");
    let v = json(env.run_as("bob", &["org", "list", "--format", "json"]).ok());
    assert_eq!(v.as_array().unwrap().len(), 2);
    // A non-member may not show another org.
    add_user(&env, "carl", "acme", &["full-admin"]);
    let r = env.run_as("carl", &["org", "show", "beta"]);
    assert_eq!(r.fails(4), "error: permission denied: 'user:read' is needed in beta (you are not a member of beta)\n");
}

#[test]
fn org_use_writes_org_to_the_config() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    let r = env.run(&["org", "use", "beta"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "now working in beta\n");
    assert!(read(&env.config_path()).contains("org = \"beta\"\n"));
    assert_eq!(env.run(&["config", "get", "org"]).ok(), "beta\n");
    assert_eq!(json(env.run(&["org", "show", "--format", "json"]).ok())["slug"], "beta");

    // Again: the data says that nothing changed.
    let r = env.run(&["org", "use", "beta", "--format", "json"]);
    assert_eq!(r.ok(), "[\n{\"key\":\"org\",\"old\":\"beta\",\"new\":\"beta\",\"changed\":false}\n]\n");
    assert_eq!(r.stderr, "working in beta (unchanged)\n");
    let r = env.run(&["org", "use", "acme", "--format", "json"]);
    assert_eq!(r.ok(), "[\n{\"key\":\"org\",\"old\":\"beta\",\"new\":\"acme\",\"changed\":true}\n]\n");
    assert_eq!(r.stderr, "now working in acme\n");
    let r = env.run(&["org", "use", "beta", "--dry-run", "--format", "jsonl"]);
    assert_eq!(r.ok(), "{\"key\":\"org\",\"old\":\"acme\",\"new\":\"beta\",\"changed\":true}\n");
    assert_eq!(r.stderr, "would work in beta\ndry run: nothing was changed\n");
    assert_eq!(env.run(&["config", "get", "org"]).ok(), "acme\n");
    env.run(&["org", "use", "beta"]).ok();

    let before = read(&env.config_path());
    assert_eq!(env.run(&["org", "use", "nope"]).fails(3), "error: organization 'nope' not found\n");
    assert_eq!(env.run(&["org", "use", "Nope!"]).fails(6).lines().count(), 1);
    assert_eq!(read(&env.config_path()), before);
}

#[test]
fn org_use_needs_access_to_the_org() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    add_user(&env, "bob", "acme", &["full-admin"]);
    env.run(&["config", "set", "actor", "bob"]).ok();
    let before = read(&env.config_path());
    assert_eq!(
        env.run(&["org", "use", "beta"]).fails(4),
        "error: permission denied: 'user:read' is needed in beta (you are not a member of beta)\n"
    );
    assert_eq!(read(&env.config_path()), before);
}

#[test]
fn org_set_policies_and_display_name() {
    let env = Env::new();
    let r = env.run(&["org", "set", "--sso", "on", "--sms-2fa", "disallowed"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "organization: changed sso: off → on\norganization: changed sms_2fa: allowed → disallowed\n");
    assert_eq!(rows(&env, "SELECT sso, sms_2fa FROM orgs"), ["1|0"]);
    let v = json(env.run(&["org", "show", "--format", "json"]).ok());
    assert_eq!((v["sso"].clone(), v["sms_2fa"].clone()), (json!(true), json!(false)));

    let r = env.run(&["org", "set", "--sso", "off", "--display-name", "Acme Ltd"]);
    assert_eq!(r.stderr, "organization: changed display_name: Acme Corp → Acme Ltd\norganization: changed sso: on → off\n");
    assert_eq!(rows(&env, "SELECT display_name, sso, sms_2fa FROM orgs"), ["Acme Ltd|0|0"]);
    env.run(&["org", "set", "--sms-2fa", "allowed"]).ok();
    assert_eq!(rows(&env, "SELECT sso, sms_2fa FROM orgs"), ["0|1"]);

    assert_eq!(
        audit_changes(&env, "org.set"),
        [
            r#"ada@example.com acme acme {"sso":{"old":"off","new":"on"},"sms_2fa":{"old":"allowed","new":"disallowed"}}"#,
            r#"ada@example.com acme acme {"display_name":{"old":"Acme Corp","new":"Acme Ltd"},"sso":{"old":"on","new":"off"}}"#,
            r#"ada@example.com acme acme {"sms_2fa":{"old":"disallowed","new":"allowed"}}"#,
        ]
    );
}

#[test]
fn org_set_without_change_writes_no_audit() {
    let env = Env::new();
    let audits = env.audit_count();
    let r = env.run(&["org", "set", "--sso", "off", "--sms-2fa", "allowed"]);
    r.ok();
    assert_eq!(r.stderr, "organization: nothing changed\n");
    assert_eq!(env.audit_count(), audits);
    assert_eq!(env.run(&["org", "set"]).fails(2), "error: nothing to change\nhint: pass --sso, --sms-2fa or --display-name\n");
    assert_eq!(env.run(&["org", "set", "--sso", "maybe"]).code, 2);
}

#[test]
fn org_set_needs_org_admin() {
    let env = Env::new();
    add_user(&env, "hal", "acme", &["helpdesk"]);
    let before = snapshot(&env);
    assert_eq!(
        env.run_as("hal", &["org", "set", "--sso", "on"]).fails(4),
        "error: permission denied: 'org:admin' is needed in acme (you have user:read user:reset-2fa)\n"
    );
    assert_eq!(snapshot(&env), before);
}

// ---------------------------------------------------------------- role

#[test]
fn role_list_and_show() {
    let env = Env::new();
    let v = json(env.run(&["role", "list", "--format", "json"]).ok());
    assert_eq!(
        v,
        json!([
            {"name": "full-admin", "display_name": "Full Administrator", "scope": "org", "builtin": true, "permissions": ["org:admin"], "holders": 1},
            {"name": "helpdesk", "display_name": "Helpdesk", "scope": "org", "builtin": true, "permissions": ["user:read", "user:reset-2fa"], "holders": 0},
            {"name": "read-only", "display_name": "Read Only", "scope": "org", "builtin": true, "permissions": ["user:read", "role:read", "group:read", "audit:read"], "holders": 0},
        ])
    );
    assert_eq!(
        env.run(&["role", "list"]).ok(),
        "NAME        DISPLAY_NAME        SCOPE  BUILTIN  PERMISSIONS                                HOLDERS\n\
         full-admin  Full Administrator  org    true     org:admin                                  1\n\
         helpdesk    Helpdesk            org    true     user:read;user:reset-2fa                   0\n\
         read-only   Read Only           org    true     user:read;role:read;group:read;audit:read  0\n"
    );
    assert_eq!(
        json(env.run(&["role", "show", "helpdesk", "--format", "json"]).ok()),
        json!({"name": "helpdesk", "display_name": "Helpdesk", "scope": "org", "builtin": true, "permissions": ["user:read", "user:reset-2fa"], "holders": 0})
    );
    assert_eq!(
        env.run(&["role", "show", "nope"]).fails(3),
        "error: role 'nope' not found\nhint: 'acct role list' shows the roles of acme\n"
    );
}

#[test]
fn role_list_needs_role_read() {
    let env = Env::new();
    add_user(&env, "hal", "acme", &["helpdesk"]);
    add_user(&env, "rita", "acme", &["read-only"]);
    assert_eq!(
        env.run_as("hal", &["role", "list"]).fails(4),
        "error: permission denied: 'role:read' is needed in acme (you have user:read user:reset-2fa)\n"
    );
    env.run_as("rita", &["role", "list"]).ok();
}

#[test]
fn role_create_custom_role() {
    let env = Env::new();
    let r = env.run(&[
        "role",
        "create",
        "auditor",
        "--permission",
        "audit:read",
        "--permission",
        "user:read",
        "--display-name",
        "Auditor",
    ]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "created role auditor (user:read audit:read)\n");
    assert_eq!(
        json(env.run(&["role", "show", "auditor", "--format", "json"]).ok()),
        json!({"name": "auditor", "display_name": "Auditor", "scope": "org", "builtin": false, "permissions": ["user:read", "audit:read"], "holders": 0})
    );
    assert_eq!(
        rows(
            &env,
            "SELECT r.name, o.slug, p.permission FROM roles r JOIN orgs o ON o.id = r.org_id JOIN role_permissions p ON p.role_id = r.id ORDER BY 3"
        ),
        ["auditor|acme|audit:read", "auditor|acme|user:read"]
    );
    assert_eq!(
        audit_changes(&env, "role.create"),
        [
            r#"ada@example.com acme auditor {"display_name":{"old":null,"new":"Auditor"},"permissions":{"old":[],"new":["user:read","audit:read"]}}"#
        ]
    );
    // Comma-separated permissions work too; the display name defaults to the name.
    env.run(&["role", "create", "viewer", "--permission", "group:read,role:read"]).ok();
    let v = json(env.run(&["role", "show", "viewer", "--format", "json"]).ok());
    assert_eq!((v["display_name"].clone(), v["permissions"].clone()), (json!("viewer"), json!(["role:read", "group:read"])));
    // Custom roles belong to their organization.
    env.run(&["org", "create", "beta"]).ok();
    assert_eq!(env.run(&["--org", "beta", "role", "show", "auditor"]).code, 3);
}

#[test]
fn role_create_refusals() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    let before = snapshot(&env);
    let r = env.run(&["role", "create", "x", "--permission", "audit:read", "--permission", "nope"]);
    assert_eq!(
        r.fails(6),
        "error: unknown permission 'nope'\nhint: permissions: user:read, user:invite, user:remove, user:export, user:reset-2fa, role:read, role:assign, role:manage, group:read, group:manage, audit:read, org:admin\n"
    );
    assert_eq!(
        env.run(&["role", "create", "auditor", "--permission", "user:read"]).fails(5),
        "error: role 'auditor' already exists\n"
    );
    assert_eq!(
        env.run(&["role", "create", "helpdesk", "--permission", "user:read"]).fails(5),
        "error: 'helpdesk' is a built-in role\n"
    );
    assert_eq!(
        env.run(&["role", "create", "boss", "--permission", "global:admin"]).fails(5),
        "error: a custom role holds organization permissions only\nhint: global roles are managed with 'acct access'\n"
    );
    assert_eq!(env.run(&["role", "create", "Bad Name", "--permission", "user:read"]).code, 6);
    // --permission is required (a usage error from the parser).
    assert_eq!(env.run(&["role", "create", "x"]).code, 2);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_manage_is_needed_to_create_edit_delete() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    add_user(&env, "rita", "acme", &["read-only"]);
    let before = snapshot(&env);
    let denied =
        "error: permission denied: 'role:manage' is needed in acme (you have user:read role:read group:read audit:read)\n";
    assert_eq!(env.run_as("rita", &["role", "create", "x", "--permission", "user:read"]).fails(4), denied);
    assert_eq!(env.run_as("rita", &["role", "edit", "auditor", "--display-name", "A"]).fails(4), denied);
    assert_eq!(env.run_as("rita", &["role", "delete", "auditor", "--yes"]).fails(4), denied);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_edit_custom_role() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read,user:read", "--display-name", "Auditor"]).ok();
    let r = env.run(&[
        "role",
        "edit",
        "auditor",
        "--display-name",
        "Auditors",
        "--add-permission",
        "group:read",
        "--remove-permission",
        "user:read",
    ]);
    assert_eq!(r.ok(), "");
    assert_eq!(
        r.stderr,
        "role auditor: changed display_name: Auditor → Auditors\nrole auditor: changed permissions: [\"user:read\",\"audit:read\"] → [\"group:read\",\"audit:read\"]\n"
    );
    let r = env.run(&["role", "edit", "auditor", "--permission", "role:read"]);
    assert_eq!(r.stderr, "role auditor: changed permissions: [\"group:read\",\"audit:read\"] → [\"role:read\"]\n");
    let v = json(env.run(&["role", "show", "auditor", "--format", "json"]).ok());
    assert_eq!((v["display_name"].clone(), v["permissions"].clone()), (json!("Auditors"), json!(["role:read"])));
    assert_eq!(
        audit_changes(&env, "role.edit"),
        [
            r#"ada@example.com acme auditor {"display_name":{"old":"Auditor","new":"Auditors"},"permissions":{"old":["user:read","audit:read"],"new":["group:read","audit:read"]}}"#,
            r#"ada@example.com acme auditor {"permissions":{"old":["group:read","audit:read"],"new":["role:read"]}}"#,
        ]
    );
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["role", "edit", "auditor", "--remove-permission", "role:read"]).fails(5),
        "error: a role needs at least one permission\n"
    );
    assert_eq!(env.run(&["role", "edit", "auditor", "--add-permission", "bogus"]).code, 6);
    assert_eq!(
        env.run(&["role", "edit", "auditor"]).fails(2),
        "error: nothing to change\nhint: pass --display-name, --permission, --add-permission or --remove-permission\n"
    );
    assert_eq!(env.run(&["role", "edit", "ghost", "--display-name", "G"]).code, 3);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn builtin_roles_cannot_be_edited_or_deleted() {
    let env = Env::new();
    let before = snapshot(&env);
    for role in ["full-admin", "read-only", "helpdesk"] {
        let msg = format!("error: '{role}' is a built-in role and cannot be changed\n");
        assert_eq!(env.run(&["role", "edit", role, "--display-name", "X"]).fails(5), msg);
        assert_eq!(env.run(&["role", "edit", role, "--add-permission", "audit:read"]).fails(5), msg);
        assert_eq!(env.run(&["role", "delete", role, "--yes"]).fails(5), msg);
    }
    assert_eq!(
        env.run(&["role", "delete", "global-admin", "--yes"]).fails(5),
        "error: 'global-admin' is a built-in role and cannot be changed\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_delete_needs_confirmation_without_a_terminal() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    let before = snapshot(&env);
    let r = env.run(&["role", "delete", "auditor"]);
    assert_eq!(r.fails(2), "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n");
    assert_eq!(snapshot(&env), before);
    let r = env.run(&["role", "delete", "auditor", "--yes"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "deleted role auditor\n");
    assert_eq!(env.query("SELECT count(*) FROM roles WHERE name = 'auditor'"), "0");
    assert_eq!(
        env.query("SELECT count(*) FROM role_permissions p LEFT JOIN roles r ON r.id = p.role_id WHERE r.id IS NULL"),
        "0"
    );
    assert_eq!(audit_changes(&env, "role.delete"), ["ada@example.com acme auditor {}"]);
    // -y works as well.
    env.run(&["role", "create", "tmp", "--permission", "audit:read"]).ok();
    env.run(&["role", "delete", "tmp", "-y"]).ok();
    assert_eq!(
        env.run(&["role", "delete", "tmp", "-y"]).fails(3),
        "error: role 'tmp' not found\nhint: 'acct role list' shows the roles of acme\n"
    );
}

#[test]
fn role_delete_of_a_held_role_is_a_conflict() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    add_user(&env, "bob", "acme", &["auditor"]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["role", "delete", "auditor", "--yes"]).fails(5),
        "error: role 'auditor' is held by 1 user(s)\nhint: unassign it first; 'acct user list --role auditor' shows who holds it\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_assign_and_unassign() {
    let env = Env::new();
    let bob = add_user(&env, "bob", "acme", &[]);
    let r = env.run(&["role", "assign", "bob", "read-only", "helpdesk"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "assigned read-only to bob\nassigned helpdesk to bob\n");
    let held = |env: &Env| {
        rows(
            env,
            &format!("SELECT r.name FROM user_roles x JOIN roles r ON r.id = x.role_id WHERE x.user_id = {bob} ORDER BY r.name"),
        )
    };
    assert_eq!(held(&env), ["helpdesk", "read-only"]);
    let audits = env.audit_count();
    let r = env.run(&["role", "assign", "bob@example.com", "read-only"]);
    assert_eq!(r.stderr, "bob@example.com already holds read-only (unchanged)\n");
    assert_eq!(env.audit_count(), audits);

    let r = env.run(&["role", "unassign", &bob.to_string(), "helpdesk"]);
    assert_eq!(r.stderr, format!("unassigned helpdesk from {bob}\n"));
    assert_eq!(held(&env), ["read-only"]);
    let r = env.run(&["role", "unassign", "bob", "helpdesk"]);
    assert_eq!(r.stderr, "bob does not hold helpdesk (unchanged)\n");
    assert_eq!(
        audit_changes(&env, "role.assign"),
        [
            r#"ada@example.com acme bob@example.com {"role":{"old":null,"new":"read-only"}}"#,
            r#"ada@example.com acme bob@example.com {"role":{"old":null,"new":"helpdesk"}}"#,
        ]
    );
    assert_eq!(
        audit_changes(&env, "role.unassign"),
        [r#"ada@example.com acme bob@example.com {"role":{"old":"helpdesk","new":null}}"#]
    );
}

#[test]
fn role_assign_is_all_or_nothing() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["role", "assign", "bob", "read-only", "nope"]).fails(3),
        "error: role 'nope' not found\nhint: 'acct role list' shows the roles\n"
    );
    assert_eq!(env.run(&["role", "assign", "ghost", "read-only"]).fails(3), "error: user 'ghost' not found\n");
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_assign_to_a_non_member_is_not_found() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    add_user(&env, "bea", "beta", &[]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["role", "assign", "bea", "read-only"]).fails(3),
        "error: bea@example.com is not a member of acme\nhint: add them with 'acct user add bea@example.com'\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn assigning_a_global_role_points_to_access_grant() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    let before = snapshot(&env);
    for role in ["global-admin", "global-read-only"] {
        assert_eq!(
            env.run(&["role", "assign", "bob", role]).fails(5),
            format!("error: '{role}' is a global role and cannot be assigned with 'acct role'\nhint: use 'acct access grant'\n")
        );
    }
    assert_eq!(
        env.run(&["role", "unassign", "ada", "global-admin"]).fails(5),
        "error: 'global-admin' is a global role and cannot be assigned with 'acct role'\nhint: use 'acct access grant'\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn role_assign_cannot_escalate_privileges() {
    let env = Env::new();
    env.run(&["role", "create", "assigner", "--permission", "role:assign"]).ok();
    add_user(&env, "hal", "acme", &["helpdesk", "assigner"]);
    add_user(&env, "bob", "acme", &[]);
    let before = snapshot(&env);
    let r = env.run_as("hal", &["role", "assign", "bob", "full-admin"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: assigning 'full-admin' would grant user:invite user:remove user:export role:read role:manage group:read group:manage audit:read org:admin in acme, which you do not hold\n"
    );
    assert_eq!(env.run_as("hal", &["role", "assign", "hal", "full-admin"]).code, 4);
    assert_eq!(
        env.run_as("hal", &["role", "assign", "bob", "read-only"]).fails(4),
        "error: permission denied: assigning 'read-only' would grant role:read group:read audit:read in acme, which you do not hold\n"
    );
    assert_eq!(snapshot(&env), before);
    // Roles within what hal holds are fine.
    env.run_as("hal", &["role", "assign", "bob", "helpdesk"]).ok();
    assert_eq!(
        audit_changes(&env, "role.assign"),
        [r#"hal@example.com acme bob@example.com {"role":{"old":null,"new":"helpdesk"}}"#]
    );
    // Without role:assign nothing at all.
    add_user(&env, "rita", "acme", &["read-only"]);
    assert_eq!(
        env.run_as("rita", &["role", "assign", "bob", "read-only"]).fails(4),
        "error: permission denied: 'role:assign' is needed in acme (you have user:read role:read group:read audit:read)\n"
    );
}

#[test]
fn the_last_full_admin_cannot_be_unassigned() {
    let env = Env::new();
    // An inactive full-admin does not count.
    add_user_with(&env, "old", "acme", &["full-admin"], "inactive", "everyone");
    let before = snapshot(&env);
    let r = env.run(&["role", "unassign", "ada", "full-admin"]);
    assert_eq!(
        r.fails(5),
        "error: ada@example.com is the last active full-admin of acme\nhint: assign full-admin to another active member first\n"
    );
    assert_eq!(snapshot(&env), before);
    // All-or-nothing: an earlier role in the same command is not unassigned either.
    env.run(&["role", "assign", "ada", "helpdesk"]).ok();
    let before = snapshot(&env);
    assert_eq!(env.run(&["role", "unassign", "ada", "helpdesk", "full-admin"]).code, 5);
    assert_eq!(snapshot(&env), before);
    // With another active full-admin it works.
    add_user(&env, "bob", "acme", &[]);
    env.run(&["role", "assign", "bob", "full-admin"]).ok();
    let r = env.run(&["role", "unassign", "ada", "full-admin"]);
    assert_eq!(r.stderr, "unassigned full-admin from ada\n");
    assert_eq!(env.run_as("bob", &["role", "unassign", "bob", "full-admin"]).code, 5);
}

// ---------------------------------------------------------------- access

#[test]
fn access_list_grant_revoke() {
    let env = Env::new();
    let bob = add_user(&env, "bob", "acme", &[]);
    assert_eq!(
        json(env.run(&["access", "list", "--format", "json"]).ok()),
        json!([{"id": 1, "email": "ada@example.com", "role": ["global-admin"]}])
    );
    let r = env.run(&["access", "grant", "bob", "global-read-only"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "granted global-read-only to bob\n");
    assert_eq!(
        json(env.run(&["access", "list", "--format", "json"]).ok()),
        json!([{"id": 1, "email": "ada@example.com", "role": ["global-admin"]}, {"id": bob, "email": "bob@example.com", "role": ["global-read-only"]}])
    );
    assert_eq!(
        env.run(&["access", "list"]).ok(),
        format!("ID  EMAIL            ROLE\n1   ada@example.com  global-admin\n{bob}   bob@example.com  global-read-only\n")
    );
    let audits = env.audit_count();
    assert_eq!(
        env.run(&["access", "grant", "bob", "global-read-only"]).stderr,
        "bob already holds global-read-only (unchanged)\n"
    );
    assert_eq!(env.audit_count(), audits);
    let r = env.run(&["access", "revoke", "bob", "global-read-only"]);
    assert_eq!(r.stderr, "revoked global-read-only from bob\n");
    assert_eq!(env.query(&format!("SELECT count(*) FROM global_roles WHERE user_id = {bob}")), "0");
    assert_eq!(
        env.run(&["access", "revoke", "bob", "global-read-only"]).stderr,
        "bob does not hold global-read-only (unchanged)\n"
    );
    assert_eq!(
        audit_changes(&env, "access.grant"),
        [r#"ada@example.com - bob@example.com {"global_role":{"old":null,"new":"global-read-only"}}"#]
    );
    assert_eq!(
        audit_changes(&env, "access.revoke"),
        [r#"ada@example.com - bob@example.com {"global_role":{"old":"global-read-only","new":null}}"#]
    );
}

#[test]
fn access_refusals() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &[]);
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["access", "grant", "bob", "helpdesk"]).fails(5),
        "error: 'helpdesk' is an organization role\nhint: use 'acct role assign'\n"
    );
    assert_eq!(env.run(&["access", "grant", "ghost", "global-admin"]).fails(3), "error: user 'ghost' not found\n");
    assert_eq!(
        env.run(&["access", "grant", "bob", "nope"]).fails(3),
        "error: role 'nope' not found\nhint: 'acct role list' shows the roles\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn access_needs_global_admin() {
    let env = Env::new();
    let bob = add_user(&env, "bob", "acme", &["full-admin"]);
    add_user(&env, "carl", "acme", &[]);
    let before = snapshot(&env);
    let need_admin = "error: permission denied: 'global:admin' is needed (global roles are granted with 'acct access grant')\n";
    assert_eq!(env.run_as("bob", &["access", "grant", "carl", "global-read-only"]).fails(4), need_admin);
    assert_eq!(env.run_as("bob", &["access", "grant", "bob", "global-admin"]).fails(4), need_admin);
    assert_eq!(env.run_as("bob", &["access", "revoke", "ada", "global-admin"]).fails(4), need_admin);
    let err = env.run_as("bob", &["access", "list"]).fails(4).to_string();
    assert!(err.starts_with("error: permission denied: 'global:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(snapshot(&env), before);
    // A global reader may not grant.
    give_global(&env, bob, "global-read-only");
    assert_eq!(env.run_as("bob", &["access", "grant", "carl", "global-read-only"]).fails(4), need_admin);
    assert_eq!(env.run_as("bob", &["access", "revoke", "ada", "global-admin"]).fails(4), need_admin);
}

#[test]
fn access_list_needs_global_admin() {
    // SPEC §4: "`acct access grant USER ROLE` / `revoke` / `list` — global
    // roles; requires `global:admin`." A global-read-only user gets the list.
    let env = Env::new();
    let bob = add_user(&env, "bob", "acme", &[]);
    give_global(&env, bob, "global-read-only");
    assert_eq!(
        env.run_as("bob", &["access", "list"]).fails(4),
        "error: permission denied: 'global:admin' is needed (global roles are granted with 'acct access grant')\n"
    );
}

#[test]
fn the_last_global_admin_cannot_be_revoked() {
    let env = Env::new();
    let old = add_user_with(&env, "old", "acme", &[], "inactive", "everyone");
    give_global(&env, old, "global-admin");
    let before = snapshot(&env);
    assert_eq!(
        env.run(&["access", "revoke", "ada", "global-admin"]).fails(5),
        "error: ada@example.com is the last active global-admin\nhint: grant global-admin to another active user first\n"
    );
    assert_eq!(snapshot(&env), before);
    add_user(&env, "bob", "acme", &[]);
    env.run(&["access", "grant", "bob", "global-admin"]).ok();
    let r = env.run(&["access", "revoke", "ada", "global-admin"]);
    assert_eq!(r.stderr, "revoked global-admin from ada\n");
    assert_eq!(
        env.run_as("bob", &["access", "revoke", "bob", "global-admin"]).fails(5),
        "error: bob@example.com is the last active global-admin\nhint: grant global-admin to another active user first\n"
    );
}
