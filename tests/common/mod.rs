//! A sealed environment for running the real binary: its own HOME, config
//! and data directories, and a cleared environment.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Env {
    pub dir: tempfile::TempDir,
    /// The PostgreSQL database of the account (`ACCT_TEST_BACKEND=postgres`).
    pub pg: Option<String>,
}

/// A parameter of a statement run by a test on either backend.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<Vec<u8>> for Param {
    fn from(v: Vec<u8>) -> Param {
        Param::Bytes(v)
    }
}

impl From<i64> for Param {
    fn from(v: i64) -> Param {
        Param::Int(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Param {
        Param::Text(v.to_string())
    }
}

/// What one run of acct did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert success and return stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "expected success\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        &self.stdout
    }

    /// Assert an exit code and return stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(self.code, code, "expected exit {code}\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        &self.stderr
    }
}

/// The PostgreSQL server the integration tests run on, when
/// `ACCT_TEST_BACKEND=postgres` asks for it.
pub fn postgres_server() -> Option<String> {
    if std::env::var("ACCT_TEST_BACKEND").as_deref() != Ok("postgres") {
        return None;
    }
    Some(std::env::var("ACCT_TEST_POSTGRES").expect("ACCT_TEST_BACKEND=postgres needs ACCT_TEST_POSTGRES"))
}

