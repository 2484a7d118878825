//! The prompts of `acct user` on a pseudo-terminal: the role select of
//! `user add`, the confirmation of `user remove`, the column chooser of
//! `user list`, the field chooser of `user export`, and `user edit` in
//! `$EDITOR` with a scripted editor.

mod common;
use common::Env;
use rexpect::process::WaitStatus;
use rexpect::session::PtySession;

const TIMEOUT_MS: u64 = 10_000;
const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

/// The command of `Env::command()` with stdin, stdout and stderr on a
/// pseudo-terminal.
fn pty(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> PtySession {
    env.pty(args, envs, TIMEOUT_MS)
}

fn send(p: &mut PtySession, keys: &str) {
    p.send(keys).expect("send keys");
    p.flush().expect("flush keys");
}

/// Everything the process still prints, and its exit code.
fn finish(mut p: PtySession) -> (String, i32) {
    let rest = p.exp_eof().expect("eof");
    // The reader turns each byte into a char: undo that for UTF-8 text.
    let rest = String::from_utf8_lossy(&rest.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()).into_owned();
    let code = match p.process().wait().expect("wait") {
        WaitStatus::Exited(_, code) => code,
        other => panic!("acct did not exit normally: {other:?}\n{rest}"),
    };
    (rest, code)
}

/// The roles of a user, comma-separated.
fn roles_of(env: &Env, email: &str) -> String {
    env.rows(
        "SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         JOIN users u ON u.id = ur.user_id WHERE u.email = ?1 ORDER BY ur.role_id",
        &[email.into()],
    )
    .join(",")
}

#[test]
fn user_add_without_role_selects_one_with_the_arrow_keys() {
    let env = Env::new();
    let mut p = pty(&env, &["user", "add", "bob@example.com", "--no-send"], &[]);
    p.exp_string("Role for the new member").expect("the role prompt");
    // Least privileged first (SPEC §4): read-only, helpdesk, full-admin.
    p.exp_string("read-only (Read Only)").expect("built-in roles listed");
    p.exp_string("helpdesk (Helpdesk)").expect("built-in roles listed");
    p.exp_string("full-admin (Full Administrator)").expect("built-in roles listed");
    // One step down from read-only is helpdesk.
    send(&mut p, DOWN);
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("bob@example.com invited to acme; the invitation is pending"), "{out}");
    assert_eq!(roles_of(&env, "bob@example.com"), "helpdesk");
}

#[test]
fn user_add_role_prompt_starts_on_read_only_never_full_admin() {
    let env = Env::new();
    let mut p = pty(&env, &["user", "add", "hal@example.com", "--no-send"], &[]);
    p.exp_string("Role for the new member").expect("the role prompt");
    // The list is drawn least privileged first, full-admin last.
    let before = p.exp_string("full-admin (Full Administrator)").expect("full-admin listed");
    assert!(before.contains("read-only (Read Only)"), "read-only comes before full-admin: {before:?}");
    assert!(before.contains("helpdesk (Helpdesk)"), "helpdesk comes before full-admin: {before:?}");
    // Enter at once takes the preselected role.
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(roles_of(&env, "hal@example.com"), "read-only");
}

#[test]
fn user_add_without_role_lists_custom_roles_too() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read", "--display-name", "Auditor"]).ok();
    let mut p = pty(&env, &["user", "add", "bob@example.com", "--no-send"], &[]);
    p.exp_string("Role for the new member").expect("the role prompt");
    p.exp_string("auditor (Auditor)").expect("the custom role is listed");
    // auditor (one read permission), read-only, helpdesk, full-admin: the
    // prompt starts on read-only, one step up is auditor.
    send(&mut p, "\x1b[A");
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(roles_of(&env, "bob@example.com"), "auditor");
}

#[test]
fn user_remove_asks_and_y_removes() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let mut p = pty(&env, &["user", "remove", "bob"], &[]);
    p.exp_string("Remove bob from acme?").expect("the confirmation");
    send(&mut p, "y");
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed bob; they belong to no organization now and are in the trash"), "{out}");
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'bob'"), "0");
    assert_ne!(env.query("SELECT trashed_at FROM users WHERE username = 'bob'"), "NULL");
}

