//! `acct user reset-2fa`: clears the TOTP enrolment and the recovery codes,
//! the method becomes `email`; refused under SSO; more-privileged targets.

mod common;
use common::Env;

/// Give a user a TOTP enrolment, a failure count and two recovery codes.
fn enrol(env: &Env, username: &str) {
    env.exec(
        "UPDATE users SET two_factor = 'app', totp_secret = 'JBSWY3DPEHPK3PXP', totp_last_step = 58000000,
                totp_enrolled_at = '2026-01-01T00:00:00Z', twofa_failures = 3, twofa_locked_until = '2099-01-01T00:00:00Z'
         WHERE username = ?1",
        &[username.into()],
    );
    env.exec(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT id, 'hash-a-' || username FROM users WHERE username = ?1
         UNION ALL SELECT id, 'hash-b-' || username FROM users WHERE username = ?1",
        &[username.into()],
    );
}

fn state(env: &Env, username: &str) -> String {
    env.query(&format!(
        "SELECT two_factor, totp_secret, totp_last_step, totp_enrolled_at, twofa_failures, twofa_locked_until,
                (SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id)
         FROM users u WHERE username = '{username}'"
    ))
}

const ENROLLED: &str = "app|JBSWY3DPEHPK3PXP|58000000|2026-01-01T00:00:00Z|3|2099-01-01T00:00:00Z|2";
const RESET: &str = "email|NULL|NULL|NULL|0|NULL|0";

fn setup() -> Env {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "helpdesk", "--no-send"]).ok();
    enrol(&env, "bob");
    enrol(&env, "carol");
    env
}

#[test]
fn reset_clears_totp_and_recovery_codes_and_falls_back_to_email() {
    let env = setup();
    assert_eq!(state(&env, "bob"), ENROLLED);
    let audit = env.audit_count();
    let run = env.run(&["user", "reset-2fa", "bob", "--yes"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "reset the 2FA of bob; they now use e-mail codes\n");
    assert_eq!(state(&env, "bob"), RESET);
    assert_eq!(state(&env, "carol"), ENROLLED, "only the target");
    assert_eq!(env.audit_count(), audit + 1);
    let changes = env.query("SELECT action, target, changes FROM audit ORDER BY id DESC LIMIT 1");
    assert_eq!(
        changes,
        r#"user.reset-2fa|bob@example.com|{"two_factor":{"old":"app","new":"email"},"recovery_codes_removed":{"old":2,"new":0}}"#
    );
    assert!(!changes.contains("JBSWY3DPEHPK3PXP"), "secrets never logged");
    let v: serde_json::Value = serde_json::from_str(env.run(&["user", "show", "bob", "--format", "json"]).ok()).unwrap();
    assert_eq!(v["two_factor"], "email");
}

#[test]
fn several_users_at_once() {
    let env = setup();
    let run = env.run(&["user", "reset-2fa", "bob", "carol@example.com", "-y"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "reset the 2FA of bob; they now use e-mail codes\nreset the 2FA of carol@example.com; they now use e-mail codes\n"
    );
    assert_eq!(state(&env, "bob"), RESET);
    assert_eq!(state(&env, "carol"), RESET);
}

#[test]
fn yes_is_required_without_a_terminal() {
    let env = setup();
    let run = env.run(&["user", "reset-2fa", "bob"]);
    assert_eq!(run.fails(2), "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n");
    assert_eq!(state(&env, "bob"), ENROLLED);
}

#[test]
fn refused_while_the_organization_has_sso_on() {
    let env = setup();
    env.run(&["org", "set", "--sso", "on"]).ok();
    let audit = env.audit_count();
    let run = env.run(&["user", "reset-2fa", "bob", "--yes"]);
    assert_eq!(
        run.fails(5),
        "error: 2FA is managed by your SSO provider (acme has sso on)\n\
         hint: set --sso-disabled true on bob@example.com first, or reset 2FA in the SSO provider\n"
    );
    assert_eq!(state(&env, "bob"), ENROLLED);
    assert_eq!(env.audit_count(), audit);
    // A user with sso_disabled is managed by acct.
    env.run(&["user", "edit", "bob", "--sso-disabled", "true"]).ok();
    env.run(&["user", "reset-2fa", "bob", "--yes"]).ok();
    assert_eq!(state(&env, "bob"), RESET);
}

#[test]
fn helpdesk_cannot_reset_an_admin() {
    let env = setup();
    env.activate("bob@example.com");
    enrol(&env, "ada");
    let run = env.run_as("bob", &["user", "reset-2fa", "ada", "--yes"]);
    let err = run.fails(4);
    assert!(
        err.starts_with("error: permission denied: cannot reset the 2FA of ada@example.com: they hold user:invite "),
        "{err}"
    );
    assert!(err.ends_with(" org:admin global:admin global:read in acme, which you do not\n"), "{err}");
    assert_eq!(state(&env, "ada"), ENROLLED);
    // A helpdesk member may reset a peer.
    let run = env.run_as("bob", &["user", "reset-2fa", "carol", "--yes"]);
    assert_eq!(run.ok(), "");
    assert_eq!(state(&env, "carol"), RESET);
}

#[test]
fn reset_needs_the_permission() {
    let env = setup();
    env.run(&["user", "add", "ro@example.com", "--role", "read-only", "--no-send"]).ok();
    env.activate("ro@example.com");
    let run = env.run_as("ro", &["user", "reset-2fa", "bob", "--yes"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: 'user:reset-2fa' is needed in acme (you have user:read role:read group:read audit:read)\n"
    );
    assert_eq!(state(&env, "bob"), ENROLLED);
}

#[test]
fn all_or_nothing_unless_keep_going() {
    let env = setup();
    env.activate("bob@example.com");
    enrol(&env, "ada");
    let run = env.run_as("bob", &["user", "reset-2fa", "carol", "ada", "--yes"]);
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(state(&env, "carol"), ENROLLED);
    let run = env.run_as("bob", &["user", "reset-2fa", "carol", "ada", "--yes", "--keep-going"]);
    let err = run.fails(7);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert_eq!(lines[0], "reset the 2FA of carol; they now use e-mail codes");
    assert!(lines[1].starts_with("warning: ada: permission denied: cannot reset the 2FA of ada@example.com"), "{err}");
    assert_eq!(lines[2], "error: 1 of 2 targets failed; the others were applied");
    assert_eq!(state(&env, "carol"), RESET);
    assert_eq!(state(&env, "ada"), ENROLLED);
}

#[test]
fn dry_run_resets_nothing() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "reset-2fa", "bob", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "would reset the 2FA of bob\ndry run: nothing was changed\n");
    assert_eq!(state(&env, "bob"), ENROLLED);
    assert_eq!(env.audit_count(), audit);
}
