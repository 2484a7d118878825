//! `acct db restore`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RestoreArgs {
    file: PathBuf,
}

pub(super) fn run(ctx: &Ctx, RestoreArgs { file }: RestoreArgs) -> Result<()> {
    let done = db::restore(&ctx.db_path()?, &file, ctx.dry_run, &mut |q: &str| ctx.confirm(q))?;
    let (from, to) = done.version;
    let schema = if from == to { format!("schema version {to}") } else { format!("schema version {from}, migrated to {to}") };
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
    Ok(())
}
