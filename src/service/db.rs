//! `acct db`: the file itself. These act on the database file and need only
//! access to it, like `sqlite3` would; no account data changes.

use crate::context::Ctx;
use crate::error::{AppError, Kind, Result};
use crate::store::sqlite::SqliteStore;
use std::path::Path;

/// Copy the database into `dest`, a new file; with `force` an existing
/// file is replaced (atomically, never the database itself or its side
/// files).
pub fn backup(ctx: &Ctx, dest: &Path, force: bool) -> Result<()> {
    let mut store = ctx.open_store()?;
    let exists = std::fs::symlink_metadata(dest).is_ok();
    if exists && !force {
        return Err(AppError::new(Kind::Conflict, format!("{} already exists", dest.display()))
            .with_hint("choose a new file name, or pass --force to replace it")
            .into());
    }
    if ctx.dry_run {
        ctx.note(format!("would copy {} to {}", ctx.db_path()?.display(), dest.display()));
        return Ok(());
    }
    if !exists {
        return store.backup(dest);
    }
    let out = crate::safe_file::OutputFile::create(dest, crate::safe_file::Forbidden::new().database(&ctx.db_path()?))?;
    let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let scratch = tempfile::Builder::new().prefix(".acct-backup-").tempdir_in(dir)?;
    let copy = scratch.path().join("backup.db");
    store.backup(&copy)?;
    out.write(|w| {
        std::io::copy(&mut std::fs::File::open(&copy)?, w)?;
        Ok(())
    })
}

/// What `db check` found.
pub struct Checked {
    /// The problems (an empty list when the database is healthy).
    pub problems: Vec<String>,
    /// The number of entries of the audit chain.
    pub entries: u64,
}

/// Integrity, foreign keys, the store's consistency checks and the audit
/// chain. Like `sqlite3`, this needs only the file: the chain is verified
/// without an actor.
pub fn check(ctx: &Ctx) -> Result<Checked> {
    let mut store = ctx.open_store()?;
    let mut problems = store.check()?;
    let entries = {
        let tx = store.read()?;
        let expired = super::user::expired_trash(&*tx)?;
        if expired > 0 {
            ctx.warn(format!(
                "{expired} user(s) were removed more than 30 days ago and still wait to be purged; run 'acct db purge'"
            ));
        }
        match super::audit::verify_chain(&*tx, None)? {
            Ok(intact) => intact.entries,
            Err(b) => {
                problems.push(format!("audit chain: {}", b.message()));
                0
            }
        }
    };
    Ok(Checked { problems, entries })
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

/// Returns (version before, version after).
pub fn migrate(ctx: &Ctx) -> Result<(u32, u32)> {
    let path = ctx.db_path()?;
    // Opening applies pending migrations; read the version before that.
    let before = crate::store::sqlite::peek_version(&path)?;
    let mut store = SqliteStore::open(&path)?;
    use crate::store::Store;
    let (after, _) = store.schema_version()?;
    Ok((before, after))
}
