//! The README's Set up and Quick start, pasted into a fresh shell: every
//! `sh` block of those two sections runs in a sealed environment (its own
//! HOME and XDG directories), with the binary under test on PATH as `acct`,
//! and every command must succeed. Two lines of the Set up are not run: the
//! `cargo install` (the binary under test stands for what it installs) and
//! `bash .ci/run` (the test suite, which is running this).

mod common;

/// The `sh` blocks of the sections `## Set up` and `## Quick start`.
fn blocks(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut section = "";
    let mut block: Option<String> = None;
    for line in readme.lines() {
        if let Some(b) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                out.push(block.take().unwrap_or_default());
            } else {
                b.push_str(line);
                b.push('\n');
            }
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            section = h.trim();
        } else if line.trim() == "```sh" && matches!(section, "Set up" | "Quick start") {
            block = Some(String::new());
        }
    }
    out
}

fn skipped(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("cargo install ") || l == "bash .ci/run"
}

#[test]
fn the_readme_set_up_and_quick_start_run_in_a_fresh_shell() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks = blocks(&readme);
    assert_eq!(blocks.len(), 3, "Set up (install, tests) and Quick start: {blocks:?}");
    assert!(blocks[0].lines().any(|l| l.starts_with("cargo install")), "{}", blocks[0]);
    let script: String = blocks.iter().flat_map(|b| b.lines()).filter(|l| !skipped(l)).map(|l| format!("{l}\n")).collect();
    assert!(script.lines().filter(|l| l.starts_with("acct ")).count() >= 10, "{script}");

    let home = tempfile::tempdir().unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(common::bin(), bin.join("acct")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    // Each command must succeed: the first that fails stops the shell and is named.
    let run = std::process::Command::new("bash")
        .env_clear()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("PATH", path)
        .env("LANG", "C.UTF-8")
        .current_dir(home.path())
        .arg("-c")
        .arg(format!("set -euo pipefail\ntrap 'echo \"README line failed: $BASH_COMMAND\" >&2' ERR\n{script}"))
        .output()
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "{script}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("welcome, bob@example.com: your account is active"), "{stderr}");
    assert!(stdout.contains("yes"), "can-i answers yes: {stdout}");
    assert!(home.path().join("users.csv").is_file());
}
