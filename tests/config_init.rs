//! `acct init`, `acct config`, precedence of flags, environment and file,
//! and the acting identity (SPEC §2).

mod common;
mod support;

use common::Env;
use support::*;

const INIT: [&str; 7] = ["init", "--org", "acme", "--admin", "ada@example.com", "--name", "Acme Corp"];

// ---------------------------------------------------------------- init

#[test]
fn init_creates_a_private_database_in_a_new_directory_and_writes_the_config() {
    let env = Env::empty();
    assert!(!env.data_dir().exists());
    let r = env.run(&INIT);
    assert_eq!(r.ok(), "");
    let db = env.db_path();
    let cfg = env.config_path();
    assert_eq!(
        r.stderr,
        format!(
            "created {} with organization acme and administrator ada@example.com\nwrote actor, org, database to {}\n",
            db.display(),
            cfg.display()
        )
    );
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    assert_eq!(read(&cfg), format!("actor = \"ada@example.com\"\norg = \"acme\"\ndatabase = \"{}\"\n", db.display()));

    // The state: one org, its everyone group, the admin with both roles.
    assert_eq!(rows(&env, "SELECT slug, display_name, sso, sms_2fa FROM orgs"), ["acme|Acme Corp|0|1"]);
    assert_eq!(rows(&env, "SELECT slug FROM groups"), ["everyone"]);
    assert_eq!(
        rows(
            &env,
            "SELECT u.username, u.email, u.email_key, u.status, g.slug FROM users u JOIN groups g ON g.id = u.primary_group_id"
        ),
        ["ada|ada@example.com|ada@example.com|active|everyone"]
    );
    assert_eq!(rows(&env, "SELECT r.name FROM user_roles x JOIN roles r ON r.id = x.role_id"), ["full-admin"]);
    assert_eq!(rows(&env, "SELECT r.name FROM global_roles x JOIN roles r ON r.id = x.role_id"), ["global-admin"]);
    assert_eq!(
        rows(&env, "SELECT name, scope, builtin FROM roles ORDER BY id"),
        ["full-admin|org|1", "read-only|org|1", "helpdesk|org|1", "global-admin|global|1", "global-read-only|global|1"]
    );
    assert_eq!(rows(&env, "SELECT actor, org, action, target FROM audit"), ["init|acme|init|ada@example.com"]);
}

#[test]
fn init_with_a_relative_db_path_stores_it_absolute() {
    let env = Env::empty();
    env.run(&["init", "--org", "acme", "--admin", "ada@example.com", "--db", "sub/dir/acct.db"]).ok();
    let db = env.home().join("sub/dir/acct.db");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&env.home().join("sub/dir")), 0o700);
    assert!(read(&env.config_path()).contains(&format!("database = \"{}\"\n", db.display())));
    // The display name defaults to the slug.
    let r = env.run(&["org", "show", "--format", "json"]);
    assert_eq!(json(r.ok())["display_name"], "acme");
}

#[test]
fn init_keeps_config_keys_that_are_already_set() {
    let env = Env::empty();
    std::fs::create_dir_all(env.config_path().parent().unwrap()).unwrap();
    let before = "# my settings\nactor = \"someone@example.com\"\norg = \"zeta\"\n";
    std::fs::write(env.config_path(), before).unwrap();
    let r = env.run(&INIT);
    r.ok();
    assert!(r.stderr.ends_with(&format!("wrote database to {}\n", env.config_path().display())), "{}", r.stderr);
    assert_eq!(read(&env.config_path()), format!("{before}database = \"{}\"\n", env.db_path().display()));
}

#[test]
fn init_writes_nothing_to_the_config_when_every_key_is_set() {
    let env = Env::new();
    let before = read(&env.config_path());
    let other = env.home().join("other.db");
    let r = env.run(&["init", "--org", "other", "--admin", "bob@example.com", "--db", other.to_str().unwrap()]);
    r.ok();
    assert_eq!(r.stderr, format!("created {} with organization other and administrator bob@example.com\n", other.display()));
    assert_eq!(read(&env.config_path()), before);
    assert_eq!(mode(&other), 0o600);
}

