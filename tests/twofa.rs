//! `acct 2fa`: enrolment on a pseudo-terminal and through pipes, codes
//! computed by an independent implementation (`oathtool`), verification with
//! the ±1 step window, replay, recovery codes, lockout, re-enrolment and the
//! admin reset; secrets never shown after enrolment.
//!
//! Timing: a code for step `s` is accepted while the binary's clock is in
//! `s - 1 ..= s + 1` and `s` is later than the last accepted step. Each test
//! confirms enrolment with the current step `e` (as measured around the
//! `oathtool` call) and then verifies with `e + 1`, which is valid for the
//! binary whether or not a step boundary passed in between; a test that needs
//! `e + 2` waits until the clock reaches step `e + 1`.

mod common;
mod support;
mod support_mail;
use common::Env;
use serde_json::json;
use support_mail::{
    ENTER, PipedEnroll, code_at, current_code, enroll, finish, invite_and_accept, now_step, pty, recovery_codes, secret_of, send,
    sha256, utf8, wait_for_step, wrong_code,
};

const PW: &str = "correct horse battery staple";

fn verify(env: &Env, actor: &str, code: &str) -> common::Run {
    env.run_as(actor, &["2fa", "verify", code])
}

fn status_json(env: &Env, actor: &str) -> serde_json::Value {
    support::json(env.run_as(actor, &["2fa", "status", "--format", "json"]).ok())
}

/// The TOTP columns of a user.
fn totp_row(env: &Env, username: &str) -> String {
    env.query(&format!(
        "SELECT two_factor, totp_secret, totp_last_step,
                twofa_failures, twofa_locked_until
         FROM users WHERE username = '{username}'"
    ))
}

/// The stored recovery-code hashes of a user (sorted) with their use.
fn recovery_rows(env: &Env, username: &str) -> Vec<String> {
    support::rows(
        env,
        &format!(
            "SELECT code_hash, (used_at IS NOT NULL) FROM recovery_codes
             WHERE user_id = (SELECT id FROM users WHERE username = '{username}') ORDER BY code_hash"
        ),
    )
}

/// The hash a recovery code is stored as: SHA-256 of the code in upper case
/// without separators, as 64 hex digits.
fn recovery_hash(code: &str) -> String {
    let norm: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    support_mail::hex(&sha256(&norm))
}

fn assert_recovery_code_shape(codes: &[String]) {
    assert_eq!(codes.len(), 10, "{codes:?}");
    for c in codes {
        let groups: Vec<&str> = c.split('-').collect();
        assert_eq!(groups.len(), 6, "{c}");
        assert!(
            groups.iter().all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))),
            "{c}"
        );
    }
    let mut unique = codes.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10, "{codes:?}");
}

fn not_valid(left: i64) -> String {
    format!("error: the code is not valid (or was already used); {left} attempt(s) left before a lock\n")
}

