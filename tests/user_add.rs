//! `acct user add`: new identities are invited through the outbox, existing
//! identities get the membership, existing members are a conflict.

mod common;
use base64::Engine;
use common::{Env, hex_upper};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The `.eml` files in the outbox, sorted by name.
fn mails(env: &Env) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(env.outbox()) else { return vec![] };
    let mut v: Vec<PathBuf> = dir.map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

fn user_count(env: &Env) -> i64 {
    env.query("SELECT count(*) FROM users").parse().unwrap()
}

fn roles_of(env: &Env, email: &str) -> String {
    env.query(&format!(
        "SELECT ifnull(group_concat(name, ','), '') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         JOIN users u ON u.id = ur.user_id JOIN orgs o ON o.id = ur.org_id
         WHERE u.email = '{email}' AND o.slug = 'acme' ORDER BY r.name) x"
    ))
}

/// The body of a message, decoded when it is quoted-printable.
fn body(mail: &str) -> String {
    let (head, body) = mail.split_once("\r\n\r\n").or_else(|| mail.split_once("\n\n")).expect("header and body");
    if !head.lines().any(|l| l.eq_ignore_ascii_case("Content-Transfer-Encoding: quoted-printable")) {
        return body.to_string();
    }
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).expect("quoted-printable"));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The invitation URL of a message.
fn url_in(mail: &str, prefix: &str) -> String {
    let start = mail.find(prefix).unwrap_or_else(|| panic!("no {prefix} in\n{mail}"));
    mail[start..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn a_new_identity_is_invited_with_a_token_in_the_outbox() {
    let env = Env::new();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--first-name", "Bob", "--last-name", "Smith"]);
    assert_eq!(run.ok(), "");
    let files = mails(&env);
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(file.extension().unwrap(), "eml");
    assert_eq!(
        run.stderr,
        format!("bob@example.com invited to acme\ninvitation for bob@example.com written to {}\n", file.display())
    );

    // The database: an invited identity in the everyone group with its role.
    assert_eq!(
        env.query(
            "SELECT u.username, u.status, u.accepted, u.first_name, u.last_name,
                    u.full_name, u.initials, g.slug
             FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.email = 'bob@example.com'"
        ),
        "bob|invited|0|Bob|Smith|Bob Smith|BS|everyone"
    );
    assert_eq!(roles_of(&env, "bob@example.com"), "read-only");

    // The message and its token.
    let mail = std::fs::read_to_string(file).unwrap();
    assert!(mail.lines().any(|l| l == "To: \"Bob Smith\" <bob@example.com>"), "{mail}");
    assert!(mail.lines().any(|l| l == "From: acct <noreply@localhost>"), "{mail}");
    assert!(mail.lines().any(|l| l == "Subject: You are invited to acme"), "{mail}");
    let url = url_in(&body(&mail), "https://localhost/invite/");
    let token = url.strip_prefix("https://localhost/invite/").unwrap();
    assert_eq!(token.len(), 43, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).expect("base64url");
    assert_eq!(raw.len(), 32);
    let row = env.sql(
        "SELECT i.token_hash, i.delivery, i.state, i.sent_at, i.expires_at FROM invitations i
         JOIN users u ON u.id = i.user_id WHERE u.email = 'bob@example.com'",
        &[],
    );
    let [hash, delivery, state, sent, expires] = <[String; 5]>::try_from(row[0].clone()).unwrap();
    assert_eq!(hash, hex_upper(&Sha256::digest(token.as_bytes())));
    assert_eq!((delivery.as_str(), state.as_str()), ("sent", "open"));
    // Expires after the default ttl of 7 days.
    let sent = chrono::DateTime::parse_from_rfc3339(&sent).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&expires).unwrap();
    assert_eq!((expires - sent).num_days(), 7);
    // The token itself is nowhere in the database.
    assert_eq!(env.query(&format!("SELECT count(*) FROM audit WHERE changes LIKE '%{token}%'")), "0");
    // Written atomically: no temporary file is left behind.
    assert!(std::fs::read_dir(env.outbox()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
}

#[test]
fn the_invitation_url_comes_from_the_config() {
    let env = Env::new();
    env.run(&["config", "set", "mail.invite_url", "https://accounts.example.net/accept?t={token}&x=1"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "helpdesk"]).ok();
    let mail = std::fs::read_to_string(&mails(&env)[0]).unwrap();
    assert!(mail.lines().any(|l| l == "To: carol@example.com"), "{mail}");
    let url = url_in(&body(&mail), "https://accounts.example.net/accept?t=");
    let token = url.strip_prefix("https://accounts.example.net/accept?t=").unwrap().strip_suffix("&x=1").unwrap();
    assert_eq!(token.len(), 43);
    assert_eq!(env.query("SELECT token_hash FROM invitations"), hex_upper(&Sha256::digest(token.as_bytes())));
}

#[test]
fn the_audit_entry_records_the_new_user_and_roles() {
    let env = Env::new();
    let before = env.audit_count();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--role", "helpdesk"]).ok();
    assert_eq!(env.audit_count(), before + 1);
    assert_eq!(
        env.query("SELECT actor, org, action, target, changes FROM audit ORDER BY id DESC LIMIT 1"),
        r#"ada@example.com|acme|user.add|bob@example.com|{"user":{"old":null,"new":"bob@example.com"},"roles":{"old":[],"new":["read-only","helpdesk"]}}"#
    );
    assert_eq!(roles_of(&env, "bob@example.com"), "helpdesk,read-only");
}

#[test]
fn usernames_are_derived_from_the_address_with_a_suffix_on_collision() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "Bob@other.org", "BOB@third.net", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "Mary-Ann.O'Neil+tag@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["user", "add", "42ops@example.com", "--role", "read-only", "--no-send"]).ok();
    let rows: Vec<(String, String)> =
        env.sql("SELECT email, username FROM users ORDER BY id", &[]).into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let expected = [
        ("ada@example.com", "ada"),
        ("bob@example.com", "bob"),
        ("Bob@other.org", "bob2"),
        ("BOB@third.net", "bob3"),
        ("Mary-Ann.O'Neil+tag@example.com", "mary-ann.oneiltag"),
        ("42ops@example.com", "ops"),
    ];
    assert_eq!(rows, expected.map(|(a, b)| (a.to_string(), b.to_string())));
}

#[test]
fn an_explicit_username_is_used_and_must_be_free_and_valid() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--username", "robert", "--no-send"]).ok();
    assert_eq!(env.query("SELECT username FROM users WHERE email = 'bob@example.com'"), "robert");
    let run = env.run(&["user", "add", "rob@example.com", "--role", "read-only", "--username", "robert", "--no-send"]);
    assert_eq!(run.fails(5), "error: the username 'robert' is taken\n");
    let run = env.run(&["user", "add", "rob@example.com", "--role", "read-only", "--username", "Rob", "--no-send"]);
    assert_eq!(run.fails(6), "error: invalid username 'Rob': must match [a-z][a-z0-9._-]{0,63}\n");
    let run = env.run(&["user", "add", "a@example.com", "b@example.com", "--role", "read-only", "--username", "ab"]);
    assert_eq!(run.fails(2), "error: --username goes with a single EMAIL\n");
    assert_eq!(user_count(&env), 2);
}

#[test]
fn group_sets_the_primary_group_of_a_new_identity() {
    let env = Env::new();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--group", "eng", "--no-send"]).ok();
    assert_eq!(
        env.query("SELECT g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id WHERE u.email = 'bob@example.com'"),
        "eng"
    );
    let run = env.run(&["user", "add", "carol@example.com", "--role", "read-only", "--group", "nope"]);
    assert_eq!(run.fails(3), "error: group 'nope' not found in acme\nhint: 'acct group list' shows the groups\n");
}

#[test]
fn an_existing_identity_of_another_org_gets_the_membership_and_no_mail() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--org", "beta"]).ok();
    assert_eq!(mails(&env).len(), 1);
    let audit = env.audit_count();
    // The same person by another spelling of the address.
    let run = env.run(&["user", "add", "Bob@EXAMPLE.com", "--role", "read-only"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com added to acme (existing account: no invitation)\n");
    assert_eq!(mails(&env).len(), 1, "no second mail");
    assert_eq!(user_count(&env), 2);
    assert_eq!(env.query("SELECT count(*) FROM invitations"), "1");
    assert_eq!(
        env.query(
            "SELECT group_concat(o.slug, ',') FROM (SELECT o.slug FROM memberships m JOIN orgs o ON o.id = m.org_id
             JOIN users u ON u.id = m.user_id WHERE u.email = 'bob@example.com' ORDER BY o.slug) o"
        ),
        "acme,beta"
    );
    assert_eq!(roles_of(&env, "bob@example.com"), "read-only");
    // The primary group stays in beta (the first organization).
    assert_eq!(
        env.query(
            "SELECT o.slug || '/' || g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id JOIN orgs o ON o.id = g.org_id
             WHERE u.email = 'bob@example.com'"
        ),
        "beta/everyone"
    );
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        env.query("SELECT org, changes FROM audit ORDER BY id DESC LIMIT 1"),
        r#"acme|{"member":{"old":false,"new":true},"roles":{"old":[],"new":["read-only"]}}"#
    );
}

