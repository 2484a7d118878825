//! `acct db`: the file itself. These act on the database file and need only
//! access to it, like `sqlite3` would; no account data changes.

use crate::error::{AppError, Kind, Result};
use crate::service::session::Ask;
use crate::store::Store;
use anyhow::Context;
use std::path::Path;

/// `db backup DEST` may write `dest`: a new file, or with `force` an
/// existing one (replaced atomically). Returns whether it exists.
pub fn backup_target(dest: &Path, force: bool) -> Result<bool> {
    let exists = std::fs::symlink_metadata(dest).is_ok();
    if exists && !force {
        return Err(AppError::new(Kind::Conflict, format!("{} already exists", dest.display()))
            .with_hint("choose a new file name, or pass --force to replace it")
            .into());
    }
    Ok(exists)
}

/// Copy the database `db` (open as `store`) into `dest`, checked by
/// [`backup_target`]; an existing file is replaced atomically, and never
/// the database itself or its side files.
pub fn backup(store: &mut dyn Store, db: &Path, dest: &Path, exists: bool) -> Result<()> {
    if !exists {
        return store.backup(dest);
    }
    let out = crate::safe_file::OutputFile::create(dest, crate::safe_file::Forbidden::new().database(db))?;
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let scratch = tempfile::Builder::new().prefix(".acct-backup-").tempdir_in(dir)?;
    let copy = scratch.path().join("backup.db");
    store.backup(&copy)?;
    out.write(|w| {
        std::io::copy(&mut std::fs::File::open(&copy)?, w)?;
        Ok(())
    })
}

/// `db copy DEST` may write `dest`: not the database itself, and a file
/// that does not exist yet (a PostgreSQL database is checked when opened).
pub fn copy_target(from: &Path, dest: &Path) -> Result<()> {
    if crate::store::shown(from) == crate::store::shown(dest)
        || crate::safe_file::Forbidden::new().database(from).names(dest).is_some()
    {
        return Err(AppError::new(Kind::Conflict, "cannot copy the database into itself")
            .with_hint("name a new file or an empty PostgreSQL database")
            .into());
    }
    if crate::store::postgres_url(dest).is_none() && std::fs::symlink_metadata(dest).is_ok() {
        return Err(AppError::new(Kind::Conflict, format!("{} already exists", dest.display()))
            .with_hint("copy into a new file, or an empty PostgreSQL database")
            .into());
    }
    Ok(())
}

/// `db copy DEST`: create DEST (a new SQLite file, or acct's schema in an
/// empty PostgreSQL database) and copy every table of `store` into it. A
/// new SQLite file is removed again when the copy fails.
pub fn copy(store: &mut dyn Store, from: &Path, dest: &Path) -> Result<crate::store::copy::Copied> {
    copy_target(from, dest)?;
    let mut to = match crate::store::create(dest) {
        // A server's database that already holds acct's schema, but no
        // account yet, is a destination too (the copy checks it is empty).
        Err(e)
            if crate::store::postgres_url(dest).is_some()
                && matches!(e.downcast_ref::<crate::error::DbFault>(), Some(crate::error::DbFault::Exists { .. })) =>
        {
            crate::store::open(dest)?
        }
        other => other?,
    };
    let result = crate::store::copy::copy(store, &mut *to);
    if result.is_err() && crate::store::postgres_url(dest).is_none() {
        drop(to);
        for suffix in ["", "-wal", "-shm"] {
            let mut p = dest.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(std::path::PathBuf::from(p));
        }
    }
    result
}

/// What `db check` found.
pub struct Checked {
    /// The problems (an empty list when the database is healthy).
    pub problems: Vec<String>,
    /// The number of entries of the audit chain.
    pub entries: u64,
    /// Users removed more than 30 days ago who still wait to be purged.
    pub expired_trash: usize,
}

/// Integrity, foreign keys, the store's consistency checks and the audit
/// chain. Like `sqlite3`, this needs only the file: the chain is verified
/// without an actor.
pub fn check(store: &mut dyn Store) -> Result<Checked> {
    let mut problems = store.check()?;
    let tx = store.read()?;
    let expired_trash = super::user::expired_trash(&*tx)?;
    let entries = match super::audit::verify_chain(&*tx, None)? {
        Ok(intact) => intact.entries,
        Err(b) => {
            problems.push(format!("audit chain: {}", b.message()));
            0
        }
    };
    Ok(Checked { problems, entries, expired_trash })
}

