//! `acct db`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use clap::Subcommand;
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum DbCmd {
    /// Copy the database with SQLite's online backup (safe while in use)
    ///
    /// Copies the database into FILE with SQLite's online backup, which is safe while other acct
    /// processes use it; the copy is created with mode 0600. An existing FILE is refused (exit 5)
    /// unless --force, which replaces it atomically; FILE is never the database or one of its side
    /// files.
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists (atomically)
        #[arg(long)]
        force: bool,
    },
    /// Run integrity_check and foreign_key_check, and verify the audit chain
    ///
    /// Runs SQLite's integrity_check and foreign_key_check, acct's own consistency checks, and the
    /// verification of the audit chain. Prints one row per problem on stdout and exits 1 when there
    /// is any; exit 0 when the database is healthy. Warns about users waiting to be purged.
    Check,
    /// Apply pending schema migrations (also done automatically)
    ///
    /// Applies the pending schema migrations, each in its own transaction; every command does this
    /// when it opens the database. A database with a schema newer than this acct is refused with
    /// the version it has.
    Migrate,
    /// Purge the users removed more than 30 days ago (audited as user.purge)
    ///
    /// Deletes the users who have been in the trash for more than 30 days: their record, password
    /// hash, two-factor secrets and group memberships. Only their audit entries remain; each purge
    /// is audited as user.purge and cannot be undone.
    Purge,
    /// Replace the database with a backup, after checking the backup
    ///
    /// Checks that FILE is a healthy acct database (acct's application id, a schema version this
    /// acct knows, integrity_check, foreign_key_check, the audit chain) on a private copy,
    /// migrating an older schema in the copy, then replaces the database file with that copy
    /// atomically and keeps the old file as DB.before-restore. FILE itself is never changed. A FILE
    /// that fails a check, or an existing DB.before-restore, is refused (exit 5) and nothing
    /// changes. The current database is checkpointed and held exclusively for the swap; while
    /// another process keeps it open, the restore waits up to 10 s, then fails (exit 1).
    /// Confirmation on a terminal, --yes otherwise (exit 2); --dry-run runs the checks and says
    /// what would happen.
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
