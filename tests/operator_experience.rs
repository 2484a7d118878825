//! Issue 17: what a first-time operator stumbled on, through the real
//! binary. Terminal behaviour (prompts, table widths, 2FA) is in
//! `prompts_pty.rs`, completions in `assets.rs`, the README in
//! `readme_quick_start.rs`.

mod common;
mod support;
mod support_mail;
use common::Env;
use support::json;

fn show(env: &Env, who: &str) -> serde_json::Value {
    json(env.run(&["user", "show", who, "--format", "json"]).ok())
}

fn names(env: &Env, who: &str) -> (String, String) {
    let v = show(env, who);
    (v["full_name"].as_str().unwrap_or("NULL").to_string(), v["initials"].as_str().unwrap_or("NULL").to_string())
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

// ---- 3: full_name and initials follow the names until set explicitly ----

#[test]
fn a_name_change_re_derives_full_name_and_initials() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Hopper", "GH"));
    let run = env.run(&["user", "edit", "grace", "--last-name", "Hopper-Murray"]);
    run.ok();
    assert!(run.stderr.contains("changed full_name: Grace Hopper → Grace Hopper-Murray"), "{}", run.stderr);
    assert_eq!(names(&env, "grace"), pair("Grace Hopper-Murray", "GH"));
    env.run(&["user", "edit", "grace", "--first-name", "Amazing Grace"]).ok();
    assert_eq!(names(&env, "grace"), pair("Amazing Grace Hopper-Murray", "AGH"));
    // The audit log records the derived values like any other change.
    let audit = env.query("SELECT changes FROM audit WHERE action = 'user.edit' ORDER BY id DESC LIMIT 1");
    assert!(audit.contains("\"full_name\""), "{audit}");
}

#[test]
fn an_explicit_full_name_sticks_until_cleared() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--full-name", "Rear Admiral Hopper", "--initials", "RAH"]).ok();
    env.run(&["user", "edit", "grace", "--last-name", "Murray"]).ok();
    assert_eq!(names(&env, "grace"), pair("Rear Admiral Hopper", "RAH"), "explicit values stick");
    // Clearing the full name returns it to its derived form; the initials stay explicit.
    env.run(&["user", "edit", "grace", "--full-name", ""]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Murray", "RAH"));
    env.run(&["user", "edit", "grace", "--initials", ""]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Murray", "GM"));
    env.run(&["user", "edit", "grace", "--first-name", "Ada"]).ok();
    assert_eq!(names(&env, "grace"), pair("Ada Murray", "AM"), "derived again after clearing");
}

#[test]
fn an_explicit_value_equal_to_the_derived_one_still_sticks() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--full-name", "Grace Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--last-name", "Murray"]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Hopper", "GM"));
}

#[test]
fn the_invitation_greets_by_the_current_full_name() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    support_mail::take_outbox_token(&env, "grace@example.com");
    env.run(&["user", "edit", "grace", "--last-name", "Hopper-Murray"]).ok();
    env.run(&["invite", "resend", "grace"]).ok();
    let files = support_mail::outbox_files(&env);
    assert_eq!(files.len(), 1);
    let mail = std::fs::read_to_string(&files[0]).unwrap();
    assert!(support_mail::body(&mail).starts_with("Hello Grace Hopper-Murray,"), "{mail}");
}

// ---- 4: the invitation link can be pasted ----

/// The invitation link in the one outbox message to `email` (removed after).
fn outbox_link(env: &Env, email: &str, prefix: &str) -> String {
    let files = support_mail::outbox_files(env);
    let mail = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).find(|m| m.contains(email)).expect("a message");
    for p in files {
        std::fs::remove_file(p).unwrap();
    }
    let body = support_mail::body(&mail);
    assert!(body.contains("acct invite accept "), "the mail says how to accept with acct: {body}");
    let start = body.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {body}"));
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn invite_accept_takes_the_whole_link_of_the_mail() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).ok();
    let link = outbox_link(&env, "bob@example.com", "https://localhost/invite/");
    let run = env.run_with(&["invite", "accept", "--password-stdin", &link], &[], Some(b"correct horse battery\n"));
    run.ok();
    assert_eq!(run.stderr, "welcome, bob@example.com: your account is active\n");
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'bob@example.com'"), "active");
}

