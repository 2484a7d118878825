//! `acct invite accept TOKEN`: the password from stdin or a terminal prompt,
//! its length rules, argon2id checked by an independent implementation
//! (Python argon2-cffi), and every way a token stops working.

mod common;
mod support;
mod support_mail;
use common::Env;
use support_mail::{ENTER, accept, argon2_cffi_verifies, finish, hex, pty, send, sha256, take_outbox_token, token_hash};

const PASSWORD: &str = "correct horse battery staple";

/// An invited member whose invitation went to the outbox; returns the token.
fn invited(env: &Env, email: &str) -> String {
    env.run(&["user", "add", email, "--role", "read-only"]).ok();
    take_outbox_token(env, email)
}

fn user_state(env: &Env, email: &str) -> String {
    env.query(&format!(
        "SELECT u.status, u.accepted, u.two_factor, (u.password_hash IS NOT NULL), i.state
         FROM users u JOIN invitations i ON i.user_id = u.id WHERE u.email = '{email}' ORDER BY i.id DESC LIMIT 1"
    ))
}

fn password_hash(env: &Env, email: &str) -> String {
    env.query(&format!("SELECT password_hash FROM users WHERE email = '{email}'"))
}

/// Every byte of the database files (main file and write-ahead log) as text.
fn db_bytes(env: &Env) -> String {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let p = format!("{}{suffix}", env.db_path().display());
        if let Ok(b) = std::fs::read(&p) {
            all.extend(b);
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

#[test]
fn accept_gives_the_user_now_active_as_data() {
    let env = Env::new();
    let accept_as = |format: &str, token: &str| {
        let stdin = format!("{PASSWORD}\n");
        env.run_with(&["invite", "accept", "--password-stdin", "--format", format, "--", token], &[], Some(stdin.as_bytes()))
    };
    let token = invited(&env, "bob@example.com");
    let id = env.query("SELECT id FROM users WHERE email = 'bob@example.com'");
    let run = accept_as("json", &token);
    assert_eq!(
        run.ok(),
        format!(
            "{{\n  \"id\": {id},\n  \"email\": \"bob@example.com\",\n  \"org\": \"acme\",\n  \"status\": \"active\",\n  \"changed\": true\n}}\n"
        )
    );
    assert_eq!(run.stderr, "welcome, bob@example.com: your account is active\n");
    // The token is spent: a second accept is refused (exit 4) and prints no data.
    let run = accept_as("jsonl", &token);
    assert_eq!((run.code, run.stdout.as_str()), (4, ""));
    // The other formats: one row.
    let carol = invited(&env, "carol@example.com");
    let id = env.query("SELECT id FROM users WHERE email = 'carol@example.com'");
    let run = accept_as("csv", &carol);
    assert_eq!(run.ok(), format!("id,email,org,status,changed\r\n{id},carol@example.com,acme,active,true\r\n"));
}

#[test]
fn accept_sets_an_argon2id_password_and_activates() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    let audit = env.audit_count();

    let run = accept(&env, &token, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "welcome, bob@example.com: your account is active\n");
    assert_eq!(user_state(&env, "bob@example.com"), "active|1|email|1|accepted");

    // argon2id, PHC string, OWASP parameters; a 16-byte salt and 32-byte hash.
    let phc = password_hash(&env, "bob@example.com");
    let parts: Vec<&str> = phc.split('$').collect();
    assert_eq!(parts.len(), 6, "{phc}");
    assert_eq!(&parts[..4], ["", "argon2id", "v=19", "m=19456,t=2,p=1"], "{phc}");
    assert_eq!(parts[4].len(), 22, "a 16-byte salt in PHC base64: {phc}");
    assert_eq!(parts[5].len(), 43, "a 32-byte hash in PHC base64: {phc}");
    assert!(argon2_cffi_verifies(&phc, PASSWORD), "argon2-cffi rejects {phc}");
    assert!(!argon2_cffi_verifies(&phc, "correct horse battery stapler"));
    assert!(!argon2_cffi_verifies(&phc, &format!("{PASSWORD}\n")));

    // One audit entry, with neither the password nor the token.
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        support::rows(&env, "SELECT actor, org, action, target, changes FROM audit ORDER BY id DESC LIMIT 1"),
        [
            r#"bob@example.com|acme|invite.accept|bob@example.com|{"status":{"old":"invited","new":"active"},"password":{"old":null,"new":"(set)"}}"#
        ]
    );
    let audit_text = support::rows(&env, "SELECT * FROM audit").join("\n");
    assert!(!audit_text.contains(PASSWORD) && !audit_text.contains(&token), "{audit_text}");
    let listed = env.run(&["audit", "list", "--format", "json"]).ok().to_string();
    assert!(listed.contains("invite.accept"), "{listed}");
    assert!(!listed.contains(PASSWORD) && !listed.contains(&token) && !listed.contains(&phc), "{listed}");
    // The token is stored only as its SHA-256 (32 bytes); the password only hashed.
    assert_eq!(env.query("SELECT length(token_hash) FROM invitations"), "32");
    assert_eq!(token_hash(&env, "bob@example.com"), hex(&sha256(&token)));
    let raw = db_bytes(&env);
    assert!(!raw.contains(&token), "the token in clear in the database files");
    assert!(!raw.contains(PASSWORD), "the password in clear in the database files");

    // The new member can act.
    let run = env.run_as("bob@example.com", &["whoami"]);
    assert!(run.ok().contains("bob@example.com"), "{}", run.stdout);
    let run = env.run_as("bob", &["user", "show", "bob", "--format", "json"]);
    let shown = support::json(run.ok());
    assert_eq!(shown["status"], "active");
    assert!(!run.stdout.contains(&phc) && !run.stdout.contains("argon2"), "{}", run.stdout);
}

