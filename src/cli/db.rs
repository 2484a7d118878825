//! `acct db`.

use crate::context::Ctx;
use crate::error::Result;
use crate::service::db;
use clap::Subcommand;
use serde_json::json;
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
    /// Run integrity_check and foreign_key_check, and verify the audit chain
    Check,
    /// Apply pending schema migrations (also done automatically)
    Migrate,
    /// Purge the users removed more than 30 days ago (audited as user.purge)
    Purge,
    /// Replace the database with a backup, after checking the backup
    Restore { file: PathBuf },
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
            // The problems are the result: data on stdout (none when healthy).
            let checked = db::check(ctx)?;
            super::print_rows(ctx, &["problem"], checked.problems.iter().map(|p| vec![json!(p)]).collect())?;
            db::check_failed(&checked.problems)?;
            ctx.note(format!("ok: integrity, foreign keys and the audit chain ({} entries)", checked.entries));
        }
        DbCmd::Purge => {
            let done = crate::service::user::purge(ctx)?;
            let verb = if ctx.dry_run { "would purge" } else { "purged" };
            for p in &done.purged {
                ctx.note(format!("{verb} {p} (removed more than 30 days ago)"));
            }
            for (who, why) in &done.left {
                ctx.warn(format!("left {who} in the trash: {why}"));
            }
            if done.purged.is_empty() && done.left.is_empty() {
                ctx.note("nothing to purge: no user was removed more than 30 days ago");
            }
        }
        DbCmd::Restore { file } => {
            let done = db::restore(ctx, &file)?;
            let (from, to) = done.version;
            let schema =
                if from == to { format!("schema version {to}") } else { format!("schema version {from}, migrated to {to}") };
            let what = format!(
                "{} ({schema}, {} organization(s), {} audit entries; integrity, foreign keys and the audit chain checked)",
                file.display(),
                done.orgs,
                done.entries
            );
            if ctx.dry_run {
                ctx.note(format!("would restore {} from {what}", done.db.display()));
                if let Some(k) = &done.kept {
                    ctx.note(format!("would keep the current database as {}", k.display()));
                }
                ctx.note("dry run: nothing was changed");
            } else {
                ctx.note(format!("restored {} from {what}", done.db.display()));
                if let Some(k) = &done.kept {
                    ctx.note(format!("the database as it was before the restore is kept as {}", k.display()));
                }
            }
        }
        DbCmd::Migrate => {
            let (before, after) = db::migrate(ctx)?;
            if before == after {
                ctx.note(format!("schema version {after}: up to date"));
            } else {
                ctx.note(format!("migrated the schema from version {before} to {after}"));
            }
            if ctx.format_given().is_some() {
                super::print_object(ctx, &[("version_before", json!(before)), ("version", json!(after))])?;
            }
        }
    }
    Ok(())
}