#[test]
fn invite_accept_takes_a_link_of_the_configured_template_and_the_bare_token() {
    let env = Env::new();
    env.run(&["config", "set", "mail.invite_url", "https://id.example.com/join?t={token}&via=mail"]).ok();
    env.run(&["user", "add", "bob@example.com", "carol@example.com", "--role", "read-only"]).ok();
    let files = support_mail::outbox_files(&env);
    let mails: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    let link_of = |who: &str| {
        let m = mails.iter().find(|m| support_mail::header(m, "To").is_some_and(|t| t.contains(who))).unwrap();
        let b = support_mail::body(m);
        let start = b.find("https://id.example.com/join?t=").unwrap();
        b[start..].split_whitespace().next().unwrap().to_string()
    };
    let bob = link_of("bob@");
    env.run_with(&["invite", "accept", "--password-stdin", &bob], &[], Some(b"correct horse battery\n")).ok();
    let carol = link_of("carol@");
    let token = carol.trim_start_matches("https://id.example.com/join?t=").trim_end_matches("&via=mail");
    env.run_with(&["invite", "accept", "--password-stdin", "--", token], &[], Some(b"correct horse battery\n")).ok();
    assert_eq!(
        env.query("SELECT group_concat(status) FROM users WHERE email LIKE '%@example.com' AND email <> 'ada@example.com'"),
        "active,active"
    );
}

// ---- 11: empty and partial results ----