#[test]
fn an_existing_member_is_a_conflict_unless_if_missing() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let audit = env.audit_count();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "helpdesk"]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(5),
        "error: bob@example.com is already a member of acme\nhint: pass --if-missing to skip existing members\n"
    );
    let run = env.run(&["user", "add", "BOB@example.com", "--role", "helpdesk", "--if-missing"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com is already a member of acme: skipped\n");
    assert_eq!(roles_of(&env, "bob@example.com"), "read-only");
    assert_eq!(env.audit_count(), audit);
    assert_eq!(user_count(&env), 2);
    assert!(mails(&env).is_empty());
}

#[test]
fn if_missing_adds_the_others() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let run =
        env.run(&["user", "add", "bob@example.com", "carol@example.com", "--role", "read-only", "--if-missing", "--no-send"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "bob@example.com is already a member of acme: skipped\n\
         carol@example.com invited to acme; the invitation is pending (send it with 'acct invite send')\n"
    );
    assert_eq!(user_count(&env), 3);
}

#[test]
fn without_role_and_without_a_terminal_is_a_usage_error() {
    let env = Env::new();
    let audit = env.audit_count();
    let run = env.run(&["user", "add", "bob@example.com"]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(2),
        "error: --role is required when there is no terminal to ask\nhint: pass --role ROLE (see 'acct role list')\n"
    );
    assert_eq!(user_count(&env), 1);
    assert_eq!(env.audit_count(), audit);
    assert!(mails(&env).is_empty());
}

#[test]
fn a_bad_address_is_invalid_input_and_nothing_is_created() {
    let env = Env::new();
    let audit = env.audit_count();
    let run = env.run(&["user", "add", "good@example.com", "bad@@example.com", "--role", "read-only"]);
    assert_eq!(run.fails(6), "error: invalid e-mail 'bad@@example.com': must contain exactly one '@'\n");
    for (bad, why) in [
        ("nodomain@localhost", "the domain must contain a dot"),
        ("a b@example.com", "contains white space"),
        ("@example.com", "the part before '@' is empty"),
        ("plain", "must contain exactly one '@'"),
    ] {
        let run = env.run(&["user", "add", bad, "--role", "read-only", "--keep-going"]);
        assert_eq!(run.fails(6), format!("error: invalid e-mail '{bad}': {why}\n"));
    }
    let long = format!("{}@example.com", "a".repeat(65));
    let run = env.run(&["user", "add", &long, "--role", "read-only"]);
    assert_eq!(run.fails(6), format!("error: invalid e-mail '{long}': the part before '@' is longer than 64 octets\n"));
    assert_eq!(user_count(&env), 1);
    assert_eq!(env.audit_count(), audit);
    assert!(mails(&env).is_empty());
}

#[test]
fn no_send_records_a_pending_invitation_without_a_token() {
    let env = Env::new();
    let run = env.run(&["user", "add", "dan@example.com", "--role", "read-only", "--no-send"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "dan@example.com invited to acme; the invitation is pending (send it with 'acct invite send')\n");
    assert_eq!(
        env.query(
            "SELECT i.token_hash, i.sent_at, i.expires_at,
                    i.delivery, i.state, u.status
             FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'dan@example.com'"
        ),
        "NULL|NULL|NULL|pending|open|invited"
    );
    assert!(mails(&env).is_empty());
}

#[test]
fn dry_run_changes_nothing_and_sends_nothing() {
    let env = Env::new();
    let audit = env.audit_count();
    let run = env.run(&["user", "add", "erin@example.com", "--role", "read-only", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "erin@example.com would be invited to acme\ndry run: nothing was changed\n");
    assert_eq!(user_count(&env), 1);
    assert_eq!(env.query("SELECT count(*) FROM invitations"), "0");
    assert_eq!(env.audit_count(), audit);
    assert!(mails(&env).is_empty());

    // An existing identity of another org: no membership either.
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "bob@example.com would be added to acme (existing account: no invitation)\ndry run: nothing was changed\n"
    );
    assert_eq!(
        env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'bob@example.com'"),
        "1"
    );
}

#[test]
fn keep_going_applies_the_others_and_exits_7() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let run =
        env.run(&["user", "add", "fay@example.com", "bob@example.com", "gus@example.com", "--role", "read-only", "--keep-going"]);
    let files = mails(&env);
    assert_eq!(files.len(), 2);
    let file_of = |who: &str| {
        files
            .iter()
            .find(|f| std::fs::read_to_string(f).unwrap().lines().any(|l| l == format!("To: {who}")))
            .unwrap_or_else(|| panic!("no mail to {who}"))
            .display()
            .to_string()
    };
    assert_eq!(
        run.fails(7),
        format!(
            "fay@example.com invited to acme\n\
             gus@example.com invited to acme\n\
             invitation for fay@example.com written to {}\n\
             invitation for gus@example.com written to {}\n\
             warning: bob@example.com: bob@example.com is already a member of acme\n\
             error: 1 of 3 targets failed; the others were applied\n",
            file_of("fay@example.com"),
            file_of("gus@example.com")
        )
    );
    assert_eq!(user_count(&env), 4);
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'gus@example.com'"), "invited");
}

#[test]
fn keep_going_reports_each_row_in_json() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let run = env.run(&[
        "user",
        "add",
        "fay@example.com",
        "bob@example.com",
        "--role",
        "read-only",
        "--keep-going",
        "--no-send",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 7, "{run:?}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"email": "fay@example.com", "id": 3, "username": "fay", "outcome": "invited"},
            {"email": "bob@example.com", "id": null, "username": null, "outcome": "error: bob@example.com is already a member of acme"}
        ])
    );
}

