//! `acct db backup`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct BackupArgs {
    file: PathBuf,
    /// Replace FILE if it exists (atomically)
    #[arg(long)]
    force: bool,
}

pub(super) fn run(ctx: &Ctx, BackupArgs { file, force }: BackupArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let exists = db::backup_target(&file, force)?;
    if ctx.dry_run {
        ctx.note(format!("would copy {} to {}", crate::store::shown(&ctx.db_path()?), file.display()));
    } else {
        db::backup(session.store(), &ctx.db_path()?, &file, exists)?;
        ctx.note(format!("backed up to {}", file.display()));
    }
    let path = std::path::absolute(&file).unwrap_or(file);
    crate::cli::print_result(ctx, &[("path", json!(path.display().to_string()))])
}
