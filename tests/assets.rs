//! Generated assets stay in step with the command tree, man pages are clean
//! under groff, and completion works in a real bash against a real database.
//! Regenerate the checked-in files with `ACCT_UPDATE_ASSETS=1 cargo test --test assets`.

mod common;
use common::Env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("ACCT_UPDATE_ASSETS").is_some_and(|v| v == "1")
}

/// Compare a checked-in file with its fresh text (or rewrite it when updating).
fn fresh(path: &Path, want: &str) -> Option<String> {
    if updating() {
        std::fs::write(path, want).unwrap();
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(have) if have == want => None,
        Ok(_) => Some(format!("{} is stale", path.display())),
        Err(_) => Some(format!("{} is missing", path.display())),
    }
}

#[test]
fn completion_scripts_are_fresh_and_printed_by_acct_completions() {
    let env = Env::empty();
    let mut stale = Vec::new();
    for shell in acct::assets::SHELLS {
        let text = acct::assets::completion(shell).unwrap();
        stale.extend(fresh(&root().join("completions").join(acct::assets::completion_file(shell)), &text));
        let out = env.run(&["completions", shell]);
        assert_eq!(out.ok(), text, "acct completions {shell}");
    }
    assert!(stale.is_empty(), "{stale:?}\nregenerate with: ACCT_UPDATE_ASSETS=1 cargo test --test assets");
    assert_eq!(env.run(&["completions", "tcsh"]).code, 2);
}

#[test]
fn man_pages_are_fresh_complete_and_clean_under_groff() {
    let pages = acct::assets::man_pages().unwrap();
    let dir = root().join("man");
    let mut stale = Vec::new();
    for (name, text) in &pages {
        stale.extend(fresh(&dir.join(name), text));
    }
    // No page left behind for a command that no longer exists.
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !names.contains(&name.as_str()) {
            if updating() {
                std::fs::remove_file(dir.join(&name)).unwrap();
            } else {
                stale.push(format!("man/{name} belongs to no command"));
            }
        }
    }
    assert!(stale.is_empty(), "{stale:?}\nregenerate with: ACCT_UPDATE_ASSETS=1 cargo test --test assets");
    for want in
        ["acct.1", "acct-user-add.1", "acct-user-export.1", "acct-role-assign.1", "acct-invite-accept.1", "acct-2fa-enroll.1"]
    {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let top = &pages[0].1;
    for section in
        [".SH \"EXIT STATUS\"", ".SH ENVIRONMENT", ".SH FILES", ".SH EXAMPLES", "ACCT_ACTOR", "NO_COLOR", "EDITOR", "outbox"]
    {
        assert!(top.contains(section), "acct.1 lacks {section}");
    }
    for (name, _) in &pages {
        let out =
            Command::new("groff").args(["-man", "-ww", "-z"]).arg(dir.join(name)).output().expect("groff (installed by .ci/run)");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && warnings.is_empty(), "groff warns on {name}:\n{warnings}");
    }
}

/// Every page explains its command: a DESCRIPTION with at least one
/// paragraph beyond the one-line summary of NAME (issue 17, item 7).
#[test]
fn every_man_page_has_a_description_longer_than_its_summary() {
    let mut thin = Vec::new();
    for (name, text) in acct::assets::man_pages().unwrap() {
        let summary = text
            .lines()
            .skip_while(|l| *l != ".SH NAME")
            .nth(1)
            .and_then(|l| l.split_once(" \\- "))
            .map(|(_, s)| s.to_string())
            .unwrap_or_else(|| panic!("{name} has no NAME line"));
        let description: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != ".SH DESCRIPTION")
            .skip(1)
            .take_while(|l| !l.starts_with(".SH "))
            .filter(|l| !l.starts_with('.') && !l.trim().is_empty())
            .collect();
        let prose: Vec<&&str> = description.iter().filter(|l| l.trim() != summary.trim()).collect();
        let words: usize = prose.iter().map(|l| l.split_whitespace().count()).sum();
        if words <= summary.split_whitespace().count() {
            thin.push(format!("{name}: {description:?}"));
        }
    }
    assert!(thin.is_empty(), "man pages whose DESCRIPTION says no more than the summary:\n{}", thin.join("\n"));
}

