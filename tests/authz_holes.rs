//! Regression tests for the authorization holes found by outside testing
//! (SPEC §2–§3): escalation through `role create/edit/delete`, identity
//! changes across organizations, additional groups of other organizations,
//! an unreadable `ACCT_ACTOR`, `--dry-run` as a code oracle, facts disclosed
//! before the decision, and `can-i` drifting from the commands.

mod common;
mod support;

use common::{Env, output};
use support::*;

/// `acct init --org acme --admin root@acme.test`, as in the reproductions.
fn acme() -> Env {
    let env = Env::init(&["--org", "acme", "--admin", "root@acme.test"]);
    env
}

/// A member added with `acct user add` and activated (as accepting the
/// invitation would).
fn mk(env: &Env, email: &str, roles: &[&str]) {
    mk_in(env, None, email, roles);
}

fn mk_in(env: &Env, org: Option<&str>, email: &str, roles: &[&str]) {
    let mut args: Vec<&str> = Vec::new();
    if let Some(o) = org {
        args.extend(["--org", o]);
    }
    args.extend(["user", "add", email, "--no-send"]);
    for r in roles {
        args.extend(["--role", r]);
    }
    if roles.is_empty() {
        // A member without a role: added with one, which is then taken away.
        args.extend(["--role", "read-only"]);
    }
    env.run(&args).ok();
    if roles.is_empty() {
        let mut un: Vec<&str> = org.map(|o| vec!["--org", o]).unwrap_or_default();
        un.extend(["role", "unassign", email, "read-only"]);
        env.run(&un).ok();
    }
    env.activate(email);
}

fn perms_of(env: &Env, role: &str) -> String {
    env.query(&format!(
        "SELECT group_concat(permission, ' ') FROM (SELECT rp.permission FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
         WHERE r.name = '{role}' ORDER BY rp.permission) x"
    ))
}

fn roles_of(env: &Env, email: &str, org: &str) -> String {
    env.query(&format!(
        "SELECT ifnull(group_concat(name, ' '), '') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
         JOIN users u ON u.id = ur.user_id JOIN orgs o ON o.id = ur.org_id WHERE u.email = '{email}' AND o.slug = '{org}' ORDER BY r.name) x"
    ))
}

// ------------------------------------------------------------ 1. role:manage