#[test]
fn second_init_is_a_conflict_and_changes_nothing() {
    let env = Env::new();
    let cfg = read(&env.config_path());
    let before = snapshot(&env);
    for args in [&INIT[..], &["init", "--org", "beta", "--admin", "bob@example.com"][..]] {
        let r = env.run(args);
        assert_eq!(
            r.fails(5),
            format!(
                "error: a database already exists at {}\nhint: acct init runs once; use --db to create another database\n",
                env.shown_location()
            )
        );
        assert_eq!(r.stdout, "");
    }
    assert_eq!(read(&env.config_path()), cfg);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn init_rejects_a_bad_slug_with_one_error_line_and_creates_nothing() {
    let env = Env::empty();
    let long = "a".repeat(64);
    for slug in ["Bad_Slug", "-lead", "", "a.b", long.as_str()] {
        let r = env.run(&["init", &format!("--org={slug}"), "--admin", "ada@example.com"]);
        let err = r.fails(6);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with(&format!("error: invalid organization '{slug}'")), "{err}");
    }
    let r = env.run(&["init", "--org", "Bad_Slug", "--admin", "ada@example.com"]);
    assert_eq!(r.fails(6), "error: invalid organization 'Bad_Slug': must match [a-z0-9][a-z0-9-]{0,62}\n");
    assert!(!env.data_dir().exists());
    assert!(!env.config_path().exists());
}

#[test]
fn init_rejects_a_bad_email_with_one_error_line_and_creates_nothing() {
    let env = Env::empty();
    let r = env.run(&["init", "--org", "acme", "--admin", "notanemail"]);
    assert_eq!(r.fails(6), "error: invalid e-mail 'notanemail': must contain exactly one '@'\n");
    for bad in ["a@b@example.com", "ada@localhost", "a da@example.com", "ada@exa\u{202e}mple.com", "@example.com"] {
        let r = env.run(&["init", "--org", "acme", "--admin", bad]);
        let err = r.fails(6);
        assert_eq!(err.lines().count(), 1, "{bad}: {err}");
        assert!(err.starts_with("error: invalid e-mail '"), "{bad}: {err}");
    }
    assert!(!env.data_dir().exists());
    assert!(!env.config_path().exists());
}

#[test]
fn init_dry_run_creates_nothing() {
    let env = Env::empty();
    let r = env.run(&["init", "--org", "acme", "--admin", "ada@example.com", "--dry-run"]);
    assert_eq!(r.ok(), "");
    assert_eq!(
        r.stderr,
        format!(
            "would create {} with organization acme and administrator ada@example.com\ndry run: nothing was changed\n",
            env.db_path().display()
        )
    );
    assert!(!env.data_dir().exists());
    assert!(!env.config_path().exists());
    assert!(!env.config_dir().exists());
}

// ---------------------------------------------------------------- config

#[test]
fn config_get_prints_values_and_defaults() {
    let env = Env::new();
    let get = |k: &str| env.run(&["config", "get", k]).ok().to_string();
    assert_eq!(get("actor"), "ada@example.com\n");
    assert_eq!(get("org"), "acme\n");
    assert_eq!(get("database"), format!("{}\n", env.db_location()));
    assert_eq!(get("mail.from"), "acct <noreply@localhost>\n");
    assert_eq!(get("mail.invite_url"), "https://localhost/invite/{token}\n");
    assert_eq!(get("mail.transport"), "outbox\n");
    assert_eq!(get("invite.ttl_days"), "7\n");
    assert_eq!(get("list.columns"), "email,first_name,last_name,role,two_factor,status\n");
}

#[test]
fn config_get_of_an_unset_key_without_default_fails() {
    let env = Env::empty();
    let r = env.run(&["config", "get", "actor"]);
    assert_eq!(r.fails(1), "error: 'actor' is not set\nhint: acct config set actor VALUE\n");
    assert_eq!(r.stdout, "");
}

