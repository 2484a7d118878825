//! Invitation delivery through a real SMTP server on loopback (Python
//! aiosmtpd, started by each test), failed deliveries and `invite resend`,
//! `user add --no-send` with `invite send`, and `invite list`.

mod common;
mod support;
mod support_mail;
use common::Env;
use support_mail::{SmtpServer, accept, free_port, hex, sha256, token_hash};

fn use_smtp(env: &Env, url: &str) {
    env.run(&["config", "set", "mail.transport", url]).ok();
}

/// `invite list --format json` as (email, delivery, error) triples.
fn invitations(env: &Env) -> Vec<(String, String, Option<String>)> {
    let v: serde_json::Value = serde_json::from_str(env.run(&["invite", "list", "--format", "json"]).ok()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["email"].as_str().unwrap().to_string(),
                r["delivery"].as_str().unwrap().to_string(),
                r["error"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn inv(email: &str, delivery: &str, error: Option<&str>) -> (String, String, Option<String>) {
    (email.to_string(), delivery.to_string(), error.map(str::to_string))
}

#[test]
fn an_invitation_arrives_over_smtp_with_a_working_token() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--first-name", "Bob", "--last-name", "Smith"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com invited to acme\ninvitation sent to bob@example.com\n");

    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    let m = &msgs[0];
    assert_eq!(m.rcpt, ["bob@example.com"]);
    assert_eq!(m.from, "noreply@localhost");
    assert_eq!(m.auth, None);
    assert_eq!(m.header("From").as_deref(), Some("acct <noreply@localhost>"));
    assert_eq!(m.header("To").as_deref(), Some("\"Bob Smith\" <bob@example.com>"));
    assert_eq!(m.header("Subject").as_deref(), Some("You are invited to acme"));
    let expires = env.query("SELECT expires_at FROM invitations");
    let token = m.token();
    // SMTP's end-of-data sequence may add a line break at the end.
    assert_eq!(
        m.body().trim_end(),
        format!(
            "Hello Bob Smith,\n\nyou have been invited to the organization acme.\n\n\
             To accept the invitation and choose a password, open:\n\n  https://localhost/invite/{token}\n\n\
             or accept it with acct:\n\n  acct invite accept https://localhost/invite/{token}\n\n\
             The link works once and expires at {expires}.\nIf you did not expect this invitation, ignore this message."
        )
    );
    // 256 random bits, base64url without padding; only the SHA-256 is stored.
    assert_eq!(token.len(), 43, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{token}");
    assert_eq!(token_hash(&env, "bob@example.com"), hex(&sha256(&token)));
    assert_eq!(invitations(&env), [inv("bob@example.com", "sent", None)]);

    let run = accept(&env, &token, b"correct horse battery staple\n");
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "welcome, bob@example.com: your account is active\n");
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'bob@example.com'"), "active");
    assert_eq!(invitations(&env), [], "an accepted invitation is no longer open");
}

#[test]
fn smtp_uses_mail_from_and_invite_url() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    env.run(&["config", "set", "mail.from", "Ops <ops@example.net>"]).ok();
    env.run(&["config", "set", "mail.invite_url", "https://accounts.example.net/accept?t={token}&x=1"]).ok();
    env.run(&["user", "add", "carol@example.com", "--role", "read-only"]).ok();
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].from, "ops@example.net");
    assert_eq!(msgs[0].rcpt, ["carol@example.com"]);
    assert_eq!(msgs[0].header("From").as_deref(), Some("Ops <ops@example.net>"));
    assert_eq!(msgs[0].header("To").as_deref(), Some("carol@example.com"), "no name: the bare address");
    let body = msgs[0].body();
    assert!(body.starts_with("Hello,\n"), "{body}");
    let start = body.find("https://accounts.example.net/accept?t=").expect(&body);
    let url = body[start..].split_whitespace().next().unwrap();
    let token = url.strip_prefix("https://accounts.example.net/accept?t=").unwrap().strip_suffix("&x=1").unwrap();
    assert_eq!(token_hash(&env, "carol@example.com"), hex(&sha256(token)));
    accept(&env, token, b"correct horse battery staple\n").ok();
}

