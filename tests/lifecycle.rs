//! Accounts over time (SPEC §4 invitations and the trash, §5): invitations of
//! deactivated users, invitations that follow a member from one organization
//! to another, expired invitations shown as such, under a moved clock
//! (`faketime`, from Debian's package of that name).

mod common;
mod support;

use common::{Env, Run, bin, output};
use support::*;

/// acct under `faketime -f OFFSET` (e.g. `+8d`), in the sealed environment.
fn later(env: &Env, offset: &str, args: &[&str]) -> Run {
    let sealed = env.command();
    let mut f = std::process::Command::new("faketime");
    f.env_clear();
    for (k, v) in sealed.get_envs() {
        if let Some(v) = v {
            f.env(k, v);
        }
    }
    f.arg("-f").arg(offset).arg(bin()).args(args).current_dir(env.home()).stdin(std::process::Stdio::null());
    output(f, None)
}

fn invited(env: &Env, org: &str, email: &str) {
    env.run(&["--org", org, "user", "add", email, "--role", "read-only", "--no-send"]).ok();
}

#[test]
fn invite_send_all_skips_deactivated_users_and_says_why() {
    let env = Env::new();
    invited(&env, "acme", "bob@example.com");
    invited(&env, "acme", "carol@example.com");
    env.run(&["user", "edit", "carol@example.com", "--active", "false"]).ok();
    let list = json(env.run(&["invite", "list", "--format", "json"]).ok());
    let states: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["email"].as_str().unwrap().into(), r["state"].as_str().unwrap().into()))
        .collect();
    assert_eq!(states, [("bob@example.com".into(), "open".into()), ("carol@example.com".into(), "deactivated".into())]);
    let r = env.run(&["invite", "send", "--all"]);
    assert_eq!(r.ok(), "");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines[0], "skipped carol@example.com: the account has been deactivated");
    assert!(lines[1].starts_with("invitation for bob@example.com written to "), "{}", r.stderr);
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert_eq!(
        env.query("SELECT delivery FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'carol@example.com'"),
        "pending"
    );
    // Named, it is a conflict that says what is true.
    let r = env.run(&["invite", "send", "carol@example.com"]);
    assert_eq!(
        r.fails(5),
        "error: carol@example.com has been deactivated\nhint: reactivate them first: acct user edit carol@example.com --active true\n"
    );
}

#[test]
fn an_invitation_follows_the_identity_when_its_membership_is_removed() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    invited(&env, "acme", "dora@example.com");
    env.run(&["--org", "beta", "user", "add", "dora@example.com", "--role", "read-only"]).ok();
    env.run(&["user", "remove", "dora@example.com", "--yes"]).ok();
    assert_eq!(env.query("SELECT o.slug || '|' || i.state FROM invitations i JOIN orgs o ON o.id = i.org_id"), "beta|open");
    assert_eq!(
        env.query("SELECT changes FROM audit WHERE action = 'user.remove'"),
        r#"{"member":{"old":true,"new":false},"roles":{"old":["read-only"],"new":[]},"primary_group":{"old":"acme/everyone","new":"beta/everyone"},"invitation":{"old":"acme","new":"beta"}}"#
    );
    // beta can now send it.
    let r = env.run(&["--org", "beta", "invite", "send", "dora@example.com"]);
    assert_eq!(r.ok(), "");
    assert!(r.stderr.starts_with("invitation for dora@example.com written to "), "{}", r.stderr);
    let listed = json(env.run(&["--org", "beta", "invite", "list", "--format", "json"]).ok());
    assert_eq!(listed[0]["email"], "dora@example.com");
    assert_eq!(listed[0]["delivery"], "sent");
}

#[test]
fn expired_invitations_are_shown_as_expired_and_point_at_resend() {
    let env = Env::new();
    env.run(&["user", "add", "erin@example.com", "--role", "read-only"]).ok();
    // Now: open. Eight days later (the default lifetime is 7): expired.
    assert_eq!(json(env.run(&["invite", "list", "--format", "json"]).ok())[0]["state"], "open");
    let r = later(&env, "+8d", &["invite", "list", "--format", "json"]);
    assert_eq!(json(r.ok())[0]["state"], "expired", "{r:?}");
    let r = later(&env, "+8d", &["user", "show", "erin@example.com", "--format", "json"]);
    assert_eq!(json(r.ok())["invitation"]["state"], "expired");
    let r = later(&env, "+8d", &["invite", "send", "--all"]);
    assert_eq!(r.ok(), "");
    assert_eq!(
        r.stderr,
        "no pending invitations in acme\n1 sent invitation(s) have expired; send a new link with 'acct invite resend USER' ('acct invite list' shows them)\n"
    );
    // Resend makes a new link that is open again.
    later(&env, "+8d", &["invite", "resend", "erin@example.com"]).ok();
    assert_eq!(json(later(&env, "+8d", &["invite", "list", "--format", "json"]).ok())[0]["state"], "open");
}

#[test]
fn role_and_group_changes_update_updated_at() {
    let env = Env::new();
    invited(&env, "acme", "finn@example.com");
    env.run(&["group", "create", "eng"]).ok();
    let stamp = |env: &Env| env.query("SELECT updated_at FROM users WHERE email = 'finn@example.com'");
    let mut before = stamp(&env);
    for (offset, args) in [
        ("+1d", vec!["role", "assign", "finn@example.com", "helpdesk"]),
        ("+2d", vec!["role", "unassign", "finn@example.com", "helpdesk"]),
        ("+3d", vec!["group", "add-member", "eng", "finn@example.com"]),
        ("+4d", vec!["group", "remove-member", "eng", "finn@example.com"]),
        ("+5d", vec!["group", "add-manager", "eng", "finn@example.com"]),
    ] {
        later(&env, offset, &args).ok();
        let now = stamp(&env);
        assert!(now > before, "{args:?}: {before} → {now}");
        before = now;
    }
    // A no-op changes nothing, not even the time.
    later(&env, "+6d", &["group", "add-manager", "eng", "finn@example.com"]).ok();
    assert_eq!(stamp(&env), before);
}