#[test]
fn config_set_get_unset_round_trip() {
    let env = Env::new();
    env.run(&["config", "set", "mail.from", "Ops <ops@example.com>"]).ok();
    env.run(&["config", "set", "mail.invite_url", "https://example.com/join/{token}"]).ok();
    assert_eq!(env.run(&["config", "get", "mail.from"]).ok(), "Ops <ops@example.com>\n");
    assert_eq!(env.run(&["config", "get", "mail.invite_url"]).ok(), "https://example.com/join/{token}\n");
    let text = read(&env.config_path());
    assert!(
        text.ends_with("\n[mail]\nfrom = \"Ops <ops@example.com>\"\ninvite_url = \"https://example.com/join/{token}\"\n"),
        "{text}"
    );
    let r = env.run(&["config", "unset", "mail.from"]);
    assert_eq!(r.ok(), "");
    assert_eq!(r.stderr, "unset mail.from\n");
    assert_eq!(env.run(&["config", "get", "mail.from"]).ok(), "acct <noreply@localhost>\n");
    env.run(&["config", "unset", "mail.invite_url"]).ok();
    // The emptied section goes away with its last key.
    assert!(!read(&env.config_path()).contains("[mail]"));
    let r = env.run(&["config", "unset", "mail.invite_url"]);
    r.ok();
    assert_eq!(r.stderr, "'mail.invite_url' was not set (unchanged)\n");
}

#[test]
fn config_set_and_unset_give_the_key_old_and_new_value_as_data() {
    let env = Env::new();
    let set = |args: &[&str]| {
        let r = env.run(args);
        (r.code, r.stdout.clone(), r.stderr.clone())
    };
    assert_eq!(
        set(&["config", "set", "invite.ttl_days", "14", "--format", "json"]),
        (
            0,
            "[\n{\"key\":\"invite.ttl_days\",\"old\":null,\"new\":\"14\",\"changed\":true}\n]\n".into(),
            "set invite.ttl_days = 14\n".into()
        )
    );
    assert_eq!(
        set(&["config", "set", "invite.ttl_days", "30", "--format", "jsonl"]),
        (
            0,
            "{\"key\":\"invite.ttl_days\",\"old\":\"14\",\"new\":\"30\",\"changed\":true}\n".into(),
            "set invite.ttl_days = 30\n".into()
        )
    );
    // The value it holds: nothing written, and the data says so.
    let before = std::fs::metadata(env.config_path()).unwrap().modified().unwrap();
    let text = read(&env.config_path());
    assert_eq!(
        set(&["config", "set", "invite.ttl_days", "30", "--format", "json"]),
        (
            0,
            "[\n{\"key\":\"invite.ttl_days\",\"old\":\"30\",\"new\":\"30\",\"changed\":false}\n]\n".into(),
            "invite.ttl_days is already 30 (unchanged)\n".into()
        )
    );
    assert_eq!((read(&env.config_path()), std::fs::metadata(env.config_path()).unwrap().modified().unwrap()), (text, before));
    // A list is shown as config get shows it; the same columns are no change.
    assert_eq!(
        set(&["config", "set", "list.columns", "email,role", "--format", "csv"]),
        (0, "key,old,new,changed\r\nlist.columns,,\"email,role\",true\r\n".into(), "set list.columns = email,role\n".into())
    );
    assert_eq!(
        set(&["config", "set", "list.columns", "email,role", "--format", "tsv"]).1,
        "key\told\tnew\tchanged\nlist.columns\temail,role\temail,role\tfalse\n"
    );
    // Unset: the old value, null after; unset again is a no-op.
    assert_eq!(
        set(&["config", "unset", "invite.ttl_days", "--format", "json"]),
        (
            0,
            "[\n{\"key\":\"invite.ttl_days\",\"old\":\"30\",\"new\":null,\"changed\":true}\n]\n".into(),
            "unset invite.ttl_days\n".into()
        )
    );
    assert_eq!(
        set(&["config", "unset", "invite.ttl_days", "--format", "json"]),
        (
            0,
            "[\n{\"key\":\"invite.ttl_days\",\"old\":null,\"new\":null,\"changed\":false}\n]\n".into(),
            "'invite.ttl_days' was not set (unchanged)\n".into()
        )
    );
    // A dry run says what it would do and writes nothing.
    let text = read(&env.config_path());
    assert_eq!(
        set(&["config", "set", "invite.ttl_days", "3", "--dry-run", "--format", "json"]),
        (
            0,
            "[\n{\"key\":\"invite.ttl_days\",\"old\":null,\"new\":\"3\",\"changed\":true}\n]\n".into(),
            "would set invite.ttl_days = 3\ndry run: nothing was changed\n".into()
        )
    );
    assert_eq!(read(&env.config_path()), text);
    // Without --format, no data on stdout (as before); errors keep their codes.
    assert_eq!(set(&["config", "set", "invite.ttl_days", "3"]), (0, String::new(), "set invite.ttl_days = 3\n".into()));
    assert_eq!(set(&["config", "set", "invite.ttl_days", "0", "--format", "json"]).0, 6);
    assert_eq!(set(&["config", "unset", "nosuch", "--format", "json"]).0, 6);
}

