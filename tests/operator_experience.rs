//! Issue 17: what a first-time operator stumbled on, through the real
//! binary. Terminal behaviour (prompts, table widths, 2FA) is in
//! `prompts_pty.rs`, completions in `assets.rs`, the README in
//! `readme_quick_start.rs`.

mod common;
mod support;
mod support_mail;
use common::Env;
use support::json;

fn show(env: &Env, who: &str) -> serde_json::Value {
    json(env.run(&["user", "show", who, "--format", "json"]).ok())
}

fn names(env: &Env, who: &str) -> (String, String) {
    let v = show(env, who);
    (v["full_name"].as_str().unwrap_or("NULL").to_string(), v["initials"].as_str().unwrap_or("NULL").to_string())
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

// ---- 3: full_name and initials follow the names until set explicitly ----

#[test]
fn a_name_change_re_derives_full_name_and_initials() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Hopper", "GH"));
    let run = env.run(&["user", "edit", "grace", "--last-name", "Hopper-Murray"]);
    run.ok();
    assert!(run.stderr.contains("changed full_name: Grace Hopper → Grace Hopper-Murray"), "{}", run.stderr);
    assert_eq!(names(&env, "grace"), pair("Grace Hopper-Murray", "GH"));
    env.run(&["user", "edit", "grace", "--first-name", "Amazing Grace"]).ok();
    assert_eq!(names(&env, "grace"), pair("Amazing Grace Hopper-Murray", "AGH"));
    // The audit log records the derived values like any other change.
    let audit = env.query("SELECT changes FROM audit WHERE action = 'user.edit' ORDER BY id DESC LIMIT 1");
    assert!(audit.contains("\"full_name\""), "{audit}");
}

#[test]
fn an_explicit_full_name_sticks_until_cleared() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--full-name", "Rear Admiral Hopper", "--initials", "RAH"]).ok();
    env.run(&["user", "edit", "grace", "--last-name", "Murray"]).ok();
    assert_eq!(names(&env, "grace"), pair("Rear Admiral Hopper", "RAH"), "explicit values stick");
    // Clearing the full name returns it to its derived form; the initials stay explicit.
    env.run(&["user", "edit", "grace", "--full-name", ""]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Murray", "RAH"));
    env.run(&["user", "edit", "grace", "--initials", ""]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Murray", "GM"));
    env.run(&["user", "edit", "grace", "--first-name", "Ada"]).ok();
    assert_eq!(names(&env, "grace"), pair("Ada Murray", "AM"), "derived again after clearing");
}

#[test]
fn an_explicit_value_equal_to_the_derived_one_still_sticks() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--full-name", "Grace Hopper"]).ok();
    env.run(&["user", "edit", "grace", "--last-name", "Murray"]).ok();
    assert_eq!(names(&env, "grace"), pair("Grace Hopper", "GM"));
}

#[test]
fn the_invitation_greets_by_the_current_full_name() {
    let env = Env::new();
    env.run(&["user", "add", "grace@example.com", "--role", "read-only", "--first-name", "Grace", "--last-name", "Hopper"]).ok();
    support_mail::take_outbox_token(&env, "grace@example.com");
    env.run(&["user", "edit", "grace", "--last-name", "Hopper-Murray"]).ok();
    env.run(&["invite", "resend", "grace"]).ok();
    let files = support_mail::outbox_files(&env);
    assert_eq!(files.len(), 1);
    let mail = std::fs::read_to_string(&files[0]).unwrap();
    assert!(support_mail::body(&mail).starts_with("Hello Grace Hopper-Murray,"), "{mail}");
}
