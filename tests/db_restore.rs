//! `acct db restore FILE` (SPEC §4) through the real binary: a backup
//! restored gives exactly the backed-up state and keeps the old file; files
//! that are not healthy acct databases are refused with nothing changed;
//! the dry run, the confirmation, and a restore while another acct process
//! reads the database.

mod common;
mod support;

use common::Env;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Every table of a database file, row by row (sqlite_sequence included).
fn tables_of(path: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let names: Vec<String> = {
        let mut st = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    let mut out = Vec::new();
    for t in names {
        out.push(format!("-- {t}"));
        let mut st = db.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1")).unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        for row in rows {
            out.push(row.unwrap().join("|"));
        }
    }
    out
}

fn side(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

fn kept(env: &Env) -> PathBuf {
    side(&env.db_path(), ".before-restore")
}

/// An account with some of everything, and a backup of it in `backup.db`.
fn backed_up() -> (Env, PathBuf) {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "carol@example.com", "--role", "read-only", "--no-send"]).ok();
    env.run(&["group", "create", "eng"]).ok();
    env.run(&["user", "edit", "bob", "--first-name", "Bob", "--add-group", "eng"]).ok();
    env.run(&["role", "create", "auditor", "--permission", "audit:read"]).ok();
    env.run(&["role", "assign", "carol", "auditor"]).ok();
    let backup = env.home().join("backup.db");
    env.run(&["db", "backup", backup.to_str().unwrap()]).ok();
    (env, backup)
}

/// Changes after the backup: the restore must take them away.
fn change(env: &Env) {
    env.run(&["user", "add", "dan@example.com", "--role", "helpdesk", "--no-send"]).ok();
    env.run(&["user", "edit", "bob", "--last-name", "Builder"]).ok();
    env.run(&["user", "remove", "carol", "--yes"]).ok();
    env.run(&["org", "create", "beta"]).ok();
}

#[test]
fn a_backup_restored_gives_exactly_the_backed_up_state_and_the_old_file_is_kept() {
    if common::sqlite_only("db restore replaces a SQLite file") {
        return;
    }
    let (env, backup) = backed_up();
    let backed = tables_of(&backup);
    change(&env);
    let changed = tables_of(&env.db_path());
    assert_ne!(changed, backed);
    let backup_bytes = std::fs::read(&backup).unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    };
    let home = listing(env.home());

    let r = env.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    r.ok();
    let db = std::fs::canonicalize(env.db_path()).unwrap();
    let entries = support::rows(&env, "SELECT count(*) FROM audit")[0].clone();
    assert_eq!(
        r.stderr,
        format!(
            "restored {} from {} (schema version 10, 1 organization(s), {entries} audit entries; integrity, foreign keys and the audit chain checked)\n\
             the database as it was before the restore is kept as {}.before-restore\n",
            db.display(),
            backup.display(),
            db.display()
        )
    );
    assert_eq!(tables_of(&env.db_path()), backed, "the restored database is the backup");
    assert_eq!(tables_of(&kept(&env)), changed, "the old database is kept, complete");
    assert_eq!(std::fs::read(&backup).unwrap(), backup_bytes, "the backup file is not changed");
    assert_eq!(listing(env.home()), home, "no file made beside the backup");
    assert_eq!(support::mode(&env.db_path()), 0o600);
    assert_eq!(support::mode(&kept(&env)), 0o600);
    // No side file of the old database survives to be applied to the new one.
    assert_eq!(listing(env.db_path().parent().unwrap()), ["acct.db", "acct.db.before-restore"]);

    // The restored database works, checks clean, and its chain verifies.
    assert!(env.run(&["audit", "verify"]).ok().starts_with("intact: "));
    env.run(&["db", "check"]).ok();
    assert_eq!(
        support::rows(&env, "SELECT email FROM users ORDER BY id"),
        ["ada@example.com", "bob@example.com", "carol@example.com"]
    );
    env.run(&["user", "edit", "bob", "--last-name", "Baumeister"]).ok();

    // A second restore would replace the kept file: refused until it is moved.
    let before = tables_of(&env.db_path());
    let r = env.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(
        r.fails(5),
        format!(
            "error: {}.before-restore already exists (kept by an earlier restore)\n\
             hint: move it away or delete it once you no longer need it, then restore again; nothing was changed\n",
            db.display()
        )
    );
    assert_eq!(tables_of(&env.db_path()), before);
    assert_eq!(tables_of(&kept(&env)), changed);
    // The kept file is itself a backup that can be restored (once it has another name).
    let old = env.home().join("old.db");
    std::fs::rename(kept(&env), &old).unwrap();
    env.run(&["db", "restore", old.to_str().unwrap(), "--yes"]).ok();
    assert_eq!(tables_of(&env.db_path()), changed);
}