#[test]
fn without_keep_going_it_is_all_or_nothing() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let audit = env.audit_count();
    let run = env.run(&["user", "add", "hal@example.com", "bob@example.com", "ivy@example.com", "--role", "read-only"]);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(5),
        "error: bob@example.com is already a member of acme\nhint: pass --if-missing to skip existing members\n"
    );
    assert_eq!(user_count(&env), 2);
    assert_eq!(env.query("SELECT count(*) FROM users WHERE email IN ('hal@example.com', 'ivy@example.com')"), "0");
    assert_eq!(env.query("SELECT count(*) FROM invitations"), "1");
    assert_eq!(env.audit_count(), audit);
    assert!(mails(&env).is_empty());
}

#[test]
fn the_same_address_twice_is_added_once() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "BOB@Example.com", "--role", "read-only", "--no-send"]).ok();
    assert_eq!(user_count(&env), 2);
}

#[test]
fn roles_must_exist_and_be_organization_roles() {
    let env = Env::new();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "nope"]);
    assert_eq!(run.fails(3), "error: role 'nope' not found\nhint: 'acct role list' shows the roles of acme\n");
    let run = env.run(&["user", "add", "bob@example.com", "--role", "global-admin"]);
    assert_eq!(run.fails(5), "error: 'global-admin' is a global role\nhint: use 'acct access grant'\n");
    assert_eq!(user_count(&env), 1);
}