#[test]
fn the_line_ending_is_not_part_of_the_password() {
    let env = Env::new();
    let cases: [(&str, &[u8]); 4] = [
        ("lf@example.com", b"pass phrase one\n"),
        ("crlf@example.com", b"pass phrase one\r\n"),
        ("eof@example.com", b"pass phrase one"),
        ("two@example.com", b"pass phrase one\nsecond line ignored\n"),
    ];
    for (email, input) in cases {
        let token = invited(&env, email);
        accept(&env, &token, input).ok();
        let phc = password_hash(&env, email);
        assert!(argon2_cffi_verifies(&phc, "pass phrase one"), "{email}: {phc}");
        assert!(!argon2_cffi_verifies(&phc, "pass phrase one\r"), "{email}");
    }
}

#[test]
fn password_length_is_12_to_1024_characters() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let audit = env.audit_count();
    for short in ["", "12345678901", "ééééééééééé"] {
        let run = accept(&env, &token, format!("{short}\n").as_bytes());
        assert_eq!(run.stdout, "");
        assert_eq!(run.fails(6), "error: the password is too short: at least 12 characters\n", "{short:?}");
    }
    let long = "x".repeat(1025);
    let run = accept(&env, &token, format!("{long}\n").as_bytes());
    assert_eq!(run.fails(6), "error: the password is too long: at most 1024 characters\n");
    // Nothing changed: the token still works.
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    assert_eq!(env.audit_count(), audit);

    // Exactly 1024 is allowed.
    let max = "y".repeat(1024);
    accept(&env, &token, format!("{max}\n").as_bytes()).ok();
    assert!(argon2_cffi_verifies(&password_hash(&env, "bob@example.com"), &max));

    // Exactly 12 characters (counted as characters, not bytes).
    let token = invited(&env, "carol@example.com");
    accept(&env, &token, "éééééééééééé\n".as_bytes()).ok();
    assert!(argon2_cffi_verifies(&password_hash(&env, "carol@example.com"), "éééééééééééé"));
}