#[test]
fn a_file_that_is_not_a_healthy_acct_database_is_refused_and_nothing_changes() {
    if common::sqlite_only("db restore replaces a SQLite file") {
        return;
    }
    let (env, backup) = backed_up();
    let home = env.home().to_path_buf();
    let state = tables_of(&env.db_path());
    let refused = |file: &Path, why: &str| {
        let bytes = std::fs::read(file).ok();
        let r = env.run(&["db", "restore", file.to_str().unwrap(), "--yes"]);
        assert_eq!(
            r.fails(5),
            format!(
                "error: cannot restore from {}: {why}\nhint: nothing was changed; name a file written by 'acct db backup'\n",
                file.display()
            )
        );
        assert_eq!(tables_of(&env.db_path()), state, "{why}");
        assert!(!kept(&env).exists(), "{why}");
        assert_eq!(std::fs::read(file).ok(), bytes, "{why}: the file is not changed");
        let names: Vec<String> = std::fs::read_dir(env.db_path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".acct")), "no temporary file left: {names:?}");
    };

    let garbage = home.join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
    refused(&garbage, "it is not an SQLite database");

    let foreign = home.join("foreign.db");
    rusqlite::Connection::open(&foreign).unwrap().execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);").unwrap();
    refused(&foreign, "it is an SQLite database but not an acct database");

    let newer = home.join("newer.db");
    std::fs::copy(&backup, &newer).unwrap();
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    refused(&newer, "it has schema version 99, newer than this acct knows (10)");

    let tampered = home.join("tampered.db");
    std::fs::copy(&backup, &tampered).unwrap();
    let c = rusqlite::Connection::open(&tampered).unwrap();
    let id: i64 = c.query_row("SELECT min(id) FROM audit WHERE action = 'user.edit'", [], |r| r.get(0)).unwrap();
    c.execute("UPDATE audit SET target = 'mallory@example.com' WHERE id = ?1", [id]).unwrap();
    drop(c);
    refused(
        &tampered,
        &format!("the audit log was tampered with: entry {id} was altered (its hash does not match its contents)"),
    );

    let dangling = home.join("dangling.db");
    std::fs::copy(&backup, &dangling).unwrap();
    let c = rusqlite::Connection::open(&dangling).unwrap();
    c.execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM groups WHERE slug = 'eng';").unwrap();
    drop(c);
    let r = env.run(&["db", "restore", dangling.to_str().unwrap(), "--yes"]);
    assert!(
        r.fails(5).starts_with(&format!("error: cannot restore from {}: it is damaged: foreign key: ", dangling.display())),
        "{}",
        r.stderr
    );

    let truncated = home.join("truncated.db");
    let bytes = std::fs::read(&backup).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let r = env.run(&["db", "restore", truncated.to_str().unwrap(), "--yes"]);
    assert!(r.fails(5).starts_with(&format!("error: cannot restore from {}: ", truncated.display())), "{}", r.stderr);
    assert_eq!(tables_of(&env.db_path()), state);

    // The database itself and its side files are never the source.
    let db = env.db_path();
    for (path, what) in [(db.clone(), "the database"), (side(&db, "-wal"), "a file of the database (-wal)")] {
        let r = env.run(&["db", "restore", path.to_str().unwrap(), "--yes"]);
        assert_eq!(
            r.fails(5),
            format!(
                "error: cannot restore from {}: it is {what}\nhint: name a backup file; nothing was changed\n",
                path.display()
            )
        );
    }
    let r = env.run(&["db", "restore", home.to_str().unwrap(), "--yes"]);
    assert_eq!(
        r.fails(5),
        format!(
            "error: cannot restore from {}: it is a directory, not a regular file\nhint: nothing was changed; name a file written by 'acct db backup'\n",
            home.display()
        )
    );
    assert_eq!(
        env.run(&["db", "restore", "missing.db", "--yes"]).fails(1),
        "error: cannot open missing.db: No such file or directory (os error 2)\n"
    );
    assert_eq!(tables_of(&env.db_path()), state);
    assert!(!kept(&env).exists());
}