#[test]
fn enrol_on_a_terminal_with_a_code_from_oathtool() {
    let env = Env::new();
    invite_and_accept(&env, "bob@example.com", "read-only", PW);
    assert_eq!(totp_row(&env, "bob"), "email|NULL|NULL|0|NULL");
    let audit = env.audit_count();

    let mut p = pty(&env, &["2fa", "enroll"], &[("ACCT_ACTOR", "bob@example.com")]);
    let before = p.exp_string("Scan this code with an authenticator app, or enter the URI by hand:").expect("the intro");
    assert!(!before.contains("Code from your current"), "no old code is asked for a first enrolment: {before}");
    let (qr, uri) = p.exp_regex(r"otpauth://[^\r\n]*\r?\n").expect("the otpauth URI");
    let qr = utf8(&qr);
    assert!(qr.contains('█') || qr.contains('▀') || qr.contains('▄'), "a QR code drawn with blocks: {qr}");
    let uri = uri.trim_end().to_string();
    assert!(uri.starts_with("otpauth://totp/acct:bob%40example.com?secret="), "{uri}");
    assert!(uri.contains("&issuer=acct"), "{uri}");
    for (k, default) in [("algorithm", "SHA1"), ("digits", "6"), ("period", "30")] {
        if let Some(v) = uri.split(['?', '&']).find_map(|kv| kv.strip_prefix(&format!("{k}="))) {
            assert_eq!(v, default, "{uri}");
        }
    }
    let secret = secret_of(&uri);
    assert!(secret.len() >= 32, "at least 160 bits of base32: {secret}");
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)), "{secret}");
    p.exp_string("Code shown by the authenticator app").expect("the code prompt");
    let (step, code) = current_code(&secret);
    send(&mut p, &code);
    send(&mut p, ENTER);
    let (out, exit) = finish(p);
    assert_eq!(exit, 0, "{out}");
    assert!(out.contains("Recovery codes (each works once; store them safely, they are not shown again):"), "{out}");
    assert!(out.contains("two-factor authentication with an app is enrolled"), "{out}");
    let codes = recovery_codes(&out);
    assert_recovery_code_shape(&codes);

    // The database: the secret (needed to verify), the accepted step, the
    // recovery codes as SHA-256 hex only.
    assert_eq!(totp_row(&env, "bob"), format!("app|{secret}|{step}|0|NULL"));
    let mut hashes: Vec<String> = codes.iter().map(|c| format!("{}|0", recovery_hash(c))).collect();
    hashes.sort();
    assert_eq!(recovery_rows(&env, "bob"), hashes);
    assert_eq!(env.audit_count(), audit + 1);
    assert_eq!(
        support::rows(&env, "SELECT actor, action, target, changes FROM audit ORDER BY id DESC LIMIT 1"),
        [
            r#"bob@example.com|2fa.enroll|bob@example.com|{"two_factor":{"old":"email","new":"app"},"recovery_codes":{"old":0,"new":10}}"#
        ]
    );

    // Status: method app, enrolment time, 10 codes left.
    let enrolled_at = env.query("SELECT totp_enrolled_at FROM users WHERE username = 'bob'");
    assert!(chrono::DateTime::parse_from_rfc3339(&enrolled_at).is_ok(), "{enrolled_at}");
    assert_eq!(
        status_json(&env, "bob"),
        json!({"user": "bob@example.com", "two_factor": "app", "enrolled_at": enrolled_at,
               "recovery_codes_left": 10, "failures": 0, "locked_until": null})
    );
    let run = env.run_as("bob", &["2fa", "status"]);
    assert_eq!(
        run.ok(),
        format!(
            "user                 bob@example.com\ntwo_factor           app\nenrolled_at          {enrolled_at}\n\
             recovery_codes_left  10\nfailures             0\nlocked_until\n"
        )
    );
    // The next step's code (oathtool, independently) verifies.
    let run = verify(&env, "bob", &code_at(&secret, step + 1));
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "ok: the code is valid\n");
}

#[test]
fn a_wrong_code_on_a_terminal_enrols_nothing() {
    let env = Env::new();
    let mut p = pty(&env, &["2fa", "enroll"], &[]);
    let (_, uri) = p.exp_regex(r"otpauth://[^\r\n]*\r?\n").expect("the otpauth URI");
    let secret = secret_of(uri.trim_end());
    p.exp_string("Code shown by the authenticator app").expect("the code prompt");
    send(&mut p, &wrong_code(&secret));
    send(&mut p, ENTER);
    let (out, exit) = finish(p);
    assert_eq!(exit, 4, "{out}");
    assert!(out.contains("error: the code does not match; nothing was changed"), "{out}");
    assert!(out.contains("hint: check the device clock and run 'acct 2fa enroll' again"), "{out}");
    assert!(!out.contains("Recovery codes"), "{out}");
    assert_eq!(totp_row(&env, "ada"), "none|NULL|NULL|0|NULL");
    assert_eq!(env.query("SELECT count(*) FROM recovery_codes"), "0");
}