#[test]
fn a_used_token_is_refused() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    accept(&env, &token, format!("{PASSWORD}\n").as_bytes()).ok();
    let phc = password_hash(&env, "bob@example.com");
    let audit = env.audit_count();
    let run = accept(&env, &token, b"another password entirely\n");
    assert_eq!(run.stdout, "");
    assert_eq!(run.fails(4), "error: the invitation token was already used\n");
    assert_eq!(password_hash(&env, "bob@example.com"), phc, "the password is unchanged");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn a_token_replaced_by_resend_is_refused() {
    let env = Env::new();
    let first = invited(&env, "bob@example.com");
    let run = env.run(&["invite", "resend", "bob"]);
    run.ok();
    assert!(run.stderr.starts_with("invitation for bob@example.com written to "), "{}", run.stderr);
    let second = take_outbox_token(&env, "bob@example.com");
    assert_ne!(first, second);
    assert_eq!(token_hash(&env, "bob@example.com"), hex(&sha256(&second)));
    let run = accept(&env, &first, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(
        run.fails(4),
        "error: the invitation token is not valid\nhint: it may have been replaced by a newer invitation; ask an administrator for 'acct invite resend'\n"
    );
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    accept(&env, &second, format!("{PASSWORD}\n").as_bytes()).ok();
    assert_eq!(user_state(&env, "bob@example.com"), "active|1|email|1|accepted");
}

#[test]
fn an_expired_token_is_refused_and_resend_makes_a_new_one() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    env.exec("UPDATE invitations SET expires_at = '2020-01-01T00:00:00Z'", &[]);
    let audit = env.audit_count();
    let run = accept(&env, &token, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(
        run.fails(5),
        "error: the invitation expired at 2020-01-01T00:00:00Z\nhint: ask an administrator for a new one ('acct invite resend')\n"
    );
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    assert_eq!(env.audit_count(), audit);
    // A second ago is expired too.
    let past = (chrono::Utc::now() - chrono::TimeDelta::seconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    env.exec("UPDATE invitations SET expires_at = ?1", &[past.as_str().into()]);
    accept(&env, &token, format!("{PASSWORD}\n").as_bytes()).fails(5);

    env.run(&["invite", "resend", "bob"]).ok();
    let fresh = take_outbox_token(&env, "bob@example.com");
    let expires = chrono::DateTime::parse_from_rfc3339(&env.query("SELECT expires_at FROM invitations")).unwrap();
    assert!(expires > chrono::Utc::now() + chrono::TimeDelta::days(6), "{expires}");
    accept(&env, &fresh, format!("{PASSWORD}\n").as_bytes()).ok();
}

#[test]
fn a_garbage_token_is_refused() {
    let env = Env::new();
    invited(&env, "bob@example.com");
    let audit = env.audit_count();
    let not_valid = "error: the invitation token is not valid\nhint: it may have been replaced by a newer invitation; ask an administrator for 'acct invite resend'\n";
    for bad in ["garbage", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "' OR 1=1 --"] {
        let run = accept(&env, bad, format!("{PASSWORD}\n").as_bytes());
        assert_eq!(run.stdout, "");
        assert_eq!(run.fails(4), not_valid, "{bad:?}");
    }
    // The token is checked before a password is asked for.
    let run = env.run(&["invite", "accept", "garbage"]);
    assert_eq!(run.fails(4), not_valid);
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn without_a_terminal_the_password_needs_password_stdin() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let run = env.run_with(&["invite", "accept", "--", &token], &[], Some(format!("{PASSWORD}\n").as_bytes()));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.fails(2),
        "error: no terminal to ask for the password\nhint: pass --password-stdin and write the password to stdin\n"
    );
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    // There is no flag that takes the password itself.
    let run = env.run(&["invite", "accept", "--password", PASSWORD, "--", &token]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
}

#[test]
fn accept_dry_run_is_refused_and_changes_nothing() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let audit = env.audit_count();
    let run = env.run_with(&["invite", "accept", "--password-stdin", "--dry-run", "--", &token], &[], Some(b"pass phrase one\n"));
    // Secrets are checked only for real (SPEC §3): a dry run would be an oracle.
    assert_eq!(
        run.fails(2),
        "error: 'invite accept' cannot be run with --dry-run\nhint: it checks a secret, and a dry run would let codes be tried without a lockout\n"
    );
    assert_eq!(run.stdout, "");
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
    assert_eq!(env.audit_count(), audit);
    accept(&env, &token, b"pass phrase one\n").ok();
}

#[test]
fn the_password_prompt_asks_twice_on_a_terminal() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let mut p = pty(&env, &["invite", "accept", "--", &token], &[]);
    p.exp_string("New password (at least 12 characters)").expect("the first prompt");
    send(&mut p, "first attempt pw");
    send(&mut p, ENTER);
    p.exp_string("Repeat the password").expect("the confirmation prompt");
    send(&mut p, "something else pw");
    send(&mut p, ENTER);
    p.exp_string("the passwords do not match").expect("the mismatch message");
    p.exp_string("New password (at least 12 characters)").expect("asked again");
    send(&mut p, PASSWORD);
    send(&mut p, ENTER);
    p.exp_string("Repeat the password").expect("the confirmation prompt");
    send(&mut p, PASSWORD);
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("welcome, bob@example.com: your account is active"), "{out}");
    assert!(!out.contains(PASSWORD) && !out.contains("attempt pw"), "the password was echoed: {out}");
    assert_eq!(user_state(&env, "bob@example.com"), "active|1|email|1|accepted");
    let phc = password_hash(&env, "bob@example.com");
    assert!(argon2_cffi_verifies(&phc, PASSWORD));
    assert!(!argon2_cffi_verifies(&phc, "first attempt pw"));
}