#[test]
fn smtp_credentials_come_from_the_environment() {
    let env = Env::new();
    let smtp = SmtpServer::with_login("mailer", "s3cret-smtp-pass");
    use_smtp(&env, &smtp.url());

    // Without credentials the server refuses the message: the account stays.
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only"]);
    let err = run.fails(1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[1].starts_with(&format!(
            "warning: the invitation to bob@example.com could not be delivered: SMTP delivery to 127.0.0.1:{} failed: ",
            smtp.port
        )),
        "{err}"
    );
    assert!(lines[1].contains("Authentication required"), "{err}");
    assert!(smtp.messages().is_empty());

    // A wrong password: refused, and the password is in no message.
    let run = env.run_with(
        &["invite", "resend", "bob"],
        &[("ACCT_SMTP_USER", "mailer"), ("ACCT_SMTP_PASSWORD", "wrong-smtp-pass")],
        None,
    );
    let err = run.fails(1);
    assert!(err.contains("could not be delivered"), "{err}");
    assert!(!err.contains("wrong-smtp-pass") && !run.stdout.contains("wrong-smtp-pass"), "{err}");
    assert!(smtp.messages().is_empty());

    let run = env.run_with(
        &["invite", "resend", "bob"],
        &[("ACCT_SMTP_USER", "mailer"), ("ACCT_SMTP_PASSWORD", "s3cret-smtp-pass")],
        None,
    );
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to bob@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].auth.as_deref(), Some("mailer"));
    assert_eq!(msgs[0].rcpt, ["bob@example.com"]);
    // Neither password reached the database (delivery errors, audit).
    let dump = support::rows(&env, "SELECT coalesce(delivery_error, '') FROM invitations")
        .into_iter()
        .chain(support::rows(&env, "SELECT changes FROM audit"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(!dump.contains("smtp-pass"), "{dump}");
}

#[test]
fn an_unreachable_server_keeps_the_account_and_resend_delivers_later() {
    let env = Env::new();
    let port = free_port(); // nobody listens there
    use_smtp(&env, &format!("smtp://127.0.0.1:{port}"));
    let run = env.run(&["user", "add", "bob@example.com", "--role", "read-only"]);
    assert_eq!(run.stdout, "");
    let err = run.fails(1);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert_eq!(lines[0], "bob@example.com invited to acme");
    let reason_prefix = format!("SMTP delivery to 127.0.0.1:{port} failed: ");
    let warning = format!("warning: the invitation to bob@example.com could not be delivered: {reason_prefix}");
    assert!(lines[1].starts_with(&warning), "{err}");
    assert_eq!(lines[2], "error: 1 invitation(s) could not be delivered; the accounts were kept");
    assert_eq!(lines[3], "hint: retry with 'acct invite resend USER'");

    // The account change was committed before the mail was attempted.
    assert_eq!(
        env.query(
            "SELECT u.status, r.name FROM users u JOIN user_roles ur ON ur.user_id = u.id
             JOIN roles r ON r.id = ur.role_id WHERE u.email = 'bob@example.com'"
        ),
        "invited|read-only"
    );
    assert_eq!(env.query("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'bob'"), "1");
    let reason = env.query("SELECT delivery_error FROM invitations");
    assert!(reason.starts_with(&reason_prefix), "{reason}");
    assert_eq!(lines[1], format!("warning: the invitation to bob@example.com could not be delivered: {reason}"));
    assert_eq!(env.query("SELECT delivery, state FROM invitations"), "failed|open");
    assert_eq!(invitations(&env), [inv("bob@example.com", "failed", Some(&reason))]);
    let table = env.run(&["invite", "list"]).ok().to_string();
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].starts_with("EMAIL"), "{table}");
    assert!(rows[1].starts_with("bob@example.com  failed    SMTP delivery to 127.0.0.1:"), "{table}");
    assert!(rows[1].contains(&reason), "{table}");

    // A failed invitation was never delivered: `invite send` tries again
    // (and fails again while the server is down).
    let run = env.run(&["invite", "send", "bob"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.starts_with("warning: the invitation to bob@example.com could not be delivered: SMTP delivery to 127.0.0.1:"),
        "{run:?}"
    );

    // The server comes up; resend delivers a new token.
    let old_hash = token_hash(&env, "bob@example.com");
    let smtp = SmtpServer::start_on(port);
    let run = env.run(&["invite", "resend", "bob"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to bob@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].rcpt, ["bob@example.com"]);
    let token = msgs[0].token();
    let new_hash = token_hash(&env, "bob@example.com");
    assert_ne!(new_hash, old_hash, "the undelivered token was replaced");
    assert_eq!(new_hash, hex(&sha256(&token)));
    assert_eq!(invitations(&env), [inv("bob@example.com", "sent", None)]);
    assert_eq!(env.query("SELECT count(*) FROM invitations"), "1", "the same invitation, a new token");
    accept(&env, &token, b"correct horse battery staple\n").ok();
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'bob@example.com'"), "active");
}

