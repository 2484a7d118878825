//! `acct user edit`: the attribute matrix of SPEC §3 end to end for a self, a
//! manager and an org admin actor, the conditional attributes, validation and
//! the audit entry.

mod common;
use common::Env;
use serde_json::{Value, json};

/// acme with sso on; bob (read-only, active, phone set) in the primary group
/// eng; carol (read-only, active) manages eng and ops; dave (read-only,
/// active) is unrelated to bob; groups eng, ops and qa.
fn setup() -> Env {
    let env = Env::new();
    env.run(&["org", "set", "--sso", "on"]).ok();
    for g in ["eng", "ops", "qa"] {
        env.run(&["group", "create", g]).ok();
    }
    env.run(&[
        "user",
        "add",
        "bob@example.com",
        "--role",
        "read-only",
        "--first-name",
        "Bob",
        "--last-name",
        "Smith",
        "--no-send",
    ])
    .ok();
    env.run(&["user", "add", "carol@example.com", "dave@example.com", "--role", "read-only", "--no-send"]).ok();
    for u in ["bob@example.com", "carol@example.com", "dave@example.com"] {
        env.activate(u);
    }
    env.exec("UPDATE users SET phone = '+4915100000001' WHERE username = 'bob'", &[]);
    env.run(&["user", "edit", "bob", "--primary-group", "eng"]).ok();
    env.run(&["group", "add-manager", "eng", "carol"]).ok();
    env.run(&["group", "add-manager", "ops", "carol"]).ok();
    env
}

/// Everything about bob that an edit can touch.
fn snapshot(env: &Env) -> String {
    env.query(
        "SELECT u.username, u.email, u.email_key, u.first_name, u.last_name, u.full_name, u.initials, u.phone,
                u.timezone, u.notify, u.robot, u.sso_disabled, u.sms_auto_send, u.require_2fa, u.status, u.primary_group_id,
                u.updated_at, (SELECT group_concat(group_id) FROM group_members WHERE user_id = u.id),
                (SELECT count(*) FROM audit)
         FROM users u WHERE u.username = 'bob'",
    )
}

fn last_audit(env: &Env) -> (String, String, String, Value) {
    let row = env.sql("SELECT actor, action, target, changes FROM audit ORDER BY id DESC LIMIT 1", &[]);
    let [actor, action, target, changes] = <[String; 4]>::try_from(row[0].clone()).unwrap();
    (actor, action, target, serde_json::from_str(&changes).unwrap())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rel {
    Own,
    Manager,
    Admin,
}

struct Case {
    field: &'static str,
    args: &'static [&'static str],
    /// An SQL expression over bob's row `u` and its value afterwards.
    check: &'static str,
    after: &'static str,
    /// The stderr lines after "LABEL: ".
    lines: &'static [&'static str],
    audit: fn() -> Value,
    /// (self, manager, org admin), SPEC §3.
    allowed: (bool, bool, bool),
    /// Who may, in the denial message.
    who: &'static str,
}

const MANAGER_OR_ADMIN: &str = "a manager of the user's primary group or an org admin";

