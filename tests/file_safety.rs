//! Files acct writes and reads: `-o` and `--report` never replace the
//! database, its side files, the input or a non-regular file; an interrupted
//! write leaves no temporary file; the configuration file is locked and
//! written through a symlink; odd database and configuration paths get clear
//! answers (issue 11, items 1, 2, 4, 5, 15).

mod common;
#[path = "support/mod.rs"]
mod support;

use common::{Env, Run};
use proptest::prelude::*;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HINT: &str = "hint: choose another file name; nothing was written\n";

fn side(db: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", db.display()))
}

/// Temporary files of acct (`.acct-XXXXXXXXXXXX`) anywhere under `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_name().to_string_lossy().starts_with(".acct-") {
                found.push(p.clone());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(p);
            }
        }
    }
    found
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// Everything that shows the database intact: the same rows, the same
/// `user list`, and SQLite's integrity check.
struct Intact {
    snapshot: Vec<String>,
    list: String,
}

impl Intact {
    fn take(env: &Env) -> Intact {
        Intact { snapshot: support::snapshot(env), list: env.run(&["user", "list", "--format", "csv"]).ok().to_string() }
    }

    #[track_caller]
    fn check(&self, env: &Env, what: &str) {
        integrity(env, what);
        assert_eq!(support::snapshot(env), self.snapshot, "{what}: the database changed");
        assert_eq!(env.run(&["user", "list", "--format", "csv"]).ok(), self.list, "{what}");
    }
}

/// SQLite's integrity check of the file (PostgreSQL keeps its own), and
/// acct's consistency checks on either backend.
#[track_caller]
fn integrity(env: &Env, what: &str) {
    if !env.on_postgres() {
        assert_eq!(env.query("PRAGMA integrity_check"), "ok", "{what}");
    }
    assert_eq!(env.run(&["db", "check"]).code, 0, "{what}: db check");
}

// ---------------------------------------------------------------------------
// Hostile targets for -o and --report

#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Db,
    Wal,
    Shm,
    Journal,
    Input,
    DevNull,
    Fifo,
    Dir,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Spelling {
    Absolute,
    Relative,
    DotDot,
    Symlink,
    SymlinkChain,
    LinkedDir,
    HardLink,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmd {
    Export,
    Import,
}

fn why(t: Target) -> &'static str {
    match t {
        Target::Db => "it is the database",
        Target::Wal => "it is a file of the database (-wal)",
        Target::Shm => "it is a file of the database (-shm)",
        Target::Journal => "it is a file of the database (-journal)",
        Target::Input => "it is the input file of this command",
        Target::DevNull => "it is a device, not a regular file",
        Target::Fifo => "it is a FIFO, not a regular file",
        Target::Dir => "it is a directory, not a regular file",
    }
}

struct Targets {
    env: Env,
    /// Keeps -wal and -shm in existence, so that they can be hard-linked.
    _conn: rusqlite::Connection,
    input: PathBuf,
    fifo: PathBuf,
    dir: PathBuf,
    n: std::cell::Cell<u32>,
}

impl Targets {
    fn new() -> Targets {
        let env = Env::new();
        for u in ["bob", "carol"] {
            env.run(&["user", "add", &format!("{u}@example.com"), "--role", "read-only", "--no-send", "-q"]).ok();
        }
        let conn = env.db();
        conn.execute_batch("BEGIN; SELECT count(*) FROM users; COMMIT;").unwrap();
        let input = env.home().join("in.csv");
        std::fs::write(&input, "email\nnew@example.com\n").unwrap();
        let fifo = env.home().join("fifo");
        mkfifo(&fifo);
        let dir = env.home().join("somedir");
        std::fs::create_dir(&dir).unwrap();
        Targets { env, _conn: conn, input, fifo, dir, n: std::cell::Cell::new(0) }
    }

    fn real(&self, t: Target) -> PathBuf {
        let db = self.env.db_path();
        match t {
            Target::Db => db,
            Target::Wal => side(&db, "-wal"),
            Target::Shm => side(&db, "-shm"),
            Target::Journal => side(&db, "-journal"),
            Target::Input => self.input.clone(),
            Target::DevNull => PathBuf::from("/dev/null"),
            Target::Fifo => self.fifo.clone(),
            Target::Dir => self.dir.clone(),
        }
    }

