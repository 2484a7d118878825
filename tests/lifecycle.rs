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
    faketime(env, None, &["-f", offset], args)
}

/// The same, acting as `actor` (`ACCT_ACTOR`).
fn later_as(env: &Env, actor: Option<&str>, offset: &str, args: &[&str]) -> Run {
    faketime(env, actor, &["-f", offset], args)
}

/// acct under `faketime CLOCK_ARGS...`, in the sealed environment.
fn faketime(env: &Env, actor: Option<&str>, clock: &[&str], args: &[&str]) -> Run {
    let sealed = env.command();
    let mut f = std::process::Command::new("faketime");
    f.env_clear();
    for (k, v) in sealed.get_envs() {
        if let Some(v) = v {
            f.env(k, v);
        }
    }
    if let Some(a) = actor {
        f.env("ACCT_ACTOR", a);
    }
    f.args(clock).arg(bin()).args(args).current_dir(env.home()).stdin(std::process::Stdio::null());
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
    assert_eq!(env.query("SELECT o.slug, i.state FROM invitations i JOIN orgs o ON o.id = i.org_id"), "beta|open");
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

/// A member removed (to the trash) at the real time; the tests then move
/// the clock past the 30 days.
fn trashed(env: &Env, email: &str, group: Option<&str>) {
    env.run(&["user", "add", email, "--role", "read-only", "--no-send"]).ok();
    if let Some(g) = group {
        env.run(&["user", "edit", email, "--primary-group", g]).ok();
    }
    env.run(&["user", "remove", email, "--yes"]).ok();
}

#[test]
fn db_purge_removes_what_is_past_the_restore_window_and_nothing_else() {
    let env = Env::new();
    trashed(&env, "old@example.com", None);
    trashed(&env, "new@example.com", None);
    // new was removed later: 20 days after now, so that 31 days after now
    // only old's record is past the window.
    let in_20_days = (chrono::Utc::now() + chrono::TimeDelta::days(20)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    env.exec("UPDATE users SET trashed_at = ?1 WHERE email = 'new@example.com'", &[in_20_days.as_str().into()]);
    let r = later(&env, "+31d", &["db", "check"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.starts_with(
            "warning: 1 user(s) were removed more than 30 days ago and still wait to be purged; run 'acct db purge'\n"
        ),
        "{}",
        r.stderr
    );
    let r = later(&env, "+31d", &["db", "purge", "--dry-run"]);
    assert_eq!(r.stderr, "would purge old@example.com (removed more than 30 days ago)\ndry run: nothing was changed\n");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'old@example.com'"), "1");
    let r = later(&env, "+31d", &["db", "purge"]);
    assert_eq!(r.stderr, "purged old@example.com (removed more than 30 days ago)\n");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'old@example.com'"), "0");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'new@example.com'"), "1", "still restorable");
    assert_eq!(env.query("SELECT count(*) FROM audit WHERE action = 'user.purge'"), "1");
    let r = later(&env, "+31d", &["db", "purge"]);
    assert_eq!(r.stderr, "nothing to purge: no user was removed more than 30 days ago\n");
    assert!(later(&env, "+31d", &["db", "check"]).stderr.starts_with("ok:"));
}

#[test]
fn db_purge_gives_the_users_it_purged_as_data() {
    let env = Env::new();
    trashed(&env, "old@example.com", None);
    let (id, removed_at) = {
        let r = env.sql("SELECT id, trashed_at FROM users WHERE email = 'old@example.com'", &[]);
        (r[0][0].clone(), r[0][1].clone())
    };
    let expected = format!(
        "[\n{{\"id\":{id},\"email\":\"old@example.com\",\"org\":\"acme\",\"removed_at\":\"{removed_at}\",\"changed\":true}}\n]\n"
    );
    // Within the 30 days: nothing to purge, an empty list.
    let r = env.run(&["db", "purge", "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "[]\n"));
    let r = later(&env, "+31d", &["db", "purge", "--dry-run", "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()));
    let r = later(&env, "+31d", &["db", "purge", "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.as_str()));
    assert_eq!(r.stderr, "purged old@example.com (removed more than 30 days ago)\n");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'old@example.com'"), "0");
    // Again: nothing left, exit 0, an empty list (no line at all in jsonl).
    let r = later(&env, "+31d", &["db", "purge", "--format", "json"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "[]\n"));
    let r = later(&env, "+31d", &["db", "purge", "--format", "jsonl"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
}

#[test]
fn an_expired_trash_record_blocks_no_command() {
    let env = Env::new();
    env.run(&["group", "create", "old-team"]).ok();
    trashed(&env, "gone@example.com", Some("old-team"));
    // Within the window the group is still somebody's (they can be restored).
    assert_eq!(env.run(&["group", "delete", "old-team", "--yes"]).code, 5);
    // Past it: the delete purges the record first, then deletes the group.
    later(&env, "+31d", &["group", "delete", "old-team", "--yes"]).ok();
    assert_eq!(env.query("SELECT count(*) FROM groups WHERE slug = 'old-team'"), "0");
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'gone@example.com'"), "0");
    // And an import of a removed address, past the window, adds it anew.
    trashed(&env, "back@example.com", None);
    std::fs::write(env.home().join("back.csv"), "email,role\nback@example.com,read-only\n").unwrap();
    assert_eq!(env.run(&["user", "import", "back.csv", "--no-send"]).code, 6, "within the window: restore, not import");
    let r = later(&env, "+31d", &["user", "import", "back.csv", "--no-send"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(env.query("SELECT status, (trashed_at IS NULL) FROM users WHERE email = 'back@example.com'"), "invited|1");
}

/// acct under `faketime 'TIME'` (an absolute clock, e.g. the year 10000).
fn at_time(env: &Env, time: &str, args: &[&str]) -> Run {
    faketime(env, None, &[time], args)
}

/// Issue 18.13: audit times compare as times, not as text. chrono writes the
/// year 10000 as `+10000-...`, which sorts before `2030-...` as text.
#[test]
fn audit_filters_compare_times_of_every_year() {
    let env = Env::new();
    at_time(&env, "2031-03-04 05:06:07", &["group", "create", "eng"]).ok();
    at_time(&env, "10000-01-01 00:00:00", &["group", "create", "ops"]).ok();
    // faketime starts the clock at the time given and lets it run: a slow
    // start may write the next second.
    let at = support::rows(&env, "SELECT at FROM audit WHERE action = 'group.create' ORDER BY id");
    assert_eq!(at.len(), 2, "{at:?}");
    assert!(at[0].starts_with("2031-03-04T05:06:0") && at[1].starts_with("+10000-01-01T00:00:0"), "{at:?}");
    let targets = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["audit", "list", "--action", "group.create", "--format", "json"];
        a.extend_from_slice(args);
        let v = json(env.run(&a).ok());
        v.as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(targets(&["--since", "2030-06-01"]), ["eng", "ops"]);
    assert_eq!(targets(&["--since", "2032-01-01"]), ["ops"]);
    assert_eq!(targets(&["--until", "2032-01-01"]), ["eng"]);
    assert_eq!(targets(&["--since", "+10000-01-01T00:00:00Z"]), ["ops"]);
    assert_eq!(targets(&["--until", "+10000-01-01T00:00:00Z"]), ["eng"]);
    assert_eq!(targets(&["--since", "2031-03-04T05:06:07Z", "--until", "2031-03-04T05:07:00Z"]), ["eng"]);
    // The log is still intact: `at` is stored as written.
    env.run(&["audit", "verify"]).ok();
}

#[test]
fn db_purge_by_a_weaker_role_or_another_org_purges_nothing_it_may_not() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    trashed(&env, "old@example.com", None);
    for (email, org, role) in [("ro@example.com", "acme", "read-only"), ("binv@example.com", "beta", "full-admin")] {
        env.run(&["--org", org, "user", "add", email, "--role", role, "--no-send"]).ok();
        env.activate(email);
    }
    for actor in ["ro@example.com", "binv@example.com"] {
        let r = later_as(&env, Some(actor), "+31d", &["db", "purge"]);
        assert_eq!(r.code, 0, "{actor}: {r:?}");
        assert!(
            r.stderr
                .starts_with("warning: left old@example.com in the trash: permission denied: 'user:invite' is needed in acme"),
            "{actor}: {}",
            r.stderr
        );
        assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'old@example.com'"), "1", "{actor}");
    }
    // acme's admin may.
    later(&env, "+31d", &["db", "purge"]).ok();
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'old@example.com'"), "0");
}