#[test]
fn enrol_without_a_terminal_reads_the_code_from_stdin() {
    let env = Env::new();
    let mut e = PipedEnroll::start(&env, "ada@example.com");
    let uri = e.uri();
    let secret = secret_of(&uri);
    let (step, code) = current_code(&secret);
    e.line(&code);
    let run = e.finish();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "two-factor authentication with an app is enrolled\n\
         the code just used cannot be used again: 'acct 2fa verify' needs the next code the app shows\n"
    );
    assert!(run.stdout.starts_with("Scan this code with an authenticator app, or enter the URI by hand:\n\n"), "{}", run.stdout);
    let codes = recovery_codes(&run.stdout);
    assert_recovery_code_shape(&codes);
    let tail: String = codes.iter().map(|c| format!("  {c}\n")).collect();
    assert!(
        run.stdout.ends_with(&format!(
            "{uri}\n\nRecovery codes (each works once; store them safely, they are not shown again):\n{tail}"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{step}|0|NULL"));
    assert_eq!(status_json(&env, "ada")["recovery_codes_left"], 10);
}

#[test]
fn enrol_without_a_terminal_and_without_a_code() {
    let env = Env::new();
    let audit = env.audit_count();
    let run = env.run_with(&["2fa", "enroll"], &[], Some(b""));
    // One error line, not the prompt glued into it (issue 17.9).
    assert_eq!(
        run.fails(2),
        "error: no code on stdin; nothing was changed\nhint: write the code the app shows now as one line to stdin, e.g. '123 456'\n"
    );
    assert!(run.stdout.contains("otpauth://"), "{}", run.stdout);
    let run = env.run_with(&["2fa", "enroll"], &[], Some(b"123\n"));
    assert_eq!(
        run.fails(4),
        "error: the code does not match; nothing was changed\nhint: check the device clock and run 'acct 2fa enroll' again\n"
    );
    assert_eq!(totp_row(&env, "ada"), "none|NULL|NULL|0|NULL");
    assert_eq!(env.audit_count(), audit);
    // No one but an active actor enrols.
    env.run(&["user", "add", "ivy@example.com", "--role", "read-only", "--no-send"]).ok();
    let run = env.run_with(&["2fa", "enroll"], &[("ACCT_ACTOR", "ivy")], Some(b"123456\n"));
    assert_eq!(run.fails(4), "error: permission denied: the actor ivy@example.com has not accepted their invitation yet\n");
}

#[test]
fn verify_accepts_the_next_step_once_and_rejects_replays() {
    let env = Env::new();
    let (secret, e, _) = enroll(&env, "ada");
    // The enrolment code's step is used: replaying it fails.
    let run = verify(&env, "ada", &code_at(&secret, e));
    assert_eq!(run.stdout, "");
    assert_eq!(run.fails(4), not_valid(4));
    // An older step too.
    assert_eq!(verify(&env, "ada", &code_at(&secret, e - 1)).fails(4), not_valid(3));
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{e}|2|NULL"));

    // The next step is within ±1 of the binary's clock: accepted, and it resets
    // the failure count.
    let next = code_at(&secret, e + 1);
    let run = verify(&env, "ada", &next);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "ok: the code is valid\n");
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{}|0|NULL", e + 1));

    // The same code again is a replay.
    assert_eq!(verify(&env, "ada", &next).fails(4), not_valid(4));
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{}|1|NULL", e + 1));

    // Garbage is a failure, not a crash.
    assert_eq!(verify(&env, "ada", "12345").fails(4), not_valid(3));
    assert_eq!(verify(&env, "ada", "abcdef").fails(4), not_valid(2));

    // A code two steps ahead is outside the window until the clock moves on.
    wait_for_step(e + 1);
    let run = verify(&env, "ada", &code_at(&secret, e + 2));
    assert_eq!(run.stderr, "ok: the code is valid\n");
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{}|0|NULL", e + 2));
    assert_eq!(
        support::rows(&env, "SELECT changes FROM audit WHERE action = '2fa.verify' ORDER BY id"),
        [
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"accepted"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"accepted"}}"#,
        ]
    );
}

