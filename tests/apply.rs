//! `acct apply` through the real binary: the plan, every column kind, adds,
//! prunes, idempotence, the engine's refusals per row (all-or-nothing and
//! --keep-going), the export → edit → apply loop, JSON Lines, the plan as
//! data, the report, hostile input; and `acct role set`.

mod common;
mod support;
use common::Env;

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// ada (full-admin) with bob and carol (read-only, invited), groups eng and ops.
fn team() -> Env {
    let env = Env::new();
    env.run(&[
        "user",
        "add",
        "bob@example.com",
        "--role",
        "read-only",
        "--first-name",
        "Bob",
        "--last-name",
        "Builder",
        "--no-send",
    ])
    .ok();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    env
}

fn of(env: &Env, email: &str, expr: &str) -> String {
    env.query(&format!("SELECT {expr} FROM users WHERE email = '{email}'"))
}

fn roles(env: &Env, email: &str) -> String {
    env.query(&format!(
        "SELECT coalesce(group_concat(name, ';'), '') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         JOIN users u ON u.id = ur.user_id WHERE u.email = '{email}' ORDER BY 1) x"
    ))
}

fn groups(env: &Env, email: &str) -> String {
    env.query(&format!(
        "SELECT coalesce(group_concat(slug, ';'), '') FROM (SELECT g.slug FROM group_members gm JOIN groups g ON g.id = gm.group_id
         JOIN users u ON u.id = gm.user_id WHERE u.email = '{email}' ORDER BY 1) x"
    ))
}

fn actions(env: &Env, since: i64) -> Vec<String> {
    support::rows(env, &format!("SELECT action || ' ' || target FROM audit WHERE id > {since} ORDER BY id"))
}

fn last_audit(env: &Env) -> i64 {
    env.query("SELECT coalesce(max(id), 0) FROM audit").parse().unwrap()
}

#[test]
fn every_column_kind_is_applied_and_a_second_apply_changes_nothing() {
    let env = team();
    env.run(&["user", "edit", "carol@example.com", "--timezone", "Europe/Paris", "--add-group", "ops"]).ok();
    let file = write(
        &env,
        "team.csv",
        b"email,last_name,timezone,notify,robot,primary_group,groups,role\n\
          bob@example.com,Baumeister,Europe/Berlin,false,true,eng,ops,helpdesk\n\
          carol@example.com,,,,,everyone,,read-only;helpdesk\n\
          ada@example.com,,,,,everyone,,full-admin\n",
    );
    let before = last_audit(&env);
    let run = env.run(&["apply", &file]);
    assert_eq!(
        run.ok(),
        "~ bob@example.com last_name: Builder → Baumeister\n\
         ~ bob@example.com timezone: (none) → Europe/Berlin\n\
         ~ bob@example.com notify: true → false\n\
         ~ bob@example.com robot: false → true\n\
         ~ bob@example.com primary_group: everyone → eng\n\
         ~ bob@example.com groups: +ops\n\
         ~ bob@example.com role: +helpdesk -read-only\n\
         ~ carol@example.com timezone: Europe/Paris → (none)\n\
         ~ carol@example.com groups: -ops\n\
         ~ carol@example.com role: +helpdesk\n"
    );
    assert_eq!(run.stderr, "plan: 0 to add, 2 to change, 0 to remove, 1 unchanged\napplied: 0 added, 2 changed, 0 removed\n");
    assert_eq!(of(&env, "bob@example.com", "last_name, timezone, notify, robot"), "Baumeister|Europe/Berlin|0|1");
    assert_eq!(
        env.query("SELECT g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.email = 'bob@example.com'"),
        "eng"
    );
    assert_eq!((groups(&env, "bob@example.com"), roles(&env, "bob@example.com")), ("ops".into(), "helpdesk".into()));
    assert_eq!(of(&env, "carol@example.com", "timezone IS NULL"), "1");
    assert_eq!((groups(&env, "carol@example.com"), roles(&env, "carol@example.com")), ("".into(), "helpdesk;read-only".into()));
    // The entries the single commands write, one per change.
    assert_eq!(
        actions(&env, before),
        [
            "user.edit bob@example.com",
            "group.add-member bob@example.com",
            "role.assign bob@example.com",
            "role.unassign bob@example.com",
            "user.edit carol@example.com",
            "group.remove-member carol@example.com",
            "role.assign carol@example.com",
        ]
    );
    // Idempotent: the same file again changes nothing and writes no entry.
    let after = last_audit(&env);
    let again = env.run(&["apply", &file]);
    assert_eq!((again.ok(), again.stderr.as_str()), ("", "no changes\n"));
    assert_eq!(last_audit(&env), after);
}