#[test]
fn role_manage_cannot_make_itself_org_admin() {
    let env = acme();
    env.run(&["role", "create", "rm", "--permission", "role:manage"]).ok();
    mk(&env, "eve@acme.test", &["rm"]);
    let before = snapshot(&env);
    let eve = |args: &[&str]| env.run_as("eve@acme.test", args);

    let r = eve(&["role", "edit", "rm", "--add-permission", "org:admin"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: editing 'rm' would grant user:read user:invite user:remove user:export user:reset-2fa role:read role:assign group:read group:manage audit:read org:admin in acme, which you do not hold\n"
    );
    let r = eve(&["role", "assign", "eve@acme.test", "full-admin"]);
    assert_eq!(r.fails(4), "error: permission denied: 'role:assign' is needed in acme (you have role:manage)\n");
    let r = eve(&["role", "unassign", "root@acme.test", "full-admin"]);
    assert_eq!(r.fails(4), "error: permission denied: 'role:assign' is needed in acme (you have role:manage)\n");
    // Creating a role with permissions the actor lacks is escalation too.
    let r = eve(&["role", "create", "boss", "--permission", "org:admin"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: creating 'boss' would grant user:read user:invite user:remove user:export user:reset-2fa role:read role:assign group:read group:manage audit:read org:admin in acme, which you do not hold\n"
    );
    let r = eve(&["role", "create", "mix", "--permission", "role:manage", "--permission", "user:remove"]);
    assert_eq!(r.fails(4), "error: permission denied: creating 'mix' would grant user:remove in acme, which you do not hold\n");
    // Replacing the permissions with --permission is decided the same way.
    let r = eve(&["role", "edit", "rm", "--permission", "user:invite"]);
    assert_eq!(r.fails(4), "error: permission denied: editing 'rm' would grant user:invite in acme, which you do not hold\n");
    assert_eq!(snapshot(&env), before, "nothing changed");
    assert_eq!(perms_of(&env, "rm"), "role:manage");
    assert_eq!(roles_of(&env, "root@acme.test", "acme"), "full-admin");

    // What the actor holds, it may give.
    eve(&["role", "create", "rm2", "--permission", "role:manage"]).ok();
    eve(&["role", "edit", "rm", "--display-name", "Role managers"]).ok();
    assert_eq!(env.query("SELECT display_name FROM roles WHERE name = 'rm'"), "Role managers");
}

#[test]
fn role_manage_cannot_strip_or_delete_a_more_powerful_role() {
    let env = acme();
    env.run(&["role", "create", "rm", "--permission", "role:manage"]).ok();
    env.run(&["role", "create", "remover", "--permission", "user:remove", "--permission", "role:manage"]).ok();
    mk(&env, "eve@acme.test", &["rm"]);
    let before = snapshot(&env);
    let eve = |args: &[&str]| env.run_as("eve@acme.test", args);
    let needs = "error: permission denied: editing 'remover' needs every permission it has; you lack user:remove in acme\n";
    assert_eq!(eve(&["role", "edit", "remover", "--remove-permission", "user:remove"]).fails(4), needs);
    assert_eq!(eve(&["role", "edit", "remover", "--display-name", "Mine now"]).fails(4), needs);
    assert_eq!(
        eve(&["role", "delete", "remover", "--yes"]).fails(4),
        "error: permission denied: deleting 'remover' needs every permission it has; you lack user:remove in acme\n"
    );
    // The same through --dry-run: decided, not merely rolled back.
    assert_eq!(eve(&["--dry-run", "role", "delete", "remover", "--yes"]).fails(4).lines().count(), 1);
    assert_eq!(snapshot(&env), before);
    assert_eq!(perms_of(&env, "remover"), "role:manage user:remove");
    // An org admin may do all of it.
    env.run(&["role", "edit", "remover", "--remove-permission", "user:remove"]).ok();
    assert_eq!(perms_of(&env, "remover"), "role:manage");
}

// ------------------------------------------------------------ 2. dry-run oracle

#[test]
fn secrets_are_never_checked_in_a_dry_run() {
    let env = acme();
    let before = snapshot(&env);
    let hint = "hint: it checks a secret, and a dry run would let codes be tried without a lockout\n";
    for (args, name) in [
        (&["--dry-run", "2fa", "verify", "123456"][..], "2fa verify"),
        (&["2fa", "verify", "123456", "--dry-run"][..], "2fa verify"),
        (&["--dry-run", "2fa", "enroll"][..], "2fa enroll"),
        (&["--dry-run", "invite", "accept", "AAAA", "--password-stdin"][..], "invite accept"),
    ] {
        let r = env.run_with(args, &[], None);
        assert_eq!(r.fails(2), format!("error: '{name}' cannot be run with --dry-run\n{hint}"), "{args:?}");
        assert_eq!(r.stdout, "");
    }
    assert_eq!(snapshot(&env), before);
}

// ------------------------------------------------------------ 3. across organizations

/// The reproduction of SPEC §3's cross-organization rule: boss is a plain
/// member of acme (primary group acme/ops) and full-admin of beta.
fn two_orgs() -> Env {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "hd@acme.test", &["helpdesk"]);
    mk(&env, "boss@acme.test", &["read-only"]);
    env.run(&["role", "unassign", "boss@acme.test", "read-only"]).ok();
    env.run(&["--org", "beta", "user", "add", "boss@acme.test", "--role", "full-admin"]).ok();
    mk(&env, "gm@acme.test", &["read-only"]);
    env.run(&["role", "unassign", "gm@acme.test", "read-only"]).ok();
    env.run(&["group", "create", "ops"]).ok();
    env.run(&["group", "add-manager", "ops", "gm@acme.test"]).ok();
    env.run(&["user", "edit", "boss@acme.test", "--primary-group", "ops"]).ok();
    env
}

#[test]
fn helpdesk_of_one_org_cannot_reset_the_2fa_of_another_orgs_admin() {
    let env = two_orgs();
    let before = snapshot(&env);
    let r = env.run_as("hd@acme.test", &["user", "reset-2fa", "boss@acme.test", "--yes"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: cannot reset the 2FA of boss@acme.test: they hold user:read user:invite user:remove user:export user:reset-2fa role:read role:assign role:manage group:read group:manage audit:read org:admin in beta, which you do not\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn a_role_less_manager_cannot_deactivate_another_orgs_admin() {
    let env = two_orgs();
    let before = snapshot(&env);
    let r = env.run_as("gm@acme.test", &["user", "edit", "boss@acme.test", "--active", "false"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.starts_with("error: permission denied: cannot deactivate boss@acme.test: they hold "), "{}", r.stderr);
    assert!(r.stderr.ends_with(" in beta, which you do not\n"), "{}", r.stderr);
    assert_eq!(env.query("SELECT status FROM users WHERE email = 'boss@acme.test'"), "active");
    // The manager may still change what the matrix lets a manager change.
    env.run_as("gm@acme.test", &["user", "edit", "boss@acme.test", "--timezone", "Europe/Berlin"]).ok();
    assert_ne!(snapshot(&env), before);
}

#[test]
fn an_org_admin_cannot_change_the_email_of_another_orgs_admin() {
    let env = two_orgs();
    mk(&env, "adm@acme.test", &["full-admin"]);
    let before = snapshot(&env);
    let r = env.run_as("adm@acme.test", &["user", "edit", "boss@acme.test", "--email", "mine@acme.test"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.starts_with("error: permission denied: cannot change the e-mail of boss@acme.test: they hold "),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&env), before);
    // A name is not the identity's credential: an acme admin may fix it.
    env.run_as("adm@acme.test", &["user", "edit", "boss@acme.test", "--first-name", "Boss"]).ok();
}

#[test]
fn invite_resend_needs_the_targets_permissions_in_every_org() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["role", "create", "inviter", "--permission", "user:invite", "--permission", "user:read"]).ok();
    mk(&env, "inv@acme.test", &["inviter"]);
    env.run(&["user", "add", "newbie@acme.test", "--role", "read-only", "--no-send"]).ok();
    env.run(&["--org", "beta", "user", "add", "newbie@acme.test", "--role", "full-admin"]).ok();
    let before = snapshot(&env);
    let r = env.run_as("inv@acme.test", &["invite", "resend", "newbie@acme.test"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(
        r.stderr.starts_with("error: permission denied: cannot send an invitation to newbie@acme.test: they hold "),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&env), before);
    assert_eq!(std::fs::read_dir(env.outbox()).map(|d| d.count()).unwrap_or(0), 0, "no mail went out");
}

#[test]
fn identity_changes_appear_in_the_audit_log_of_every_org_of_the_identity() {
    let env = two_orgs();
    env.run(&["user", "edit", "boss@acme.test", "--email", "chief@acme.test"]).ok();
    env.run(&["user", "edit", "chief@acme.test", "--first-name", "Chief"]).ok();
    // An acme-only change (a group of acme) stays acme's.
    env.run(&["group", "create", "qa"]).ok();
    let beta = json(env.run(&["--org", "beta", "audit", "list", "--format", "json", "--action", "user.edit"]).ok());
    let changes: Vec<String> = beta.as_array().unwrap().iter().map(|e| e["changes"].to_string()).collect();
    // Every change to boss's record since boss joined beta, though made in acme.
    assert_eq!(
        changes,
        [
            r#"{"primary_group":{"old":"everyone","new":"ops"}}"#.to_string(),
            r#"{"email":{"old":"boss@acme.test","new":"chief@acme.test"}}"#.to_string(),
            // full_name and initials follow the names (SPEC §1).
            r#"{"first_name":{"old":null,"new":"Chief"},"full_name":{"old":null,"new":"Chief"},"initials":{"old":null,"new":"C"}}"#
                .to_string(),
        ],
        "{beta}"
    );
    for e in beta.as_array().unwrap() {
        assert_eq!(e["org"], "acme", "the entry keeps the organization it was made in");
    }
    let beta_groups = json(env.run(&["--org", "beta", "audit", "list", "--format", "json", "--action", "group"]).ok());
    assert_eq!(beta_groups.as_array().unwrap().len(), 0, "{beta_groups}");
    // A reader of beta who is not in acme sees them too.
    mk_in(&env, Some("beta"), "auditor@beta.test", &["read-only"]);
    let seen = json(
        env.run_as("auditor@beta.test", &["--org", "beta", "audit", "list", "--format", "json", "--target", "chief@acme.test"])
            .ok(),
    );
    assert_eq!(seen.as_array().unwrap().len(), 4, "beta's own user.add and the three edits: {seen}");
}

// ------------------------------------------------------------ 4. additional groups

#[test]
fn additional_groups_follow_the_group_rule() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["--org", "beta", "group", "create", "secret-ops"]).ok();
    mk(&env, "adm@acme.test", &["full-admin"]);
    mk(&env, "v@acme.test", &["read-only"]);
    env.run(&["--org", "beta", "user", "add", "v@acme.test", "--role", "read-only"]).ok();
    let before = snapshot(&env);
    let r = env.run_as("adm@acme.test", &["user", "edit", "v@acme.test", "--add-group", "beta/secret-ops"]);
    assert_eq!(r.fails(4), "error: permission denied: 'group:manage' is needed in beta (you are not a member of beta)\n");
    assert_eq!(snapshot(&env), before);

    // A manager of v's primary group, for groups they do not manage.
    env.run(&["group", "create", "ops"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["group", "create", "hr"]).ok();
    mk(&env, "gm@acme.test", &[]);
    env.run(&["group", "add-manager", "ops", "gm@acme.test"]).ok();
    env.run(&["group", "add-manager", "eng", "gm@acme.test"]).ok();
    env.run(&["user", "edit", "v@acme.test", "--primary-group", "ops"]).ok();
    let before = snapshot(&env);
    let r = env.run_as("gm@acme.test", &["user", "edit", "v@acme.test", "--add-group", "hr"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: 'group:manage' is needed in acme (you have no role in acme; ask an administrator)\n"
    );
    let r = env.run_as("gm@acme.test", &["group", "add-member", "hr", "v@acme.test"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: 'group:manage' is needed in acme (you have no role in acme; ask an administrator)\n"
    );
    assert_eq!(snapshot(&env), before);
    // A group they manage: allowed, by either command.
    env.run_as("gm@acme.test", &["user", "edit", "v@acme.test", "--add-group", "eng"]).ok();
    env.run_as("gm@acme.test", &["group", "remove-member", "eng", "v@acme.test"]).ok();
    env.run_as("gm@acme.test", &["group", "add-member", "eng", "v@acme.test"]).ok();
    assert_eq!(json(env.run(&["user", "show", "v@acme.test", "--format", "json"]).ok())["groups"], serde_json::json!(["eng"]));
}

// ------------------------------------------------------------ 5. ACCT_ACTOR

#[test]
fn an_unreadable_actor_never_falls_back_to_the_configured_one() {
    use std::os::unix::ffi::OsStrExt;
    let env = acme();
    mk(&env, "bob@acme.test", &["read-only"]);
    let before = snapshot(&env);
    let mut c = env.command();
    c.env("ACCT_ACTOR", std::ffi::OsStr::from_bytes(b"bob\xff")).args([
        "user",
        "add",
        "carol@x.com",
        "--role",
        "full-admin",
        "--no-send",
    ]);
    let r = output(c, None);
    assert_eq!(
        r.fails(4),
        "error: ACCT_ACTOR (not valid UTF-8) is set but is not a usable actor\nhint: set it to an e-mail, username or id, or unset it\n"
    );
    for blank in ["", "  "] {
        let r =
            env.run_with(&["user", "add", "carol@x.com", "--role", "full-admin", "--no-send"], &[("ACCT_ACTOR", blank)], None);
        assert_eq!(r.fails(4).lines().next(), Some("error: ACCT_ACTOR (empty) is set but is not a usable actor"));
    }
    assert_eq!(snapshot(&env), before);
}

// ------------------------------------------------------------ 6. decide, then look

#[test]
fn import_decides_before_it_plans() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "nobody@acme.test", &[]);
    mk_in(&env, Some("beta"), "outsider@beta.test", &["full-admin"]);
    std::fs::write(
        env.home().join("f.csv"),
        "email,role\nroot@acme.test,read-only\noutsider@beta.test,read-only\nnew@x.test,read-only\n",
    )
    .unwrap();
    let before = snapshot(&env);
    for (actor, denial) in [
        (
            "nobody@acme.test",
            "error: permission denied: 'user:invite' is needed in acme (you have no role in acme; ask an administrator)\n",
        ),
        ("outsider@beta.test", "error: permission denied: 'user:invite' is needed in acme (you are not a member of acme)\n"),
    ] {
        for dry in [true, false] {
            let mut args = vec!["user", "import", "f.csv", "--no-send"];
            if dry {
                args.push("--dry-run");
            }
            let r = env.run_as(actor, &args);
            assert_eq!(r.fails(4), denial, "{actor} dry={dry}");
            assert_eq!(r.stdout, "", "no plan is shown");
        }
    }
    // Granting roles the actor lacks is refused before the plan, dry run or not.
    env.run(&["role", "create", "inviter", "--permission", "user:invite"]).ok();
    mk(&env, "inv@acme.test", &["inviter"]);
    let r = env.run_as("inv@acme.test", &["user", "import", "f.csv", "--no-send", "--dry-run"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert!(r.stderr.starts_with("error: permission denied: adding a user with these roles would grant "), "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let _ = before;
}

#[test]
fn show_and_can_i_deny_before_saying_who_exists() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "nobody@acme.test", &[]);
    mk_in(&env, Some("beta"), "elsewhere@beta.test", &["read-only"]);
    let denial = "error: permission denied: 'user:read' is needed in acme (you have no role in acme; ask an administrator)\n";
    // An actor with no standing anywhere is related to nobody: the answer is
    // the same whether the user exists, is a member elsewhere, or not at all.
    let unrelated = "reason: permission denied: 'first_name' can be changed only by the user themself, a manager of their primary group or an org admin (you are not the user, their manager or an org admin)\nrelations: none\n";
    for who in ["elsewhere@beta.test", "ghost@nowhere.test", "root@acme.test"] {
        assert_eq!(env.run_as("nobody@acme.test", &["user", "show", who]).fails(4), denial, "{who}");
        let r = env.run_as("nobody@acme.test", &["can-i", "edit", who, "--field", "first_name"]);
        assert_eq!(r.code, 4, "{who}: {r:?}");
        assert_eq!(r.stdout, "no\n");
        assert_eq!(r.stderr, unrelated, "{who}");
        let r = env.run_as("nobody@acme.test", &["user", "edit", who, "--first-name", "X"]);
        assert_eq!(
            r.fails(4),
            format!("error: {}", unrelated.lines().next().unwrap().trim_start_matches("reason: ")) + "\n",
            "{who}"
        );
    }
    // Themself, always.
    env.run_as("nobody@acme.test", &["user", "show", "nobody@acme.test"]).ok();
    assert_eq!(env.run_as("nobody@acme.test", &["can-i", "edit", "nobody@acme.test", "--field", "phone"]).ok(), "yes\n");
}

// ------------------------------------------------------------ 7. smaller ones

#[test]
fn a_deactivated_user_cannot_accept_their_invitation() {
    let env = acme();
    env.run(&["user", "add", "gone@acme.test", "--role", "read-only"]).ok();
    let mail = std::fs::read_dir(env.outbox()).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(&mail).unwrap().replace("=\r\n", "").replace("=\n", "");
    let token = text
        .split("/invite/")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>();
    env.run(&["user", "edit", "gone@acme.test", "--active", "false"]).ok();
    let before = snapshot(&env);
    let r = env.run_with(&["invite", "accept", "--password-stdin", "--", &token], &[], Some(b"correct horse battery\n"));
    assert_eq!(r.fails(5), "error: this account has been deactivated\nhint: ask an administrator to reactivate it\n");
    assert_eq!(r.stdout, "");
    assert_eq!(snapshot(&env), before);
    assert_eq!(env.query("SELECT password_hash IS NULL FROM users WHERE email = 'gone@acme.test'"), "1");
    assert_eq!(
        env.query("SELECT state FROM invitations i JOIN users u ON u.id = i.user_id WHERE u.email = 'gone@acme.test'"),
        "open"
    );
}

#[test]
fn purging_global_roles_needs_global_admin_and_the_entry_lists_what_went() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "ga@acme.test", &["read-only"]);
    env.run(&["access", "grant", "ga@acme.test", "global-read-only"]).ok();
    env.run(&["user", "remove", "ga@acme.test", "--yes"]).ok();
    env.exec("UPDATE users SET trashed_at = '2020-01-01T00:00:00Z' WHERE email = 'ga@acme.test'", &[]);
    mk_in(&env, Some("beta"), "binv@beta.test", &["full-admin"]);
    let before = snapshot(&env);
    let r = env.run_as("binv@beta.test", &["--org", "beta", "user", "add", "ga@acme.test", "--role", "read-only", "--no-send"]);
    assert_eq!(
        r.fails(4),
        "error: permission denied: purging ga@acme.test would remove their global roles (global:read); 'global:admin' is needed\n"
    );
    assert_eq!(snapshot(&env), before);
    // A global admin may; the purge's entry says what it removed.
    env.run(&["--org", "beta", "user", "add", "ga@acme.test", "--role", "read-only", "--no-send"]).ok();
    assert_eq!(
        env.query("SELECT changes FROM audit WHERE action = 'user.purge'"),
        r#"{"purged":{"old":false,"new":true},"global_roles":{"old":["global-read-only"],"new":null},"trash_roles":{"old":["read-only"],"new":null},"invitations":{"old":1,"new":null}}"#
    );
}

#[test]
fn removal_that_moves_the_primary_group_says_so_in_the_audit() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "two@acme.test", &["read-only"]);
    env.run(&["--org", "beta", "user", "add", "two@acme.test", "--role", "read-only"]).ok();
    env.run(&["user", "remove", "two@acme.test", "--yes"]).ok();
    assert_eq!(
        env.query("SELECT changes FROM audit WHERE action = 'user.remove'"),
        r#"{"member":{"old":true,"new":false},"roles":{"old":["read-only"],"new":[]},"primary_group":{"old":"acme/everyone","new":"beta/everyone"}}"#
    );
}

