//! The file work of `acct db restore`: reading a candidate file without
//! changing it, and holding the current database so that no connection has
//! it open while its file is replaced. What is accepted and what a refusal
//! says is decided in `service::db`.
//!
//! Why the current database is switched out of WAL mode for the swap: every
//! connection to a WAL database keeps a shared lock on the file for as long
//! as it is open, and SQLite leaves WAL mode only when it can lock the file
//! exclusively. So a successful switch proves that no other connection is
//! open; it also checkpoints the `-wal` into the file and deletes the `-wal`
//! and `-shm`, so that the old file is complete on its own and no side file
//! of it can be applied to the restored one. The exclusive transaction held
//! afterwards makes any new opener wait (its busy timeout) until the new file
//! is in place; [`super::SqliteStore`]'s open notices that the path now
//! names another file and opens that one.

use crate::error::Result;
use anyhow::Context;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::{Duration, Instant};

/// What a candidate file is, as far as SQLite can tell without changing it.
pub enum Candidate {
    /// Not an SQLite database at all.
    NotSqlite,
    /// SQLite could not read it (damaged, unreadable): the reason.
    Unreadable(String),
    /// An SQLite database, open read-only.
    Sqlite(CandidateFile),
}

/// A candidate database, open read-only.
pub struct CandidateFile {
    conn: Connection,
    pub application_id: i64,
    pub version: u32,
}

fn sqlite_reason(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        other => other.to_string(),
    }
}

fn is_code(e: &rusqlite::Error, code: rusqlite::ErrorCode) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == code)
}

/// A path as a `file:` URI (RFC 3986 percent-encoding of everything but
/// unreserved characters and `/`).
fn file_uri(path: &Path) -> Result<String> {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::path::absolute(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut uri = String::from("file:");
    for &b in abs.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(uri)
}

/// Open a candidate read-only. A file beside which there is no `-wal` is
/// opened as immutable, so that reading it takes no lock and leaves no side
/// file beside the user's backup; one with a `-wal` is read through it, as
/// any SQLite reader would.
pub fn open_candidate(path: &Path) -> Result<Candidate> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut uri = file_uri(path)?;
    if std::fs::symlink_metadata(&wal).is_err() {
        uri.push_str("?immutable=1");
    }
    let conn = match Connection::open_with_flags(&uri, flags) {
        Ok(c) => c,
        Err(e) => return Ok(Candidate::Unreadable(sqlite_reason(&e))),
    };
    let facts = (|| -> rusqlite::Result<(i64, u32)> {
        let app = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        let version = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        // Reading the schema is what tells a database from another file.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0))?;
        Ok((app, version))
    })();
    match facts {
        Ok((application_id, version)) => Ok(Candidate::Sqlite(CandidateFile { conn, application_id, version })),
        Err(e) if is_code(&e, rusqlite::ErrorCode::NotADatabase) => Ok(Candidate::NotSqlite),
        Err(e) => Ok(Candidate::Unreadable(sqlite_reason(&e))),
    }
}

impl CandidateFile {
    /// Copy the candidate into `dest` (an existing empty file) with SQLite's
    /// backup; `Err(reason)` when SQLite cannot read it.
    pub fn copy_to(&self, dest: &Path) -> Result<std::result::Result<(), String>> {
        match self.conn.backup(rusqlite::MAIN_DB, dest, None::<fn(rusqlite::backup::Progress)>) {
            Ok(()) => Ok(Ok(())),
            Err(e) => Ok(Err(sqlite_reason(&e))),
        }
    }
}

/// `PRAGMA integrity_check` and `foreign_key_check` of a database file
/// whatever its schema version, without migrating it: one line per problem.
pub fn integrity(path: &Path) -> Result<Vec<String>> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("cannot open {}", path.display()))?;
    super::integrity_problems(&conn)
}

/// Leave a database file complete on its own: out of WAL mode, so that it
/// has no `-wal` or `-shm` (the next open by acct turns WAL on again). The
/// caller must be its only user.
pub fn settle(path: &Path) -> Result<()> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("delete"), "cannot take {} out of WAL mode", path.display());
    Ok(())
}

/// Whether [`exclusively`] could hold the database.
pub enum Held<T> {
    Done(T),
    /// Another connection kept the database open for the whole wait.
    Busy,
}

/// Run `f` while no other connection has the database at `db` open and
/// none can open it: the database is checkpointed and out of WAL mode, its
/// `-wal` and `-shm` are gone, and an exclusive transaction is held. Waits
/// up to `wait` for the other connections to close.
pub fn exclusively<T>(db: &Path, wait: Duration, f: impl FnOnce() -> Result<T>) -> Result<Held<T>> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .with_context(|| format!("cannot open the database {}", db.display()))?;
    conn.busy_timeout(Duration::from_millis(200))?;
    let side = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let deadline = Instant::now() + wait;
    loop {
        let left_wal = match conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0)) {
            Ok(mode) => !mode.eq_ignore_ascii_case("delete"),
            Err(e) if is_code(&e, rusqlite::ErrorCode::DatabaseBusy) || is_code(&e, rusqlite::ErrorCode::DatabaseLocked) => true,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot take hold of the database {}", db.display()))),
        };
        if !left_wal {
            let locked = conn
                .execute_batch("BEGIN EXCLUSIVE")
                .and_then(|()| conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)));
            match locked {
                Ok(_) => {
                    // Another opener may have turned WAL on again in between.
                    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
                    if mode.eq_ignore_ascii_case("delete") && !side("-wal").exists() && !side("-shm").exists() {
                        let out = f();
                        let _ = conn.execute_batch("ROLLBACK");
                        return out.map(Held::Done);
                    }
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(e) if is_code(&e, rusqlite::ErrorCode::DatabaseBusy) => {
                    let _ = conn.execute_batch("ROLLBACK");
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot lock the database {}", db.display()))),
            }
        }
        if Instant::now() >= deadline {
            return Ok(Held::Busy);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