#[test]
fn a_code_far_from_now_is_refused() {
    let env = Env::new();
    let (secret, e, _) = enroll(&env, "ada");
    // Four steps ahead of the test's clock is outside the ±1 window of the
    // binary's clock, which is at most one step later.
    let s = now_step();
    assert_eq!(verify(&env, "ada", &code_at(&secret, s + 4)).fails(4), not_valid(4));
    assert_eq!(verify(&env, "ada", &code_at(&secret, s + 2 * 60 * 24)).fails(4), not_valid(3));
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{e}|2|NULL"));
}

#[test]
fn a_recovery_code_works_once() {
    let env = Env::new();
    let (_, _, codes) = enroll(&env, "ada");
    let run = verify(&env, "ada", &codes[3]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "ok: recovery code accepted; 9 left\n");
    assert_eq!(
        env.query(&format!("SELECT used_at IS NOT NULL FROM recovery_codes WHERE code_hash = '{}'", recovery_hash(&codes[3]))),
        "1"
    );
    assert_eq!(env.query("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL"), "9");
    assert_eq!(status_json(&env, "ada")["recovery_codes_left"], 9);
    assert_eq!(verify(&env, "ada", &codes[3]).fails(4), not_valid(4));
    // Case and separators do not matter.
    let loose = codes[5].to_lowercase().replace('-', " ");
    assert_eq!(verify(&env, "ada", &loose).stderr, "ok: recovery code accepted; 8 left\n");
    assert_eq!(verify(&env, "ada", &codes[5]).fails(4), not_valid(4));
    assert_eq!(status_json(&env, "ada")["recovery_codes_left"], 8);
    assert_eq!(
        support::rows(&env, "SELECT changes FROM audit WHERE action = '2fa.verify' ORDER BY id"),
        [
            r#"{"result":{"old":null,"new":"recovery code used"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
            r#"{"result":{"old":null,"new":"recovery code used"}}"#,
            r#"{"result":{"old":null,"new":"rejected"}}"#,
        ]
    );
}

#[test]
fn five_failures_in_a_row_lock_verification() {
    let env = Env::new();
    let (secret, e, codes) = enroll(&env, "ada");
    let bad = wrong_code(&secret);
    for left in [4, 3, 2, 1] {
        assert_eq!(verify(&env, "ada", &bad).fails(4), not_valid(left));
    }
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{e}|4|NULL"));
    let t0 = chrono::Utc::now();
    let run = verify(&env, "ada", &bad);
    let t1 = chrono::Utc::now();
    let until = env.query("SELECT twofa_locked_until FROM users WHERE username = 'ada'");
    assert_eq!(
        run.fails(4),
        format!("error: the code is not valid; after 5 failures in a row verification is locked until {until}\n")
    );
    let at = chrono::DateTime::parse_from_rfc3339(&until).unwrap();
    let fifteen = chrono::TimeDelta::minutes(15);
    assert!(
        at >= t0 + fifteen - chrono::TimeDelta::seconds(1) && at <= t1 + fifteen,
        "locked until {until}, expected 15 minutes after {t0}"
    );
    let audit = env.audit_count();

    // Locked: even a valid code or a recovery code is refused and not consumed.
    let locked = format!("error: verification is locked until {until} after too many failures\n");
    assert_eq!(verify(&env, "ada", &code_at(&secret, e + 1)).fails(4), locked);
    assert_eq!(verify(&env, "ada", &codes[0]).fails(4), locked);
    assert_eq!(env.query("SELECT twofa_locked_until FROM users WHERE username = 'ada'"), until);
    assert_eq!(env.query("SELECT totp_last_step FROM users WHERE username = 'ada'"), e.to_string());
    assert_eq!(env.query("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL"), "10");
    assert_eq!(env.audit_count(), audit);
    let status = status_json(&env, "ada");
    assert_eq!(status["locked_until"], until.as_str());

    // The lock is persisted: it lapses only with time (moved to the past here).
    env.exec("UPDATE users SET twofa_locked_until = '2020-01-01T00:00:00Z' WHERE username = 'ada'", &[]);
    let run = verify(&env, "ada", &code_at(&secret, e + 1));
    assert_eq!(run.stderr, "ok: the code is valid\n");
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{}|0|NULL", e + 1));
}