#[test]
fn user_remove_asks_and_n_changes_nothing() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let audit = env.audit_count();
    let mut p = pty(&env, &["user", "remove", "bob"], &[]);
    p.exp_string("Remove bob from acme?").expect("the confirmation");
    send(&mut p, "n");
    let (out, code) = finish(p);
    // Saying no is an answer, not a failure (issue 17.12): exit 0.
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("cancelled; nothing was changed") && !out.contains("error:"), "{out}");
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'bob'"), "1");
    assert_eq!(env.query("SELECT trashed_at FROM users WHERE username = 'bob'"), "NULL");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn user_reset_2fa_asks_for_confirmation() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.exec("UPDATE users SET two_factor = 'app', totp_secret = 'JBSWY3DPEHPK3PXP' WHERE username = 'bob'", &[]);
    let mut p = pty(&env, &["user", "reset-2fa", "bob"], &[]);
    p.exp_string("Reset two-factor authentication of bob?").expect("the confirmation");
    send(&mut p, "y");
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reset the 2FA of bob; they now use e-mail codes"), "{out}");
    assert_eq!(
        env.query("SELECT two_factor || '/' || coalesce(totp_secret, 'NULL') FROM users WHERE username = 'bob'"),
        "email/NULL"
    );
}

#[test]
fn user_list_choose_columns_saves_list_columns() {
    let env = Env::new();
    let mut p = pty(&env, &["user", "list", "--choose-columns"], &[]);
    p.exp_string("Columns to show").expect("the checkbox list");
    p.exp_string("created_at").expect("every column is offered (the terminal shows a page)");
    // The cursor starts on 'id' (unticked): tick it; then untick 'status'
    // (the tenth item).
    send(&mut p, " ");
    for _ in 0..9 {
        send(&mut p, DOWN);
    }
    send(&mut p, " ");
    send(&mut p, ENTER);
    p.exp_string("Order the columns").expect("the sort prompt");
    // Pick up 'email' (first), move it one down, drop it, accept.
    send(&mut p, " ");
    send(&mut p, DOWN);
    send(&mut p, " ");
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("saved list.columns = first_name,email,last_name,role,two_factor,id"), "{out}");
    assert_eq!(env.run(&["config", "get", "list.columns"]).ok(), "first_name,email,last_name,role,two_factor,id\n");
    // Later lists use the saved columns.
    assert_eq!(
        env.run(&["user", "list", "--format", "csv"]).ok(),
        "first_name,email,last_name,role,two_factor,id\r\n,ada@example.com,,full-admin,none,1\r\n"
    );
}

#[test]
fn user_export_field_chooser_starts_with_every_field_ticked() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--first-name", "Bob", "--no-send"]).ok();
    let file = env.home().join("out.csv");
    let mut p = pty(&env, &["user", "export", "-o", file.to_str().unwrap()], &[]);
    p.exp_string("Fields to export").expect("the checkbox list");
    p.exp_string("2FA (two_factor)").expect("the export dialog's labels");
    // Untick 'Email Address' (second) and accept.
    send(&mut p, DOWN);
    send(&mut p, " ");
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("exported 2 users to {}", file.display())), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "id,first_name,last_name,role,two_factor\r\n1,,,full-admin,none\r\n2,Bob,,helpdesk,none\r\n"
    );
}

#[test]
fn user_export_field_chooser_accepts_all_by_default() {
    let env = Env::new();
    let file = env.home().join("all.csv");
    let mut p = pty(&env, &["user", "export", "-o", file.to_str().unwrap()], &[]);
    p.exp_string("Fields to export").expect("the checkbox list");
    p.exp_string("2FA (two_factor)").expect("every field");
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "id,email,first_name,last_name,role,two_factor\r\n1,ada@example.com,,,full-admin,none\r\n"
    );
}