#[test]
fn resend_over_smtp_invalidates_the_delivered_token() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    env.run(&["user", "add", "bob@example.com", "--role", "read-only"]).ok();
    let first = smtp.messages()[0].token();
    let run = env.run(&["invite", "resend", "bob@example.com"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to bob@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 2);
    let second = msgs[1].token();
    assert_ne!(first, second);
    let run = accept(&env, &first, b"correct horse battery staple\n");
    assert_eq!(
        run.fails(4),
        "error: the invitation token is not valid\nhint: it may have been replaced by a newer invitation; ask an administrator for 'acct invite resend'\n"
    );
    assert_eq!(env.query("SELECT status, (password_hash IS NULL) FROM users WHERE username = 'bob'"), "invited|1");
    accept(&env, &second, b"correct horse battery staple\n").ok();
    // Once accepted there is nothing to resend.
    let run = env.run(&["invite", "resend", "bob"]);
    assert_eq!(run.fails(5), "error: bob@example.com has already accepted their invitation\n");
    assert_eq!(smtp.messages().len(), 2);
}

#[test]
fn no_send_then_invite_send_one_and_all() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    for who in ["bob", "carol", "dan"] {
        let run = env.run(&["user", "add", &format!("{who}@example.com"), "--role", "read-only", "--no-send"]);
        assert_eq!(
            run.stderr,
            format!("{who}@example.com invited to acme; the invitation is pending (send it with 'acct invite send')\n")
        );
    }
    assert!(smtp.messages().is_empty());
    assert_eq!(
        support::rows(&env, "SELECT delivery, state, token_hash IS NULL, sent_at IS NULL, expires_at IS NULL FROM invitations"),
        ["pending|open|1|1|1"; 3]
    );
    let created: Vec<String> = support::rows(&env, "SELECT created_at FROM invitations ORDER BY id");

    // The listing: every column, pending ones with no expiry yet.
    let run = env.run(&["invite", "list", "--format", "csv"]);
    assert_eq!(
        run.ok(),
        format!(
            "email,delivery,error,sent_at,expires_at,created_at,state\r\n\
             bob@example.com,pending,,,,{},open\r\ncarol@example.com,pending,,,,{},open\r\ndan@example.com,pending,,,,{},open\r\n",
            created[0], created[1], created[2]
        )
    );
    let table = env.run(&["invite", "list"]).ok().to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "EMAIL              DELIVERY  ERROR  SENT_AT  EXPIRES_AT  CREATED_AT            STATE");
    assert_eq!(lines[1], format!("bob@example.com    pending                               {}  open", created[0]));
    assert_eq!(lines.len(), 4);

    // A dry run sends nothing and changes nothing.
    let run = env.run(&["invite", "send", "bob", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "would send an invitation to bob\ndry run: nothing was changed\n");
    assert!(smtp.messages().is_empty());
    assert_eq!(token_hash(&env, "bob@example.com"), "null");

    // One by name.
    let run = env.run(&["invite", "send", "bob"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to bob@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].rcpt, ["bob@example.com"]);
    let bob_hash = token_hash(&env, "bob@example.com");
    assert_eq!(bob_hash, hex(&sha256(&msgs[0].token())));
    let times = env.sql("SELECT sent_at, expires_at FROM invitations WHERE id = 1", &[]);
    let [sent_at, exp] = [times[0][0].clone(), times[0][1].clone()];
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&exp).unwrap() - chrono::DateTime::parse_from_rfc3339(&sent_at).unwrap(),
        chrono::TimeDelta::days(7)
    );
    let run = env.run(&["invite", "list", "--format", "csv"]);
    assert!(run.ok().contains(&format!("\r\nbob@example.com,sent,,{sent_at},{exp},{},open\r\n", created[0])), "{}", run.stdout);
    assert_eq!(
        invitations(&env),
        [
            inv("bob@example.com", "sent", None),
            inv("carol@example.com", "pending", None),
            inv("dan@example.com", "pending", None)
        ]
    );

    // Sending it again is a conflict that points at resend; nothing changes.
    let audit = env.audit_count();
    let run = env.run(&["invite", "send", "bob@example.com"]);
    assert_eq!(
        run.fails(5),
        "error: the invitation of bob@example.com was already sent\nhint: send a new one with 'acct invite resend bob@example.com'\n"
    );
    assert_eq!(smtp.messages().len(), 1);
    assert_eq!(token_hash(&env, "bob@example.com"), bob_hash);
    assert_eq!(env.audit_count(), audit);

    // --all: every pending one, and only those.
    let run = env.run(&["invite", "send", "--all"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to carol@example.com\ninvitation sent to dan@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1].rcpt, ["carol@example.com"]);
    assert_eq!(msgs[2].rcpt, ["dan@example.com"]);
    assert_eq!(token_hash(&env, "bob@example.com"), bob_hash, "bob's token is untouched");
    assert_eq!(
        support::rows(&env, "SELECT action, target FROM audit WHERE action = 'invite.send' ORDER BY id"),
        ["invite.send|bob@example.com", "invite.send|carol@example.com", "invite.send|dan@example.com"]
    );
    let run = env.run(&["invite", "send", "--all"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "no pending invitations in acme\n");
    assert_eq!(smtp.messages().len(), 3);

    // Every token works.
    for m in &smtp.messages() {
        accept(&env, &m.token(), b"correct horse battery staple\n").ok();
    }
    assert_eq!(env.query("SELECT count(*) FROM users WHERE status = 'active'"), "4");
    assert_eq!(
        env.run(&["invite", "list", "--format", "csv"]).ok(),
        "email,delivery,error,sent_at,expires_at,created_at,state\r\n"
    );
}

