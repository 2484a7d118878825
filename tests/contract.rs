//! The machine contract across commands (SPEC §4, §5): answers that agree
//! between `can-i` and the command, no-op mutations, counts and names.

mod common;
mod support;

use common::Env;
use support::*;

fn member(env: &Env, email: &str, role: &str) {
    env.run(&["user", "add", email, "--role", role, "--no-send"]).ok();
    env.db().execute("UPDATE users SET status = 'active', accepted = 1 WHERE email = ?1", [email]).unwrap();
}

#[test]
fn sms_auto_send_can_always_be_turned_off_and_can_i_says_so() {
    let env = Env::new();
    member(&env, "bob@example.com", "read-only");
    member(&env, "carol@example.com", "read-only");
    env.run_as("bob@example.com", &["user", "edit", "bob@example.com", "--phone", "+4915112345678"]).ok();
    env.run_as("bob@example.com", &["user", "edit", "bob@example.com", "--sms-auto-send", "true"]).ok();
    let r = env.run(&["org", "set", "--sms-2fa", "disallowed"]);
    r.ok();
    assert!(
        r.stderr
            .starts_with("warning: 1 member(s) of acme still have sms_auto_send on; it has no effect while SMS is disallowed"),
        "{}",
        r.stderr
    );
    // On for bob: turning it off is allowed, and can-i agrees.
    assert_eq!(env.run(&["can-i", "edit", "bob@example.com", "--field", "sms_auto_send"]).ok(), "yes\n");
    env.run(&["user", "edit", "bob@example.com", "--sms-auto-send", "false", "--dry-run"]).ok();
    // Off for carol: turning it on is refused, and can-i agrees.
    let r = env.run(&["can-i", "edit", "carol@example.com", "--field", "sms_auto_send"]);
    assert_eq!((r.code, r.stdout.as_str()), (4, "no\n"));
    assert_eq!(r.stderr.lines().next(), Some("reason: 'sms_auto_send' needs an organization that allows sms_2fa"));
    assert_eq!(
        env.run(&["user", "edit", "carol@example.com", "--sms-auto-send", "true"]).fails(5),
        "error: 'sms_auto_send' needs an organization that allows sms_2fa\n"
    );
    env.run(&["user", "edit", "bob@example.com", "--sms-auto-send", "false"]).ok();
    assert_eq!(env.query("SELECT sms_auto_send FROM users WHERE email = 'bob@example.com'"), "0");
    // Nobody left with it on: no warning.
    env.run(&["org", "set", "--sms-2fa", "allowed"]).ok();
    let r = env.run(&["org", "set", "--sms-2fa", "disallowed"]);
    r.ok();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}