/// An executable script in the environment's home.
fn script(env: &Env, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = env.home().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

fn bob(env: &Env) {
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
}

#[test]
fn user_edit_without_flags_applies_what_the_editor_changed() {
    let env = Env::new();
    bob(&env);
    let editor = script(
        &env,
        "editor.sh",
        r#"grep -q '^first_name = "Bob"$' "$1" || exit 3
sed -i 's/^first_name = .*/first_name = "Robert"/; s/^timezone = .*/timezone = "Europe\/Berlin"/' "$1""#,
    );
    let audit = env.audit_count();
    let p = pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("bob@example.com: changed first_name: Bob → Robert"), "{out}");
    assert!(out.contains("bob@example.com: changed timezone: ∅ → Europe/Berlin"), "{out}");
    assert_eq!(env.query("SELECT first_name, timezone FROM users WHERE username = 'bob'"), "Robert|Europe/Berlin");
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        env.query("SELECT changes FROM audit ORDER BY id DESC LIMIT 1"),
        // full_name and initials follow the first name (SPEC §1).
        r#"{"first_name":{"old":"Bob","new":"Robert"},"full_name":{"old":"Bob Smith","new":"Robert Smith"},"initials":{"old":"BS","new":"RS"},"timezone":{"old":null,"new":"Europe/Berlin"}}"#
    );
}

#[test]
fn user_edit_without_flags_and_no_change_writes_nothing() {
    let env = Env::new();
    bob(&env);
    let editor = script(&env, "noop.sh", r#"test -s "$1""#);
    let before = env.query("SELECT updated_at FROM users WHERE username = 'bob'");
    let audit = env.audit_count();
    let p = pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    assert_eq!(env.audit_count(), audit);
    assert_eq!(env.query("SELECT updated_at FROM users WHERE username = 'bob'"), before);
}

#[test]
fn user_edit_in_editor_is_checked_like_flags() {
    let env = Env::new();
    bob(&env);
    // The org admin may not change someone else's phone.
    let editor = script(&env, "phone.sh", r#"sed -i 's/^phone = .*/phone = "+4915112345678"/' "$1""#);
    let audit = env.audit_count();
    let p = pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]);
    let (out, code) = finish(p);
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("error: permission denied: 'phone' can be changed only by the user themself (you are org admin of acme)"),
        "{out}"
    );
    assert_eq!(env.query("SELECT phone FROM users WHERE username = 'bob'"), "NULL");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn user_edit_in_editor_rejects_invalid_toml() {
    let env = Env::new();
    bob(&env);
    let editor = script(&env, "broken.sh", r#"echo 'first_name = "unterminated' >> "$1""#);
    let p = pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]);
    let (out, code) = finish(p);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("error: the edited text is not valid TOML"), "{out}");
    assert_eq!(env.query("SELECT first_name FROM users WHERE username = 'bob'"), "Bob");
}

#[test]
fn user_edit_in_editor_by_the_user_themself() {
    let env = Env::new();
    bob(&env);
    env.activate("bob@example.com");
    let editor = script(&env, "phone.sh", r#"sed -i 's/^phone = .*/phone = "+4915112345678"/' "$1""#);
    let p = pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor), ("ACCT_ACTOR", "bob")]);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.query("SELECT phone FROM users WHERE username = 'bob'"), "+4915112345678");
}

#[test]
fn the_editor_sees_every_editable_field_as_toml() {
    let env = Env::new();
    bob(&env);
    env.run(&["group", "create", "eng"]).ok();
    let seen = env.home().join("seen.toml");
    let editor = script(&env, "copy.sh", &format!(r#"cp "$1" '{}'"#, seen.display()));
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]));
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&seen).unwrap();
    let doc: toml_edit::DocumentMut = text.parse().expect("TOML");
    let keys: Vec<&str> = doc.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "full_name",
            "first_name",
            "last_name",
            "initials",
            "email",
            "phone",
            "timezone",
            "notify",
            "robot",
            "active",
            "sso_disabled",
            "sms_auto_send",
            "require_2fa",
            "primary_group",
            "groups"
        ]
    );
    assert_eq!(doc["first_name"].as_str(), Some("Bob"));
    assert_eq!(doc["email"].as_str(), Some("bob@example.com"));
    assert_eq!(doc["phone"].as_str(), Some(""));
    assert_eq!(doc["notify"].as_bool(), Some(true));
    assert_eq!(doc["primary_group"].as_str(), Some("everyone"));
    assert_eq!(doc["groups"].as_array().map(|a| a.len()), Some(0));
    // Read-only attributes are only mentioned in comments.
    assert!(text.lines().any(|l| l.starts_with('#') && l.contains("username bob")), "{text}");
}

