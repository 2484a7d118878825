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

pub fn check(ctx: &Ctx) -> Result<()> {
    let mut store = ctx.open_store()?;
    let problems = store.check()?;
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        ctx.warn(p);
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
