//! `acct db`.

use crate::context::Ctx;
use crate::error::Result;
use crate::service::db;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Copy the database with SQLite's online backup (safe while in use)
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists (atomically)
        #[arg(long)]
        force: bool,
    },
    /// Run integrity_check and foreign_key_check
    Check,
    /// Apply pending schema migrations (also done automatically)
    Migrate,
}

pub fn run(cmd: DbCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        DbCmd::Backup { file, force } => {
            db::backup(ctx, &file, force)?;
            if !ctx.dry_run {
                ctx.note(format!("backed up to {}", file.display()));
            }
        }
        DbCmd::Check => {
            db::check(ctx)?;
            ctx.note("ok: integrity and foreign keys");
        }
        DbCmd::Migrate => {
            let (before, after) = db::migrate(ctx)?;
            if before == after {
                ctx.note(format!("schema version {after}: up to date"));
            } else {
                ctx.note(format!("migrated the schema from version {before} to {after}"));
            }
        }
    }
    Ok(())
}