    fn fresh(&self, stem: &str) -> PathBuf {
        self.n.set(self.n.get() + 1);
        self.env.home().join(format!("{stem}{}", self.n.get()))
    }

    /// The argument that names `t` in the given spelling.
    fn spell(&self, t: Target, s: Spelling) -> String {
        let real = self.real(t);
        let home = self.env.home();
        let parent = real.parent().unwrap();
        let name = real.file_name().unwrap().to_str().unwrap();
        match s {
            Spelling::Absolute => real.display().to_string(),
            Spelling::Relative => match real.strip_prefix(home) {
                Ok(rel) => rel.display().to_string(),
                Err(_) => real.display().to_string(),
            },
            Spelling::DotDot => {
                let pname = parent.file_name().map(|p| p.to_str().unwrap().to_string()).unwrap_or_default();
                format!("{}/../{pname}/{name}", parent.display())
            }
            Spelling::Symlink => {
                let link = self.fresh("link");
                std::os::unix::fs::symlink(&real, &link).unwrap();
                link.display().to_string()
            }
            Spelling::SymlinkChain => {
                let first = self.fresh("chain");
                std::os::unix::fs::symlink(&real, &first).unwrap();
                let second = self.fresh("chain");
                std::os::unix::fs::symlink(first.file_name().unwrap(), &second).unwrap();
                second.display().to_string()
            }
            Spelling::LinkedDir => {
                let link = self.fresh("dirlink");
                std::os::unix::fs::symlink(parent, &link).unwrap();
                format!("{}/{name}", link.file_name().unwrap().to_str().unwrap())
            }
            Spelling::HardLink => {
                // Only existing files on this file system can be hard-linked.
                if matches!(t, Target::Journal | Target::DevNull | Target::Dir) {
                    return self.spell(t, Spelling::Symlink);
                }
                let link = self.fresh("hard");
                std::fs::hard_link(&real, &link).unwrap();
                link.display().to_string()
            }
        }
    }

    fn attempt(&self, cmd: Cmd, t: Target, s: Spelling, before: &Intact) {
        let env = &self.env;
        let arg = self.spell(t, s);
        // The database's own files change under SQLite; the rows are compared instead.
        let content = (t == Target::Input).then(|| std::fs::read(self.real(t)).unwrap());
        let run = match cmd {
            Cmd::Export => env.run(&["user", "export", "-o", &arg]),
            Cmd::Import => env.run(&["user", "import", "in.csv", "--no-send", "--report", &arg]),
        };
        let what = format!("{cmd:?} to {t:?} spelled {s:?} ({arg})");
        assert_eq!(run.fails(5), format!("error: refusing to write {arg}: {}\n{HINT}", why(t)), "{what}");
        assert_eq!(run.stdout, "", "{what}");
        before.check(env, &what);
        if let Some(c) = content {
            assert_eq!(std::fs::read(self.real(t)).unwrap(), c, "{what}: the target changed");
        }
        assert_eq!(temp_files(env.home()), Vec::<PathBuf>::new(), "{what}");
    }
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Db),
        Just(Target::Wal),
        Just(Target::Shm),
        Just(Target::Journal),
        Just(Target::Input),
        Just(Target::DevNull),
        Just(Target::Fifo),
        Just(Target::Dir),
    ]
}

fn spelling() -> impl Strategy<Value = Spelling> {
    prop_oneof![
        Just(Spelling::Absolute),
        Just(Spelling::Relative),
        Just(Spelling::DotDot),
        Just(Spelling::Symlink),
        Just(Spelling::SymlinkChain),
        Just(Spelling::LinkedDir),
        Just(Spelling::HardLink),
    ]
}