/// Run with `--format json`: exit code, stdout as JSON, stderr.
fn run_json(env: &Env, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let r = env.run(&a);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{a:?}: {e}: {r:?}"));
    (r.code, v, r.stderr)
}

/// The one outbox file that is not in `before`, as acct names it.
fn new_outbox_file(env: &Env, before: &[std::path::PathBuf]) -> String {
    let new: Vec<_> = support_mail::outbox_files(env).into_iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(new.len(), 1, "{new:?}");
    new[0].display().to_string()
}

#[test]
fn invite_send_and_resend_give_each_users_outcome_as_data() {
    use serde_json::json;
    let env = Env::new();
    for who in ["bob", "carol", "dan", "erin"] {
        env.run(&["user", "add", &format!("{who}@example.com"), "--role", "read-only", "--no-send"]).ok();
    }
    env.run(&["user", "edit", "dan@example.com", "--active", "false"]).ok();
    let sent = |email: &str, path: &str| json!({"email": email, "outcome": "sent", "path": path, "error": null, "changed": true});

    let before = support_mail::outbox_files(&env);
    let (code, v, _) = run_json(&env, &["invite", "send", "bob"]);
    assert_eq!((code, v), (0, json!([sent("bob@example.com", &new_outbox_file(&env, &before))])));

    // --keep-going: the refused target is a row too, and the exit is 7.
    let before = support_mail::outbox_files(&env);
    let (code, v, _) = run_json(&env, &["invite", "send", "bob", "erin", "--keep-going"]);
    let refused = "error: the invitation of bob@example.com was already sent";
    assert_eq!(
        (code, v),
        (
            7,
            json!([
                {"email": "bob", "outcome": refused, "path": null, "error": null, "changed": false},
                sent("erin@example.com", &new_outbox_file(&env, &before)),
            ])
        )
    );

    // --all: a deactivated user is skipped (changed false), carol is sent.
    let skipped = json!({"email": "dan@example.com", "outcome": "skipped", "path": null, "error": null, "changed": false});
    let before = support_mail::outbox_files(&env);
    let (code, v, _) = run_json(&env, &["invite", "send", "--all"]);
    assert_eq!((code, v), (0, json!([skipped, sent("carol@example.com", &new_outbox_file(&env, &before))])));
    // Nothing pending any more: only the skipped one, nothing written.
    let before = support_mail::outbox_files(&env);
    let (code, v, err) = run_json(&env, &["invite", "send", "--all"]);
    assert_eq!(
        (code, v, err.as_str()),
        (0, json!([skipped]), "skipped dan@example.com: the account has been deactivated\nno pending invitations in acme\n")
    );
    assert_eq!(support_mail::outbox_files(&env), before);

    // resend: one row; a dry run sends nothing and has no file.
    let (code, v, _) = run_json(&env, &["invite", "resend", "bob", "--dry-run"]);
    assert_eq!(
        (code, v),
        (0, json!([{"email": "bob@example.com", "outcome": "sent", "path": null, "error": null, "changed": true}]))
    );
    assert_eq!(support_mail::outbox_files(&env), before);
    let (code, v, _) = run_json(&env, &["invite", "resend", "bob"]);
    assert_eq!((code, v), (0, json!([sent("bob@example.com", &new_outbox_file(&env, &before))])));

    // Over SMTP: no file; a failed delivery says why, and exits 1.
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    let (code, v, _) = run_json(&env, &["invite", "resend", "carol"]);
    assert_eq!(
        (code, v),
        (0, json!([{"email": "carol@example.com", "outcome": "sent", "path": null, "error": null, "changed": true}]))
    );
    use_smtp(&env, &format!("smtp://127.0.0.1:{}", free_port()));
    let (code, v, _) = run_json(&env, &["invite", "resend", "erin"]);
    let reason = env
        .query("SELECT i.delivery_error FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'erin@example.com'");
    assert!(reason.starts_with("SMTP delivery to 127.0.0.1:"), "{reason}");
    assert_eq!(
        (code, v),
        (1, json!([{"email": "erin@example.com", "outcome": "failed", "path": null, "error": reason, "changed": true}]))
    );
}

