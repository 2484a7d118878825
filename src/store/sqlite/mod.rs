//! SQLite behind the [`Store`] and [`Tx`] traits.
//!
//! Pragmas: foreign keys on; WAL, so that readers never block the writer;
//! `synchronous = FULL`, because in WAL mode `NORMAL` may lose the last
//! committed transactions on power loss, and an account change reported done
//! must survive it; a busy timeout of 10 s, so that concurrent acct processes
//! wait for each other instead of failing.

mod audit;
mod chain;
mod groups;
mod import;
mod invitations;
mod members;
mod orgs;
pub mod restore;
mod tx;
mod user_query;
mod users;

use super::{Store, Tx};
use crate::error::{Absent, DbFault, Result};
use anyhow::Context;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use std::path::{Path, PathBuf};

/// `PRAGMA application_id`: "acct" in ASCII.
pub const APPLICATION_ID: i64 = 0x6163_6374;
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// Embedded migrations; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("001_init.sql"),
    include_str!("002_delivery_attempt.sql"),
    include_str!("003_audit_audience.sql"),
    include_str!("004_role_key.sql"),
    include_str!("005_audit_chain.sql"),
    include_str!("006_name_overrides.sql"),
    include_str!("007_audit_time.sql"),
    include_str!("008_db_login.sql"),
    include_str!("009_statement_foreign_keys.sql"),
    include_str!("010_member_count_deltas.sql"),
];

/// The migrations' file names, in order (PostgreSQL's are numbered and named the same).
pub const MIGRATION_NAMES: &[&str] = &[
    "001_init.sql",
    "002_delivery_attempt.sql",
    "003_audit_audience.sql",
    "004_role_key.sql",
    "005_audit_chain.sql",
    "006_name_overrides.sql",
    "007_audit_time.sql",
    "008_db_login.sql",
    "009_statement_foreign_keys.sql",
    "010_member_count_deltas.sql",
];
const _: () = assert!(MIGRATIONS.len() == MIGRATION_NAMES.len());

/// The newest schema version this binary knows.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migration whose new columns are filled in by Rust (the hash chain).
const CHAIN_MIGRATION: u32 = 5;
/// The migration whose numeric audit times are filled in by Rust.
const AUDIT_TIME_MIGRATION: u32 = 7;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// The change id that every audit entry written through this store carries.
    change_id: String,
}

/// Plan every statement once, whatever values are bound to it (SQLite's
/// query planner stability guarantee).
///
/// Without it, SQLite (3.54) lets some bound values steer the plan (an
/// integer compared in a term the index does not cover, a LIMIT, a LIKE
/// pattern) and marks the statement to be planned again when they change;
/// rusqlite clears the bindings of a statement it returns to its cache,
/// which counts as a change. Every cached statement that reads a member
/// (the row of `user`, the roles of `subject`, the update of `update_user`)
/// was therefore prepared anew on every use: half the time of a changed
/// row of `acct apply`. acct's plans do not depend on the values (the
/// query-plan tests in `tx.rs` hold with it on).
fn stable_plans(conn: &Connection) -> Result<()> {
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .context("setting the query planner stability guarantee")?;
    Ok(())
}

pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl SqliteStore {
    /// Open an existing acct database, migrating it when it is older than
    /// this binary.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(why) = missing(path) {
            return Err(DbFault::Missing { location: shown(path), why, suggest_init: true }.into());
        }
        let mut store = Self::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        store.migrate()?;
        store.rekey_emails()?;
        Ok(store)
    }

    fn open_no_migrate(path: &Path) -> Result<SqliteStore> {
        if let Some(why) = missing(path) {
            return Err(DbFault::Missing { location: shown(path), why, suggest_init: false }.into());
        }
        Self::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
    }

    /// Create a new database file (mode 0600, parent directory created).
    /// Fails with a conflict when the file exists.
    pub fn create(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::safe_file::create_private_dir(dir)?;
        }
        {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && std::fs::metadata(path).is_err() => {
                    // A dangling symlink: acct does not create a database through a link.
                    let to = std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default();
                    return Err(DbFault::LinkToNothing { location: shown(path), to }.into());
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(DbFault::Exists { location: shown(path) }.into());
                }
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", path.display())),
            }
        }
        let result = (|| {
            let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            drop(conn);
            let mut store = Self::connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
            store.migrate()?;
            store.rekey_emails()?;
            Ok(store)
        })();
        if result.is_err() {
            // Leave nothing half-made behind.
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        result
    }

    #[cfg(test)]
    pub(crate) fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Tests: move a trashed user's removal back to `at`, as if the restore
    /// window had passed.
    #[cfg(test)]
    pub(crate) fn backdate_trash(&mut self, user: i64, at: &str) {
        let n = self.conn.execute("UPDATE users SET trashed_at = ?1 WHERE id = ?2", rusqlite::params![at, user]).unwrap();
        assert_eq!(n, 1, "user {user} is not in the database");
    }

    /// Tests: rewrite the target of the audit entries of `action` behind the
    /// chain's back, as someone with direct access to the file could.
    #[cfg(test)]
    pub(crate) fn tamper_audit_target(&mut self, action: &str, target: &str) {
        let n = self.conn.execute("UPDATE audit SET target = ?1 WHERE action = ?2", [target, action]).unwrap();
        assert!(n > 0, "no audit entry of {action}");
    }

    /// An in-memory database, for tests.
    #[cfg(test)]
    pub fn memory() -> Result<SqliteStore> {
        let conn = Connection::open_in_memory()?;
        stable_plans(&conn)?;
        let mut store = SqliteStore { conn, path: PathBuf::from(":memory:"), change_id: crate::store::chain::new_change_id() };
        store.conn.execute_batch("PRAGMA foreign_keys = ON;")?;
        store.conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        store.migrate()?;
        store.rekey_emails()?;
        Ok(store)
    }

    fn connect(path: &Path, flags: OpenFlags) -> Result<SqliteStore> {
        owner_writable_side_files(path);
        let mut attempts = 0;
        let conn = loop {
            let before = file_id(path);
            let conn = Connection::open_with_flags(path, flags | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .with_context(|| format!("cannot open the database {}", path.display()))?;
            conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
            stable_plans(&conn)?;
            // Look before touching: a file that is not acct's is left as it was.
            let mut store = SqliteStore { conn, path: path.to_path_buf(), change_id: String::new() };
            store.identify()?;
            // `db restore` may have put another file in place while this one
            // was being opened (the first read waits for it): this connection
            // is to the old file, which must not be given a -wal under the
            // database's name. Open the file that the path names now.
            attempts += 1;
            if file_id(path) == before || attempts == 3 {
                break store.conn;
            }
        };
        let setup = conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;",
        );
        if let Err(e) = setup {
            return Err(not_ours_or(e, path));
        }
        // Opening in WAL mode made the -wal and -shm files, with the mode of
        // the database file.
        owner_writable_side_files(path);
        Ok(SqliteStore { conn, path: path.to_path_buf(), change_id: crate::store::chain::new_change_id() })
    }

    /// Refuse a file that is SQLite but not acct's.
    fn identify(&mut self) -> Result<()> {
        let app: i64 =
            self.conn.pragma_query_value(None, "application_id", |r| r.get(0)).map_err(|e| not_ours_or(e, &self.path))?;
        if app != APPLICATION_ID {
            return Err(DbFault::NotAcct { location: shown(&self.path) }.into());
        }
        // Version 0 is a file that acct has just created, still empty. One
        // with acct's id and tables of its own was not made by acct (or its
        // version was reset): migrating it in place would damage it.
        let version = self.version()?;
        let tables: i64 = self.conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if version == 0 && tables > 0 {
            return Err(DbFault::Unversioned { location: shown(&self.path) }.into());
        }
        Ok(())
    }

    fn version(&self) -> Result<u32> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))?)
    }

    /// Apply pending migrations, each in its own IMMEDIATE transaction.
    pub fn migrate(&mut self) -> Result<Vec<u32>> {
        let known = MIGRATIONS.len() as u32;
        let mut applied = Vec::new();
        // The common case, without taking the write lock: up to date.
        if self.version()? == known {
            return Ok(applied);
        }
        loop {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            if current > known {
                return Err(DbFault::Newer { location: shown(&self.path), found: current, known }.into());
            }
            if current == known {
                drop(tx);
                // Statements cached while migrating were planned for an older
                // schema: start afresh rather than re-prepare them on first use.
                self.conn.flush_prepared_statement_cache();
                return Ok(applied);
            }
            tx.execute_batch(MIGRATIONS[current as usize]).map_err(|e| migration_failed(e, current + 1))?;
            if current + 1 == CHAIN_MIGRATION {
                chain::chain_existing(&tx)?;
            }
            if current + 1 == AUDIT_TIME_MIGRATION {
                chain::time_existing(&tx)?;
            }
            tx.pragma_update(None, "user_version", current + 1)?;
            tx.commit()?;
            applied.push(current + 1);
        }
    }
}

/// The version of the e-mail key rule ([`crate::validate::email`]) that the
/// stored `email_key`s follow, kept in `acct_meta`. Version 2: full case
/// folding (version 1, implied when absent, lower-cased).
const EMAIL_KEY_VERSION: &str = "2";

