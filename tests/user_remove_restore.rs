//! `acct user remove` and `acct user restore`: confirmation, the trash, the
//! 30-day restore window, the last-admin and more-privileged-target rules.

mod common;
use common::Env;

/// bob (helpdesk and read-only, invited), carol (read-only, invited).
fn setup() -> Env {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    env
}

fn is_member(env: &Env, username: &str, org: &str) -> bool {
    env.query(&format!(
        "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = m.org_id
         WHERE u.username = '{username}' AND o.slug = '{org}'"
    )) == "1"
}

fn listed(env: &Env) -> String {
    env.run(&["user", "list", "--format", "csv", "--columns", "username"]).ok().replace("\r\n", " ").trim().to_string()
}

fn roles(env: &Env, username: &str) -> String {
    env.query(&format!(
        "SELECT ifnull(group_concat(name, ','), '') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         JOIN users u ON u.id = ur.user_id WHERE u.username = '{username}' ORDER BY r.name) x"
    ))
}

#[test]
fn without_yes_and_without_a_terminal_is_a_usage_error() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "remove", "bob"]);
    assert_eq!(run.fails(2), "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n");
    assert!(is_member(&env, "bob", "acme"));
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn yes_removes_and_a_user_in_no_organization_goes_to_the_trash() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "remove", "bob", "--yes"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "removed bob; they belong to no organization now and are in the trash (restore within 30 days with 'acct user restore bob')\n"
    );
    assert!(!is_member(&env, "bob", "acme"));
    assert_eq!(roles(&env, "bob"), "");
    assert_ne!(env.query("SELECT trashed_at FROM users WHERE username = 'bob'"), "NULL");
    assert_eq!(listed(&env), "username ada carol");
    // Shown as trashed, with the command that brings them back ('user add' is refused; issue 17.6).
    let shown = env.run(&["user", "show", "bob"]);
    assert!(shown.ok().contains("status         removed\n"), "{}", shown.stdout);
    assert!(shown.stderr.ends_with("hint: bring them back with 'acct user restore bob@example.com'\n"), "{}", shown.stderr);
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        env.query("SELECT action, target, changes FROM audit ORDER BY id DESC LIMIT 1"),
        r#"user.remove|bob@example.com|{"member":{"old":true,"new":false},"roles":{"old":["helpdesk","read-only"],"new":[]},"trashed":{"old":false,"new":true}}"#
    );
    // -y is the short form.
    env.run(&["user", "remove", "-y", "carol"]).ok();
    assert_eq!(listed(&env), "username ada");
}

#[test]
fn restore_brings_back_membership_and_roles() {
    let env = setup();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["user", "edit", "bob", "--primary-group", "eng"]).ok();
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    let id = env.query("SELECT id FROM users WHERE username = 'bob'");
    let audit = env.audit_count();
    let run = env.run(&["user", "restore", "bob"]);
    assert_eq!(run.ok(), "");
    // bob never accepted his invitation: the note says how to send the new one (issue 17.6).
    assert_eq!(
        run.stderr,
        "restored bob@example.com into acme with helpdesk, read-only\n\
         bob@example.com never accepted their invitation; a new one is pending: send it with 'acct invite send bob@example.com'\n"
    );
    assert!(is_member(&env, "bob", "acme"));
    assert_eq!(roles(&env, "bob"), "helpdesk,read-only");
    assert_eq!(env.query("SELECT id, trashed_at FROM users WHERE username = 'bob'"), format!("{id}|NULL"));
    assert_eq!(
        env.query("SELECT g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.username = 'bob'"),
        "eng"
    );
    assert_eq!(listed(&env), "username ada bob carol");
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        env.query("SELECT action, changes FROM audit ORDER BY id DESC LIMIT 1"),
        r#"user.restore|{"trashed":{"old":true,"new":false},"roles":{"old":[],"new":["helpdesk","read-only"]}}"#
    );
}