#[test]
fn hostile_output_targets_are_refused_with_exit_5_and_the_database_stays_intact() {
    if common::sqlite_only("the targets are the database file and its side files") {
        return;
    }
    let t = Targets::new();
    let before = Intact::take(&t.env);
    // Every target once in its plainest spelling, for both commands.
    for target in [Target::Db, Target::Wal, Target::Shm, Target::Journal, Target::DevNull, Target::Fifo, Target::Dir] {
        t.attempt(Cmd::Export, target, Spelling::Absolute, &before);
    }
    t.attempt(Cmd::Import, Target::Input, Spelling::Relative, &before);
    // Then generated combinations.
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 40, ..ProptestConfig::default() });
    let strategy = (prop_oneof![Just(Cmd::Export), Just(Cmd::Import)], target(), spelling());
    runner
        .run(&strategy, |(cmd, target, spelling)| {
            // Export has no input file: a report of the import stands in.
            let cmd = if target == Target::Input { Cmd::Import } else { cmd };
            t.attempt(cmd, target, spelling, &before);
            Ok(())
        })
        .unwrap();
    // The input given on standard input is recognised too.
    let mut c = t.env.command();
    c.args(["user", "import", "-", "--no-send", "--report", "in.csv"]).stdin(std::fs::File::open(&t.input).unwrap());
    let redirected = common::output(c, None);
    assert_eq!(
        redirected.fails(5),
        format!("error: refusing to write in.csv: it is the input file of this command (standard input)\n{HINT}")
    );
    before.check(&t.env, "stdin redirected from the report");
    // A pipe is not a file: that import goes ahead and writes its report.
    let run = t.env.run_with(&["user", "import", "-", "--no-send", "--report", "in.csv"], &[], Some(b"email\nnew@example.com\n"));
    assert_eq!(run.ok(), "");
    assert_eq!(std::fs::read_to_string(&t.input).unwrap(), "line,email,outcome\r\n2,new@example.com,added\r\n");
}

#[test]
fn a_symlink_to_a_regular_file_is_written_through_and_stays_a_link() {
    let env = Env::new();
    let real = env.home().join("real.csv");
    std::fs::write(&real, "old\n").unwrap();
    std::os::unix::fs::symlink("real.csv", env.home().join("link.csv")).unwrap();
    let run = env.run(&["user", "export", "-o", "link.csv", "--fields", "email"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "exported 1 users to link.csv\n");
    assert!(std::fs::symlink_metadata(env.home().join("link.csv")).unwrap().file_type().is_symlink());
    assert_eq!(support::read(&real), "email\r\nada@example.com\r\n");
    // A symlink loop is refused like any other non-file.
    std::os::unix::fs::symlink("loop", env.home().join("loop")).unwrap();
    let run = env.run(&["user", "export", "-o", "loop"]);
    assert_eq!(
        run.fails(5),
        format!("error: refusing to write loop: too many levels of symbolic links (a symlink loop)\n{HINT}")
    );
    assert_eq!(temp_files(env.home()), Vec::<PathBuf>::new());
}

// ---------------------------------------------------------------------------
// Signals

/// A CSV of `n` addresses `{prefix}{i}@example.com` in the home directory.
fn emails_csv(env: &Env, name: &str, prefix: &str, n: usize) {
    let mut csv = String::from("email\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i}@example.com\n"));
    }
    std::fs::write(env.home().join(name), csv).unwrap();
}

fn import_many(env: &Env, n: usize) {
    let mut csv = String::from("email,first_name,last_name\n");
    for i in 0..n {
        csv.push_str(&format!("user{i}@example.com,Firstname{i},Lastname{i}\n"));
    }
    std::fs::write(env.home().join("many.csv"), csv).unwrap();
    env.run(&["user", "import", "many.csv", "--no-send", "-q"]).ok();
}

/// Start acct, wait until a temporary file with content appears in `watch`,
/// send `sig`. None when acct finished before it could be interrupted.
fn interrupt(env: &Env, args: &[&str], watch: &Path, sig: libc::c_int) -> Option<i32> {
    interrupt_when(env, args, watch, sig, |name| name.starts_with(".acct-"))
}

