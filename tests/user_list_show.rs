//! `acct user list` and `acct user show`.

mod common;
use common::Env;
use serde_json::json;

/// ada (full-admin, active), bob (read-only, active, TOTP, primary group eng),
/// carol (helpdesk, invited, SMS, additional group eng), dave (helpdesk and
/// read-only, inactive).
fn fixture() -> Env {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&[
        "user",
        "add",
        "bob@example.com",
        "--role",
        "read-only",
        "--first-name",
        "Bob",
        "--last-name",
        "Smith",
        "--no-send",
    ])
    .ok();
    env.run(&[
        "user",
        "add",
        "carol@example.com",
        "--role",
        "helpdesk",
        "--first-name",
        "Carol",
        "--last-name",
        "Jones",
        "--no-send",
    ])
    .ok();
    env.run(&[
        "user",
        "add",
        "dave@example.com",
        "--role",
        "helpdesk",
        "--role",
        "read-only",
        "--first-name",
        "Dave",
        "--last-name",
        "Adams",
        "--no-send",
    ])
    .ok();
    env.activate("bob@example.com");
    env.activate("dave@example.com");
    env.run(&["user", "edit", "dave", "--active", "false"]).ok();
    env.run(&["user", "edit", "bob", "--primary-group", "eng"]).ok();
    env.run(&["user", "edit", "carol", "--add-group", "eng"]).ok();
    env.exec("UPDATE users SET two_factor = 'app' WHERE username = 'bob'", &[]);
    env.exec("UPDATE users SET two_factor = 'sms' WHERE username = 'carol'", &[]);
    env
}

fn csv(env: &Env, args: &[&str]) -> String {
    let mut a = vec!["user", "list", "--format", "csv"];
    a.extend_from_slice(args);
    let run = env.run(&a);
    // An empty result says so on stderr (SPEC §4), nothing else is said.
    let empty = run.stdout.lines().count() <= 1;
    assert_eq!(run.stderr, if empty { "no members match\n" } else { "" }, "{args:?}");
    run.ok().replace("\r\n", "\n")
}

/// The first column of a CSV list, header dropped.
fn emails(env: &Env, args: &[&str]) -> Vec<String> {
    let mut a = vec!["--columns", "email"];
    a.extend_from_slice(args);
    csv(env, &a).lines().skip(1).map(str::to_string).collect()
}

#[test]
fn the_default_columns_in_their_order_as_a_plain_table() {
    let env = fixture();
    let run = env.run(&["user", "list"]);
    assert_eq!(
        run.ok(),
        "EMAIL              FIRST_NAME  LAST_NAME  ROLE                TWO_FACTOR  STATUS\n\
         ada@example.com                           full-admin          none        active\n\
         bob@example.com    Bob         Smith      read-only           app         active\n\
         carol@example.com  Carol       Jones      helpdesk            sms         invited\n\
         dave@example.com   Dave        Adams      helpdesk;read-only  none        inactive\n"
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn the_default_columns_as_csv_hide_the_id() {
    let env = fixture();
    assert_eq!(
        csv(&env, &[]),
        "email,first_name,last_name,role,two_factor,status\n\
         ada@example.com,,,full-admin,none,active\n\
         bob@example.com,Bob,Smith,read-only,app,active\n\
         carol@example.com,Carol,Jones,helpdesk,sms,invited\n\
         dave@example.com,Dave,Adams,helpdesk;read-only,none,inactive\n"
    );
}

#[test]
fn columns_in_the_given_order() {
    let env = fixture();
    assert_eq!(
        csv(&env, &["--columns", "status,id,username,primary_group,groups"]),
        "status,id,username,primary_group,groups\n\
         active,1,ada,everyone,\n\
         active,2,bob,eng,\n\
         invited,3,carol,everyone,eng\n\
         inactive,4,dave,everyone,\n"
    );
    // Dashes and the aliases are accepted.
    assert_eq!(
        csv(&env, &["--columns", "user-id,2fa,roles", "--status", "active"]),
        "id,two_factor,role\n1,none,full-admin\n2,app,read-only\n"
    );
}

#[test]
fn unknown_columns_are_a_usage_error() {
    let env = fixture();
    let run = env.run(&["user", "list", "--columns", "email,bogus"]);
    assert_eq!(
        run.fails(2),
        "error: unknown column 'bogus'\nhint: columns: id, email, username, first_name, last_name, full_name, initials, role, two_factor, status, phone, timezone, notify, robot, active, sso_disabled, sms_auto_send, require_2fa, organization, primary_group, groups, created_at, updated_at\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn all_columns_are_every_field() {
    let env = fixture();
    let out = csv(&env, &["--all-columns", "--search", "bob"]);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "id,email,username,first_name,last_name,full_name,initials,role,two_factor,status,phone,timezone,notify,robot,active,\
         sso_disabled,sms_auto_send,require_2fa,organization,primary_group,groups,created_at,updated_at"
    );
    let created = env.query("SELECT created_at FROM users WHERE username = 'bob'");
    let updated = env.query("SELECT updated_at FROM users WHERE username = 'bob'");
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "2,bob@example.com,bob,Bob,Smith,Bob Smith,BS,read-only,app,active,,,true,false,true,false,false,false,acme,eng,,{created},{updated}"
        )
    );
    assert_eq!(lines.next(), None);
    let run = env.run(&["user", "list", "--all-columns", "--columns", "email"]);
    run.fails(2);
}