#[test]
fn adding_needs_user_invite_and_no_escalation() {
    let env = Env::new();
    env.run(&["role", "create", "inviter", "--permission", "user:invite", "--permission", "user:read"]).ok();
    env.run(&["user", "add", "jo@example.com", "--role", "inviter", "--no-send"]).ok();
    env.run(&["user", "add", "hd@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.activate("jo@example.com");
    env.activate("hd@example.com");
    let run = env.run_as("hd@example.com", &["user", "add", "kim@example.com", "--role", "helpdesk"]);
    assert_eq!(run.fails(4), "error: permission denied: 'user:invite' is needed in acme (you have user:read user:reset-2fa)\n");
    let run = env.run_as("jo", &["user", "add", "kim@example.com", "--role", "read-only"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: adding a user with these roles would grant role:read group:read audit:read in acme, which you do not hold\n"
    );
    assert_eq!(user_count(&env), 3);
    let run = env.run_as("jo", &["user", "add", "kim@example.com", "--role", "inviter", "--no-send"]);
    assert_eq!(run.ok(), "");
    assert_eq!(user_count(&env), 4);
}

#[test]
fn an_invited_user_cannot_act() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "full-admin", "--no-send"]).ok();
    let run = env.run_as("bob@example.com", &["user", "add", "x@example.com", "--role", "read-only"]);
    assert_eq!(run.fails(4), "error: permission denied: the actor bob@example.com has not accepted their invitation yet\n");
    assert_eq!(user_count(&env), 2);
}