/// Stored keys whose address has another key under the current rule:
/// `(id, email, stored key, current key)`. Only addresses with non-ASCII
/// characters can differ (ASCII keys were and are lower-cased).
fn stale_email_keys(conn: &Connection) -> Result<Vec<(i64, String, String, String)>> {
    let mut st = conn.prepare("SELECT id, email, email_key FROM users WHERE email GLOB '*[^ -~]*' ORDER BY id")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
    let mut stale = Vec::new();
    for row in rows {
        let (id, email, key) = row?;
        if let Some(now) = crate::validate::email_key(&email)
            && now != key
        {
            stale.push((id, email, key, now));
        }
    }
    Ok(stale)
}

impl SqliteStore {
    /// Bring the stored e-mail keys to the current rule, once per database
    /// (marked in `acct_meta`). Two stored addresses that the new rule makes
    /// one (`ΑΣ@x` and `ασ@x`) cannot both have the key: the one that already
    /// holds it, else the oldest, gets it; the others keep their old key,
    /// which no current key can equal, and `db check` names them.
    fn rekey_emails(&mut self) -> Result<()> {
        let marked = |c: &Connection| -> Result<bool> {
            let v: Option<String> =
                c.query_row("SELECT value FROM acct_meta WHERE key = 'email_key_version'", [], |r| r.get(0)).optional()?;
            Ok(v.as_deref() == Some(EMAIL_KEY_VERSION))
        };
        if marked(&self.conn)? {
            return Ok(());
        }
        let stale = stale_email_keys(&self.conn)?;
        let tx = match self.conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            // A read-only database whose keys are already right is usable as it is.
            Err(e) if stale.is_empty() && is_read_only(&e) => return Ok(()),
            Err(e) => return Err(not_ours_or(e, &self.path)),
        };
        if marked(&tx)? {
            return Ok(());
        }
        let stale = stale_email_keys(&tx)?;
        let mut taken: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (id, _, _, now) in &stale {
            let held = tx.query_row("SELECT 1 FROM users WHERE email_key = ?1", [now], |_| Ok(())).optional()?.is_some();
            if held || !taken.insert(now.clone()) {
                continue;
            }
            tx.execute("UPDATE users SET email_key = ?1 WHERE id = ?2", rusqlite::params![now, id])
                .context("cannot update the e-mail keys")?;
        }
        tx.execute(
            "INSERT INTO acct_meta (key, value) VALUES ('email_key_version', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [EMAIL_KEY_VERSION],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn is_read_only(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ReadOnly)
}

/// The schema version of a database file, without migrating it.
pub fn peek_version(path: &Path) -> Result<u32> {
    let store = SqliteStore::open_no_migrate(path)?;
    store.version()
}

fn not_ours_or(e: rusqlite::Error, path: &Path) -> anyhow::Error {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if matches!(f.code, rusqlite::ErrorCode::NotADatabase) {
            return DbFault::NotDatabase { location: shown(path) }.into();
        }
        if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt) {
            return DbFault::Damaged { location: shown(path) }.into();
        }
    }
    anyhow::Error::new(e).context(format!("cannot open the database {}", path.display()))
}

/// `PRAGMA integrity_check` and `foreign_key_check`, one line per problem.
fn integrity_problems(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut st = conn.prepare("PRAGMA integrity_check")?;
    for row in st.query_map([], |r| r.get::<_, String>(0))? {
        let line = row?;
        if line != "ok" {
            problems.push(format!("integrity: {line}"));
        }
    }
    let mut st = conn.prepare("PRAGMA foreign_key_check")?;
    let rows = st.query_map([], |r| {
        Ok(format!(
            "foreign key: {} row {} refers to a missing {}",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or(0),
            r.get::<_, String>(2)?
        ))
    })?;
    for row in rows {
        problems.push(row?);
    }
    Ok(problems)
}

/// The device and inode that `path` names now.
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Why there is no database file at `path`, or `None` when there is one: a
/// symlink loop and a dangling symlink are named as such.
fn missing(path: &Path) -> Option<Absent> {
    let e = std::fs::metadata(path).err()?;
    Some(if crate::safe_file::is_loop(&e) {
        Absent::LinkLoop
    } else if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        Absent::DanglingLink { to: std::fs::read_link(path).map(|t| t.display().to_string()).unwrap_or_default() }
    } else if e.kind() == std::io::ErrorKind::NotFound {
        Absent::NotFound
    } else {
        Absent::Io(e.to_string())
    })
}