#[test]
fn only_consecutive_failures_count() {
    let env = Env::new();
    let (secret, e, _) = enroll(&env, "ada");
    let bad = wrong_code(&secret);
    for left in [4, 3, 2, 1] {
        assert_eq!(verify(&env, "ada", &bad).fails(4), not_valid(left));
    }
    verify(&env, "ada", &code_at(&secret, e + 1)).ok();
    for left in [4, 3, 2, 1] {
        assert_eq!(verify(&env, "ada", &bad).fails(4), not_valid(left));
    }
    assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{}|4|NULL", e + 1));
}

#[test]
fn verify_needs_an_enrolled_app() {
    let env = Env::new();
    let run = verify(&env, "ada", "123456");
    assert_eq!(
        run.fails(5),
        "error: ada@example.com has no authenticator app enrolled\nhint: enrol one with 'acct 2fa enroll'\n"
    );
    assert_eq!(
        status_json(&env, "ada"),
        json!({"user": "ada@example.com", "two_factor": "none", "enrolled_at": null,
               "recovery_codes_left": 0, "failures": 0, "locked_until": null})
    );
}

#[test]
fn re_enrolment_needs_a_code_of_the_old_secret() {
    let env = Env::new();
    let (old_secret, e, old_codes) = enroll(&env, "ada");
    let row = totp_row(&env, "ada");
    let rec = recovery_rows(&env, "ada");
    let audit = env.audit_count();

    // A wrong old code: refused before a new secret is shown.
    let run = env.run_with(&["2fa", "enroll"], &[], Some(format!("{}\n", wrong_code(&old_secret)).as_bytes()));
    assert_eq!(run.stdout, "", "no new secret is shown");
    assert_eq!(
        run.fails(4),
        "error: re-enrolling needs a valid code of the current authenticator; nothing was changed\n\
         hint: an administrator can clear it with 'acct user reset-2fa'\n"
    );
    // A used step of the old secret is no confirmation either.
    let run = env.run_with(&["2fa", "enroll"], &[], Some(format!("{}\n", code_at(&old_secret, e)).as_bytes()));
    assert_eq!(run.stdout, "");
    run.fails(4);
    // The secret and codes are unchanged; each wrong code counted as a failed
    // verification (audited), as it would with '2fa verify'.
    assert_eq!(totp_row(&env, "ada"), row.replacen("|0|", "|2|", 1));
    assert_eq!(recovery_rows(&env, "ada"), rec);
    assert_eq!(env.audit_count(), audit + 2);

    // On a terminal: the old code first, then the new secret and its code.
    let mut p = pty(&env, &["2fa", "enroll"], &[]);
    p.exp_string("Code from your current authenticator app").expect("the old-code prompt");
    send(&mut p, &code_at(&old_secret, e + 1));
    send(&mut p, ENTER);
    let (_, uri) = p.exp_regex(r"otpauth://[^\r\n]*\r?\n").expect("the new URI");
    let new_secret = secret_of(uri.trim_end());
    assert_ne!(new_secret, old_secret);
    p.exp_string("Code shown by the authenticator app").expect("the new-code prompt");
    let (step, code) = current_code(&new_secret);
    send(&mut p, &code);
    send(&mut p, ENTER);
    let (out, exit) = finish(p);
    assert_eq!(exit, 0, "{out}");
    let new_codes = recovery_codes(&out);
    assert_recovery_code_shape(&new_codes);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    assert_eq!(totp_row(&env, "ada"), format!("app|{new_secret}|{step}|0|NULL"));
    let mut hashes: Vec<String> = new_codes.iter().map(|c| format!("{}|0", recovery_hash(c))).collect();
    hashes.sort();
    assert_eq!(recovery_rows(&env, "ada"), hashes, "the old recovery codes are gone");
    assert_eq!(verify(&env, "ada", &old_codes[0]).fails(4), not_valid(4));
    assert_eq!(
        support::rows(&env, "SELECT changes FROM audit WHERE action = '2fa.enroll' ORDER BY id"),
        [
            r#"{"two_factor":{"old":"none","new":"app"},"recovery_codes":{"old":0,"new":10}}"#,
            r#"{"two_factor":{"old":"app","new":"app"},"recovery_codes":{"old":10,"new":10}}"#,
        ]
    );
}