#[test]
fn config_set_keeps_comments() {
    let env = Env::new();
    let text = format!("# who I am\n{}", read(&env.config_path()));
    std::fs::write(env.config_path(), &text).unwrap();
    env.run(&["config", "set", "invite.ttl_days", "14"]).ok();
    assert_eq!(read(&env.config_path()), format!("{text}\n[invite]\nttl_days = 14\n"));
}

#[test]
fn config_path_and_list() {
    let env = Env::new();
    assert_eq!(env.run(&["config", "path"]).ok(), format!("{}\n", env.config_path().display()));
    let db = env.db_location();
    assert_eq!(
        env.run(&["config", "list"]).ok(),
        format!("KEY       VALUE\ndatabase  {db}\nactor     ada@example.com\norg       acme\n")
    );
    env.run(&["config", "set", "list.columns", "email,id"]).ok();
    let v = json(env.run(&["config", "list", "--format", "json"]).ok());
    assert_eq!(
        v,
        serde_json::json!([
            {"key": "database", "value": db},
            {"key": "actor", "value": "ada@example.com"},
            {"key": "org", "value": "acme"},
            {"key": "list.columns", "value": "email,id"},
        ])
    );
}

#[test]
fn config_unknown_key_is_invalid_and_leaves_the_file_alone() {
    let env = Env::new();
    let before = read(&env.config_path());
    // The key on the command line is unknown; the file is not named, it is not at fault (issue 17.8).
    let expected = "error: unknown configuration key 'nope'\nhint: known keys: database, actor, org, list.columns, mail.transport, mail.from, mail.invite_url, mail.helo, invite.ttl_days\n";
    assert_eq!(env.run(&["config", "set", "nope", "1"]).fails(6), expected);
    assert_eq!(env.run(&["config", "get", "nope"]).fails(6), expected);
    assert_eq!(env.run(&["config", "unset", "nope"]).fails(6), expected);
    let r = env.run(&["config", "set", "mail.nope", "x"]);
    assert!(r.fails(6).starts_with("error: unknown configuration key 'mail.nope'\n"), "{}", r.stderr);
    assert_eq!(read(&env.config_path()), before);
}

#[test]
fn config_list_columns_is_a_comma_list() {
    let env = Env::new();
    env.run(&["config", "set", "list.columns", "email, status,id,email"]).ok();
    assert_eq!(env.run(&["config", "get", "list.columns"]).ok(), "email,status,id\n");
    assert!(read(&env.config_path()).ends_with("\n[list]\ncolumns = [\"email\", \"status\", \"id\"]\n"));
    // An unknown column is refused, the file untouched.
    let before = read(&env.config_path());
    let r = env.run(&["config", "set", "list.columns", "email,shoe_size"]);
    let err = r.fails(2);
    assert!(err.starts_with("error: unknown column 'shoe_size'\nhint: columns: "), "{err}");
    assert_eq!(read(&env.config_path()), before);
}

#[test]
fn config_invite_ttl_days_is_validated() {
    let env = Env::new();
    let before = read(&env.config_path());
    for bad in ["0", "366", "abc", "7.5", ""] {
        let r = env.run(&["config", "set", "invite.ttl_days", bad]);
        assert_eq!(r.fails(6), format!("error: invalid value '{bad}' for invite.ttl_days: expected 1 to 365\n"));
    }
    assert_eq!(read(&env.config_path()), before);
    for good in ["1", "365", "30"] {
        env.run(&["config", "set", "invite.ttl_days", good]).ok();
        assert_eq!(env.run(&["config", "get", "invite.ttl_days"]).ok(), format!("{good}\n"));
    }
    assert!(read(&env.config_path()).ends_with("[invite]\nttl_days = 30\n"));
}

#[test]
fn config_values_are_validated() {
    let env = Env::new();
    let before = read(&env.config_path());
    assert_eq!(
        env.run(&["config", "set", "mail.invite_url", "https://x.example/"]).fails(6),
        "error: mail.invite_url must contain {token}\n"
    );
    assert_eq!(env.run(&["config", "set", "org", "Not A Slug"]).fails(6).lines().count(), 1);
    assert_eq!(env.run(&["config", "set", "mail.transport", "pigeon"]).code, 6);
    assert_eq!(env.run(&["config", "set", "mail.from", "not a mailbox"]).code, 6);
    assert_eq!(read(&env.config_path()), before);
}