/// A new, empty database on `server`; its URL.
pub fn new_postgres_database(server: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!("acct_env_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::SeqCst));
    let mut c = postgres::Client::connect(server, postgres::NoTls).expect("the test server");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let start = base.find("://").map_or(0, |i| i + 3);
    let base = base[start..].find('/').map_or(base, |i| &base[..start + i]);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The `acct init` flags of [`Env::new`]'s account.
const ACME: [&str; 6] = ["--org", "acme", "--admin", "ada@example.com", "--name", "Acme Corp"];

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_acct"))
}

impl Env {
    /// An empty environment (no database yet).
    pub fn empty() -> Env {
        Env { dir: tempfile::tempdir().expect("tempdir"), pg: None }
    }

    /// `acct init --org acme --admin ada@example.com`: a SQLite file, or
    /// with `ACCT_TEST_BACKEND=postgres` a new database on the server of
    /// `ACCT_TEST_POSTGRES` (the configuration then names it).
    pub fn new() -> Env {
        Env::init(&ACME)
    }

    /// `acct init --org acme ...` as [`Env::new`], in a SQLite file whatever
    /// the test backend (for tests of moving between the two).
    pub fn new_sqlite() -> Env {
        let env = Env::empty();
        env.run(&[&["init"][..], &ACME].concat()).ok();
        env
    }

    /// `acct init ARGS` on the test backend, as [`Env::new`].
    pub fn init(args: &[&str]) -> Env {
        let mut env = Env::empty();
        let mut init = vec!["init"];
        init.extend_from_slice(args);
        match postgres_server() {
            Some(server) => {
                let url = new_postgres_database(&server);
                let mut with_db = vec!["--db", url.as_str()];
                with_db.extend_from_slice(&init);
                env.run(&with_db).ok();
                env.run(&["config", "set", "database", &url]).ok();
                let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("the test database");
                c.batch_execute(SQLITE_COMPAT).expect("the SQLite functions of the test queries");
                env.pg = Some(url);
            }
            None => {
                env.run(&init).ok();
            }
        }
        env
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }
    pub fn config_dir(&self) -> PathBuf {
        self.home().join("config")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.home().join("data")
    }
    pub fn config_path(&self) -> PathBuf {
        self.config_dir().join("acct/config.toml")
    }
    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join("acct/acct.db")
    }
    pub fn outbox(&self) -> PathBuf {
        self.data_dir().join("acct/outbox")
    }

    /// The command with a cleared environment.
    pub fn command(&self) -> Command {
        let mut c = Command::new(bin());
        c.env_clear()
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env("XDG_DATA_HOME", self.data_dir())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .current_dir(self.home())
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], None)
    }

    /// Run as another actor (ACCT_ACTOR).
    pub fn run_as(&self, actor: &str, args: &[&str]) -> Run {
        self.run_with(args, &[("ACCT_ACTOR", actor)], None)
    }

    pub fn run_with(&self, args: &[&str], envs: &[(&str, &str)], stdin: Option<&[u8]>) -> Run {
        let mut c = self.command();
        c.args(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        output(c, stdin)
    }

    /// The sealed command on a pseudo-terminal (stdin, stdout and stderr),
    /// for prompts; `timeout_ms` bounds every expectation.
    pub fn pty(&self, args: &[&str], envs: &[(&str, &str)], timeout_ms: u64) -> rexpect::session::PtySession {
        let mut c = self.command();
        // The child's stdio are the terminal set up before exec: inherit them.
        c.stdin(Stdio::inherit()).env("TERM", "xterm").env("NO_COLOR", "1").args(args);
        for (k, v) in envs {
            c.env(k, v);
        }
        let opts = rexpect::reader::Options::new().timeout_ms(Some(timeout_ms)).strip_ansi_escape_codes(true);
        rexpect::session::spawn_with_options(c, opts).expect("spawn acct on a pty")
    }

    /// `sh -c SCRIPT` on a pseudo-terminal in the sealed environment, with
    /// `$0` the acct binary (so `exec "$0" ...` runs it after setting up the
    /// terminal or redirecting stdin). `NO_COLOR` is not set; ANSI escapes
    /// are stripped from what is read unless `keep_escapes`.
    pub fn pty_shell(&self, script: &str, keep_escapes: bool, timeout_ms: u64) -> rexpect::session::PtySession {
        let sealed = self.command();
        let mut c = Command::new("sh");
        c.env_clear();
        for (k, v) in sealed.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        c.current_dir(self.home()).env("TERM", "xterm").arg("-c").arg(script).arg(bin());
        let opts = rexpect::reader::Options::new().timeout_ms(Some(timeout_ms)).strip_ansi_escape_codes(!keep_escapes);
        rexpect::session::spawn_with_options(c, opts).expect("spawn sh on a pty")
    }

    /// Run acct in a private mount namespace (so that nothing outside the
    /// test sees its mounts): the shell commands `setup` first, then acct
    /// with `args`, then the shell commands `after` (their output ends
    /// stdout); the exit status is acct's.
    pub fn run_in_mount_namespace(&self, setup: &str, args: &[&str], after: &str) -> Run {
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let script = format!("{setup} && '{}' {}; rc=$?; {after} exit $rc", bin().display(), quoted.join(" "));
        let sealed = self.command();
        let mut c = Command::new("unshare");
        c.env_clear().args(["-m", "sh", "-c", &script]).current_dir(self.home()).stdin(Stdio::null());
        for (k, v) in sealed.get_envs() {
            if let Some(v) = v {
                c.env(k, v);
            }
        }
        output(c, None)
    }

    /// Open the database for assertions on its state.
    pub fn db(&self) -> rusqlite::Connection {
        assert!(self.pg.is_none(), "Env::db opens the SQLite file; on PostgreSQL use Env::sql or Env::exec");
        rusqlite::Connection::open(self.db_path()).expect("open db")
    }

    /// Rows of a statement on the account's database (either backend), each
    /// cell as SQLite's shell shows it: integers and flags as numbers, NULL
    /// as `NULL`; blobs in upper-case hex (as SQLite's `hex()`). `?N`
    /// parameters.
    pub fn sql(&self, sql: &str, params: &[Param]) -> Vec<Vec<String>> {
        match &self.pg {
            Some(url) => {
                let mut c = pg_client(url);
                let (text, values) = pg_statement(sql, params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values.iter().map(|b| &**b).collect();
                let rows = c.query(text.as_str(), &refs).unwrap_or_else(|e| panic!("{sql}: {}", pg_error(&e)));
                rows.iter()
                    .map(|r| {
                        (0..r.len())
                            .map(|i| {
                                use postgres::types::Type;
                                let t = r.columns()[i].type_().clone();
                                let shown = match t {
                                    Type::INT8 => r.get::<_, Option<i64>>(i).map(|v| v.to_string()),
                                    Type::INT4 => r.get::<_, Option<i32>>(i).map(|v| v.to_string()),
                                    Type::BOOL => r.get::<_, Option<bool>>(i).map(|v| (v as i64).to_string()),
                                    Type::BYTEA => r.get::<_, Option<Vec<u8>>>(i).map(|v| hex_upper(&v)),
                                    _ => r.get::<_, Option<String>>(i),
                                };
                                shown.unwrap_or_else(|| "NULL".to_string())
                            })
                            .collect()
                    })
                    .collect()
            }
            None => {
                let db = self.db();
                let mut st = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let n = st.column_count();
                let values = params.iter().map(sqlite_value);
                st.query_map(rusqlite::params_from_iter(values), |r| {
                    (0..n)
                        .map(|i| {
                            let v: rusqlite::types::Value = r.get(i)?;
                            Ok(match v {
                                rusqlite::types::Value::Null => "NULL".to_string(),
                                rusqlite::types::Value::Integer(i) => i.to_string(),
                                rusqlite::types::Value::Real(f) => f.to_string(),
                                rusqlite::types::Value::Text(t) => t,
                                rusqlite::types::Value::Blob(b) => hex_upper(&b),
                            })
                        })
                        .collect::<rusqlite::Result<Vec<String>>>()
                })
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    /// Run a statement on the account's database (either backend); the
    /// number of rows it changed. Flags are written `TRUE`/`FALSE`, which
    /// both backends read.
    pub fn exec(&self, sql: &str, params: &[Param]) -> u64 {
        match &self.pg {
            Some(url) => {
                let mut c = pg_client(url);
                let (text, values) = pg_statement(sql, params);
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = values.iter().map(|b| &**b).collect();
                c.execute(text.as_str(), &refs).unwrap_or_else(|e| panic!("{sql}: {}", pg_error(&e)))
            }
            None => {
                let values = params.iter().map(sqlite_value);
                self.db().execute(sql, rusqlite::params_from_iter(values)).unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
            }
        }
    }

    /// Make an invited user active, as accepting the invitation would.
    #[track_caller]
    pub fn activate(&self, email: &str) {
        let n = self.exec("UPDATE users SET status = 'active', accepted = TRUE WHERE email = ?1", &[email.into()]);
        assert_eq!(n, 1, "{email}");
    }

    /// Rows of a query, one line per row with `|` between the cells.
    pub fn rows(&self, sql: &str, params: &[Param]) -> Vec<String> {
        self.sql(sql, params).into_iter().map(|r| r.join("|")).collect()
    }

    /// Whether the account lives on PostgreSQL (`ACCT_TEST_BACKEND=postgres`).
    pub fn on_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// The database option that names this environment's database: the URL
    /// on PostgreSQL, the default file otherwise.
    pub fn db_location(&self) -> String {
        self.pg.clone().unwrap_or_else(|| self.db_path().display().to_string())
    }

    /// The database as acct's messages name it: the location without the
    /// password of a URL.
    pub fn shown_location(&self) -> String {
        let loc = self.db_location();
        match (loc.find("://"), loc.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let user = &loc[scheme + 3..at];
                let user = user.split_once(':').map_or(user, |(u, _)| u);
                format!("{}{user}{}", &loc[..scheme + 3], &loc[at..])
            }
            _ => loc,
        }
    }

    /// The first row of a query, its cells joined with `|` (as [`Env::sql`]
    /// shows them: flags as 0/1, NULL as `NULL`).
    pub fn query(&self, sql: &str) -> String {
        self.sql(sql, &[]).into_iter().next().map(|r| r.join("|")).unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// The number of audit entries.
    pub fn audit_count(&self) -> i64 {
        self.query("SELECT count(*) FROM audit").parse().expect("count")
    }
}

/// SQLite's `group_concat` and `ifnull` for the assertion queries of the
/// tests, in a schema of their own that only the tests' connections search
/// (acct's connections never see it; its checks look at the current schema).
const SQLITE_COMPAT: &str = "
    CREATE SCHEMA acct_test_compat;
    CREATE FUNCTION acct_test_compat.gc_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql IMMUTABLE AS
      $$ SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END $$;
    CREATE FUNCTION acct_test_compat.gc_step(acc text, v anyelement) RETURNS text LANGUAGE sql IMMUTABLE AS
      $$ SELECT acct_test_compat.gc_step(acc, v, ',') $$;
    CREATE AGGREGATE acct_test_compat.group_concat(anyelement, text) (SFUNC = acct_test_compat.gc_step, STYPE = text);
    CREATE AGGREGATE acct_test_compat.group_concat(anyelement) (SFUNC = acct_test_compat.gc_step, STYPE = text);
    CREATE FUNCTION acct_test_compat.ifnull(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(a, b) $$;
";

/// The server's message of a failed statement.
fn pg_error(e: &postgres::Error) -> String {
    e.as_db_error().map_or_else(|| e.to_string(), |d| format!("{}: {}", d.code().code(), d.message()))
}

/// A connection of the tests to a PostgreSQL account database.
fn pg_client(url: &str) -> postgres::Client {
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("the test database");
    c.batch_execute("SET search_path = public, acct_test_compat").expect("search_path");
    c
}

/// A statement with `?N` parameters as PostgreSQL takes it.
fn pg_statement(sql: &str, params: &[Param]) -> (String, Vec<Box<dyn postgres::types::ToSql + Sync>>) {
    let mut text = sql.to_string();
    for n in (1..=params.len()).rev() {
        text = text.replace(&format!("?{n}"), &format!("${n}"));
    }
    let values = params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync> {
            match p {
                Param::Int(i) => Box::new(*i),
                Param::Text(t) => Box::new(t.clone()),
                Param::Bytes(b) => Box::new(b.clone()),
            }
        })
        .collect();
    (text, values)
}

fn sqlite_value(p: &Param) -> rusqlite::types::Value {
    match p {
        Param::Int(i) => rusqlite::types::Value::Integer(*i),
        Param::Text(t) => rusqlite::types::Value::Text(t.clone()),
        Param::Bytes(b) => rusqlite::types::Value::Blob(b.clone()),
    }
}

/// Bytes in upper-case hex, as SQLite's `hex()` and [`Env::sql`] show a blob.
pub fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Whether this test is skipped because the account lives on PostgreSQL:
/// it is about the SQLite file itself (`why`), which a server does not have.
pub fn sqlite_only(why: &str) -> bool {
    let skip = postgres_server().is_some();
    if skip {
        eprintln!("SQLite-only ({why}): skipped on PostgreSQL");
    }
    skip
}

pub fn output(mut c: Command, stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    if stdin.is_some() {
        c.stdin(Stdio::piped());
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn acct");
    if let Some(input) = stdin {
        let mut si = child.stdin.take().expect("stdin");
        // acct may finish without reading its input (a token refused before
        // the password is read): a closed pipe is not the test's failure.
        if let Err(e) = si.write_all(input) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}
