//! `acct db`: the file itself. These act on the database file and need only
//! access to it, like `sqlite3` would; no account data changes.

use crate::context::Ctx;
use crate::error::{AppError, Kind, Result};
use crate::store::sqlite::SqliteStore;
use std::path::Path;

pub fn backup(ctx: &Ctx, dest: &Path) -> Result<()> {
    let mut store = ctx.open_store()?;
    if ctx.dry_run {
        ctx.note(format!("would copy {} to {}", ctx.db_path()?.display(), dest.display()));
        return Ok(());
    }
    store.backup(dest)
}

/// Integrity, foreign keys and the audit chain; the number of chained
/// entries when all is well. Like `sqlite3`, this needs only the file: the
/// chain is verified without an actor.
pub fn check(ctx: &Ctx) -> Result<u64> {
    let mut store = ctx.open_store()?;
    let mut problems = store.check()?;
    let entries = {
        let tx = store.read()?;
        match super::audit::verify_chain(&*tx, None)? {
            Ok(intact) => intact.entries,
            Err(b) => {
                problems.push(format!("audit chain: {}", b.message()));
                0
            }
        }
    };
    if problems.is_empty() {
        return Ok(entries);
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