#[test]
fn config_file_with_an_unknown_key_is_a_clear_error() {
    let env = Env::new();
    let mut text = read(&env.config_path());
    text.push_str("colour = \"blue\"\n");
    std::fs::write(env.config_path(), &text).unwrap();
    let r = env.run(&["org", "list"]);
    assert_eq!(
        r.fails(6),
        format!(
            "error: unknown configuration key 'colour' in {}\nhint: known keys: database, actor, org, list.columns, mail.transport, mail.from, mail.invite_url, mail.helo, invite.ttl_days\n",
            env.config_path().display()
        )
    );
    assert_eq!(r.stdout, "");
    std::fs::write(env.config_path(), "[mail]\nfrm = \"x\"\n").unwrap();
    assert!(env.run(&["whoami"]).fails(6).starts_with("error: unknown configuration key 'mail.frm' in "));
}

#[test]
fn config_file_with_invalid_toml_is_a_clear_error() {
    let env = Env::new();
    std::fs::write(env.config_path(), format!("{}{}", server_line(&env), "actor = \n")).unwrap();
    let r = env.run(&["whoami"]);
    let err = r.fails(6);
    assert!(
        err.starts_with(&format!("error: the configuration file {} is not valid TOML: ", env.config_path().display())),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // A value of the wrong type or range is as clear, for the commands that
    // need it (SPEC §5: it stops only those, never the config commands).
    std::fs::write(
        env.config_path(),
        format!("{}{}", server_line(&env), "actor = \"ada@example.com\"\norg = \"acme\"\n[invite]\nttl_days = 0\n"),
    )
    .unwrap();
    assert_eq!(
        env.run(&["user", "add", "zed@example.com", "--role", "read-only"]).fails(6),
        format!(
            "error: configuration key 'invite.ttl_days' in {}: expected a whole number of days from 1 to 365\n",
            env.config_path().display()
        )
    );
}

#[test]
fn a_bad_value_stops_only_the_commands_that_need_it() {
    let env = Env::new();
    let path = env.config_path().display().to_string();
    for bad in ["0", "9999", "\"7\"", "-5", "3.0"] {
        std::fs::write(
            env.config_path(),
            format!("{}actor = \"ada@example.com\"\norg = \"acme\"\n[invite]\nttl_days = {bad}\n", server_line(&env)),
        )
        .unwrap();
        let err = env.run(&["user", "add", "zed@example.com", "--role", "read-only"]).fails(6).to_string();
        assert_eq!(
            err,
            format!("error: configuration key 'invite.ttl_days' in {path}: expected a whole number of days from 1 to 365\n"),
            "{bad}"
        );
        assert_eq!(env.query("SELECT count(*) FROM users WHERE email = 'zed@example.com'"), "0");
        // Commands that do not read the key work; the config commands repair it.
        assert_eq!(json(env.run(&["whoami", "--format", "json"]).ok())["email"], "ada@example.com", "{bad}");
        env.run(&["user", "list"]).ok();
        assert_eq!(env.run(&["config", "get", "invite.ttl_days"]).ok(), format!("{}\n", bad.trim_matches('"')));
        assert!(env.run(&["config", "list"]).ok().contains("invite.ttl_days"));
        env.run(&["config", "set", "invite.ttl_days", "10"]).ok();
        assert_eq!(env.run(&["config", "get", "invite.ttl_days"]).ok(), "10\n");
        env.run(&["config", "unset", "invite.ttl_days"]).ok();
    }
    env.run(&["user", "add", "zed@example.com", "--role", "read-only"]).ok();
    // An unknown key stops the other commands, and `config unset` removes it.
    std::fs::write(
        env.config_path(),
        format!("{}{}", server_line(&env), "actor = \"ada@example.com\"\norg = \"acme\"\nbogus = 1\n"),
    )
    .unwrap();
    assert!(env.run(&["whoami"]).fails(6).starts_with("error: unknown configuration key 'bogus' in "));
    env.run(&["config", "unset", "bogus"]).ok();
    env.run(&["whoami"]).ok();
}

/// The `database` line a configuration file written by a test keeps on
/// PostgreSQL, where the account is not the default file.
fn server_line(env: &Env) -> String {
    env.pg.as_ref().map_or_else(String::new, |url| format!("database = \"{url}\"\n"))
}

// ---------------------------------------------------------------- precedence

fn current_org(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut a = vec!["org", "show", "--format", "json"];
    a.extend_from_slice(args);
    let r = env.run_with(&a, envs, None);
    json(r.ok())["slug"].as_str().unwrap().to_string()
}

#[test]
fn org_precedence_flag_over_env_over_config() {
    let env = Env::new();
    env.run(&["org", "create", "beta"]).ok();
    env.run(&["org", "create", "gamma"]).ok();
    assert_eq!(current_org(&env, &[], &[]), "acme");
    assert_eq!(current_org(&env, &[], &[("ACCT_ORG", "beta")]), "beta");
    assert_eq!(current_org(&env, &["--org", "gamma"], &[("ACCT_ORG", "beta")]), "gamma");
    assert_eq!(current_org(&env, &["--org", "gamma"], &[]), "gamma");
    env.run(&["config", "set", "org", "gamma"]).ok();
    assert_eq!(current_org(&env, &[], &[]), "gamma");
    assert_eq!(current_org(&env, &[], &[("ACCT_ORG", "acme")]), "acme");
    // Without any of them there is no current organization: a usage error.
    env.run(&["config", "unset", "org"]).ok();
    let r = env.run(&["role", "list"]);
    assert_eq!(r.fails(2), "error: no current organization\nhint: pass --org SLUG, set ACCT_ORG, or run 'acct org use SLUG'\n");
}

#[test]
fn db_precedence_flag_over_env_over_config_over_default() {
    if common::sqlite_only("the default database is a file in the data directory") {
        return;
    }
    let env = Env::new();
    let other = env.home().join("other.db");
    let third = env.home().join("third.db");
    let (o, t, main) = (other.to_str().unwrap(), third.to_str().unwrap(), env.db_path());
    env.run(&["init", "--org", "acme", "--admin", "ada@example.com", "--name", "Other", "--db", o]).ok();
    env.run(&["init", "--org", "acme", "--admin", "ada@example.com", "--name", "Third", "--db", t]).ok();
    let name = |args: &[&str], envs: &[(&str, &str)]| {
        let mut a = vec!["org", "show", "--format", "json"];
        a.extend_from_slice(args);
        json(env.run_with(&a, envs, None).ok())["display_name"].as_str().unwrap().to_string()
    };
    assert_eq!(name(&[], &[]), "Acme Corp");
    assert_eq!(name(&[], &[("ACCT_DB", o)]), "Other");
    assert_eq!(name(&["--db", t], &[("ACCT_DB", o)]), "Third");
    env.run(&["config", "set", "database", o]).ok();
    assert_eq!(name(&[], &[]), "Other");
    assert_eq!(name(&[], &[("ACCT_DB", t)]), "Third");
    assert_eq!(name(&["--db", main.to_str().unwrap()], &[("ACCT_DB", t)]), "Acme Corp");
    // Unset: the default in the data directory.
    env.run(&["config", "unset", "database"]).ok();
    assert_eq!(name(&[], &[]), "Acme Corp");
}

#[test]
fn config_file_precedence_flag_over_env_over_default() {
    let env = Env::new();
    let a = env.home().join("a.toml");
    let b = env.home().join("b.toml");
    std::fs::write(&a, "org = \"beta\"\n").unwrap();
    std::fs::write(&b, "org = \"gamma\"\n").unwrap();
    let (ap, bp) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert_eq!(env.run_with(&["config", "path"], &[("ACCT_CONFIG", ap)], None).ok(), format!("{ap}\n"));
    assert_eq!(env.run_with(&["config", "path", "--config", bp], &[("ACCT_CONFIG", ap)], None).ok(), format!("{bp}\n"));
    assert_eq!(env.run_with(&["config", "get", "org"], &[("ACCT_CONFIG", ap)], None).ok(), "beta\n");
    assert_eq!(env.run_with(&["config", "get", "org", "--config", bp], &[("ACCT_CONFIG", ap)], None).ok(), "gamma\n");
    // Writes go to the named file.
    env.run(&["config", "set", "actor", "bob@example.com", "--config", bp]).ok();
    assert_eq!(read(&b), "org = \"gamma\"\nactor = \"bob@example.com\"\n");
    assert!(read(&env.config_path()).contains("actor = \"ada@example.com\""));
}

#[test]
fn actor_precedence_env_over_config() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &["read-only"]);
    let who = |envs: &[(&str, &str)]| json(env.run_with(&["whoami", "--format", "json"], envs, None).ok())["email"].clone();
    assert_eq!(who(&[]), "ada@example.com");
    assert_eq!(who(&[("ACCT_ACTOR", "bob@example.com")]), "bob@example.com");
    // An ACCT_ACTOR that is set but empty is refused: it never falls back
    // to the configured (perhaps more powerful) actor (SPEC §2).
    let empty = env.run_with(&["whoami"], &[("ACCT_ACTOR", "")], None);
    assert_eq!(empty.code, 4, "{}", empty.stderr);
    assert_eq!(empty.stderr.lines().next(), Some("error: ACCT_ACTOR (empty) is set but is not a usable actor"));
}