#[test]
fn re_enrolment_without_a_terminal_takes_two_lines() {
    let env = Env::new();
    let (old_secret, e, _) = enroll(&env, "ada");
    let mut p = PipedEnroll::start(&env, "ada");
    p.line(&code_at(&old_secret, e + 1));
    let new_secret = secret_of(&p.uri());
    assert_ne!(new_secret, old_secret);
    let (step, code) = current_code(&new_secret);
    p.line(&code);
    let run = p.finish();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(recovery_codes(&run.stdout).len(), 10);
    assert_eq!(totp_row(&env, "ada"), format!("app|{new_secret}|{step}|0|NULL"));
}

#[test]
fn re_enrolment_is_refused_while_verification_is_locked() {
    let env = Env::new();
    let (secret, e, _) = enroll(&env, "ada");
    let bad = wrong_code(&secret);
    for _ in 0..5 {
        verify(&env, "ada", &bad).fails(4);
    }
    let locked = totp_row(&env, "ada");
    assert!(locked.ends_with('Z'), "{locked}");
    // Guessing through `2fa enroll` must not bypass the lock: failures count,
    // and while locked a (even valid) old code does not allow re-enrolment.
    let run = env.run_with(&["2fa", "enroll"], &[], Some(format!("{}\n", code_at(&secret, e + 1)).as_bytes()));
    let err = run.fails(4);
    assert!(err.contains("locked until"), "{err}");
    assert_eq!(run.stdout, "", "no new secret while locked");
    assert_eq!(totp_row(&env, "ada"), locked);
}

#[test]
fn an_admin_reset_allows_enrolment_without_the_old_code() {
    let env = Env::new();
    invite_and_accept(&env, "bob@example.com", "read-only", PW);
    let (old_secret, e, _) = enroll(&env, "bob");
    let run = env.run(&["user", "reset-2fa", "bob", "--yes"]);
    run.ok();
    assert_eq!(totp_row(&env, "bob"), "email|NULL|NULL|0|NULL");
    assert_eq!(recovery_rows(&env, "bob"), Vec::<String>::new());
    let run = verify(&env, "bob", &code_at(&old_secret, e + 1));
    assert_eq!(
        run.fails(5),
        "error: bob@example.com has no authenticator app enrolled\nhint: enrol one with 'acct 2fa enroll'\n"
    );
    assert_eq!(status_json(&env, "bob")["two_factor"], "email");

    // No old code is asked: the URI comes before anything is read.
    let mut p = PipedEnroll::start(&env, "bob@example.com");
    let new_secret = secret_of(&p.uri());
    assert_ne!(new_secret, old_secret);
    let (step, code) = current_code(&new_secret);
    p.line(&code);
    let run = p.finish();
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(totp_row(&env, "bob"), format!("app|{new_secret}|{step}|0|NULL"));
    assert_eq!(status_json(&env, "bob")["recovery_codes_left"], 10);
}