#[test]
fn an_empty_list_says_no_members_match_on_stderr() {
    let env = Env::new();
    let run = env.run(&["user", "list", "--search", "zzz"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "no members match\n");
    let run = env.run(&["user", "list", "--search", "zzz", "--format", "json"]);
    assert_eq!(run.ok(), "[]\n");
    assert_eq!(run.stderr, "no members match\n");
    let run = env.run(&["user", "list", "--search", "zzz", "-q"]);
    assert_eq!((run.ok(), run.stderr.as_str()), ("", ""));
}

#[test]
fn an_offset_past_the_end_does_not_say_rows_were_left_out() {
    let env = Env::new();
    let run = env.run(&["user", "list", "--offset", "50"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "no members past offset 50: 1 match\n");
    assert!(!run.stderr.contains("left out"));
}

// ---- 8 and 12: export --bom, --columns/--fields aliases ----

#[test]
fn export_bom_starts_the_file_with_a_byte_order_mark() {
    let env = Env::new();
    env.run(&["user", "export", "--bom", "-o", "users.csv", "--fields", "email"]).ok();
    let bytes = std::fs::read(env.home().join("users.csv")).unwrap();
    assert_eq!(bytes, b"\xef\xbb\xbfemail\r\nada@example.com\r\n");
    let run = env.run(&["user", "export", "--bom", "--format", "json"]);
    assert!(run.fails(2).starts_with("error: --bom goes with csv or tsv\n"), "{}", run.stderr);
    let plain = env.run(&["user", "export", "--fields", "email"]);
    assert!(plain.ok().starts_with("email"), "no mark without --bom");
}

#[test]
fn export_takes_columns_and_list_takes_fields() {
    let env = Env::new();
    assert_eq!(env.run(&["user", "export", "--columns", "email,role"]).ok(), "email,role\r\nada@example.com,full-admin\r\n");
    assert_eq!(
        env.run(&["user", "list", "--fields", "email,role", "--format", "csv"]).ok(),
        "email,role\r\nada@example.com,full-admin\r\n"
    );
}

// ---- 6: the trash is not a dead end ----

fn trash_erin(env: &Env) {
    env.run(&["user", "add", "erin@example.com", "--role", "helpdesk", "--no-send", "--first-name", "Erin"]).ok();
    env.run(&["user", "remove", "erin", "--yes"]).ok();
}

#[test]
fn user_list_status_removed_lists_the_trash_with_removed_at_and_purge_at() {
    let env = Env::new();
    trash_erin(&env);
    let v = json(env.run(&["user", "list", "--status", "removed", "--format", "json"]).ok());
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{v}");
    let erin = &rows[0];
    assert_eq!(erin["email"], "erin@example.com");
    assert_eq!(erin["role"], serde_json::json!(["helpdesk"]), "the roles they had");
    assert_eq!(erin["status"], "removed");
    let removed = chrono::DateTime::parse_from_rfc3339(erin["removed_at"].as_str().unwrap()).unwrap();
    let purge = chrono::DateTime::parse_from_rfc3339(erin["purge_at"].as_str().unwrap()).unwrap();
    assert_eq!((purge - removed).num_days(), 30);
    // The table has the two columns; the members are not in it.
    let table = env.run(&["user", "list", "--status", "removed"]).ok().to_string();
    assert!(table.starts_with("EMAIL") && table.contains("REMOVED_AT") && table.contains("PURGE_AT"), "{table}");
    assert!(!table.contains("ada@example.com"), "{table}");
    // Only for those who may read the members.
    env.run(&["user", "add", "rob@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.activate("rob@example.com");
    env.exec("DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE email = 'rob@example.com')", &[]);
    env.run_as("rob@example.com", &["user", "list", "--status", "removed"]).fails(4);
}

#[test]
fn user_show_of_a_trashed_user_says_so_and_hints_restore() {
    let env = Env::new();
    trash_erin(&env);
    let run = env.run(&["user", "show", "erin"]);
    let out = run.ok();
    assert!(out.contains("status") && out.contains("removed"), "{out}");
    assert!(run.stderr.contains("erin@example.com is in the trash"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: bring them back with 'acct user restore erin@example.com'"), "{}", run.stderr);
    assert!(!run.stderr.contains("user add"), "{}", run.stderr);
    let v = show(&env, "erin");
    assert_eq!(v["status"], "removed");
    assert!(v["removed_at"].is_string() && v["purge_at"].is_string(), "{v}");
    // Other commands that need a member point at restore too, never at 'user add' (refused).
    let err = env.run(&["user", "edit", "erin", "--first-name", "E"]).fails(5).to_string();
    assert!(err.contains("acct user restore"), "{err}");
    let err = env.run(&["role", "assign", "erin", "read-only"]).stderr;
    assert!(err.contains("acct user restore") && !err.contains("user add"), "{err}");
}

#[test]
fn restoring_someone_who_never_accepted_says_to_run_invite_send() {
    let env = Env::new();
    trash_erin(&env);
    let run = env.run(&["user", "restore", "erin"]);
    run.ok();
    assert_eq!(
        run.stderr,
        "restored erin@example.com into acme with helpdesk\n\
         erin@example.com never accepted their invitation; a new one is pending: send it with 'acct invite send erin@example.com'\n"
    );
    env.run(&["invite", "send", "erin@example.com"]).ok();
}

// ---- 8: `role` is the key in user show as in user list ----

#[test]
fn user_show_json_has_role_as_a_list() {
    let env = Env::new();
    let v = show(&env, "ada");
    assert_eq!(v["role"], serde_json::json!(["full-admin"]));
    assert!(v.get("roles").is_none(), "{v}");
}

// ---- 8: did you mean, and the aliases ----

#[test]
fn unknown_names_get_a_did_you_mean_hint() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    let err = env.run(&["user", "add", "hal@example.com", "--role", "hepldesk"]).fails(3).to_string();
    assert_eq!(err, "error: role 'hepldesk' not found\nhint: did you mean 'helpdesk'?\n");
    let err = env.run(&["user", "list", "--group", "egn"]).fails(3).to_string();
    assert_eq!(err, "error: group 'egn' not found in acme\nhint: did you mean 'eng'?\n");
    let err = env.run(&["--org", "acmee", "user", "list"]).fails(3).to_string();
    assert_eq!(err, "error: organization 'acmee' not found\nhint: did you mean 'acme'?\n");
    let err = env.run(&["user", "list", "--columns", "emial"]).fails(2).to_string();
    assert_eq!(err, "error: unknown column 'emial'\nhint: did you mean 'email'?\n");
    // Nothing close: the list to choose from.
    let err = env.run(&["user", "add", "hal@example.com", "--role", "zzz"]).fails(3).to_string();
    assert_eq!(err, "error: role 'zzz' not found\nhint: 'acct role list' shows the roles of acme\n");
}

#[test]
fn config_set_of_an_unknown_key_blames_the_key_not_the_file() {
    let env = Env::new();
    let before = std::fs::read_to_string(env.config_path()).unwrap();
    let err = env.run(&["config", "set", "list.colums", "email"]).fails(6).to_string();
    assert_eq!(err, "error: unknown configuration key 'list.colums'\nhint: did you mean 'list.columns'?\n");
    assert_eq!(std::fs::read_to_string(env.config_path()).unwrap(), before, "nothing changed");
    env.run(&["config", "get", "list.colums"]).fails(6);
}

#[test]
fn subcommand_aliases_and_suggestions() {
    let env = Env::new();
    assert_eq!(
        env.run(&["user", "get", "ada", "--format", "json"]).ok(),
        env.run(&["user", "show", "ada", "--format", "json"]).ok()
    );
    assert_eq!(env.run(&["user", "ls"]).ok(), env.run(&["user", "list"]).ok());
    env.run(&["role", "ls"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "rm", "bob", "--yes"]).ok();
    let err = env.run(&["user", "lsit"]).fails(2).to_string();
    assert!(
        err.starts_with("error: unrecognized subcommand 'lsit'\nhint: some similar subcommands exist: 'ls', 'list'\n"),
        "{err}"
    );
}

// ---- 12: smaller things ----

#[test]
fn names_with_several_addresses_are_refused() {
    let env = Env::new();
    let err = env
        .run(&["user", "add", "a@example.com", "b@example.com", "--role", "read-only", "--first-name", "Pat"])
        .fails(2)
        .to_string();
    assert!(err.starts_with("error: --first-name and --last-name go with a single EMAIL\nhint: "), "{err}");
    assert_eq!(env.query("SELECT count(*) FROM users"), "1", "nothing changed");
}

#[test]
fn invite_send_without_an_argument_mentions_all() {
    let env = Env::new();
    let err = env.run(&["invite", "send"]).fails(2).to_string();
    assert!(err.contains("--all"), "{err}");
}

#[test]
fn db_backup_to_an_existing_file_says_force_exists_and_force_replaces_it() {
    let env = Env::new();
    std::fs::write(env.home().join("b.db"), "old").unwrap();
    let err = env.run(&["db", "backup", "b.db"]).fails(5).to_string();
    assert_eq!(err, "error: b.db already exists\nhint: choose a new file name, or pass --force to replace it\n");
    assert_eq!(std::fs::read(env.home().join("b.db")).unwrap(), b"old");
    env.run(&["db", "backup", "b.db", "--force"]).ok();
    let copy = rusqlite::Connection::open(env.home().join("b.db")).unwrap();
    let n: i64 = copy.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
    // Never over the database itself.
    if !env.on_postgres() {
        let db = env.db_path();
        env.run(&["db", "backup", db.to_str().unwrap(), "--force"]).fails(5);
    }
    env.run(&["user", "list"]).ok();
}

#[test]
fn audit_text_and_json_use_one_form_for_unset() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).ok();
    let run = env.run(&["user", "edit", "bob", "--timezone", "Europe/Berlin"]);
    assert!(run.stderr.contains("changed timezone: ∅ → Europe/Berlin"), "{}", run.stderr);
    let audit = env.run(&["audit", "list", "--format", "json"]).ok().to_string();
    assert!(!audit.contains("(none)"), "JSON null for unset, never a string: {audit}");
}