#[test]
fn a_short_password_typed_on_a_terminal_is_refused() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let mut p = pty(&env, &["invite", "accept", "--", &token], &[]);
    p.exp_string("New password (at least 12 characters)").expect("the first prompt");
    send(&mut p, "short");
    send(&mut p, ENTER);
    p.exp_string("Repeat the password").expect("the confirmation prompt");
    send(&mut p, "short");
    send(&mut p, ENTER);
    let (out, code) = finish(p);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("error: the password is too short: at least 12 characters"), "{out}");
    assert_eq!(user_state(&env, "bob@example.com"), "invited|0|none|0|open");
}

#[test]
fn concurrent_accepts_consume_the_token_once() {
    use std::io::Write;
    use std::process::Stdio;
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    let children: Vec<(String, std::process::Child)> = (0..4)
        .map(|i| {
            let pw = format!("racing password number {i}");
            let mut c = env.command();
            c.args(["invite", "accept", "--password-stdin", "--", &token])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = c.spawn().expect("spawn acct");
            child.stdin.take().unwrap().write_all(format!("{pw}\n").as_bytes()).unwrap();
            (pw, child)
        })
        .collect();
    let mut winners = Vec::new();
    for (pw, child) in children {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        match out.status.code() {
            Some(0) => winners.push(pw),
            Some(4) => assert!(err.starts_with("error: the invitation token was already used"), "{err}"),
            other => panic!("exit {other:?}: {err}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert!(argon2_cffi_verifies(&password_hash(&env, "bob@example.com"), &winners[0]));
    assert_eq!(env.query("SELECT count(*) FROM audit WHERE action = 'invite.accept'"), "1");
}

#[test]
fn the_invitation_of_a_removed_member_no_longer_works() {
    let env = Env::new();
    let token = invited(&env, "bob@example.com");
    env.run(&["user", "remove", "bob", "--yes"]).ok();
    // `invite list` no longer shows it ...
    assert_eq!(
        env.run(&["invite", "list", "--format", "csv"]).ok(),
        "email,delivery,error,sent_at,expires_at,created_at,state\r\n"
    );
    let audit = env.audit_count();
    // ... and the token must not activate the removed identity.
    let run = accept(&env, &token, format!("{PASSWORD}\n").as_bytes());
    assert_eq!(run.code, 4, "{run:?}");
    assert_eq!(env.query("SELECT status, (password_hash IS NULL) FROM users WHERE username = 'bob'"), "invited|1");
    assert_eq!(env.audit_count(), audit);
}

#[test]
fn a_token_beginning_with_a_dash_is_accepted() {
    let env = Env::new();
    invited(&env, "bob@example.com");
    // A token as the generator may produce it (43 base64url characters; the
    // first one is '-' for 1 token in 64), put in place of the issued one.
    let token = "-J0z8wTQbKkqvV7pXc2m3N4r5s6t7u8v9w0x1y2z3A4";
    env.exec("UPDATE invitations SET token_hash = ?1", &[sha256(token).into()]);
    // As the mail and `acct invite accept --help` tell users to type it.
    let run = env.run_with(&["invite", "accept", token, "--password-stdin"], &[], Some(format!("{PASSWORD}\n").as_bytes()));
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(user_state(&env, "bob@example.com"), "active|1|email|1|accepted");
}

#[test]
fn a_token_beginning_with_a_dash_works_after_double_dash() {
    let env = Env::new();
    invited(&env, "bob@example.com");
    let token = "-J0z8wTQbKkqvV7pXc2m3N4r5s6t7u8v9w0x1y2z3A4";
    env.exec("UPDATE invitations SET token_hash = ?1", &[sha256(token).into()]);
    accept(&env, token, format!("{PASSWORD}\n").as_bytes()).ok();
    assert_eq!(user_state(&env, "bob@example.com"), "active|1|email|1|accepted");
}