#[test]
fn secrets_never_appear_after_enrolment() {
    let env = Env::new();
    let (secret, e, codes) = enroll(&env, "ada");
    verify(&env, "ada", &codes[0]).ok();
    verify(&env, "ada", &code_at(&secret, e + 1)).ok();
    verify(&env, "ada", &wrong_code(&secret)).fails(4);
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();

    let all = "id,email,username,first_name,last_name,full_name,initials,role,two_factor,status,phone,timezone,notify,robot,\
               active,sso_disabled,sms_auto_send,require_2fa,organization,primary_group,groups,created_at,updated_at";
    let commands: Vec<Vec<&str>> = vec![
        vec!["2fa", "status"],
        vec!["2fa", "status", "--format", "json"],
        vec!["2fa", "status", "--format", "csv"],
        vec!["user", "show", "ada"],
        vec!["user", "show", "ada", "--format", "json"],
        vec!["user", "list", "--all-columns", "--format", "json"],
        vec!["user", "export", "--fields", all],
        vec!["user", "export", "--fields", all, "--format", "json"],
        vec!["audit", "list"],
        vec!["audit", "list", "--format", "json"],
        vec!["whoami"],
        vec!["invite", "list", "--format", "json"],
    ];
    let mut needles: Vec<String> = vec![secret.clone(), secret.to_lowercase()];
    for c in &codes {
        needles.push(c.clone());
        needles.push(c.replace('-', ""));
        needles.push(recovery_hash(c));
    }
    for args in &commands {
        let run = env.run(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        for n in &needles {
            assert!(!run.stdout.contains(n.as_str()) && !run.stderr.contains(n.as_str()), "{args:?} shows a secret:\n{run:?}");
        }
    }
    let shown = support::json(env.run(&["user", "show", "ada", "--format", "json"]).ok());
    assert_eq!(shown["two_factor"], "app");
    // Nor do the error messages of a verification.
    let run = verify(&env, "ada", &codes[0]);
    assert!(!run.fails(4).contains(&codes[0]));
    // The audit table holds neither the secret nor any code or code hash.
    let audit = support::rows(&env, "SELECT * FROM audit").join("\n");
    for n in &needles {
        assert!(!audit.contains(n.as_str()), "the audit log holds {n}:\n{audit}");
    }
    let code = code_at(&secret, e + 1);
    assert!(!audit.contains(&format!("\"{code}\"")), "{audit}");
    // Recovery codes are stored as 64-hex SHA-256.
    for h in support::rows(&env, "SELECT code_hash FROM recovery_codes") {
        assert_eq!(h.len(), 64, "{h}");
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{h}");
    }
    let mut stored = support::rows(&env, "SELECT code_hash FROM recovery_codes");
    stored.sort();
    let mut expected: Vec<String> = codes.iter().map(|c| recovery_hash(c)).collect();
    expected.sort();
    assert_eq!(stored, expected);
}

// ---- issue 17.9: two-factor without a terminal ----

fn spaced(code: &str) -> String {
    format!("{} {}", &code[..3], &code[3..])
}

#[test]
fn codes_typed_with_a_space_are_accepted_and_the_enrolment_code_is_spent() {
    let env = Env::new();
    let mut e = PipedEnroll::start(&env, "ada@example.com");
    let secret = secret_of(&e.uri());
    let (step, code) = current_code(&secret);
    e.line(&spaced(&code));
    let run = e.finish();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("the code just used cannot be used again"), "{}", run.stderr);
    // The very code of the enrolment is refused, as the note said.
    verify(&env, "ada@example.com", &spaced(&code)).fails(4);
    // The next one, typed with a space, is accepted.
    let run = verify(&env, "ada@example.com", &spaced(&code_at(&secret, step + 1)));
    run.ok();
    assert_eq!(run.stderr, "ok: the code is valid\n");
}

#[test]
fn recovery_codes_are_accepted_in_any_case_with_or_without_dashes() {
    let env = Env::new();
    let (_, _, codes) = enroll(&env, "ada@example.com");
    let lower = codes[0].to_lowercase().replace('-', "");
    let run = verify(&env, "ada@example.com", &lower);
    run.ok();
    assert_eq!(run.stderr, "ok: recovery code accepted; 9 left\n");
    let mixed: String = codes[1].chars().enumerate().map(|(i, c)| if i % 2 == 0 { c.to_ascii_lowercase() } else { c }).collect();
    verify(&env, "ada@example.com", &mixed).ok();
    // Each works once.
    verify(&env, "ada@example.com", &lower).fails(4);
}