/// Start acct and send `sig` once a file whose name passes `wanted`, with
/// content, appears in `watch`.
fn interrupt_when(env: &Env, args: &[&str], watch: &Path, sig: libc::c_int, wanted: fn(&str) -> bool) -> Option<i32> {
    let mut c = env.command();
    c.args(args).stdout(Stdio::null()).stderr(Stdio::null());
    // A shell's background job inherits SIGINT and SIGQUIT ignored; acct
    // then keeps ignoring them, as programs should. Start it as a
    // foreground command would be, whoever runs the tests.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut c, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    let mut child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let busy = std::fs::read_dir(watch)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| wanted(&e.file_name().to_string_lossy()) && e.metadata().is_ok_and(|m| m.len() > 0));
        if busy {
            unsafe { libc::kill(child.id() as libc::pid_t, sig) };
            break;
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
    }
    let status = child.wait().unwrap();
    if status.code() == Some(0) {
        return None; // finished between the look and the signal
    }
    Some(status.code().unwrap_or(-1))
}

#[test]
fn an_export_interrupted_by_a_signal_leaves_no_temporary_file_and_the_old_target() {
    let env = Env::new();
    import_many(&env, 40_000);
    let before = Intact::take(&env);
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130), (libc::SIGHUP, 129)] {
        let mut interrupted = None;
        for _ in 0..10 {
            std::fs::write(env.home().join("big.csv"), "the previous export\n").unwrap();
            interrupted = interrupt(&env, &["user", "export", "-o", "big.csv"], env.home(), sig);
            if interrupted.is_some() {
                break;
            }
        }
        assert_eq!(interrupted, Some(code), "signal {sig}");
        assert_eq!(temp_files(env.home()), Vec::<PathBuf>::new(), "signal {sig}");
        assert_eq!(support::read(&env.home().join("big.csv")), "the previous export\n", "signal {sig}");
    }
    before.check(&env, "after the signals");
}

#[test]
fn invite_send_interrupted_by_a_signal_leaves_no_eml_temporary_file() {
    let env = Env::new();
    emails_csv(&env, "p.csv", "p", 400);
    env.run(&["user", "import", "p.csv", "--no-send", "-q"]).ok();
    std::fs::create_dir_all(env.outbox()).unwrap();
    let code = interrupt(&env, &["invite", "send", "--all"], &env.outbox(), libc::SIGTERM);
    if let Some(code) = code {
        assert_eq!(code, 143);
    }
    let leftovers: Vec<_> = std::fs::read_dir(env.outbox())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".eml"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new());
}

// ---------------------------------------------------------------------------
// Full disks and the report of an import

/// Run acct with `dir` (under the home) on a tiny tmpfs of its own, in a
/// private mount namespace; stdout ends with what `ls -A dir` shows.
fn run_on_small_disk(env: &Env, dir: &str, kib: u32, args: &[&str]) -> Run {
    let d = env.home().join(dir);
    std::fs::create_dir_all(&d).unwrap();
    let setup = format!("mount -t tmpfs -o size={kib}k tmpfs '{}'", d.display());
    env.run_in_mount_namespace(&setup, args, &format!("echo listing:; ls -A '{}';", d.display()))
}

#[test]
fn the_report_path_is_checked_before_anything_is_imported() {
    let env = Env::new();
    std::fs::write(env.home().join("in.csv"), "email\nnew@example.com\n").unwrap();
    let before = Intact::take(&env);
    let run = env.run(&["user", "import", "in.csv", "--no-send", "--report", "missing/report.csv"]);
    assert_eq!(run.fails(1), "error: cannot create a file in missing: No such file or directory (os error 2)\n");
    before.check(&env, "a report in a missing directory");
    let run = env.run(&["user", "import", "in.csv", "--no-send", "--report", "/dev/null"]);
    assert_eq!(run.fails(5), format!("error: refusing to write /dev/null: it is a device, not a regular file\n{HINT}"));
    before.check(&env, "a report to /dev/null");
}