#[test]
fn restore_within_30_days_but_not_after() {
    let env = setup();
    env.run(&["user", "remove", "bob", "carol", "--yes"]).ok();
    let day29 = (chrono::Utc::now() - chrono::TimeDelta::days(29)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let day31 = (chrono::Utc::now() - chrono::TimeDelta::days(31)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    env.exec("UPDATE users SET trashed_at = ?1 WHERE username = 'bob'", &[day29.as_str().into()]);
    env.exec("UPDATE users SET trashed_at = ?1 WHERE username = 'carol'", &[day31.as_str().into()]);
    env.run(&["user", "restore", "bob"]).ok();
    assert!(is_member(&env, "bob", "acme"));
    let audit = env.audit_count();
    let run = env.run(&["user", "restore", "carol"]);
    assert_eq!(
        run.fails(5),
        format!(
            "error: carol@example.com was removed at {day31}, more than 30 days ago, and can no longer be restored\n\
             hint: add them again with 'acct user add carol@example.com'\n"
        )
    );
    assert!(!is_member(&env, "carol", "acme"));
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn restore_of_a_user_not_in_the_trash_is_a_conflict() {
    let env = setup();
    let run = env.run(&["user", "restore", "bob"]);
    assert_eq!(run.fails(5), "error: bob@example.com is not in the trash\nhint: only removed users can be restored\n");
    assert_eq!(env.run(&["user", "restore", "nobody"]).fails(3), "error: user 'nobody' not found\n");
}

#[test]
fn adding_a_trashed_user_points_to_restore_and_after_the_window_makes_a_new_identity() {
    let env = setup();
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only"]);
    assert_eq!(
        run.fails(5),
        "error: bob@example.com was removed and is in the trash\nhint: bring them back with 'acct user restore bob@example.com'\n"
    );
    let old_id: i64 = env.query("SELECT id FROM users WHERE username = 'bob'").parse().unwrap();
    let day40 = (chrono::Utc::now() - chrono::TimeDelta::days(40)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    env.exec("UPDATE users SET trashed_at = ?1 WHERE username = 'bob'", &[day40.as_str().into()]);
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com invited to acme; the invitation is pending (send it with 'acct invite send')\n");
    let new_id: i64 = env.query("SELECT id FROM users WHERE username = 'bob'").parse().unwrap();
    assert!(new_id > old_id, "ids are never reused: {old_id} then {new_id}");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'bob@example.com'"), "1");
    assert_eq!(roles(&env, "bob"), "read-only");
}

#[test]
fn a_member_of_two_organizations_is_only_removed_from_the_current_one() {
    let env = setup();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--org", "beta"]).ok();
    let run = env.run(&["user", "remove", "bob", "--yes"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "removed bob\n");
    assert!(!is_member(&env, "bob", "acme"));
    assert!(is_member(&env, "bob", "beta"));
    assert_eq!(env.query("SELECT trashed_at FROM users WHERE username = 'bob'"), "NULL");
    // The primary group moved to the remaining organization.
    assert_eq!(
        env.query(
            "SELECT o.slug || '/' || g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id JOIN orgs o ON o.id = g.org_id
             WHERE u.username = 'bob'"
        ),
        "beta/everyone"
    );
    assert_eq!(roles(&env, "bob"), "read-only");
    assert_eq!(
        env.run(&["user", "restore", "bob"]).fails(5),
        "error: bob@example.com is not in the trash\nhint: only removed users can be restored\n"
    );
}

#[test]
fn removal_drops_group_memberships_in_that_organization() {
    let env = setup();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["user", "edit", "bob", "--add-group", "eng"]).ok();
    env.run(&["group", "add-manager", "eng", "bob"]).ok();
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    assert_eq!(
        env.query("SELECT count(*) FROM group_members gm JOIN users u ON u.id = gm.user_id WHERE u.username = 'bob'"),
        "0"
    );
    assert_eq!(
        env.query("SELECT count(*) FROM group_managers gm JOIN users u ON u.id = gm.user_id WHERE u.username = 'bob'"),
        "0"
    );
}

#[test]
fn the_last_full_admin_cannot_be_removed() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "remove", "ada", "--yes"]);
    assert_eq!(
        run.fails(5),
        "error: ada@example.com is the last active full-admin of acme\nhint: assign full-admin to another active member first\n"
    );
    assert!(is_member(&env, "ada", "acme"));
    assert_eq!(env.audit_count(), audit);
    // An invited full-admin does not count.
    env.run(&["user", "add", "root@example.com", "--role", "full-admin", "--no-send"]).ok();
    env.run(&["user", "remove", "ada", "--yes"]).fails(5);
    // An active one does: ada may now remove herself.
    env.activate("root@example.com");
    env.run(&["user", "remove", "ada", "--yes"]).ok();
    assert!(!is_member(&env, "ada", "acme"));
}

#[test]
fn removing_needs_user_remove_and_every_permission_of_the_target() {
    let env = setup();
    env.activate("bob@example.com");
    // Helpdesk has no user:remove.
    env.run(&["user", "add", "hd@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.activate("hd@example.com");
    let run = env.run_as("hd", &["user", "remove", "ada", "--yes"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:remove' is needed in acme (you have user:read user:reset-2fa)\n");
    // A remover may not remove someone who holds more.
    env.run(&["role", "create", "remover", "--permission", "user:read", "--permission", "user:remove"]).ok();
    env.run(&["user", "add", "rem@example.com", "--role", "remover", "--no-send"]).ok();
    env.activate("rem@example.com");
    let run = env.run_as("rem", &["user", "remove", "ada", "--yes"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: cannot remove ada@example.com: they hold user:invite user:export user:reset-2fa role:read role:assign role:manage \
         group:read group:manage audit:read org:admin global:admin global:read in acme, which you do not\n"
    );
    let run = env.run_as("rem", &["user", "remove", "hd", "--yes"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: cannot remove hd@example.com: they hold user:reset-2fa in acme, which you do not\n"
    );
    assert!(is_member(&env, "ada", "acme"));
    assert!(is_member(&env, "hd", "acme"));
    // A member with the same permissions can be removed.
    env.run(&["user", "add", "rem2@example.com", "--role", "remover", "--no-send"]).ok();
    env.run_as("rem", &["user", "remove", "rem2", "--yes"]).ok();
    assert!(!is_member(&env, "rem2", "acme"));
}

#[test]
fn several_targets_are_all_or_nothing_unless_keep_going() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "remove", "bob", "nobody", "--yes"]);
    assert_eq!(run.fails(3), "error: user 'nobody' not found\n");
    let run = env.run(&["user", "remove", "bob", "ada", "carol", "--yes"]);
    assert_eq!(
        run.fails(5),
        "error: ada@example.com is the last active full-admin of acme\nhint: assign full-admin to another active member first\n"
    );
    assert!(is_member(&env, "bob", "acme"));
    assert!(is_member(&env, "carol", "acme"));
    assert_eq!(env.audit_count(), audit);

    let run = env.run(&["user", "remove", "bob", "ada", "nobody", "--yes", "--keep-going"]);
    assert_eq!(
        run.fails(7),
        "removed bob; they belong to no organization now and are in the trash (restore within 30 days with 'acct user restore bob')\n\
         warning: ada: ada@example.com is the last active full-admin of acme\n\
         warning: nobody: user 'nobody' not found\n\
         error: 2 of 3 targets failed; the others were applied\n"
    );
    assert!(!is_member(&env, "bob", "acme"));
    assert!(is_member(&env, "ada", "acme"));
}

#[test]
fn dry_run_removes_nothing_and_needs_no_confirmation() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "remove", "bob", "carol", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "would remove bob; they belong to no organization now and are in the trash (restore within 30 days with 'acct user restore bob')\n\
         would remove carol; they belong to no organization now and are in the trash (restore within 30 days with 'acct user restore carol')\n\
         dry run: nothing was changed\n"
    );
    assert!(is_member(&env, "bob", "acme"));
    assert!(is_member(&env, "carol", "acme"));
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn restore_dry_run_says_what_would_happen() {
    let env = setup();
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    let run = env.run(&["user", "restore", "bob", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert!(!is_member(&env, "bob", "acme"));
    assert!(!run.stderr.lines().any(|l| l.starts_with("restored ")), "{}", run.stderr);
    assert!(run.stderr.lines().any(|l| l.starts_with("would restore bob@example.com into acme")), "{}", run.stderr);
}

#[test]
fn restore_dry_run_changes_nothing() {
    let env = setup();
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    let audit = env.audit_count();
    env.run(&["user", "restore", "bob", "--dry-run"]).ok();
    assert!(!is_member(&env, "bob", "acme"));
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn restoring_needs_user_invite() {
    let env = setup();
    env.run(&["user", "add", "hd@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.activate("hd@example.com");
    env.run(&["user", "remove", "carol", "--yes"]).ok();
    let run = env.run_as("hd", &["user", "restore", "carol"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:invite' is needed in acme (you have user:read user:reset-2fa)\n");
    assert!(!is_member(&env, "carol", "acme"));
}

#[test]
fn removing_a_non_member() {
    let env = setup();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "zed@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    let run = env.run(&["user", "remove", "zed", "--yes"]);
    assert_eq!(
        run.fails(3),
        "error: zed@example.com is not a member of acme\nhint: add them with 'acct user add zed@example.com'\n"
    );
    assert!(is_member(&env, "zed", "beta"));
}