/// stdout on a terminal and stdin a pipe (a FIFO the test writes to): the
/// code is read from stdin, the QR code and URI still go to the terminal.
#[test]
fn enrol_on_a_terminal_with_the_code_on_a_pipe() {
    use std::io::Write;
    let env = Env::new();
    let fifo = env.home().join("code.fifo");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Opened read-write so that neither side blocks on open.
    let mut writer = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let mut p = env.pty_shell("NO_COLOR=1 exec \"$0\" 2fa enroll < code.fifo", false, 15_000);
    p.exp_string("otpauth://").expect("the URI on the terminal");
    let rest = p.exp_regex("secret=[A-Z2-7]+").expect("the secret").1;
    let secret = rest.trim_start_matches("secret=").to_string();
    let (_, code) = current_code(&secret);
    writer.write_all(format!("{}\n", spaced(&code)).as_bytes()).unwrap();
    drop(writer);
    let (out, status) = finish(p);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("Recovery codes"), "{out}");
    assert!(out.contains("the code just used cannot be used again"), "{out}");
    assert_eq!(status_json(&env, "ada@example.com")["two_factor"], "app");
}

/// On a colour terminal the QR code is drawn black on white with explicit
/// colours, so that it scans on a light terminal too (issue 17.12).
#[test]
fn the_qr_code_on_a_colour_terminal_has_explicit_colours() {
    let env = Env::new();
    let p = env.pty_shell("exec \"$0\" 2fa enroll < /dev/null", true, 15_000);
    let (out, status) = finish(p);
    assert_eq!(status, 2, "no code on stdin: {out}");
    let qr: Vec<&str> = out.lines().filter(|l| l.contains('▀') || l.contains('▄') || l.contains('█')).collect();
    assert!(qr.len() > 10, "{out}");
    assert!(qr.iter().all(|l| l.starts_with("\x1b[30;47m")), "{qr:?}");
}

/// `2fa enroll --format json|jsonl` on pipes: the person's part (prose, QR
/// code, URI) on stderr, read up to the URI before the code is written; stdout
/// is exactly one object with `otpauth_uri`, `secret` and `recovery_codes`.
fn enrol_as_data(env: &Env, format: &str) -> (serde_json::Value, String, String, u64) {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut c = env.command();
    c.args(["2fa", "enroll", "--format", format]).env("ACCT_ACTOR", "ada@example.com");
    c.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("spawn acct");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut err = String::new();
    let uri = loop {
        let mut l = String::new();
        assert!(stderr.read_line(&mut l).unwrap() > 0, "no otpauth:// URI on stderr:\n{err}");
        err.push_str(&l);
        if l.starts_with("otpauth://") {
            break l.trim_end().to_string();
        }
    };
    let (step, code) = current_code(&secret_of(&uri));
    stdin.write_all(format!("{code}\n").as_bytes()).unwrap();
    drop(stdin);
    let mut out = String::new();
    stdout.read_to_string(&mut out).unwrap();
    stderr.read_to_string(&mut err).unwrap();
    assert!(child.wait().unwrap().success(), "stdout: {out}\nstderr: {err}");
    if format == "jsonl" {
        assert_eq!(out.lines().count(), 1, "{out}");
    }
    (serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")), uri, err, step)
}

#[test]
fn enrol_with_a_machine_format_prints_one_object_and_the_prose_on_stderr() {
    for format in ["json", "jsonl"] {
        let env = Env::new();
        let (obj, uri, err, step) = enrol_as_data(&env, format);
        let secret = secret_of(&uri);
        let codes: Vec<String> =
            obj["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
        assert_recovery_code_shape(&codes);
        assert_eq!(obj, json!({"otpauth_uri": uri, "secret": secret, "recovery_codes": codes}));
        assert!(err.starts_with("Scan this code with an authenticator app, or enter the URI by hand:\n\n"), "{err}");
        assert!(
            err.ends_with(&format!(
                "{uri}\n\ntwo-factor authentication with an app is enrolled\n\
                 the code just used cannot be used again: 'acct 2fa verify' needs the next code the app shows\n"
            )),
            "{err}"
        );
        assert_eq!(totp_row(&env, "ada"), format!("app|{secret}|{step}|0|NULL"));
        // The codes printed are the ones stored.
        let mut hashes: Vec<String> = codes.iter().map(|c| format!("{}|0", recovery_hash(c))).collect();
        hashes.sort();
        assert_eq!(recovery_rows(&env, "ada"), hashes);
    }
}