// ---------------------------------------------------------------- actor

#[test]
fn missing_actor_is_denied_with_a_hint() {
    let env = Env::new();
    env.run(&["config", "unset", "actor"]).ok();
    let expected = "error: no actor configured\nhint: set the acting user with 'acct config set actor EMAIL' or ACCT_ACTOR\n";
    assert_eq!(env.run(&["whoami"]).fails(4), expected);
    assert_eq!(env.run(&["org", "list"]).fails(4), expected);
    let before = snapshot(&env);
    assert_eq!(env.run(&["group", "create", "eng"]).fails(4), expected);
    assert_eq!(snapshot(&env), before);
}

#[test]
fn unknown_actor_is_denied() {
    let env = Env::new();
    for who in ["ghost@example.com", "ghost", "42"] {
        let r = env.run_as(who, &["whoami"]);
        assert_eq!(r.fails(4), format!("error: the actor '{who}' does not exist\n"));
        assert_eq!(r.stdout, "");
    }
    env.run(&["config", "set", "actor", "ghost@example.com"]).ok();
    assert_eq!(env.run(&["org", "list"]).fails(4), "error: the actor 'ghost@example.com' does not exist\n");
}

#[test]
fn inactive_and_invited_actors_are_denied() {
    let env = Env::new();
    add_user(&env, "bob", "acme", &["full-admin"]);
    add_user_with(&env, "ivy", "acme", &["full-admin"], "invited", "everyone");
    env.run_as("bob", &["whoami"]).ok();
    set_status(&env, "bob", "inactive");
    let before = snapshot(&env);
    assert_eq!(env.run_as("bob", &["whoami"]).fails(4), "error: permission denied: the actor bob@example.com is inactive\n");
    assert_eq!(
        env.run_as("bob@example.com", &["group", "create", "eng"]).fails(4),
        "error: permission denied: the actor bob@example.com is inactive\n"
    );
    assert_eq!(
        env.run_as("ivy", &["role", "list"]).fails(4),
        "error: permission denied: the actor ivy@example.com has not accepted their invitation yet\n"
    );
    assert_eq!(snapshot(&env), before);
}