/// The error of a check that found problems (after they were shown).
pub fn check_failed(problems: &[String]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(AppError::new(Kind::Failure, format!("the database has {} problem(s)", problems.len()))
        .with_hint("restore from a backup made with 'acct db backup'")
        .into())
}

/// Bring the database at `path` to this binary's schema; returns (version
/// before, version after).
pub fn migrate(path: &Path) -> Result<(u32, u32)> {
    // Opening applies pending migrations; read the version before that.
    let before = match crate::store::postgres_url(path) {
        Some(url) => crate::store::postgres::peek_version(url)?,
        None => crate::store::sqlite::peek_version(path)?,
    };
    let mut store = crate::store::open(path)?;
    let (after, _) = store.schema_version()?;
    Ok((before, after))
}

/// What `db restore` did (or, in a dry run, would do).
pub struct Restored {
    /// The database file that was replaced (symlinks followed).
    pub db: std::path::PathBuf,
    /// Where the database before the restore is kept (`None`: there was none).
    pub kept: Option<std::path::PathBuf>,
    /// The schema version of the restored file as it was, and as restored.
    pub version: (u32, u32),
    pub orgs: usize,
    pub entries: u64,
}

/// `db restore FILE`: check that FILE is a healthy acct database, then put
/// a checked copy of it in the place of the database, keeping the old file
/// as `<db>.before-restore`.
///
/// FILE itself is never changed: it is read as a snapshot and copied into a
/// private temporary file beside the database, and every check runs on that
/// copy, which an older schema is migrated in (so the restored file is the
/// one that was checked, at this binary's schema). A newer schema is
/// refused, as any open would refuse it. The old database is checkpointed
/// and held exclusively for the swap (see `store::sqlite::restore`), so the
/// old file is complete and none of its side files can be applied to the
/// restored one. An existing `<db>.before-restore` is never replaced: the
/// restore is refused until it has been moved away.
///
/// `db_given` is the database as configured; with `plan_only` nothing is
/// replaced (`--dry-run`); `ask` confirms the replacement.
pub fn restore(db_given: &Path, file: &Path, plan_only: bool, ask: &mut Ask<'_>) -> Result<Restored> {
    if crate::store::postgres_url(db_given).is_some() {
        return Err(AppError::new(Kind::Usage, "db restore replaces a SQLite file; the database is a PostgreSQL server")
            .with_hint("copy a backup into an empty PostgreSQL database with 'acct --db FILE db copy URL'")
            .into());
    }
    use crate::store::sqlite::restore::{self as file_ops, Candidate, Held};
    let shown = file.display().to_string();
    let refuse = |why: String| -> anyhow::Error {
        AppError::new(Kind::Conflict, format!("cannot restore from {}: {why}", crate::error::one_line(&shown)))
            .with_hint("nothing was changed; name a file written by 'acct db backup'")
            .into()
    };
    if let Some(what) = crate::safe_file::Forbidden::new().database(db_given).names(file) {
        return Err(AppError::new(
            Kind::Conflict,
            format!("cannot restore from {}: it is {what}", crate::error::one_line(&shown)),
        )
        .with_hint("name a backup file; nothing was changed")
        .into());
    }
    match std::fs::metadata(file) {
        Ok(m) if m.is_file() => {}
        Ok(m) => return Err(refuse(format!("it is {}, not a regular file", crate::safe_file::kind_of(&m)))),
        // Like every command that reads a file it is given (exit 1).
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot open {shown}"))),
    }
    let db = crate::safe_file::resolve(db_given).with_context(|| format!("cannot resolve {}", db_given.display()))?;
    let exists = std::fs::symlink_metadata(&db).is_ok();
    if exists {
        // The current database must be acct's (a wrong --db is not replaced),
        // and is brought to this binary's schema like any open would.
        drop(crate::store::open(&db)?);
    }
    let kept = exists.then(|| {
        let mut p = db.as_os_str().to_owned();
        p.push(".before-restore");
        std::path::PathBuf::from(p)
    });

    // The copy: read FILE as SQLite sees it, into a scratch file beside the database.
    let candidate = match file_ops::open_candidate(file)? {
        Candidate::NotSqlite => return Err(refuse("it is not an SQLite database".into())),
        Candidate::Unreadable(why) => return Err(refuse(format!("SQLite cannot read it ({})", crate::error::one_line(&why)))),
        Candidate::Sqlite(c) => c,
    };
    if candidate.application_id != crate::store::sqlite::APPLICATION_ID {
        return Err(refuse("it is an SQLite database but not an acct database".into()));
    }
    let (known, version) = (crate::store::sqlite::SCHEMA_VERSION, candidate.version);
    if version > known {
        return Err(refuse(format!("it has schema version {version}, newer than this acct knows ({known})")));
    }
    if version == 0 {
        return Err(refuse("it holds no acct schema".into()));
    }
    let dir = db.parent().unwrap_or(Path::new("/"));
    let scratch = crate::safe_file::Scratch::create(dir)?;
    if let Err(why) = candidate.copy_to(scratch.path())? {
        return Err(refuse(format!("SQLite cannot read it ({})", crate::error::one_line(&why))));
    }
    drop(candidate);
    let first = file_ops::integrity(scratch.path())?;
    if let Some(p) = first.first() {
        return Err(refuse(format!("it is damaged: {p}")));
    }
    let (orgs, entries) = {
        let mut copy = crate::store::open(scratch.path()).map_err(|e| refuse(crate::error::classify(&e).message))?;
        let problems = copy.check()?;
        if let Some(p) = problems.first() {
            return Err(refuse(format!("it is damaged: {p}")));
        }
        let tx = copy.read()?;
        if !tx.is_initialized()? {
            return Err(refuse("it holds no organization (made by an interrupted 'acct init'?)".into()));
        }
        let entries = match super::audit::verify_chain(&*tx, None)? {
            Ok(intact) => intact.entries,
            Err(b) => return Err(refuse(b.message())),
        };
        (tx.orgs()?.len(), entries)
    };
    file_ops::settle(scratch.path())?;
    if let Some(k) = &kept
        && std::fs::symlink_metadata(k).is_ok()
    {
        return Err(AppError::new(Kind::Conflict, format!("{} already exists (kept by an earlier restore)", k.display()))
            .with_hint("move it away or delete it once you no longer need it, then restore again; nothing was changed")
            .into());
    }
    let done = Restored { db: db.clone(), kept: kept.clone(), version: (version, known), orgs, entries };
    if plan_only {
        return Ok(done);
    }
    ask(&format!("Replace the database {} with {shown}?", db.display()))?;
    // The restored file gets the old one's permissions (0600 when there was none).
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o600);
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(mode))?;
    }
    let Some(kept) = kept else {
        // No database yet: put the copy in place, never over one made meanwhile.
        std::fs::hard_link(scratch.path(), &db).with_context(|| format!("cannot create {}", db.display()))?;
        drop(scratch);
        return Ok(done);
    };
    let swap = || -> Result<()> {
        std::fs::hard_link(&db, &kept).with_context(|| format!("cannot keep the database as {}", kept.display()))?;
        if let Err(e) = scratch.place(&db) {
            let _ = std::fs::remove_file(&kept);
            return Err(anyhow::Error::new(e).context(format!("cannot replace {}", db.display())));
        }
        Ok(())
    };
    match file_ops::exclusively(&db, std::time::Duration::from_millis(crate::store::sqlite::BUSY_TIMEOUT_MS), swap)? {
        Held::Done(()) => Ok(done),
        Held::Busy => Err(AppError::new(
            Kind::Failure,
            format!(
                "the database {} is in use by another process (waited {} s for it to close); nothing was changed",
                db.display(),
                crate::store::sqlite::BUSY_TIMEOUT_MS / 1000
            ),
        )
        .with_hint("run the restore again once the other acct commands have finished")
        .into()),
    }
}