#[test]
fn a_report_that_cannot_be_written_after_the_commit_says_the_import_was_committed() {
    let env = Env::new();
    emails_csv(&env, "in.csv", "someone.with.a.long.name", 3000);
    let run = run_on_small_disk(&env, "reports", 64, &["user", "import", "in.csv", "--no-send", "--report", "reports/r.csv"]);
    assert_eq!(
        run.fails(1),
        "error: the import was committed, but the report was not written: cannot write reports/r.csv: No space left on device (os error 28)\n\
         hint: do not import the file again: its rows are members now ('acct user list' shows them)\n"
    );
    assert_eq!(run.stdout, "listing:\n", "no temporary file is left on the full disk");
    assert_eq!(env.query("SELECT count(*) FROM users"), "3001");
    integrity(&env, "after the report failed");
}

#[test]
fn an_export_to_a_full_disk_leaves_no_temporary_file() {
    let env = Env::new();
    import_many(&env, 3000);
    let run = run_on_small_disk(&env, "out", 64, &["user", "export", "-o", "out/users.csv"]);
    assert_eq!(run.fails(1), "error: cannot write out/users.csv: No space left on device (os error 28)\n");
    assert_eq!(run.stdout, "listing:\n");
}

// ---------------------------------------------------------------------------
// The configuration file

#[test]
fn concurrent_config_set_on_different_keys_loses_nothing() {
    let env = Env::new();
    let keys =
        [("mail.from", "Acme <it@example.com>"), ("mail.invite_url", "https://x.example/{token}"), ("invite.ttl_days", "3")];
    for round in 0..12 {
        for (k, _) in keys {
            env.run(&["config", "unset", k]).ok();
        }
        std::thread::scope(|s| {
            let handles: Vec<_> = keys.iter().map(|(k, v)| s.spawn(|| env.run(&["config", "set", k, v]))).collect();
            for h in handles {
                h.join().unwrap().ok();
            }
        });
        for (k, v) in keys {
            assert_eq!(env.run(&["config", "get", k]).ok(), format!("{v}\n"), "round {round}: {k}");
        }
        assert_eq!(env.run(&["config", "get", "org"]).ok(), "acme\n", "round {round}");
    }
}

#[test]
fn a_symlinked_config_file_is_written_through_the_link() {
    let env = Env::new();
    let real = env.home().join("shared.toml");
    std::fs::rename(env.config_path(), &real).unwrap();
    std::os::unix::fs::symlink(&real, env.config_path()).unwrap();
    env.run(&["config", "set", "invite.ttl_days", "9"]).ok();
    assert!(std::fs::symlink_metadata(env.config_path()).unwrap().file_type().is_symlink(), "the link stays");
    assert!(support::read(&real).contains("ttl_days = 9"), "{}", support::read(&real));
    assert_eq!(env.run(&["config", "get", "invite.ttl_days"]).ok(), "9\n");
    assert_eq!(env.run(&["config", "get", "org"]).ok(), "acme\n");
    assert_eq!(support::mode(&real), 0o600);
}