#[test]
fn invite_send_usage_and_targets() {
    let env = Env::new();
    let run = env.run(&["invite", "send"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_eq!(env.run(&["invite", "send", "nobody"]).fails(3), "error: user 'nobody' not found\n");
    assert_eq!(env.run(&["invite", "send", "ada"]).fails(5), "error: ada@example.com has already accepted their invitation\n");
    assert_eq!(env.run(&["invite", "resend", "ada"]).fails(5), "error: ada@example.com has already accepted their invitation\n");
}

#[test]
fn resend_refuses_a_more_privileged_target() {
    let env = Env::new();
    env.run(&["role", "create", "inviter", "--permission", "user:invite", "--permission", "user:read"]).ok();
    env.run(&["user", "add", "jo@example.com", "--role", "inviter", "--no-send"]).ok();
    support::set_status(&env, "jo", "active");
    env.run(&["user", "add", "boss@example.com", "--role", "full-admin", "--no-send"]).ok();
    env.run(&["user", "add", "pat@example.com", "--role", "inviter", "--no-send"]).ok();
    let audit = env.audit_count();
    let denied = "error: permission denied: cannot send an invitation to boss@example.com: they hold user:remove user:export \
                  user:reset-2fa role:read role:assign role:manage group:read group:manage audit:read org:admin in acme, \
                  which you do not\n";
    let run = env.run_as("jo", &["invite", "resend", "boss"]);
    assert_eq!(run.fails(4), denied);
    assert_eq!(token_hash(&env, "boss@example.com"), "null");
    assert_eq!(env.audit_count(), audit);
    let run = env.run_as("jo", &["invite", "send", "boss"]);
    assert_eq!(run.fails(4), denied);
    // A peer is fine (outbox transport).
    let run = env.run_as("jo", &["invite", "send", "pat"]);
    run.ok();
    assert!(run.stderr.starts_with("invitation for pat@example.com written to "), "{}", run.stderr);
}

#[test]
fn user_import_delivers_over_smtp_after_commit() {
    let env = Env::new();
    let port = free_port();
    use_smtp(&env, &format!("smtp://127.0.0.1:{port}"));
    let csv = "email,first_name,role\nfay@example.com,Fay,read-only\ngus@example.com,Gus,read-only\n";
    let run = env.run_with(&["user", "import", "-"], &[], Some(csv.as_bytes()));
    let err = run.fails(1);
    assert_eq!(err.matches("could not be delivered: SMTP delivery to").count(), 2, "{err}");
    assert!(err.contains("error: 2 invitation(s) could not be delivered; the accounts were kept\n"), "{err}");
    assert!(err.ends_with("hint: retry with 'acct invite resend USER'\n"), "{err}");
    assert_eq!(support::rows(&env, "SELECT delivery FROM invitations ORDER BY id"), ["failed", "failed"]);
    assert_eq!(env.query("SELECT count(*) FROM users WHERE status = 'invited'"), "2");

    let smtp = SmtpServer::start_on(port);
    env.run(&["invite", "resend", "fay"]).ok();
    env.run(&["invite", "resend", "gus@example.com"]).ok();
    let msgs = smtp.messages();
    assert_eq!(msgs.iter().map(|m| m.rcpt.join(",")).collect::<Vec<_>>(), ["fay@example.com", "gus@example.com"]);
    assert_eq!(msgs[0].header("To").as_deref(), Some("Fay <fay@example.com>"));
    assert_eq!(support::rows(&env, "SELECT delivery FROM invitations ORDER BY id"), ["sent", "sent"]);
}

#[test]
fn user_import_no_send_then_send_all() {
    let env = Env::new();
    let smtp = SmtpServer::start();
    use_smtp(&env, &smtp.url());
    let csv = "email,role\nfay@example.com,read-only\ngus@example.com,read-only\n";
    let run = env.run_with(&["user", "import", "-", "--no-send"], &[], Some(csv.as_bytes()));
    run.ok();
    assert!(smtp.messages().is_empty());
    assert_eq!(invitations(&env), [inv("fay@example.com", "pending", None), inv("gus@example.com", "pending", None)]);
    let run = env.run(&["invite", "send", "--all"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "invitation sent to fay@example.com\ninvitation sent to gus@example.com\n");
    let msgs = smtp.messages();
    assert_eq!(msgs.iter().map(|m| m.rcpt.join(",")).collect::<Vec<_>>(), ["fay@example.com", "gus@example.com"]);
    assert_eq!(invitations(&env), [inv("fay@example.com", "sent", None), inv("gus@example.com", "sent", None)]);
    for m in &msgs {
        accept(&env, &m.token(), b"correct horse battery staple\n").ok();
    }
    assert_eq!(env.query("SELECT count(*) FROM users WHERE status = 'active'"), "3");
}

/// `apply` writes its new members a batch at a time and then invites each
/// of them as `user add` does: one message per address, with the token
/// whose hash the invitation holds, which accepts.
#[test]
fn members_added_by_apply_are_each_invited_with_a_working_token() {
    let env = Env::new();
    let file = env.home().join("team.csv");
    std::fs::write(&file, "email,first_name,role\nann@example.com,Ann,read-only\nben@example.com,,helpdesk\n").unwrap();
    let run = env.run(&["apply", file.to_str().unwrap()]);
    assert_eq!(run.ok(), "+ add ann@example.com roles read-only\n+ add ben@example.com roles helpdesk\n");
    assert_eq!(support_mail::outbox_files(&env).len(), 2);
    for email in ["ann@example.com", "ben@example.com"] {
        assert_eq!(
            env.query(&format!("SELECT count(*) FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = '{email}'")),
            "1"
        );
        let token = support_mail::take_outbox_token(&env, email);
        assert_eq!(token_hash(&env, email), hex(&sha256(&token)));
    }
    let token_of_ann = {
        // Sent again, so that the token is known here (the first was taken above).
        env.run(&["invite", "resend", "ann@example.com"]).ok();
        support_mail::take_outbox_token(&env, "ann@example.com")
    };
    accept(&env, &token_of_ann, b"correct horse battery staple\n").ok();
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'ann@example.com'"), "active");
}