#[test]
fn actor_by_id_username_or_email_in_any_case() {
    let env = Env::new();
    let id = add_user(&env, "bob", "acme", &["read-only"]);
    for who in [id.to_string().as_str(), "bob", "bob@example.com", "BOB@Example.COM"] {
        let v = json(env.run_as(who, &["whoami", "--format", "json"]).ok());
        assert_eq!(v["id"], id, "{who}");
        assert_eq!(v["role"], serde_json::json!(["read-only"]), "the key is role, as everywhere (SPEC §4)");
    }
}

#[test]
fn member_without_a_role_is_told_to_ask_an_administrator() {
    let env = Env::new();
    add_user(&env, "nora", "acme", &[]);
    let r = env.run_as("nora", &["whoami", "--format", "json"]);
    let v = json(r.ok());
    assert_eq!(v["role"], serde_json::json!([]));
    assert_eq!(v["global_roles"], serde_json::json!([]));
    assert_eq!(v["organizations"], serde_json::json!(["acme"]));
    assert_eq!(r.stderr, "you have no role in acme: you can do nothing there yet; ask an administrator to assign you a role\n");
    assert_eq!(
        env.run_as("nora", &["group", "list"]).fails(4),
        "error: permission denied: 'group:read' is needed in acme (you have no role in acme; ask an administrator)\n"
    );
}