/// A path as messages show it.
fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// A failed migration, without the SQL text that rusqlite puts in its message.
fn migration_failed(e: rusqlite::Error, version: u32) -> anyhow::Error {
    let why = match &e {
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    };
    DbFault::MigrationFailed { version, why }.into()
}

/// SQLite creates the -wal and -shm files with the mode of the database
/// file. After `chmod 400 db`, a read made them 0400 too, and a read-only
/// connection leaves them behind, so that every later writer failed
/// ("attempt to write a readonly database") even after `chmod 600 db`.
/// Side files of ours that the owner cannot write are made 0600.
fn owner_writable_side_files(path: &Path) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let real = crate::safe_file::resolve(path).unwrap_or_else(|_| path.to_path_buf());
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    for suffix in ["-wal", "-shm"] {
        let mut p = real.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(m) = std::fs::symlink_metadata(&p)
            && m.is_file()
            && m.uid() == uid
            && m.mode() & 0o600 != 0o600
        {
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
    }
}

impl Store for SqliteStore {
    fn read(&mut self) -> Result<Box<dyn Tx + '_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        Ok(Box::new(tx::SqliteTx::with_change(tx, &self.change_id)))
    }

    fn write(&mut self) -> Result<Box<dyn Tx + '_>> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(|e| not_ours_or(e, &self.path))?;
        Ok(Box::new(tx::SqliteTx::with_change(tx, &self.change_id)))
    }

    fn backup(&mut self, dest: &Path) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if dest.exists() {
            return Err(DbFault::DestinationExists { location: shown(dest) }.into());
        }
        // Create the copy 0600 before SQLite writes into it.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dest)
            .with_context(|| format!("cannot create {}", dest.display()))?;
        let result = self
            .conn
            .backup(rusqlite::MAIN_DB, dest, None::<fn(rusqlite::backup::Progress)>)
            .with_context(|| format!("backup to {} failed", dest.display()));
        if result.is_err() {
            let _ = std::fs::remove_file(dest);
        }
        result
    }

    fn check(&mut self) -> Result<Vec<String>> {
        let mut problems = integrity_problems(&self.conn)?;
        let mut st = self.conn.prepare(
            "SELECT o.slug, o.members, (SELECT count(*) FROM memberships m WHERE m.org_id = o.id) AS n FROM orgs o WHERE o.members <> n",
        )?;
        let rows = st.query_map([], |r| {
            Ok(format!("counts: {} records {} members, has {}", r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            problems.push(row?);
        }
        drop(st);
        let mut st = self.conn.prepare(
            "SELECT o.slug, u.email FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id
             WHERE m.role_key <> coalesce((SELECT group_concat(name, ';') FROM (SELECT r.name FROM user_roles ur
                 JOIN roles r ON r.id = ur.role_id WHERE ur.org_id = m.org_id AND ur.user_id = m.user_id ORDER BY r.name)), '')",
        )?;
        let rows = st.query_map([], |r| {
            Ok(format!(
                "role key: {} in {} is sorted by roles it no longer holds",
                crate::error::one_line(&r.get::<_, String>(1)?),
                r.get::<_, String>(0)?
            ))
        })?;
        for row in rows {
            problems.push(row?);
        }
        drop(st);
        for (id, email, _, now) in stale_email_keys(&self.conn)? {
            let other: Option<i64> =
                self.conn.query_row("SELECT id FROM users WHERE email_key = ?1", [&now], |r| r.get(0)).optional()?;
            problems.push(match other {
                Some(o) => format!(
                    "e-mail key: user {id} ({}) is the same address as user {o} under the current rules; change one with 'acct user edit --email'",
                    crate::error::one_line(&email)
                ),
                None => format!("e-mail key: user {id} ({}) has an out-of-date key", crate::error::one_line(&email)),
            });
        }
        Ok(problems)
    }

    fn set_change_id(&mut self, id: &str) {
        self.change_id = id.to_string();
    }

    fn schema_version(&mut self) -> Result<(u32, u32)> {
        Ok((self.version()?, MIGRATIONS.len() as u32))
    }

    fn set_bulk_mode(&mut self, on: bool) -> Result<()> {
        // A larger page cache (32 MiB) for bulk imports. Not larger: the cache
        // fills with the pages a big import dirties, so its size is the
        // import's memory (256 MiB made peak RSS grow with the rows, and was
        // no faster at 100k-200k rows).
        let pages: i64 = if on { -32_768 } else { -2_000 };
        self.conn.pragma_update(None, "cache_size", pages)?;
        // Bulk work (an apply's changed row) cycles through more statements
        // than the default cache of 16 keeps, and would prepare them anew.
        self.conn.set_prepared_statement_cache_capacity(if on { 128 } else { 16 });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