#[test]
fn the_editor_can_change_groups() {
    let env = Env::new();
    bob(&env);
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    let editor = script(
        &env,
        "groups.sh",
        r#"sed -i 's/^groups = .*/groups = ["eng", "ops"]/; s/^primary_group = .*/primary_group = "ops"/' "$1""#,
    );
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        env.query(
            "SELECT group_concat(g.slug) FROM (SELECT g.slug FROM group_members gm JOIN groups g ON g.id = gm.group_id
             JOIN users u ON u.id = gm.user_id WHERE u.username = 'bob' ORDER BY g.slug) g"
        ),
        "eng,ops"
    );
    assert_eq!(
        env.query("SELECT g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.username = 'bob'"),
        "ops"
    );
}

#[test]
fn visual_wins_over_editor() {
    let env = Env::new();
    bob(&env);
    let visual = script(&env, "visual.sh", r#"sed -i 's/^last_name = .*/last_name = "Visual"/' "$1""#);
    let editor = script(&env, "editor.sh", r#"sed -i 's/^last_name = .*/last_name = "Editor"/' "$1""#);
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor), ("VISUAL", &visual)]));
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.query("SELECT last_name FROM users WHERE username = 'bob'"), "Visual");
}

#[test]
fn a_failing_editor_changes_nothing() {
    let env = Env::new();
    bob(&env);
    let editor = script(&env, "fail.sh", r#"sed -i 's/^first_name = .*/first_name = "Robert"/' "$1"; exit 1"#);
    let audit = env.audit_count();
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("error: the editor '{editor}' failed; nothing was changed")), "{out}");
    assert_eq!(env.query("SELECT first_name FROM users WHERE username = 'bob'"), "Bob");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn deleting_a_key_in_the_editor_is_refused() {
    let env = Env::new();
    bob(&env);
    let editor = script(&env, "delete.sh", r#"sed -i '/^timezone = /d; s/^first_name = .*/first_name = "Robert"/' "$1""#);
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor)]));
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("error: 'timezone' was deleted; to clear a value set it to \"\""), "{out}");
    assert_eq!(env.query("SELECT first_name FROM users WHERE username = 'bob'"), "Bob");
}

#[test]
fn the_editor_is_not_a_way_around_user_read() {
    let env = Env::new();
    bob(&env);
    env.exec("UPDATE users SET phone = '+4915100000001' WHERE username = 'bob'", &[]);
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["user", "add", "eve@example.com", "--role", "auditor", "--no-send"]).ok();
    env.activate("eve@example.com");
    // 'user show' is refused ...
    assert_eq!(env.run_as("eve", &["user", "show", "bob"]).code, 4);
    // ... and so must the editor be, before it shows anything.
    let seen = env.home().join("seen.toml");
    let editor = script(&env, "copy.sh", &format!(r#"cp "$1" '{}'"#, seen.display()));
    let (out, code) = finish(pty(&env, &["user", "edit", "bob"], &[("EDITOR", &editor), ("ACCT_ACTOR", "eve")]));
    let leaked = std::fs::read_to_string(&seen).unwrap_or_default();
    assert!(!leaked.contains("+4915100000001"), "bob's phone was shown to eve:\n{leaked}");
    assert_eq!(code, 4, "{out}");
}

// ---- tables fit the terminal (issue 17.5) ----

/// acct on a pseudo-terminal whose window is `cols` columns wide (0: a
/// terminal that reports no width).
fn pty_sized(env: &Env, cols: u16, args: &[&str]) -> PtySession {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!("stty cols {cols} rows 50 && NO_COLOR=1 exec \"$0\" {}", quoted.join(" "));
    env.pty_shell(&script, false, TIMEOUT_MS)
}

fn table_lines(out: &str) -> Vec<String> {
    out.lines().map(|l| l.trim_end_matches('\r').to_string()).filter(|l| !l.is_empty()).collect()
}

fn wide_members(env: &Env) {
    for (e, f, l) in
        [("grace.hopper-murray@example.com", "Grace Brewster", "Hopper-Murray"), ("bob@example.com", "Bob", "Builder")]
    {
        env.run(&["user", "add", e, "--role", "read-only", "--no-send", "--first-name", f, "--last-name", l]).ok();
    }
}

#[test]
fn a_table_on_a_narrow_terminal_cuts_cells_instead_of_wrapping() {
    let env = Env::new();
    wide_members(&env);
    let (out, code) = finish(pty_sized(&env, 60, &["user", "list", "--all-columns"]));
    assert_eq!(code, 0, "{out}");
    // Columns that cannot get a few characters are left out, and stderr says which.
    assert!(out.contains("column(s) left out to fit 60 terminal columns"), "{out}");
    assert!(out.contains("updated_at"), "{out}");
    let lines: Vec<String> = table_lines(&out).into_iter().filter(|l| !l.starts_with("note:")).collect();
    // Borders, the header and one line per member: nothing wrapped.
    assert_eq!(lines.len(), 3 + 3 + 1, "{out}");
    for l in &lines {
        assert!(l.chars().count() <= 60, "{} columns: {l}", l.chars().count());
    }
    assert!(out.contains('…'), "cut cells end with …: {out}");
}

#[test]
fn a_terminal_reporting_width_zero_is_taken_as_80_columns() {
    let env = Env::new();
    wide_members(&env);
    let (out, code) = finish(pty_sized(&env, 0, &["user", "list"]));
    assert_eq!(code, 0, "{out}");
    let lines = table_lines(&out);
    assert_eq!(lines.len(), 3 + 3 + 1, "{out}");
    let widest = lines.iter().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 80 && widest > 70, "width {widest}: {out}");
    assert!(out.contains("│ ada@example… ┆"), "long cells are cut: {out}");
    assert!(out.contains("┆ full-admin ┆"), "short cells stay whole: {out}");
}