/// The fields of the matrix, `active` last (it ends bob's turn as an actor).
/// The names come before full_name and initials: until those are set
/// explicitly they follow the names (SPEC §1).
fn cases() -> Vec<Case> {
    vec![
        Case {
            field: "first_name",
            args: &["--first-name", "Robert"],
            check: "u.first_name",
            after: "Robert",
            // full_name and initials follow the names (SPEC §1).
            lines: &[
                "changed first_name: Bob → Robert",
                "changed full_name: Bob Smith → Robert Smith",
                "changed initials: BS → RS",
            ],
            audit: || {
                json!({"first_name": {"old": "Bob", "new": "Robert"}, "full_name": {"old": "Bob Smith", "new": "Robert Smith"},
                       "initials": {"old": "BS", "new": "RS"}})
            },
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "last_name",
            args: &["--last-name", "Smythe"],
            check: "u.last_name",
            after: "Smythe",
            lines: &["changed last_name: Smith → Smythe", "changed full_name: Robert Smith → Robert Smythe"],
            audit: || json!({"last_name": {"old": "Smith", "new": "Smythe"}, "full_name": {"old": "Robert Smith", "new": "Robert Smythe"}}),
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "full_name",
            args: &["--full-name", "Robert Smith"],
            check: "u.full_name",
            after: "Robert Smith",
            lines: &["changed full_name: Robert Smythe → Robert Smith"],
            audit: || json!({"full_name": {"old": "Robert Smythe", "new": "Robert Smith"}}),
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "initials",
            args: &["--initials", "RJS"],
            check: "u.initials",
            after: "RJS",
            lines: &["changed initials: RS → RJS"],
            audit: || json!({"initials": {"old": "RS", "new": "RJS"}}),
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "email",
            args: &["--email", "robert@example.com"],
            check: "u.email || ' ' || u.email_key",
            after: "robert@example.com robert@example.com",
            lines: &["changed email: bob@example.com → robert@example.com"],
            audit: || json!({"email": {"old": "bob@example.com", "new": "robert@example.com"}}),
            allowed: (true, false, true),
            who: "the user themself or an org admin",
        },
        Case {
            field: "phone",
            args: &["--phone", "+4915112345678"],
            check: "u.phone",
            after: "+4915112345678",
            lines: &["changed phone: +4915100000001 → +4915112345678"],
            audit: || json!({"phone": {"old": "+4915100000001", "new": "+4915112345678"}}),
            allowed: (true, false, false),
            who: "the user themself",
        },
        Case {
            field: "timezone",
            args: &["--timezone", "Europe/Berlin"],
            check: "u.timezone",
            after: "Europe/Berlin",
            lines: &["changed timezone: ∅ → Europe/Berlin"],
            audit: || json!({"timezone": {"old": null, "new": "Europe/Berlin"}}),
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "notify",
            args: &["--notify", "false"],
            check: "u.notify",
            after: "0",
            lines: &["changed notify: true → false"],
            audit: || json!({"notify": {"old": true, "new": false}}),
            allowed: (true, false, true),
            who: "the user themself or an org admin",
        },
        Case {
            field: "robot",
            args: &["--robot", "true"],
            check: "u.robot",
            after: "1",
            lines: &["changed robot: false → true"],
            audit: || json!({"robot": {"old": false, "new": true}}),
            allowed: (false, true, true),
            who: MANAGER_OR_ADMIN,
        },
        Case {
            field: "sso_disabled",
            args: &["--sso-disabled", "true"],
            check: "u.sso_disabled",
            after: "1",
            lines: &["changed sso_disabled: false → true"],
            audit: || json!({"sso_disabled": {"old": false, "new": true}}),
            allowed: (false, true, true),
            who: MANAGER_OR_ADMIN,
        },
        Case {
            field: "sms_auto_send",
            args: &["--sms-auto-send", "true"],
            check: "u.sms_auto_send",
            after: "1",
            lines: &["changed sms_auto_send: false → true"],
            audit: || json!({"sms_auto_send": {"old": false, "new": true}}),
            allowed: (true, true, true),
            who: "anyone related to the user",
        },
        Case {
            field: "require_2fa",
            args: &["--require-2fa", "true"],
            check: "u.require_2fa",
            after: "1",
            lines: &["changed require_2fa: false → true"],
            audit: || json!({"require_2fa": {"old": false, "new": true}}),
            allowed: (false, false, true),
            who: "an org admin",
        },
        Case {
            field: "primary_group",
            args: &["--primary-group", "ops"],
            check: "(SELECT slug FROM groups WHERE id = u.primary_group_id)",
            after: "ops",
            lines: &["changed primary_group: eng → ops"],
            audit: || json!({"primary_group": {"old": "eng", "new": "ops"}}),
            allowed: (false, true, true),
            who: MANAGER_OR_ADMIN,
        },
        Case {
            field: "groups",
            // A group the manager also manages: adding someone to a group
            // needs group:manage or managing that group (SPEC §3).
            args: &["--add-group", "ops"],
            check: "(SELECT group_concat(g.slug) FROM group_members gm JOIN groups g ON g.id = gm.group_id WHERE gm.user_id = u.id)",
            after: "ops",
            lines: &["changed groups: [] → [\"acme/ops\"]"],
            audit: || json!({"groups": {"old": [], "new": ["acme/ops"]}}),
            allowed: (false, true, true),
            who: MANAGER_OR_ADMIN,
        },
        Case {
            field: "active",
            args: &["--active", "false"],
            check: "u.status",
            after: "inactive",
            lines: &["changed active: true → false", "changed status: active → inactive"],
            audit: || json!({"active": {"old": true, "new": false}, "status": {"old": "active", "new": "inactive"}}),
            allowed: (false, true, true),
            who: MANAGER_OR_ADMIN,
        },
    ]
}