#[test]
fn the_token_expires_after_ttl_days() {
    let env = Env::new();
    env.run(&["config", "set", "invite.ttl_days", "3"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).ok();
    let times = env.sql("SELECT sent_at, expires_at FROM invitations", &[]);
    let (sent, expires) = (times[0][0].clone(), times[0][1].clone());
    let sent = chrono::DateTime::parse_from_rfc3339(&sent).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(&expires).unwrap();
    assert_eq!(expires - sent, chrono::TimeDelta::days(3));
    let mail = std::fs::read_to_string(&mails(&env)[0]).unwrap();
    assert!(
        body(&mail).contains(&format!("expires at {}", expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
        "{mail}"
    );
}

#[test]
fn a_failed_delivery_keeps_the_account_and_records_the_failure() {
    let env = Env::new();
    // The outbox cannot be created: a file stands in its place.
    std::fs::create_dir_all(env.outbox().parent().unwrap()).unwrap();
    std::fs::write(env.outbox(), "not a directory").unwrap();
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only"]);
    let err = run.fails(1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert_eq!(lines[0], "bob@example.com invited to acme");
    assert!(lines[1].starts_with("warning: the invitation to bob@example.com could not be delivered: "), "{err}");
    assert_eq!(lines[2], "error: 1 invitation(s) could not be delivered; the accounts were kept");
    assert_eq!(lines[3], "hint: retry with 'acct invite resend USER'");
    // The account change was committed before the mail was attempted.
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'bob@example.com'"), "invited");
    assert_eq!(env.query("SELECT delivery, (delivery_error IS NOT NULL), state FROM invitations"), "failed|1|open");
}

#[test]
fn group_is_an_additional_group_for_an_existing_identity() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--org", "beta", "--no-send"]).ok();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--group", "eng"]).ok();
    assert_eq!(
        env.query(
            "SELECT o.slug || '/' || g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id JOIN orgs o ON o.id = g.org_id
             WHERE u.email = 'bob@example.com'"
        ),
        "beta/everyone"
    );
    assert_eq!(
        env.query("SELECT g.slug FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id WHERE u.email = 'bob@example.com'"),
        "eng"
    );
}

#[test]
fn errors_are_also_json_with_a_json_format() {
    let env = Env::new();
    let run = env.run(&["user", "add", "bob@example.com", "--format", "json"]);
    let err = run.fails(2);
    let mut lines = err.lines();
    assert_eq!(lines.next(), Some("error: --role is required when there is no terminal to ask"));
    assert_eq!(lines.next(), Some("hint: pass --role ROLE (see 'acct role list')"));
    let v: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(v["error"]["kind"], "usage");
    assert_eq!(v["error"]["exit"], 2);
    assert_eq!(v["error"]["message"], "--role is required when there is no terminal to ask");
}