#[test]
fn undo_of_an_entry_the_actor_may_not_read_says_nothing_about_it() {
    let env = acme();
    env.run(&["org", "create", "beta"]).ok();
    mk(&env, "adm@acme.test", &["full-admin"]);
    mk_in(&env, Some("beta"), "bb@beta.test", &["read-only"]);
    env.run(&["--org", "beta", "role", "assign", "bb@beta.test", "helpdesk"]).ok();
    let id = env.query("SELECT max(id) FROM audit WHERE org = 'beta'");
    let missing = env.query("SELECT max(id) + 100 FROM audit");
    let before = snapshot(&env);
    // An entry of an organization whose audit log the actor may not read:
    // refused without a word about it (not its organization, nor its target).
    let denied = format!("permission denied: undoing audit entry {id} needs 'audit:read' where it was recorded");
    assert_eq!(env.run_as("adm@acme.test", &["undo", &id, "--yes"]).fails(4), format!("error: {denied}\n"));
    let r = env.run_as("adm@acme.test", &["can-i", "undo", &id]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (4, "no\n", format!("reason: {denied}\n").as_str()));
    let expected =
        format!("error: audit entry {missing} not found\nhint: 'acct audit list' shows the entries with their ids and changes\n");
    assert_eq!(env.run_as("adm@acme.test", &["undo", &missing, "--yes"]).fails(3), expected);
    assert_eq!(env.run_as("adm@acme.test", &["can-i", "undo", &missing]).fails(3), expected);
    assert_eq!(snapshot(&env), before);
    // beta's own admin may.
    env.run(&["--org", "beta", "undo", &id, "--yes"]).ok();
}