#[test]
fn new_addresses_are_invited_with_their_role_and_prune_removes_the_others() {
    let env = team();
    let file = write(
        &env,
        "team.csv",
        b"email,first_name,last_name,role\nada@example.com,,,full-admin\nbob@example.com,Bob,Builder,read-only\nDan@Example.com,Dan,Dare,read-only;helpdesk\n",
    );
    // Without a terminal, --prune needs --yes before anything is read.
    let snap = support::snapshot(&env);
    let run = env.run(&["apply", &file, "--prune"]);
    assert_eq!(
        run.fails(2),
        "error: --prune removes members, and there is no terminal to confirm it\nhint: pass --yes to confirm, or --dry-run to see the plan\n"
    );
    let dry = env.run(&["apply", &file, "--prune", "--dry-run"]);
    assert_eq!(dry.ok(), "+ add Dan@Example.com roles helpdesk, read-only\n- remove carol@example.com\n");
    assert_eq!(dry.stderr, "plan: 1 to add, 0 to change, 1 to remove, 2 unchanged\ndry run: nothing was changed\n");
    assert_eq!(support::snapshot(&env), snap);
    let before = last_audit(&env);
    let run = env.run(&["apply", &file, "--prune", "--yes", "--no-send"]);
    assert_eq!(run.ok(), "+ add Dan@Example.com roles helpdesk, read-only\n- remove carol@example.com\n");
    assert_eq!(run.stderr, "plan: 1 to add, 0 to change, 1 to remove, 2 unchanged\napplied: 1 added, 0 changed, 1 removed\n");
    assert_eq!(of(&env, "Dan@Example.com", "status, first_name, last_name"), "invited|Dan|Dare");
    assert_eq!(roles(&env, "Dan@Example.com"), "helpdesk;read-only");
    assert_eq!(
        env.query("SELECT count(*) FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'Dan@Example.com'"),
        "1"
    );
    assert_eq!(of(&env, "carol@example.com", "trashed_at IS NOT NULL"), "1");
    assert_eq!(actions(&env, before), ["user.add Dan@Example.com", "user.remove carol@example.com"]);
    // A new address needs a role.
    let file = write(&env, "norole.csv", b"email,first_name\neve@example.com,Eve\n");
    let run = env.run(&["apply", &file]);
    // One error for the command; the refused rows are data on stdout (issue 18.4).
    assert_eq!(
        run.stdout,
        "LINE  EMAIL            ERROR\n2     eve@example.com  eve@example.com is not a member of acme: a new member needs a role\n"
    );
    assert_eq!(
        run.fails(6),
        "error: 1 of 1 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
}

#[test]
fn one_row_denied_by_the_matrix_changes_nothing_unless_keep_going() {
    let env = team();
    // Only the user themself may change a phone (SPEC §3).
    let file = write(
        &env,
        "mixed.csv",
        b"email,first_name,phone\nbob@example.com,Robert,\ncarol@example.com,Carol,+4915112345678\nada@example.com,Ada,\n",
    );
    let snap = support::snapshot(&env);
    let run = env.run(&["apply", &file, "--report", "r.csv", "--format", "csv"]);
    assert_eq!(
        run.stdout,
        "line,email,error\r\n3,carol@example.com,permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\r\n"
    );
    assert_eq!(
        run.fails(4),
        "error: 1 of 3 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
    assert_eq!(support::snapshot(&env), snap);
    assert_eq!(
        support::read(&env.home().join("r.csv")),
        "line,email,outcome\r\n\
         2,bob@example.com,error: not applied because other rows were refused\r\n\
         3,carol@example.com,error: permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\r\n\
         4,ada@example.com,error: not applied because other rows were refused\r\n"
    );
    let run = env.run(&["apply", &file, "--keep-going", "--report", "r.csv"]);
    assert_eq!(run.stdout, "~ bob@example.com first_name: Bob → Robert\n~ ada@example.com first_name: (none) → Ada\n");
    assert_eq!(
        run.fails(7),
        "plan: 0 to add, 2 to change, 0 to remove, 0 unchanged, 1 refused\n\
         LINE  EMAIL              ERROR\n\
         3     carol@example.com  permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\n\
         error: 1 of 3 row(s) were refused; the others were applied\n"
    );
    assert_eq!(of(&env, "bob@example.com", "first_name"), "Robert");
    assert_eq!(of(&env, "carol@example.com", "coalesce(first_name, ''), coalesce(phone, '')"), "|");
    assert_eq!(
        support::read(&env.home().join("r.csv")),
        "line,email,outcome\r\n\
         2,bob@example.com,changed: first_name\r\n\
         3,carol@example.com,error: permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)\r\n\
         4,ada@example.com,changed: first_name\r\n"
    );
}

#[test]
fn the_last_full_admin_and_roles_the_actor_lacks_are_refused() {
    let env = team();
    let file = write(&env, "demote.csv", b"email,role\nada@example.com,read-only\n");
    let snap = support::snapshot(&env);
    let run = env.run(&["apply", &file]);
    assert_eq!(
        run.stdout,
        "LINE  EMAIL            ERROR\n2     ada@example.com  ada@example.com is the last active full-admin of acme\n"
    );
    assert_eq!(
        run.fails(5),
        "error: 1 of 1 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
    // Deactivating the last full-admin, or pruning them, likewise.
    let file = write(&env, "off.csv", b"email,active\nada@example.com,false\n");
    let run = env.run(&["apply", &file]);
    assert_eq!(run.fails(5).lines().next(), Some("error: 1 of 1 row(s) were refused; nothing was applied"));
    assert_eq!(
        run.stdout,
        "LINE  EMAIL            ERROR\n2     ada@example.com  ada@example.com is the last active full-admin of an organization\n"
    );
    let file = write(&env, "none.csv", b"email\nbob@example.com\ncarol@example.com\n");
    // A pruned member is not a line of the file: its line is empty (null in JSON).
    let run = env.run(&["apply", &file, "--prune", "--yes", "--format", "jsonl"]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(5),
        "error: 1 of 3 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n\
         {\"error\":{\"kind\":\"conflict\",\"message\":\"1 of 3 row(s) were refused; nothing was applied\",\
         \"hint\":\"fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\",\"exit\":5,\
         \"rows\":[{\"line\":null,\"email\":\"ada@example.com\",\"error\":\"ada@example.com is the last active full-admin of acme\"}],\
         \"rows_omitted\":0}}\n"
    );
    assert_eq!(support::snapshot(&env), snap);
    // An actor holding role:assign may not grant what they lack.
    env.run(&["role", "create", "assigner", "--permission", "role:assign,user:read,user:invite"]).ok();
    env.run(&["user", "add", "ivy@example.com", "--role", "assigner", "--no-send"]).ok();
    support::set_status(&env, "ivy", "active");
    let file = write(&env, "grant.csv", b"email,role\nbob@example.com,full-admin\nnew@example.com,helpdesk\n");
    let snap = support::snapshot(&env);
    let run = env.run_as("ivy@example.com", &["apply", &file, "--format", "tsv"]);
    assert_eq!(
        run.stdout,
        "line\temail\terror\n\
         2\tbob@example.com\tpermission denied: assigning 'full-admin' would grant user:remove user:export user:reset-2fa role:read role:manage group:read group:manage audit:read org:admin in acme, which you do not hold\n\
         3\tnew@example.com\tpermission denied: adding a user with these roles would grant user:reset-2fa in acme, which you do not hold\n"
    );
    assert_eq!(
        run.fails(4),
        "error: 2 of 2 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
    assert_eq!(support::snapshot(&env), snap);
    // Without user:read nothing about the rows is shown.
    env.run(&["role", "create", "inviter", "--permission", "user:invite"]).ok();
    env.run(&["user", "add", "joe@example.com", "--role", "inviter", "--no-send"]).ok();
    support::set_status(&env, "joe", "active");
    let run = env.run_as("joe@example.com", &["apply", &file, "--dry-run"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:read' is needed in acme (you have user:invite)\n");
    assert_eq!(run.stdout, "");
}

#[test]
fn export_edit_apply_round_trips_neutralised_cells() {
    let env = team();
    env.run(&["user", "edit", "bob@example.com", "--first-name", "=Bob", "--last-name=-Builder"]).ok();
    let out = env.home().join("team.csv");
    env.run(&[
        "user",
        "export",
        "--fields",
        "id,email,username,first_name,last_name,role,two_factor,status",
        "-o",
        out.to_str().unwrap(),
    ])
    .ok();
    let text = support::read(&out);
    assert!(text.contains(",'=Bob,'-Builder,"), "{text}");
    // Unchanged, the export applies as no change at all.
    let run = env.run(&["apply", out.to_str().unwrap()]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "note: ignoring the column(s) two_factor, status: apply does not set them\nno changes\n");
    // Edited in a spreadsheet: one role changed.
    std::fs::write(&out, text.replace("carol@example.com,carol,,,read-only", "carol@example.com,carol,,,helpdesk")).unwrap();
    let run = env.run(&["apply", out.to_str().unwrap()]);
    assert_eq!(run.ok(), "~ carol@example.com role: +helpdesk -read-only\n");
    assert_eq!(of(&env, "bob@example.com", "first_name, last_name"), "=Bob|-Builder");
    assert_eq!(roles(&env, "carol@example.com"), "helpdesk");
    // id and username must belong to the row's address.
    std::fs::write(&out, "id,email,username\n2,carol@example.com,carol\n3,bob@example.com,bob\n").unwrap();
    let run = env.run(&["apply", out.to_str().unwrap()]);
    assert_eq!(
        run.stdout,
        "LINE  EMAIL              ERROR\n\
         2     carol@example.com  the id '2' is not the id of carol@example.com\n\
         3     bob@example.com    the id '3' is not the id of bob@example.com\n"
    );
    assert_eq!(
        run.fails(6),
        "error: 2 of 2 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
}

#[test]
fn json_lines_input_and_the_plan_as_json() {
    let env = team();
    let file = write(
        &env,
        "team.jsonl",
        br#"{"email": "bob@example.com", "last_name": "Baumeister", "role": ["helpdesk", "read-only"], "notify": false}

{"email": "new@example.com", "first_name": "New", "role": ["read-only"], "timezone": null}
{"email": "carol@example.com", "first_name": null, "groups": ["eng"]}
"#,
    );
    let run = env.run(&["apply", &file, "--dry-run", "--format", "json"]);
    let plan = support::json(run.ok());
    assert_eq!(
        plan,
        serde_json::json!([
            {"line": 1, "action": "change", "email": "bob@example.com", "field": "last_name", "old": "Builder", "new": "Baumeister"},
            {"line": 1, "action": "change", "email": "bob@example.com", "field": "notify", "old": true, "new": false},
            {"line": 1, "action": "change", "email": "bob@example.com", "field": "role", "old": ["read-only"], "new": ["helpdesk", "read-only"]},
            {"line": 3, "action": "add", "email": "new@example.com", "field": "role", "old": null, "new": ["read-only"]},
            {"line": 4, "action": "change", "email": "carol@example.com", "field": "groups", "old": [], "new": ["eng"]},
        ])
    );
    assert_eq!(run.stderr, "plan: 1 to add, 2 to change, 0 to remove, 0 unchanged\ndry run: nothing was changed\n");
    let run = env.run(&["apply", &file, "--format", "jsonl", "--no-send"]);
    assert_eq!(run.ok().lines().count(), 5);
    assert_eq!(roles(&env, "bob@example.com"), "helpdesk;read-only");
    assert_eq!(groups(&env, "carol@example.com"), "eng");
    assert_eq!(of(&env, "new@example.com", "first_name"), "New");
    // --input-format reads stdin as JSON Lines.
    let run = env.run_with(
        &["apply", "-", "--input-format", "jsonl"],
        &[],
        Some(br#"{"email": "bob@example.com", "robot": true, "nick": 1, "Shoe": 2}"#),
    );
    assert_eq!(run.stdout, "LINE  EMAIL            ERROR\n1     bob@example.com  unknown keys 'nick', 'Shoe'\n");
    assert_eq!(
        run.fails(6),
        "error: 1 of 1 row(s) were refused; nothing was applied\n\
         hint: fix them, apply the others with --keep-going, or see each row's outcome with --report FILE\n"
    );
}

#[test]
fn hostile_input_is_refused_with_one_error_and_nothing_changes() {
    let env = team();
    let snap = support::snapshot(&env);
    let cases: Vec<(&str, Vec<u8>, i32, &str)> = vec![
        ("empty", b"".to_vec(), 6, "error: the CSV is empty: it needs a header row with an 'email' column\n"),
        (
            "unknown columns",
            b"email,nick,first_name,shoe size\n".to_vec(),
            6,
            "error: line 1: unknown columns 'nick', 'shoe size'\nhint: columns: email, first_name, last_name, full_name, initials, role, phone, timezone, notify, robot, active, sso_disabled, sms_auto_send, require_2fa, primary_group, groups, id, username (checked)\n",
        ),
        (
            "unterminated quote",
            b"email,first_name\nbob@example.com,\"Bob\ncarol@example.com,Carol\n".to_vec(),
            6,
            "error: line 2: unterminated quoted field: the quote that opens on this line is never closed\n",
        ),
        (
            "bad bytes",
            b"email,first_name\nbob@example.com,B\xf6b\n".to_vec(),
            6,
            "error: 1 of 1 row(s) were refused; nothing was applied\n",
        ),
        (
            "duplicate rows",
            b"email,first_name\nbob@example.com,Bob\nBOB@example.com,Robert\n".to_vec(),
            6,
            "error: 1 of 2 row(s) were refused; nothing was applied\n",
        ),
        ("no email", b"first_name\nBob\n".to_vec(), 6, "error: line 1: the header has no 'email' column\n"),
        (
            "ragged",
            b"email,first_name\nbob@example.com\n".to_vec(),
            6,
            "error: 1 of 1 row(s) were refused; nothing was applied\n",
        ),
        (
            "bad value",
            b"email,timezone,notify\nbob@example.com,Mars/Olympus,maybe\n".to_vec(),
            6,
            "error: 1 of 1 row(s) were refused; nothing was applied\n",
        ),
        ("nul", b"email\n\0\n".to_vec(), 6, "error: line 2: the file holds a NUL byte"),
    ];
    for (what, bytes, code, want) in cases {
        let path = write(&env, &format!("{}.csv", what.replace(' ', "_")), &bytes);
        let run = env.run(&["apply", &path]);
        assert_eq!(run.code, code, "{what}: {run:?}");
        assert!(run.stderr.starts_with(want), "{what}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{what}");
        // A refused row is data on stdout (issue 18.4); a file-level error has no rows.
        let rows = match what {
            "bad bytes" => "2     bob@example.com  first_name is not valid UTF-8\n",
            "duplicate rows" => "3     BOB@example.com  BOB@example.com appears again (first on line 2)\n",
            "ragged" => "2     bob@example.com  1 fields, the header has 2\n",
            "bad value" => {
                "2     bob@example.com  invalid timezone 'Mars/Olympus': not an IANA time zone name such as 'Europe/Berlin'\n"
            }
            _ => "",
        };
        let table = if rows.is_empty() { String::new() } else { format!("LINE  EMAIL            ERROR\n{rows}") };
        assert_eq!(run.stdout, table, "{what}");
    }
    assert_eq!(support::snapshot(&env), snap);
}

#[test]
fn semicolon_files_labels_and_crlf_apply_like_csv() {
    let env = team();
    let file = write(
        &env,
        "eu.csv",
        "\u{feff}Email Address;Last Name;RBAC Role\r\nbob@example.com;Baumeister;\"helpdesk;read-only\"\r\n".as_bytes(),
    );
    let run = env.run(&["apply", &file]);
    assert_eq!(run.ok(), "~ bob@example.com last_name: Builder → Baumeister\n~ bob@example.com role: +helpdesk\n");
    assert_eq!(roles(&env, "bob@example.com"), "helpdesk;read-only");
}

#[test]
fn role_set_makes_the_roles_exactly_these_in_one_transaction() {
    let env = team();
    let before = last_audit(&env);
    let run = env.run(&["role", "set", "bob@example.com", "helpdesk", "full-admin"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "assigned helpdesk to bob@example.com\nassigned full-admin to bob@example.com\nunassigned read-only from bob@example.com\n"
    );
    assert_eq!(roles(&env, "bob@example.com"), "full-admin;helpdesk");
    assert_eq!(
        actions(&env, before),
        ["role.assign bob@example.com", "role.assign bob@example.com", "role.unassign bob@example.com"]
    );
    let run = env.run(&["role", "set", "bob@example.com", "full-admin", "helpdesk"]);
    assert_eq!(run.stderr, "bob@example.com already holds exactly full-admin, helpdesk (unchanged)\n");
    // A refused step leaves every role as it was; global roles are not for 'role'.
    let snap = support::snapshot(&env);
    assert_eq!(
        env.run(&["role", "set", "ada@example.com", "read-only"]).fails(5),
        "error: ada@example.com is the last active full-admin of acme\nhint: assign full-admin to another active member first\n"
    );
    assert_eq!(
        env.run(&["role", "set", "bob@example.com", "helpdesk", "nosuch"]).fails(3),
        "error: role 'nosuch' not found\nhint: 'acct role list' shows the roles\n"
    );
    assert_eq!(
        env.run(&["role", "set", "bob@example.com", "global-admin"]).fails(5),
        "error: 'global-admin' is a global role and cannot be assigned with 'acct role'\nhint: use 'acct access grant'\n"
    );
    assert_eq!(support::snapshot(&env), snap);
}

#[test]
fn role_set_gives_the_roles_before_and_after_as_data() {
    let env = team();
    let run = env.run(&["role", "set", "bob", "helpdesk", "full-admin", "--format", "json"]);
    assert_eq!(
        run.ok(),
        "[\n{\"user\":\"bob\",\"old\":[\"read-only\"],\"new\":[\"full-admin\",\"helpdesk\"],\"changed\":true}\n]\n"
    );
    // The roles held: a no-op, exit 0, no audit entry, changed false.
    let audits = env.audit_count();
    let run = env.run(&["role", "set", "bob@example.com", "helpdesk", "full-admin", "--format", "jsonl"]);
    assert_eq!(
        run.ok(),
        "{\"user\":\"bob@example.com\",\"old\":[\"full-admin\",\"helpdesk\"],\"new\":[\"full-admin\",\"helpdesk\"],\"changed\":false}\n"
    );
    assert_eq!(run.stderr, "bob@example.com already holds exactly full-admin, helpdesk (unchanged)\n");
    assert_eq!(env.audit_count(), audits);
    // A dry run gives what it would do; CSV joins the roles with ';'.
    let run = env.run(&["role", "set", "bob@example.com", "read-only", "--dry-run", "--format", "csv"]);
    assert_eq!(run.ok(), "user,old,new,changed\r\nbob@example.com,full-admin;helpdesk,read-only,true\r\n");
    assert_eq!(roles(&env, "bob@example.com"), "full-admin;helpdesk");
    // A refusal prints no data and keeps its exit code.
    let run = env.run(&["role", "set", "ada@example.com", "read-only", "--format", "json"]);
    assert_eq!((run.code, run.stdout.as_str()), (5, ""));
}

/// New members wait and are written a batch at a time, but before any other
/// write: the audit log keeps the order of the file, and each addition is
/// the entry `user add` writes.
#[test]
fn new_members_are_written_in_file_order_around_other_writes() {
    let env = team();
    let file = write(
        &env,
        "team.csv",
        b"email,first_name,last_name,role,groups\n\
          new1@example.com,New,One,read-only,\n\
          bob@example.com,Bob,Baumeister,read-only,\n\
          new2@example.com,,,helpdesk,eng\n\
          new3@example.com,,,read-only,\n",
    );
    let snap = support::snapshot(&env);
    let plan = "+ add new1@example.com roles read-only\n\
                ~ bob@example.com last_name: Builder → Baumeister\n\
                + add new2@example.com roles helpdesk\n\
                ~ new2@example.com groups: +eng\n\
                + add new3@example.com roles read-only\n";
    let dry = env.run(&["apply", &file, "--dry-run"]);
    assert_eq!(dry.ok(), plan);
    assert_eq!(support::snapshot(&env), snap);
    let before = last_audit(&env);
    let run = env.run(&["apply", &file, "--no-send"]);
    assert_eq!(run.ok(), plan);
    assert_eq!(run.stderr, "plan: 3 to add, 1 to change, 0 to remove, 0 unchanged\napplied: 3 added, 1 changed, 0 removed\n");
    assert_eq!(
        actions(&env, before),
        [
            "user.add new1@example.com",
            "user.edit bob@example.com",
            "user.add new2@example.com",
            "group.add-member new2@example.com",
            "user.add new3@example.com"
        ]
    );
    // new1 and new3 waited in the batch, new2 (with a group) was added at
    // once: their entries differ only in the user.
    let entry = |email: &str| {
        env.query(&format!(
            "SELECT a.actor || ' ' || a.org || ' ' || a.changes || ' ' || CASE WHEN a.change_id = (SELECT change_id FROM audit WHERE id = {}) THEN 'same-change' ELSE 'other' END
             FROM audit a JOIN users u ON u.id = a.target_id WHERE a.action = 'user.add' AND u.email = '{email}'",
            before + 1
        ))
    };
    for (email, role) in [("new1", "read-only"), ("new2", "helpdesk"), ("new3", "read-only")] {
        assert_eq!(
            entry(&format!("{email}@example.com")),
            format!(
                "ada@example.com acme {{\"user\":{{\"old\":null,\"new\":\"{email}@example.com\"}},\"roles\":{{\"old\":[],\"new\":[\"{role}\"]}}}} same-change"
            )
        );
        assert_eq!(
            of(
                &env,
                &format!("{email}@example.com"),
                "username || ' ' || status || CASE WHEN accepted THEN ' accepted' ELSE '' END"
            ),
            format!("{email} invited")
        );
        assert_eq!(roles(&env, &format!("{email}@example.com")), role);
    }
    assert_eq!(of(&env, "new1@example.com", "first_name || ' ' || last_name || ' ' || full_name"), "New One New One");
    assert_eq!(groups(&env, "new2@example.com"), "eng");
    assert_eq!(
        env.query("SELECT group_concat(x, ' ') FROM (SELECT u.username || ':' || i.state AS x FROM invitations i JOIN users u ON u.id = i.user_id
          WHERE u.email LIKE 'new%' ORDER BY i.id) y"),
        "new1:open new2:open new3:open"
    );
    let orgs = env.run(&["org", "list", "--format", "jsonl"]).ok().to_string();
    assert!(orgs.contains("\"members_count\":6,"), "{orgs}");
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact: "));
}

/// Usernames given to rows not yet written are taken for the rows after
/// them, as the written ones are.
#[test]
fn usernames_given_earlier_in_the_file_are_taken() {
    let env = team();
    let file = write(
        &env,
        "names.csv",
        b"email,role,username\ndan@example.com,read-only,\ndan@example.org,read-only,\nzed@example.com,read-only,dan2\namy@example.com,read-only,bob\n",
    );
    let run = env.run(&["apply", &file, "--no-send", "--keep-going"]);
    assert_eq!(run.stdout, "+ add dan@example.com roles read-only\n+ add dan@example.org roles read-only\n");
    assert_eq!(
        run.fails(7),
        "plan: 2 to add, 0 to change, 0 to remove, 0 unchanged, 2 refused\n\
         LINE  EMAIL            ERROR\n\
         4     zed@example.com  the username 'dan2' is taken\n\
         5     amy@example.com  the username 'bob' is taken\n\
         error: 2 of 4 row(s) were refused; the others were applied\n"
    );
    assert_eq!(
        env.query("SELECT group_concat(email || '=' || username, ' ') FROM (SELECT email, username FROM users ORDER BY id) x"),
        "ada@example.com=ada bob@example.com=bob carol@example.com=carol dan@example.com=dan dan@example.org=dan2"
    );
}

/// More new members than one batch holds, then a change: every one is
/// written, each with its own username, and the change after them.
#[test]
fn a_file_longer_than_a_batch_adds_every_member() {
    let env = team();
    let mut csv = String::from("email,role,last_name\n");
    for i in 0..4100 {
        csv.push_str(&format!("m{i}@example.com,read-only,\n"));
    }
    csv.push_str("bob@example.com,read-only,Baumeister\n");
    let file = write(&env, "many.csv", csv.as_bytes());
    let run = env.run(&["apply", &file, "--no-send", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "plan: 4100 to add, 1 to change, 0 to remove, 0 unchanged\napplied: 4100 added, 1 changed, 0 removed\n"
    );
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email LIKE 'm%@example.com'"), "4100");
    assert_eq!(env.query("SELECT count(DISTINCT username) FROM users"), "4103");
    assert_eq!(env.query("SELECT count(*) FROM invitations WHERE state = 'open'"), "4102");
    assert_eq!(of(&env, "m4099@example.com", "username"), "m4099");
    assert_eq!(of(&env, "bob@example.com", "last_name"), "Baumeister");
    let last = last_audit(&env);
    assert_eq!(actions(&env, last - 2), ["user.add m4099@example.com", "user.edit bob@example.com"]);
    let verify = env.run(&["audit", "verify"]).ok().to_string();
    assert!(verify.starts_with(&format!("intact: {last} entries")), "{verify}");
}

/// A batch that fills in the middle of the rows read ahead is written
/// there: a username given in it is then taken for a later row that asks
/// for it (a refusal of that row, not a failed write of the whole file).
#[test]
fn a_username_written_in_the_middle_of_the_rows_read_ahead_is_taken() {
    let env = team();
    // 4096 rows are read ahead at a time: one refused and 4095 additions
    // (zed among them), then an addition that fills the batch, then zed's
    // username asked for.
    let mut csv = String::from("email,role,username\nnot-an-address,read-only,\n");
    for i in 0..4094 {
        csv.push_str(&format!("m{i}@example.com,read-only,\n"));
    }
    csv.push_str("zed@example.com,read-only,\nfill@example.com,read-only,\nlate@example.com,read-only,zed\n");
    let file = write(&env, "late.csv", csv.as_bytes());
    let run = env.run(&["apply", &file, "--no-send", "--keep-going", "--format", "json"]);
    let err = run.fails(7);
    assert!(err.contains("\"line\":4099,\"email\":\"late@example.com\",\"error\":\"the username 'zed' is taken\""), "{err}");
    assert!(err.contains("\"line\":2,\"email\":\"not-an-address\""), "{err}");
    assert_eq!(env.query("SELECT count(*) FROM users"), (3 + 4096).to_string());
    assert_eq!(of(&env, "zed@example.com", "username"), "zed");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'late@example.com'"), "0");
}
