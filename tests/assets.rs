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
    assert_eq!(bash_complete(&env, &["acct", "user", "list", "--status", ""]).len(), 0, "free text has no candidates");
    // Nothing is offered to someone who may not read it.
    env.db().execute("UPDATE users SET status = 'active', accepted = 1 WHERE email = 'bea@example.com'", []).unwrap();
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
