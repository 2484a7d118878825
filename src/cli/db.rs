//! `acct db`.

use crate::context::Ctx;
use crate::error::Result;
use crate::service::db;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Copy the database with SQLite's online backup (safe while in use)
    Backup { file: PathBuf },
    /// Run integrity_check and foreign_key_check, and verify the audit chain
    Check,
    /// Apply pending schema migrations (also done automatically)
    Migrate,
}

pub fn run(cmd: DbCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        DbCmd::Backup { file } => {
            db::backup(ctx, &file)?;
            if !ctx.dry_run {
                ctx.note(format!("backed up to {}", file.display()));
            }
        }
        DbCmd::Check => {
            let entries = db::check(ctx)?;
            ctx.note(format!("ok: integrity, foreign keys and the audit chain ({entries} entries)"));
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