/// Complete `words` (the last one is the word being completed) in a real
/// bash that sourced the checked-in script, with acct on PATH.
fn bash_complete(env: &Env, words: &[&str]) -> Vec<String> {
    let bin_dir = common::bin().parent().unwrap().to_path_buf();
    let script = root().join("completions/acct.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n_clap_complete_acct acct '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len().saturating_sub(2)],
    );
    // The sealed environment of the harness, with acct on PATH for the script.
    let sealed = env.command();
    let mut b = Command::new("bash");
    b.env_clear().arg("--norc").arg("-c").arg(&program).current_dir(env.home());
    for (k, v) in sealed.get_envs() {
        if let Some(v) = v {
            b.env(k, v);
        }
    }
    b.env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()));
    let out = common::output(b, None);
    assert_eq!(out.code, 0, "bash failed: {}", out.stderr);
    // Values only: an empty word is also offered the global flags.
    let mut v: Vec<String> = out.stdout.lines().filter(|l| !l.is_empty() && !l.starts_with('-')).map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn bash_completes_commands_flags_and_values_from_the_database() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.run(&["user", "add", "bea@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["org", "create", "beta"]).ok();
    assert!(bash_complete(&env, &["acct", "us"]).contains(&"user".to_string()));
    let subs = bash_complete(&env, &["acct", "user", ""]);
    for s in ["add", "list", "show", "edit", "remove", "restore", "export", "import", "reset-2fa"] {
        assert!(subs.contains(&s.to_string()), "{s} not in {subs:?}");
    }
    assert_eq!(bash_complete(&env, &["acct", "user", "show", "b"]), ["bea", "bea@example.com", "bob", "bob@example.com"]);
    assert_eq!(bash_complete(&env, &["acct", "user", "show", "bo"]), ["bob", "bob@example.com"]);
    assert_eq!(bash_complete(&env, &["acct", "role", "assign", "bob", ""]), ["auditor", "full-admin", "helpdesk", "read-only"]);
    assert_eq!(bash_complete(&env, &["acct", "group", "show", ""]), ["eng", "everyone"]);
    assert_eq!(bash_complete(&env, &["acct", "org", "use", ""]), ["acme", "beta"]);
    // Fixed sets of values are offered too (SPEC §5; this said "free text" before).
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--status", ""]), ["active", "inactive", "invited", "removed"]);
    // Nothing is offered to someone who may not read it.
    env.activate("bea@example.com");
    std::fs::write(
        env.config_path(),
        std::fs::read_to_string(env.config_path()).unwrap().replace("ada@example.com", "bea@example.com"),
    )
    .unwrap();
    assert_eq!(
        bash_complete(&env, &["acct", "user", "show", "b"]),
        ["bea", "bea@example.com", "bob", "bob@example.com"],
        "read-only holds user:read"
    );
    assert_eq!(bash_complete(&env, &["acct", "org", "use", ""]), ["acme"], "bea belongs to acme only");
}

#[test]
fn bash_completes_fixed_values_fields_time_zones_and_can_i_actions() {
    let env = Env::new();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--two-factor", ""]), ["app", "email", "none", "sms"]);
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--sort", "first"]), ["first_name"]);
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--sort", "first_name:"]), ["first_name:desc"]);
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--columns", "em"]), ["email"]);
    // After a comma: the next name, the ones before kept, none twice.
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--columns", "email,tw"]), ["email,two_factor"]);
    let all = bash_complete(&env, &["acct", "user", "export", "--fields", "id,"]);
    assert!(all.contains(&"id,email".to_string()) && !all.contains(&"id,id".to_string()), "{all:?}");
    assert_eq!(bash_complete(&env, &["acct", "user", "export", "--columns", "last_"]), ["last_name"], "the alias completes too");
    assert_eq!(
        bash_complete(&env, &["acct", "user", "edit", "ada", "--timezone", "Europe/Be"]),
        ["Europe/Belfast", "Europe/Belgrade", "Europe/Berlin"]
    );
    assert_eq!(bash_complete(&env, &["acct", "can-i", "reset"]), ["reset-2fa"]);
    assert_eq!(bash_complete(&env, &["acct", "can-i", "user:re"]), ["user:read", "user:remove", "user:reset-2fa"]);
    assert_eq!(
        bash_complete(&env, &["acct", "can-i", "assign:"]),
        ["assign:auditor", "assign:full-admin", "assign:helpdesk", "assign:read-only"]
    );
}

#[test]
fn help_and_man_pages_show_global_options_apart_and_scan() {
    let env = Env::empty();
    for args in [&["user", "list", "--help"][..], &["user", "add", "--help"], &["role", "assign", "--help"], &["--help"]] {
        let out = env.run(args).ok().to_string();
        let global = out.find("\nGlobal options:\n").unwrap_or_else(|| panic!("{args:?}: no Global options heading\n{out}"));
        // The command's own options come first, the global ones only under their heading.
        assert!(!out[global..].contains("--all-columns") && out[global..].contains("--dry-run"), "{args:?}\n{out}");
    }
    let list = env.run(&["user", "list", "--help"]).ok().to_string();
    for c in ["email", "first_name", "two_factor", "primary_group", "created_at", "updated_at"] {
        assert!(list.contains(c), "user list --help lists {c}:\n{list}");
    }
    for (name, text) in acct::assets::man_pages().unwrap() {
        assert!(text.contains("\n.nh\n"), "{name}: no hyphenation inside words");
        assert!(!text.contains(".SH EXTRA"), "{name}");
        assert!(text.contains(".SH DESCRIPTION\n"), "{name}");
        if name != "acct.1" && name != "acct-completions.1" {
            assert!(text.contains(".SH \"GLOBAL OPTIONS\""), "{name}: global options under their own heading");
        }
    }
    let pages = acct::assets::man_pages().unwrap();
    let page = |n: &str| pages.iter().find(|(p, _)| p == n).unwrap().1.clone();
    let add = page("acct-user-add.1");
    assert!(add.contains("[\\fB\\-\\-role\\fR \\fIROLE\\fR]... "), "value names and ... in the synopsis:\n{add}");
    assert!(add.contains("\\fIEMAIL\\fR..."), "{add}");
    assert!(add.contains(".SH EXAMPLES\n"), "{add}");
    assert!(page("acct-user-list.1").contains("primary_group"), "the column names");
}