#[test]
fn sort_by_one_or_several_keys() {
    let env = fixture();
    assert_eq!(emails(&env, &[]), ["ada@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]);
    assert_eq!(
        emails(&env, &["--sort", "last_name"]),
        ["ada@example.com", "dave@example.com", "carol@example.com", "bob@example.com"]
    );
    assert_eq!(
        emails(&env, &["--sort", "first_name:desc"]),
        ["dave@example.com", "carol@example.com", "bob@example.com", "ada@example.com"]
    );
    assert_eq!(
        emails(&env, &["--sort", "id:desc"]),
        ["dave@example.com", "carol@example.com", "bob@example.com", "ada@example.com"]
    );
    assert_eq!(
        emails(&env, &["--sort", "status", "--sort", "email:desc"]),
        ["bob@example.com", "ada@example.com", "dave@example.com", "carol@example.com"]
    );
    assert_eq!(
        emails(&env, &["--sort", "role:asc"]),
        ["ada@example.com", "carol@example.com", "dave@example.com", "bob@example.com"]
    );
    assert_eq!(
        emails(&env, &["--sort", "two_factor", "--sort", "last_name:desc"]),
        ["bob@example.com", "dave@example.com", "ada@example.com", "carol@example.com"]
    );
    // A column that is not shown can still be the sort key.
    assert_eq!(
        csv(&env, &["--columns", "username", "--sort", "primary_group:desc", "--sort", "id:desc"]),
        "username\ndave\ncarol\nada\nbob\n"
    );
}

#[test]
fn bad_sort_keys_are_usage_errors() {
    let env = fixture();
    let run = env.run(&["user", "list", "--sort", "bogus"]);
    assert!(run.fails(2).starts_with("error: cannot sort by 'bogus': no such column\nhint: columns: id, email,"), "{run:?}");
    let run = env.run(&["user", "list", "--sort", "email:up"]);
    assert_eq!(run.fails(2), "error: invalid sort direction 'up': use :asc or :desc\n");
}

#[test]
fn filters() {
    let env = fixture();
    assert_eq!(emails(&env, &["--status", "active"]), ["ada@example.com", "bob@example.com"]);
    assert_eq!(emails(&env, &["--status", "invited"]), ["carol@example.com"]);
    assert_eq!(emails(&env, &["--status", "inactive"]), ["dave@example.com"]);
    assert_eq!(emails(&env, &["--role", "helpdesk"]), ["carol@example.com", "dave@example.com"]);
    assert_eq!(emails(&env, &["--role", "full-admin"]), ["ada@example.com"]);
    assert_eq!(emails(&env, &["--group", "eng"]), ["bob@example.com", "carol@example.com"]);
    assert_eq!(emails(&env, &["--group", "everyone"]), ["ada@example.com", "carol@example.com", "dave@example.com"]);
    assert_eq!(emails(&env, &["--two-factor", "app"]), ["bob@example.com"]);
    assert_eq!(emails(&env, &["--two-factor", "none"]), ["ada@example.com", "dave@example.com"]);
    assert_eq!(emails(&env, &["--search", "JONES"]), ["carol@example.com"]);
    assert_eq!(emails(&env, &["--search", "ave"]), ["dave@example.com"]);
    assert_eq!(emails(&env, &["--search", "@EXAMPLE"]).len(), 4);
    assert!(emails(&env, &["--search", "%"]).is_empty(), "% is a literal");
    assert!(emails(&env, &["--search", "b_b"]).is_empty(), "_ is a literal");
    assert_eq!(emails(&env, &["--role", "helpdesk", "--status", "inactive", "--search", "adams"]), ["dave@example.com"]);
    assert_eq!(
        csv(&env, &["--status", "inactive", "--role", "full-admin"]),
        "email,first_name,last_name,role,two_factor,status\n"
    );
}

#[test]
fn bad_filters() {
    let env = fixture();
    assert_eq!(
        env.run(&["user", "list", "--status", "bogus"]).fails(2),
        "error: invalid status 'bogus': use invited, active, inactive or removed\n"
    );
    assert_eq!(
        env.run(&["user", "list", "--two-factor", "x"]).fails(2),
        "error: invalid 2FA method 'x': use none, email, sms or app\n"
    );
    assert_eq!(
        env.run(&["user", "list", "--role", "nope"]).fails(3),
        "error: role 'nope' not found\nhint: 'acct role list' shows the roles of acme\n"
    );
    assert_eq!(
        env.run(&["user", "list", "--group", "nope"]).fails(3),
        "error: group 'nope' not found in acme\nhint: 'acct group list' shows the groups\n"
    );
}

#[test]
fn json_and_jsonl_carry_every_column_with_null_for_unset() {
    let env = fixture();
    let run =
        env.run(&["user", "list", "--format", "json", "--columns", "id,email,phone,role,groups,notify", "--status", "invited"]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(
        v,
        json!([{"id": 3, "email": "carol@example.com", "phone": null, "role": ["helpdesk"], "groups": ["eng"], "notify": true}])
    );
    let run = env.run(&["user", "list", "--format", "jsonl", "--columns", "email,first_name"]);
    let lines: Vec<serde_json::Value> = run.ok().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], json!({"email": "ada@example.com", "first_name": null}));
    assert_eq!(lines[3], json!({"email": "dave@example.com", "first_name": "Dave"}));
    assert_eq!(env.run(&["user", "list", "--format", "json", "--search", "nobody"]).ok(), "[]\n");
}

#[test]
fn tsv_list() {
    let env = fixture();
    let run = env.run(&["user", "list", "--format", "tsv", "--columns", "email,role", "--role", "helpdesk"]);
    assert_eq!(run.ok(), "email\trole\ncarol@example.com\thelpdesk\ndave@example.com\thelpdesk;read-only\n");
}

/// 105 more users in one command.
fn many() -> Env {
    let env = Env::new();
    let addrs: Vec<String> = (1..=105).map(|i| format!("user{i:03}@example.com")).collect();
    let mut args: Vec<&str> = vec!["user", "add", "--role", "read-only", "--no-send", "-q"];
    args.extend(addrs.iter().map(String::as_str));
    env.run(&args).ok();
    assert_eq!(env.query("SELECT count(*) FROM users"), "106");
    env
}

#[test]
fn a_table_shows_100_rows_and_says_how_many_were_left_out() {
    let env = many();
    let run = env.run(&["user", "list", "--columns", "email"]);
    let lines: Vec<&str> = run.ok().lines().collect();
    assert_eq!(lines.len(), 101, "header and 100 rows");
    assert_eq!(lines[0], "EMAIL");
    assert_eq!(lines[1], "ada@example.com");
    assert_eq!(lines[100], "user099@example.com");
    assert_eq!(run.stderr, "showing 100 of 106 users (6 left out); use --all or --limit N to see more\n");

    let run = env.run(&["user", "list", "--columns", "email", "--all"]);
    assert_eq!(run.ok().lines().count(), 107);
    assert_eq!(run.stderr, "");

    let run = env.run(&["user", "list", "--columns", "email", "--limit", "3"]);
    assert_eq!(run.ok(), "EMAIL\nada@example.com\nuser001@example.com\nuser002@example.com\n");
    assert_eq!(run.stderr, "showing 3 of 106 users (103 left out); use --all or --limit N to see more\n");

    let run = env.run(&["user", "list", "--columns", "email", "--limit", "2", "--offset", "104"]);
    assert_eq!(run.ok(), "EMAIL\nuser104@example.com\nuser105@example.com\n");
    // Rows skipped by --offset are not "left out" (issue 17.11).
    assert_eq!(run.stderr, "showing users 105–106 of 106 (the last ones)\n");

    let run = env.run(&["user", "list", "--columns", "email", "--offset", "103", "--all"]);
    assert_eq!(run.ok(), "EMAIL\nuser103@example.com\nuser104@example.com\nuser105@example.com\n");
    assert_eq!(run.stderr, "showing users 104–106 of 106 (the last ones)\n");

    let run = env.run(&["user", "list", "--columns", "email", "--limit", "2", "--offset", "10"]);
    assert_eq!(run.ok(), "EMAIL\nuser010@example.com\nuser011@example.com\n");
    assert_eq!(run.stderr, "showing users 11–12 of 106 (94 more after these); use --all or --limit N to see more\n");

    let run = env.run(&["user", "list", "--columns", "email", "--offset", "150"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "no members past offset 150: 106 match\n");

    // The note counts what matches the filters.
    let run = env.run(&["user", "list", "--columns", "email", "--limit", "1", "--search", "user10"]);
    assert_eq!(run.ok(), "EMAIL\nuser100@example.com\n");
    assert_eq!(run.stderr, "showing 1 of 6 users (5 left out); use --all or --limit N to see more\n");
}

#[test]
fn machine_formats_return_every_row_unless_limited() {
    let env = many();
    for format in ["csv", "tsv", "jsonl"] {
        let run = env.run(&["user", "list", "--columns", "email", "--format", format]);
        assert_eq!(run.ok().lines().count(), if format == "jsonl" { 106 } else { 107 }, "{format}");
        assert_eq!(run.stderr, "", "{format}");
    }
    let run = env.run(&["user", "list", "--format", "json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(run.ok()).unwrap().as_array().unwrap().len(), 106);
    assert_eq!(run.stderr, "");

    let run = env.run(&["user", "list", "--columns", "email", "--format", "csv", "--limit", "2"]);
    assert_eq!(run.ok(), "email\r\nada@example.com\r\nuser001@example.com\r\n");
    assert_eq!(run.stderr, "showing 2 of 106 users (104 left out)\n");

    let run = env.run(&["user", "list", "--columns", "email", "--format", "csv", "--offset", "105"]);
    assert_eq!(run.ok(), "email\r\nuser105@example.com\r\n");
    assert_eq!(run.stderr, "showing users 106–106 of 106 (the last ones)\n");
}

#[test]
fn configured_columns_are_used_and_flags_win() {
    let env = fixture();
    env.run(&["config", "set", "list.columns", "email,id"]).ok();
    assert_eq!(env.run(&["config", "get", "list.columns"]).ok(), "email,id\n");
    assert_eq!(csv(&env, &[]), "email,id\nada@example.com,1\nbob@example.com,2\ncarol@example.com,3\ndave@example.com,4\n");
    assert_eq!(
        env.run(&["user", "list", "--status", "active"]).ok(),
        "EMAIL            ID\nada@example.com  1\nbob@example.com  2\n"
    );
    assert_eq!(csv(&env, &["--columns", "username", "--status", "active"]), "username\nada\nbob\n");
    assert_eq!(csv(&env, &["--all-columns", "--status", "active"]).lines().next().unwrap().split(',').count(), 23);
    env.run(&["config", "unset", "list.columns"]).ok();
    assert_eq!(csv(&env, &["--status", "active"]).lines().next().unwrap(), "email,first_name,last_name,role,two_factor,status");
}

#[test]
fn choose_columns_needs_a_terminal() {
    let env = fixture();
    let run = env.run(&["user", "list", "--choose-columns"]);
    assert_eq!(
        run.fails(2),
        "error: --choose-columns needs a terminal\nhint: use --columns C,... or 'acct config set list.columns C,...'\n"
    );
    assert!(!std::fs::read_to_string(env.config_path()).unwrap().contains("columns"), "nothing saved");
}

#[test]
fn listing_needs_user_read() {
    let env = fixture();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["user", "add", "eve@example.com", "--role", "auditor", "--no-send"]).ok();
    env.activate("eve@example.com");
    let run = env.run_as("eve", &["user", "list"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:read' is needed in acme (you have audit:read)\n");
    assert_eq!(run.stdout, "");
    // Read-only holds user:read.
    let run = env.run_as("bob", &["user", "list", "--format", "csv", "--columns", "email", "--limit", "1"]);
    assert_eq!(run.ok(), "email\r\nada@example.com\r\n");
    // Another organization's members are not listed.
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "zed@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    assert_eq!(emails(&env, &["--search", "zed"]), Vec::<String>::new());
    let run = env.run(&["user", "list", "--org", "beta", "--format", "csv", "--columns", "email"]);
    assert_eq!(run.ok(), "email\r\nada@example.com\r\nzed@example.com\r\n", "the creator of beta is its full-admin");
}

#[test]
fn show_prints_every_field() {
    let env = fixture();
    env.run(&["user", "edit", "carol", "--timezone", "Europe/Berlin", "--initials", "CJ", "--notify", "false"]).ok();
    let created = env.query("SELECT created_at FROM users WHERE username = 'carol'");
    let updated = env.query("SELECT updated_at FROM users WHERE username = 'carol'");
    let run = env.run(&["user", "show", "carol"]);
    assert_eq!(
        run.ok(),
        format!(
            "id             3\n\
             email          carol@example.com\n\
             username       carol\n\
             first_name     Carol\n\
             last_name      Jones\n\
             full_name      Carol Jones\n\
             initials       CJ\n\
             role           helpdesk\n\
             two_factor     sms\n\
             status         invited\n\
             phone\n\
             timezone       Europe/Berlin\n\
             notify         false\n\
             robot          false\n\
             active         true\n\
             sso_disabled   false\n\
             sms_auto_send  false\n\
             require_2fa    false\n\
             organization   acme\n\
             primary_group  everyone\n\
             groups         eng\n\
             created_at     {created}\n\
             updated_at     {updated}\n\
             global_roles\n\
             organizations  acme\n\
             removed_at\n\
             purge_at\n\
             invitation     open (delivery pending; sent never; expires -)\n"
        )
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn show_as_json_carries_every_field_with_null_for_unset() {
    let env = fixture();
    let run = env.run(&["user", "show", "carol@example.com", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    let created = env.query("SELECT created_at FROM users WHERE username = 'carol'");
    let updated = env.query("SELECT updated_at FROM users WHERE username = 'carol'");
    let inv_created = env.query("SELECT created_at FROM invitations WHERE user_id = 3");
    assert_eq!(
        v,
        json!({
            "id": 3,
            "email": "carol@example.com",
            "username": "carol",
            "first_name": "Carol",
            "last_name": "Jones",
            "full_name": "Carol Jones",
            "initials": "CJ",
            "role": ["helpdesk"],
            "two_factor": "sms",
            "status": "invited",
            "phone": null,
            "timezone": null,
            "notify": true,
            "robot": false,
            "active": true,
            "sso_disabled": false,
            "sms_auto_send": false,
            "require_2fa": false,
            "organization": "acme",
            "primary_group": "everyone",
            "groups": ["eng"],
            "created_at": created,
            "updated_at": updated,
            "global_roles": [],
            "organizations": ["acme"],
            "removed_at": null,
            "purge_at": null,
            "invitation": {
                "state": "open", "org": "acme", "delivery": "pending", "error": null,
                "created_at": inv_created, "sent_at": null, "expires_at": null
            }
        })
    );
    // Every section 1 field is a key.
    for k in [
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "full_name",
        "initials",
        "phone",
        "timezone",
        "notify",
        "robot",
        "active",
        "sso_disabled",
        "sms_auto_send",
        "require_2fa",
        "status",
        "two_factor",
        "primary_group",
        "groups",
        "created_at",
        "updated_at",
        "organization",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
}

#[test]
fn show_the_first_admin_global_roles_and_no_invitation() {
    let env = fixture();
    let v: serde_json::Value = serde_json::from_str(env.run(&["user", "show", "1", "--format", "json"]).ok()).unwrap();
    assert_eq!(v["email"], "ada@example.com");
    assert_eq!(v["role"], json!(["full-admin"]));
    assert_eq!(v["global_roles"], json!(["global-admin"]));
    assert_eq!(v["invitation"], serde_json::Value::Null);
    assert_eq!(v["first_name"], serde_json::Value::Null);
    assert_eq!(v["status"], "active");
}

#[test]
fn show_a_sent_invitation_and_memberships_in_two_orgs() {
    let env = fixture();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["group", "create", "ops", "--org", "beta"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--org", "beta"]).ok();
    env.run(&["user", "edit", "bob", "--add-group", "beta/ops"]).ok();
    env.run(&["user", "add", "fay@example.com", "--role", "read-only"]).ok();
    let v: serde_json::Value = serde_json::from_str(env.run(&["user", "show", "bob", "--format", "json"]).ok()).unwrap();
    assert_eq!(v["role"], json!(["read-only"]));
    assert_eq!(v["organizations"], json!(["acme", "beta"]));
    assert_eq!(v["groups"], json!(["beta/ops"]));
    assert_eq!(v["primary_group"], "eng");
    let v: serde_json::Value =
        serde_json::from_str(env.run(&["user", "show", "bob", "--org", "beta", "--format", "json"]).ok()).unwrap();
    assert_eq!(v["role"], json!(["helpdesk"]));
    assert_eq!(v["groups"], json!(["ops"]));
    let v: serde_json::Value = serde_json::from_str(env.run(&["user", "show", "fay", "--format", "json"]).ok()).unwrap();
    let sent = env.query("SELECT sent_at FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.username = 'fay'");
    let expires = env.query("SELECT expires_at FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.username = 'fay'");
    assert_eq!(v["invitation"]["state"], "open");
    assert_eq!(v["invitation"]["delivery"], "sent");
    assert_eq!(v["invitation"]["sent_at"], sent.as_str());
    assert_eq!(v["invitation"]["expires_at"], expires.as_str());
    let run = env.run(&["user", "show", "fay"]);
    assert!(
        run.ok().lines().any(|l| l == format!("invitation     open (delivery sent; sent {sent}; expires {expires})")),
        "{}",
        run.stdout
    );
}

#[test]
fn show_finds_users_by_id_email_or_username() {
    let env = fixture();
    for who in ["2", "bob", "bob@example.com", "BOB@EXAMPLE.COM"] {
        let v: serde_json::Value = serde_json::from_str(env.run(&["user", "show", who, "--format", "json"]).ok()).unwrap();
        assert_eq!(v["id"], 2, "{who}");
    }
    assert_eq!(env.run(&["user", "show", "nobody"]).fails(3), "error: user 'nobody' not found\n");
    assert_eq!(env.run(&["user", "show", "999"]).fails(3), "error: user '999' not found\n");
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "zed@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    assert_eq!(
        env.run(&["user", "show", "zed"]).fails(3),
        "error: zed@example.com is not a member of acme\nhint: add them with 'acct user add zed@example.com'\n"
    );
}

#[test]
fn show_needs_user_read_except_for_oneself() {
    let env = fixture();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["user", "add", "eve@example.com", "--role", "auditor", "--no-send"]).ok();
    env.activate("eve@example.com");
    let run = env.run_as("eve", &["user", "show", "bob"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:read' is needed in acme (you have audit:read)\n");
    let run = env.run_as("eve", &["user", "show", "eve", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(run.ok()).unwrap();
    assert_eq!(v["role"], json!(["auditor"]));
}

#[test]
fn search_is_case_insensitive_beyond_ascii() {
    let env = Env::new();
    env.run(&[
        "user",
        "add",
        "z@example.com",
        "--role",
        "read-only",
        "--first-name",
        "Zoë",
        "--last-name",
        "Łukasiewicz",
        "--no-send",
    ])
    .ok();
    assert_eq!(emails(&env, &["--search", "łukasiewicz"]), ["z@example.com"]);
    assert_eq!(emails(&env, &["--search", "ZOË"]), ["z@example.com"]);
}

#[test]
fn search_matches_unicode_names_as_written() {
    let env = Env::new();
    env.run(&[
        "user",
        "add",
        "z@example.com",
        "--role",
        "read-only",
        "--first-name",
        "Zoë",
        "--last-name",
        "Łukasiewicz",
        "--no-send",
    ])
    .ok();
    assert_eq!(emails(&env, &["--search", "Łukas"]), ["z@example.com"]);
    assert_eq!(emails(&env, &["--search", "zoë"]), ["z@example.com"]);
}

#[test]
fn errors_are_also_json_with_a_json_format() {
    let env = Env::new();
    let run = env.run(&["user", "show", "nobody", "--format", "json"]);
    let err = run.fails(3);
    let mut lines = err.lines();
    assert_eq!(lines.next(), Some("error: user 'nobody' not found"));
    let v: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(v["error"]["kind"], "not_found");
    assert_eq!(v["error"]["message"], "user 'nobody' not found");
    assert_eq!(v["error"]["exit"], 3);
    assert_eq!(lines.next(), None);
}

#[test]
fn json_lists_carry_every_field_unless_columns_are_named() {
    let env = Env::new();
    env.run(&["config", "set", "list.columns", "email"]).ok();
    let v: serde_json::Value = serde_json::from_str(env.run(&["user", "list", "--format", "json"]).ok()).unwrap();
    let keys: Vec<&str> = v[0].as_object().unwrap().keys().map(String::as_str).collect();
    let all: Vec<&str> = acct::Column::ALL.iter().map(|c| c.name()).collect();
    assert_eq!(keys, all);
    assert_eq!(v[0]["id"], 1);
    assert_eq!(v[0]["phone"], serde_json::Value::Null);
    let line = env.run(&["user", "list", "--format", "jsonl", "--columns", "id,email"]).ok().to_string();
    assert_eq!(line, "{\"id\":1,\"email\":\"ada@example.com\"}\n");
    assert_eq!(env.run(&["user", "list", "--format", "csv"]).ok(), "email\r\nada@example.com\r\n");
}

/// `user show` decides as the record `user edit` opens does: the user
/// themself, a manager of their primary group, or `user:read` — and anyone
/// else, existing or not, gets the same denial.
#[test]
fn a_manager_without_user_read_is_shown_the_members_of_their_group_only() {
    let env = fixture();
    let mia = env.run(&["user", "add", "mia@example.com", "--role", "read-only", "--no-send"]);
    mia.ok();
    env.activate("mia@example.com");
    env.run(&["role", "unassign", "mia", "read-only"]).ok();
    env.run(&["group", "add-manager", "eng", "mia"]).ok();
    let bob = env.run_as("mia@example.com", &["user", "show", "bob", "--format", "json"]);
    let shown: serde_json::Value = serde_json::from_str(bob.ok()).expect("json");
    assert_eq!(shown["email"], json!("bob@example.com"));
    let denial = "error: permission denied: 'user:read' is needed in acme (you have no role in acme; ask an administrator)\n";
    for other in ["carol", "ghost@example.com"] {
        let run = env.run_as("mia@example.com", &["user", "show", other]);
        assert_eq!(run.fails(4), denial, "{other}");
        assert_eq!(run.stdout, "");
    }
    let me = env.run_as("mia@example.com", &["user", "show", "mia", "--format", "json"]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(me.ok()).expect("json")["email"], json!("mia@example.com"));
}