#[test]
fn a_fifo_as_config_is_refused_without_blocking_and_an_unknown_table_is_an_error() {
    let env = Env::new();
    let fifo = env.home().join("config.fifo");
    mkfifo(&fifo);
    let started = Instant::now();
    let run = env.run(&["--config", fifo.to_str().unwrap(), "config", "list"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        run.fails(6),
        format!(
            "error: the configuration file {} is a FIFO, not a regular file\nhint: name a TOML file with --config or ACCT_CONFIG\n",
            fifo.display()
        )
    );
    let run = env.run(&["--config", env.home().to_str().unwrap(), "whoami"]);
    assert_eq!(
        run.fails(6).lines().next().unwrap(),
        format!("error: the configuration file {} is a directory, not a regular file", env.home().display())
    );
    let bogus = env.home().join("bogus.toml");
    std::fs::write(&bogus, "org = \"acme\"\n[bogus]\n").unwrap();
    let run = env.run(&["--config", bogus.to_str().unwrap(), "whoami"]);
    assert_eq!(
        run.fails(6).lines().next().unwrap(),
        format!("error: unknown configuration key '[bogus]' in {}", bogus.display())
    );
    // The config commands stay usable to repair the file, and say what is wrong (SPEC §5).
    let run = env.run(&["--config", bogus.to_str().unwrap(), "config", "list"]);
    assert_eq!(run.ok(), "KEY  VALUE\norg  acme\n");
    assert_eq!(run.stderr, format!("warning: unknown configuration key '[bogus]' in {}\n", bogus.display()));
}

// ---------------------------------------------------------------------------
// Odd database files

#[test]
fn a_read_only_database_leaves_side_files_that_a_later_writer_can_use() {
    if common::sqlite_only("file modes of the database and its side files") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let db = env.db_path();
    // As root, modes do not stop anyone: run acct as an unprivileged user.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let status = Command::new("chown").args(["-R", "65534:65534"]).arg(env.home()).status().unwrap();
        assert!(status.success());
    }
    let as_owner = |args: &[&str]| -> Run {
        let mut c = env.command();
        c.args(args);
        if root {
            unsafe {
                c.pre_exec(|| {
                    if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(65534) != 0 || libc::setuid(65534) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        common::output(c, None)
    };
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(
        as_owner(&["user", "list", "--format", "csv", "--columns", "email,status"]).ok(),
        "email,status\r\nada@example.com,active\r\n"
    );
    for suffix in ["-wal", "-shm"] {
        let p = side(&db, suffix);
        if p.exists() {
            assert_eq!(support::mode(&p), 0o600, "{suffix}");
        }
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = as_owner(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send", "-q"]);
    assert_eq!(run.ok(), "");
    assert_eq!(run.stderr, "");
    assert_eq!(env.query("SELECT count(*) FROM users"), "2");
}

#[test]
fn a_version_0_file_with_tables_is_refused_without_sql_and_left_as_it_was() {
    if common::sqlite_only("the header of a SQLite file") {
        return;
    }
    let env = Env::new();
    env.db().execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
    let copy = env.home().join("reset.db");
    std::fs::copy(env.db_path(), &copy).unwrap();
    rusqlite::Connection::open(&copy).unwrap().pragma_update(None, "user_version", 0).unwrap();
    // A foreign file that borrowed acct's application id.
    let foreign = env.home().join("foreign.db");
    let c = rusqlite::Connection::open(&foreign).unwrap();
    c.execute_batch("PRAGMA application_id = 1633903476; CREATE TABLE notes(x); INSERT INTO notes VALUES (1);").unwrap();
    drop(c);
    for file in [&copy, &foreign] {
        let bytes = std::fs::read(file).unwrap();
        let run = env.run(&["--db", file.to_str().unwrap(), "user", "list"]);
        assert_eq!(
            run.fails(1),
            format!(
                "error: the database {} has no schema version but already holds tables; it was left as it was\n\
                 hint: it was not made by acct, or was damaged: restore it from a backup made with 'acct db backup'\n",
                file.display()
            )
        );
        assert!(!run.stderr.contains("CREATE"), "{}", run.stderr);
        assert_eq!(std::fs::read(file).unwrap(), bytes, "{} was left as it was", file.display());
    }
}

#[test]
fn symlink_loops_and_dangling_links_are_named_as_such() {
    let env = Env::new();
    let home = env.home();
    std::os::unix::fs::symlink("loop.db", home.join("loop.db")).unwrap();
    let run = env.run(&["--db", "loop.db", "user", "list"]);
    assert_eq!(
        run.fails(1),
        "error: cannot open the database loop.db: it is a symlink loop (too many levels of symbolic links)\n"
    );
    std::os::unix::fs::symlink("nowhere.db", home.join("dangling.db")).unwrap();
    let run = env.run(&["--db", "dangling.db", "user", "list"]);
    assert_eq!(
        run.fails(1),
        "error: no database at dangling.db: it is a symbolic link to nowhere.db, which does not exist\n\
         hint: create one with 'acct init --org SLUG --admin EMAIL', or name another with --db\n"
    );
    // init does not create a database through a dangling link.
    let run = env.run(&["--db", "dangling.db", "init", "--org", "other", "--admin", "x@example.com"]);
    assert_eq!(
        run.fails(5),
        format!(
            "error: {} is a symbolic link to nowhere.db, which does not exist; acct init does not create a database through a link\n\
             hint: remove the link, or pass the file it should name with --db\n",
            home.join("dangling.db").display()
        )
    );
    assert!(!home.join("nowhere.db").exists());
    assert!(std::fs::symlink_metadata(home.join("dangling.db")).unwrap().file_type().is_symlink());
}

// ---------------------------------------------------------------------------
// A delivery is recorded exactly once (item 6)

#[test]
fn an_attempt_left_sending_is_counted_as_sent_and_not_mailed_again() {
    let env = Env::new();
    env.run(&["user", "add", "bob@example.com", "--role", "read-only", "--no-send", "-q"]).ok();
    // What a process killed after handing the message over leaves behind.
    env.exec(
        "UPDATE invitations SET token_hash = ?1,
         sent_at = '2026-01-01T00:00:00Z', expires_at = '2099-01-01T00:00:00Z', attempted_at = '2026-01-01T00:00:01Z'
         WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')",
        &[vec![1u8; 32].into()],
    );
    let listed = env.run(&["invite", "list", "--format", "csv"]);
    assert!(listed.ok().contains("bob@example.com,sending,"), "{}", listed.stdout);
    let run = env.run(&["invite", "send", "--all"]);
    assert_eq!(run.ok(), "");
    assert_eq!(
        run.stderr,
        "the invitation to bob@example.com was being sent when acct was interrupted; it is counted as sent, since the message may have gone out (if it did not arrive: 'acct invite resend bob@example.com')\n\
         no pending invitations in acme\n"
    );
    assert_eq!(
        env.query("SELECT delivery, token_hash FROM invitations"),
        format!("sent|{}", "01".repeat(32)),
        "the token already delivered stays valid"
    );
    assert!(!env.outbox().exists() || std::fs::read_dir(env.outbox()).unwrap().count() == 0, "no second message");
    // Naming the user: already sent, resend is the way to a new token.
    let run = env.run(&["invite", "send", "bob@example.com"]);
    assert_eq!(
        run.fails(5),
        "error: the invitation of bob@example.com was already sent\nhint: send a new one with 'acct invite resend bob@example.com'\n"
    );
}

#[test]
fn an_invite_send_killed_mid_way_never_mails_anyone_twice() {
    let env = Env::new();
    emails_csv(&env, "k.csv", "k", 300);
    env.run(&["user", "import", "k.csv", "--no-send", "-q"]).ok();
    std::fs::create_dir_all(env.outbox()).unwrap();
    let killed = interrupt_when(&env, &["invite", "send", "--all"], &env.outbox(), libc::SIGKILL, |n| n.ends_with(".eml"));
    let states = support::rows(&env, "SELECT delivery, count(*) FROM invitations GROUP BY delivery ORDER BY 1");
    if killed.is_some() {
        let sending: i64 = env
            .query("SELECT count(*) FROM invitations WHERE delivery = 'pending' AND attempted_at IS NOT NULL")
            .parse()
            .unwrap();
        assert!(sending <= 50, "at most one batch is in doubt: {states:?}");
    }
    env.run(&["invite", "send", "--all", "-q"]).ok();
    assert_eq!(support::rows(&env, "SELECT delivery, count(*) FROM invitations GROUP BY delivery"), ["sent|300"]);
    // Every recipient has at most one message.
    let mut per_recipient = std::collections::HashMap::new();
    // Messages only: a SIGKILL cannot be handled, so the temporary file of
    // the message being written at that moment may remain (never an .eml).
    for e in std::fs::read_dir(env.outbox()).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".eml")) {
        let text = support::read(&e.path());
        let to = text.lines().find_map(|l| l.strip_prefix("To: ")).unwrap().to_string();
        *per_recipient.entry(to).or_insert(0) += 1;
    }
    assert!(per_recipient.values().all(|n| *n == 1), "{per_recipient:?}");
    assert!(per_recipient.len() >= 250, "{} messages", per_recipient.len());
}