#[test]
fn the_dry_run_checks_and_says_what_would_happen_and_without_a_terminal_yes_is_needed() {
    if common::sqlite_only("db restore replaces a SQLite file") {
        return;
    }
    let (env, backup) = backed_up();
    change(&env);
    let state = tables_of(&env.db_path());
    let db = std::fs::canonicalize(env.db_path()).unwrap();
    let entries = {
        let c = rusqlite::Connection::open(&backup).unwrap();
        c.query_row("SELECT count(*) FROM audit", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    let r = env.run(&["db", "restore", backup.to_str().unwrap(), "--dry-run"]);
    assert_eq!(r.ok(), "");
    assert_eq!(
        r.stderr,
        format!(
            "would restore {} from {} (schema version 10, 1 organization(s), {entries} audit entries; integrity, foreign keys and the audit chain checked)\n\
             would keep the current database as {}.before-restore\n\
             dry run: nothing was changed\n",
            db.display(),
            backup.display(),
            db.display()
        )
    );
    assert_eq!(tables_of(&env.db_path()), state);
    assert!(!kept(&env).exists());
    // A dry run also checks: a bad file is refused as for real.
    let tampered = env.home().join("t.db");
    std::fs::copy(&backup, &tampered).unwrap();
    rusqlite::Connection::open(&tampered).unwrap().execute("DELETE FROM audit WHERE id = 2", []).unwrap();
    assert!(
        env.run(&["db", "restore", tampered.to_str().unwrap(), "--dry-run"])
            .fails(5)
            .contains("the audit log was tampered with: ")
    );

    let r = env.run(&["db", "restore", backup.to_str().unwrap()]);
    assert_eq!(r.fails(2), "error: confirmation needed, and there is no terminal to ask\nhint: pass --yes to confirm\n");
    assert_eq!(tables_of(&env.db_path()), state);
    assert!(!kept(&env).exists());
    // Needs only the file, like backup and check: no actor is asked for.
    let r = env.run_with(&["db", "restore", backup.to_str().unwrap(), "--yes"], &[("ACCT_ACTOR", "nobody@example.com")], None);
    r.ok();
    assert_eq!(tables_of(&env.db_path()), tables_of(&backup));
}

/// `acct user export` of many users into a pipe that nobody reads: the
/// process stops mid-stream, inside its read transaction.
fn stalled_reader(env: &Env) -> std::process::Child {
    let mut csv = String::from("email,role\n");
    for i in 0..4000 {
        csv.push_str(&format!("user{i}@example.com,read-only\n"));
    }
    let file = support::write_file(env, "many.csv", &csv);
    env.run(&["user", "import", &file, "--no-send"]).ok();
    let mut c = env.command();
    c.args(["user", "export", "--fields", "id,email,first_name,last_name,role,two_factor,status,created_at"])
        .stdout(Stdio::piped());
    let child = c.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    child
}

fn drain(mut child: std::process::Child) {
    let mut out = String::new();
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(out.lines().count() > 4000);
}

#[test]
fn a_restore_waits_for_a_reader_and_then_replaces_the_file() {
    if common::sqlite_only("db restore replaces a SQLite file") {
        return;
    }
    let (env, backup) = backed_up();
    let reader = stalled_reader(&env);
    let during = tables_of(&env.db_path());
    let mut restore = env.command();
    restore.args(["db", "restore", backup.to_str().unwrap(), "--yes"]).stderr(Stdio::piped());
    let restore = restore.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Still waiting for the reader, nothing changed yet.
    assert!(!kept(&env).exists());
    drain(reader);
    let out = restore.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(tables_of(&env.db_path()), tables_of(&backup));
    assert_eq!(tables_of(&kept(&env)), during);
    env.run(&["db", "check"]).ok();
}

#[test]
fn a_restore_gives_up_on_a_reader_that_stays_and_changes_nothing() {
    if common::sqlite_only("db restore replaces a SQLite file") {
        return;
    }
    let (env, backup) = backed_up();
    let reader = stalled_reader(&env);
    let state = tables_of(&env.db_path());
    let started = std::time::Instant::now();
    let r = env.run(&["db", "restore", backup.to_str().unwrap(), "--yes"]);
    let db = std::fs::canonicalize(env.db_path()).unwrap();
    assert_eq!(
        r.fails(1),
        format!(
            "error: the database {} is in use by another process (waited 10 s for it to close); nothing was changed\n\
             hint: run the restore again once the other acct commands have finished\n",
            db.display()
        )
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(9));
    assert!(!kept(&env).exists());
    drain(reader);
    assert_eq!(tables_of(&env.db_path()), state);
    env.run(&["db", "check"]).ok();
    env.run(&["user", "edit", "bob", "--last-name", "Builder"]).ok();
}