#[test]
fn machine_formats_stay_whole_on_a_narrow_terminal() {
    let env = Env::new();
    wide_members(&env);
    let (out, code) = finish(pty_sized(&env, 30, &["user", "list", "--all-columns", "--format", "csv"]));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "grace.hopper-murray@example.com,grace.hopper-murray,Grace Brewster,Hopper-Murray,Grace Brewster Hopper-Murray"
        ),
        "{out}"
    );
    assert!(!out.contains('…'), "{out}");
}

/// No question is on screen while the write lock is held: while one
/// operator reads "Remove bob from acme?", another one's write goes through
/// at once (it would otherwise wait the whole busy timeout and fail).
#[test]
fn a_confirmation_on_screen_holds_no_lock() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let mut p = pty(&env, &["user", "remove", "bob"], &[]);
    p.exp_string("Remove bob from acme?").expect("the confirmation");
    let started = std::time::Instant::now();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "the other write waited {:?}", started.elapsed());
    send(&mut p, "y");
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'bob'"), "0");
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'carol'"), "1");
}

/// What was confirmed is what is done: when the facts change while the
/// question is on screen so that the command would now ask something
/// else, nothing is changed.
#[test]
fn a_confirmation_that_no_longer_holds_changes_nothing() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    let mut p = pty(&env, &["user", "remove", "bob", "carol", "--keep-going"], &[]);
    p.exp_string("Remove bob, carol from acme?").expect("the confirmation");
    env.run(&["user", "remove", "carol", "--yes"]).ok();
    let audit = env.audit_count();
    send(&mut p, "y");
    let (out, code) = finish(p);
    assert_eq!(code, 5, "{out}");
    assert!(
        out.contains("error: the database changed while the question was on screen; nothing was changed")
            && out.contains("hint: it would now ask: Remove bob from acme?"),
        "{out}"
    );
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'bob'"), "1");
    assert_eq!(env.audit_count(), audit);
}

/// `apply --prune` on a terminal shows its plan once, asks with no
/// transaction open, and applies the file as it is read the second time.
#[test]
fn apply_prune_shows_the_plan_once_then_asks() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    let file = env.home().join("team.csv");
    std::fs::write(&file, "email,role\nada@example.com,full-admin\nbob@example.com,read-only\n").unwrap();
    let mut p = pty(&env, &["apply", file.to_str().unwrap(), "--prune", "--no-send"], &[]);
    let before = p.exp_string("Remove 1 member(s) of acme who are not in the file?").expect("the confirmation");
    assert_eq!(before.matches("- remove carol@example.com").count(), 1, "{before}");
    send(&mut p, "y");
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.matches("- remove carol@example.com").count(), 0, "the plan is drawn once, before the question: {out}");
    assert!(out.contains("applied: 0 added, 0 changed, 1 removed"), "{out}");
    assert_eq!(env.query("SELECT trashed_at IS NOT NULL FROM users WHERE username = 'carol'"), "1");
    assert_eq!(env.query("SELECT trashed_at IS NULL FROM users WHERE username = 'bob'"), "1");
}