fn run_matrix(rel: Rel) {
    let env = setup();
    let (actor, describe) = match rel {
        Rel::Own => ("bob", "you are the user themself"),
        Rel::Manager => ("carol", "you are manager of the user's primary group"),
        Rel::Admin => ("ada", "you are org admin of acme"),
    };
    let mut failures = Vec::new();
    for c in cases() {
        let allowed = match rel {
            Rel::Own => c.allowed.0,
            Rel::Manager => c.allowed.1,
            Rel::Admin => c.allowed.2,
        };
        let label = env.query("SELECT email FROM users WHERE username = 'bob'");
        let actor_email = env.query(&format!("SELECT email FROM users WHERE username = '{actor}'"));
        let before = snapshot(&env);
        let audit = env.audit_count();
        let mut args = vec!["user", "edit", "bob"];
        args.extend_from_slice(c.args);
        let run = env.run_as(actor, &args);
        if allowed {
            let expected: String = c.lines.iter().map(|l| format!("{label}: {l}\n")).collect();
            let value = env.query(&format!("SELECT {} FROM users u WHERE u.username = 'bob'", c.check));
            let ok = run.code == 0 && run.stdout.is_empty() && run.stderr == expected && value == c.after;
            if !ok {
                failures.push(format!("{rel:?} {}: expected allowed\n{run:?}\nvalue {value}", c.field));
                continue;
            }
            if env.audit_count() != audit + 1 {
                failures.push(format!("{rel:?} {}: no audit entry", c.field));
                continue;
            }
            let (a, action, target, changes) = last_audit(&env);
            if (a.as_str(), action.as_str(), target.as_str(), &changes)
                != (actor_email.as_str(), "user.edit", label.as_str(), &(c.audit)())
            {
                failures.push(format!("{rel:?} {}: audit {a} {action} {target} {changes}", c.field));
            }
        } else {
            let expected = format!("error: permission denied: '{}' can be changed only by {} ({describe})\n", c.field, c.who);
            let ok = run.code == 4 && run.stdout.is_empty() && run.stderr == expected && snapshot(&env) == before;
            if !ok {
                failures.push(format!("{rel:?} {}: expected denied with {expected:?}\n{run:?}", c.field));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn matrix_for_the_user_themself() {
    run_matrix(Rel::Own);
}

#[test]
fn matrix_for_a_manager_of_the_primary_group() {
    run_matrix(Rel::Manager);
}

#[test]
fn matrix_for_an_org_admin() {
    run_matrix(Rel::Admin);
}

#[test]
fn an_unrelated_member_may_change_nothing() {
    let env = setup();
    let before = snapshot(&env);
    let run = env.run_as("dave", &["user", "edit", "bob", "--first-name", "X"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: 'first_name' can be changed only by the user themself, a manager of their primary group or an org admin (you are not the user, their manager or an org admin)\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn a_partly_denied_edit_changes_nothing() {
    let env = setup();
    let before = snapshot(&env);
    // The manager may change the first name and the timezone, not the e-mail.
    let run =
        env.run_as("carol", &["user", "edit", "bob", "--first-name", "Robert", "--timezone", "UTC", "--email", "x@example.com"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: 'email' can be changed only by the user themself or an org admin (you are manager of the user's primary group)\n"
    );
    assert_eq!(snapshot(&env), before);
    // The user themself may change the phone, not require_2fa.
    let run = env.run_as("bob", &["user", "edit", "bob", "--phone", "+4915199999999", "--require-2fa", "true"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: 'require_2fa' can be changed only by an org admin (you are the user themself)\n"
    );
    assert_eq!(snapshot(&env), before);
    // A valid change next to an invalid one: nothing either.
    let run = env.run(&["user", "edit", "bob", "--first-name", "Robert", "--timezone", "Mars/Olympus"]);
    assert_eq!(run.fails(6), "error: invalid timezone 'Mars/Olympus': not an IANA time zone name such as 'Europe/Berlin'\n");
    assert_eq!(snapshot(&env), before);
}

#[test]
fn several_changes_in_one_edit_are_one_audit_entry() {
    let env = setup();
    let audit = env.audit_count();
    let run = env.run(&["user", "edit", "bob", "--first-name", "Robert", "--timezone", "America/New_York", "--robot", "true"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "bob@example.com: changed first_name: Bob → Robert\n\
         bob@example.com: changed full_name: Bob Smith → Robert Smith\n\
         bob@example.com: changed initials: BS → RS\n\
         bob@example.com: changed timezone: ∅ → America/New_York\n\
         bob@example.com: changed robot: false → true\n"
    );
    assert_eq!(env.audit_count(), audit + 1);
    let (actor, action, target, changes) = last_audit(&env);
    assert_eq!((actor.as_str(), action.as_str(), target.as_str()), ("ada@example.com", "user.edit", "bob@example.com"));
    assert_eq!(
        changes,
        json!({
            "first_name": {"old": "Bob", "new": "Robert"},
            "full_name": {"old": "Bob Smith", "new": "Robert Smith"},
            "initials": {"old": "BS", "new": "RS"},
            "timezone": {"old": null, "new": "America/New_York"},
            "robot": {"old": false, "new": true}
        })
    );
    assert_eq!(env.query("SELECT org FROM audit ORDER BY id DESC LIMIT 1"), "acme");
}

#[test]
fn an_unchanged_value_writes_nothing() {
    let env = setup();
    let before = snapshot(&env);
    let run = env.run(&["user", "edit", "bob", "--first-name", "Bob"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com: nothing changed\n");
    assert_eq!(snapshot(&env), before);
}

#[test]
fn dry_run_shows_the_change_and_keeps_the_database() {
    let env = setup();
    let before = snapshot(&env);
    let run = env.run(&["user", "edit", "bob", "--last-name", "Smyth", "--dry-run"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "bob@example.com: would change last_name: Smith → Smyth\n\
         bob@example.com: would change full_name: Bob Smith → Bob Smyth\ndry run: nothing was changed\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn an_empty_value_clears_a_text_field() {
    let env = setup();
    env.run(&["user", "edit", "bob", "--timezone", "Europe/Berlin", "--initials", "RS"]).ok();
    let run = env.run(&["user", "edit", "bob", "--timezone", "", "--initials", ""]);
    assert_eq!(run.ok(), "");
    // Initials are derived from the names once cleared (SPEC §1).
    assert_eq!(run.stderr, "bob@example.com: changed initials: RS → BS\nbob@example.com: changed timezone: Europe/Berlin → ∅\n");
    assert_eq!(
        env.query("SELECT coalesce(timezone, 'NULL') || coalesce(initials, 'NULL') FROM users WHERE username = 'bob'"),
        "NULLBS"
    );
}

#[test]
fn no_flags_without_a_terminal_is_a_usage_error() {
    let env = setup();
    let run = env.run(&["user", "edit", "bob"]);
    assert_eq!(
        run.fails(2),
        "error: nothing to change\nhint: pass flags such as --first-name, or run on a terminal to edit in $EDITOR\n"
    );
}

#[test]
fn username_and_id_are_not_editable() {
    let env = setup();
    let run = env.run(&["user", "edit", "bob", "--username", "robert"]);
    assert!(run.fails(2).starts_with("error: unexpected argument '--username' found\n"), "{run:?}");
    let run = env.run(&["user", "edit", "bob", "--id", "9"]);
    assert!(run.fails(2).starts_with("error: unexpected argument '--id' found\n"), "{run:?}");
    let run = env.run(&["user", "edit", "bob", "--notify", "maybe"]);
    assert!(run.fails(2).starts_with("error: invalid value 'maybe' for '--notify <BOOL>'"), "{run:?}");
}

#[test]
fn sso_disabled_needs_sso_on() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    let before = env.query("SELECT sso_disabled || updated_at FROM users WHERE username = 'bob'");
    let run = env.run(&["user", "edit", "bob", "--sso-disabled", "true"]);
    assert_eq!(run.fails(5), "error: 'sso_disabled' applies only when the organization has sso on (acme has it off)\n");
    assert_eq!(env.query("SELECT sso_disabled || updated_at FROM users WHERE username = 'bob'"), before);
    env.run(&["org", "set", "--sso", "on"]).ok();
    let run = env.run(&["user", "edit", "bob", "--sso-disabled", "true"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com: changed sso_disabled: false → true\n");
    assert_eq!(env.query("SELECT sso_disabled FROM users WHERE username = 'bob'"), "1");
}

#[test]
fn sms_auto_send_needs_a_phone_and_sms_2fa_allowed() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.activate("bob@example.com");
    let run = env.run(&["user", "edit", "bob", "--sms-auto-send", "true"]);
    assert_eq!(run.fails(5), "error: 'sms_auto_send' needs a phone number\nhint: set --phone first (only the user can)\n");
    assert_eq!(env.query("SELECT sms_auto_send FROM users WHERE username = 'bob'"), "0");
    // The user may set both at once: the phone is there once the edit is applied.
    let run = env.run_as("bob", &["user", "edit", "bob", "--phone", "+4915112345678", "--sms-auto-send", "true"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        env.query("SELECT coalesce(phone, 'NULL') || ' ' || CAST(sms_auto_send AS INTEGER) FROM users WHERE username = 'bob'"),
        "+4915112345678 1"
    );
    // Clearing the phone while turning it on is refused.
    env.run(&["user", "edit", "bob", "--sms-auto-send", "false"]).ok();
    let run = env.run_as("bob", &["user", "edit", "bob", "--phone", "", "--sms-auto-send", "true"]);
    assert_eq!(run.fails(5), "error: 'sms_auto_send' needs a phone number\nhint: set --phone first (only the user can)\n");
    // An organization that disallows SMS 2FA.
    env.run(&["org", "set", "--sms-2fa", "disallowed"]).ok();
    let run = env.run(&["user", "edit", "bob", "--sms-auto-send", "true"]);
    assert_eq!(run.fails(5), "error: 'sms_auto_send' needs an organization that allows sms_2fa\n");
    assert_eq!(env.query("SELECT sms_auto_send FROM users WHERE username = 'bob'"), "0");
}

#[test]
fn clearing_the_phone_does_not_leave_sms_auto_send_on() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send"]).ok();
    env.activate("bob@example.com");
    env.run_as("bob", &["user", "edit", "bob", "--phone", "+4915112345678", "--sms-auto-send", "true"]).ok();
    let run = env.run_as("bob", &["user", "edit", "bob", "--phone", ""]);
    // Either refused as a conflict, or sms_auto_send is turned off with the phone.
    let state =
        env.query("SELECT coalesce(phone, 'NULL') || ' ' || CAST(sms_auto_send AS INTEGER) FROM users WHERE username = 'bob'");
    assert!(
        (run.code == 5 && state == "+4915112345678 1") || (run.code == 0 && state == "NULL 0"),
        "exit {} with phone/sms_auto_send = {state}\n{run:?}",
        run.code
    );
}

#[test]
fn invalid_phone_timezone_and_email_are_invalid_input() {
    let env = setup();
    let before = snapshot(&env);
    for (args, msg) in [
        (vec!["--phone", "123"], "error: invalid phone '123': must start with '+' (E.164)\n"),
        (vec!["--phone", "+1234567"], "error: invalid phone '+1234567': must be '+' followed by 8 to 15 digits (E.164)\n"),
        (
            vec!["--phone", "+49 151 1234567"],
            "error: invalid phone '+49 151 1234567': must be '+' followed by 8 to 15 digits (E.164)\n",
        ),
        (
            vec!["--timezone", "Mars/Olympus"],
            "error: invalid timezone 'Mars/Olympus': not an IANA time zone name such as 'Europe/Berlin'\n",
        ),
        (vec!["--timezone", "CEST"], "error: invalid timezone 'CEST': not an IANA time zone name such as 'Europe/Berlin'\n"),
        (vec!["--email", "bob"], "error: invalid e-mail 'bob': must contain exactly one '@'\n"),
        (vec!["--email", "bob@localhost"], "error: invalid e-mail 'bob@localhost': the domain must contain a dot\n"),
        (
            vec!["--email", "bob\u{202e}@example.com"],
            "error: invalid e-mail 'bob\\u{202e}@example.com': contains a control or bidi character\n",
        ),
    ] {
        // Phone as the user themself, the rest as the org admin.
        let actor = if args[0] == "--phone" { "bob" } else { "ada" };
        let mut a = vec!["user", "edit", "bob"];
        a.extend(args.iter().copied());
        let run = env.run_as(actor, &a);
        assert_eq!(run.fails(6), msg, "{args:?}");
        assert_eq!(snapshot(&env), before, "{args:?}");
    }
    // Every IANA name from the tz database is accepted.
    for tz in ["UTC", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Pacific/Chatham"] {
        env.run(&["user", "edit", "bob", "--timezone", tz]).ok();
        assert_eq!(env.query("SELECT timezone FROM users WHERE username = 'bob'"), tz);
    }
}

#[test]
fn e_mail_collisions_use_the_normalized_key() {
    let env = setup();
    let before = snapshot(&env);
    for other in ["BOB@Example.com", "bob@EXAMPLE.COM"] {
        let run = env.run(&["user", "edit", "carol", "--email", other]);
        assert_eq!(run.fails(5), format!("error: the e-mail {other} belongs to another user\n"));
    }
    assert_eq!(env.query("SELECT email FROM users WHERE username = 'carol'"), "carol@example.com");
    assert_eq!(snapshot(&env), before);
    // A new spelling of one's own address is fine.
    let run = env.run_as("bob", &["user", "edit", "bob", "--email", "Bob@Example.com"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        env.query("SELECT email || ' ' || email_key FROM users WHERE username = 'bob'"),
        "Bob@Example.com bob@example.com"
    );
    // NFD and NFC spellings are the same address.
    env.run(&["user", "edit", "dave", "--email", "r\u{e9}my@example.com"]).ok();
    let run = env.run(&["user", "edit", "carol", "--email", "re\u{301}my@example.com"]);
    assert_eq!(run.fails(5), "error: the e-mail re\u{301}my@example.com belongs to another user\n");
    // Unicode domains collide with their punycode form.
    env.run(&["user", "edit", "carol", "--email", "carol@bücher.de"]).ok();
    let run = env.run(&["user", "edit", "bob", "--email", "Carol@xn--bcher-kva.de"]);
    assert_eq!(run.fails(5), "error: the e-mail Carol@xn--bcher-kva.de belongs to another user\n");
}

#[test]
fn a_manager_may_only_move_to_a_group_they_manage() {
    let env = setup();
    let before = snapshot(&env);
    let run = env.run_as("carol", &["user", "edit", "bob", "--primary-group", "qa"]);
    assert_eq!(
        run.fails(4),
        "error: permission denied: a manager may set a primary group only to a group they also manage (you are manager of the user's primary group)\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn deactivation_keeps_the_last_admin_and_respects_privilege() {
    let env = setup();
    let run = env.run(&["user", "edit", "ada", "--active", "false"]);
    assert_eq!(
        run.fails(5),
        "error: ada@example.com is the last active full-admin of an organization\nhint: assign full-admin to another active member first\n"
    );
    assert_eq!(env.query("SELECT status FROM users WHERE username = 'ada'"), "active");
    // A manager cannot deactivate a member of their group who holds more.
    env.run(&["user", "add", "root@example.com", "--role", "full-admin", "--group", "eng", "--no-send"]).ok();
    env.activate("root@example.com");
    let run = env.run_as("carol", &["user", "edit", "root", "--active", "false"]);
    let err = run.fails(4);
    assert!(err.starts_with("error: permission denied: cannot deactivate root@example.com: they hold "), "{err}");
    assert_eq!(env.query("SELECT status FROM users WHERE username = 'root'"), "active");
    // Reactivation restores the state before.
    env.run(&["user", "edit", "bob", "--active", "false"]).ok();
    assert_eq!(env.query("SELECT status FROM users WHERE username = 'bob'"), "inactive");
    let run = env.run_as("bob", &["user", "list"]);
    assert_eq!(run.fails(4), "error: permission denied: the actor bob@example.com is inactive\n");
    env.run(&["user", "edit", "bob", "--active", "true"]).ok();
    assert_eq!(env.query("SELECT status FROM users WHERE username = 'bob'"), "active");
}

#[test]
fn groups_of_another_organization_need_a_membership_there() {
    let env = setup();
    env.run(&["org", "create", "beta"]).ok();
    let run = env.run(&["user", "edit", "bob", "--add-group", "beta/everyone"]);
    assert_eq!(run.fails(5), "error: bob@example.com is not a member of the organization of group 'everyone'\n");
    let run = env.run(&["user", "edit", "bob", "--add-group", "nope"]);
    assert_eq!(run.fails(3), "error: group 'nope' not found in acme\nhint: 'acct group list' shows the groups\n");
    env.run(&["user", "edit", "bob", "--add-group", "qa", "--add-group", "ops"]).ok();
    let run = env.run(&["user", "edit", "bob", "--remove-group", "qa"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "bob@example.com: changed groups: [\"acme/ops\",\"acme/qa\"] → [\"acme/ops\"]\n");
}

#[test]
fn editing_an_unknown_user() {
    let env = setup();
    assert_eq!(env.run(&["user", "edit", "nobody", "--first-name", "X"]).fails(3), "error: user 'nobody' not found\n");
}
