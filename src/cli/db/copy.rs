//! `acct db copy`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// A new SQLite file, or the URL of an empty PostgreSQL database
    #[arg(value_name = "DEST")]
    dest: PathBuf,
}

pub(super) fn run(ctx: &Ctx, CopyArgs { dest }: CopyArgs) -> Result<()> {
    let from = ctx.db_path()?;
    let shown = crate::store::shown(&dest);
    if ctx.dry_run {
        db::copy_target(&from, &dest)?;
        ctx.note(format!("would copy {} to {shown}", crate::store::shown(&from)));
        return Ok(());
    }
    let mut session = ctx.session()?;
    let copied = db::copy(session.store(), &from, &dest)?;
    let rows: u64 = copied.iter().map(|(_, n)| n).sum();
    if ctx.format_given().is_some() {
        crate::cli::print_rows(ctx, &["table", "rows"], copied.iter().map(|(t, n)| vec![json!(t), json!(n)]).collect())?;
    }
    ctx.note(format!("copied {} to {shown}: {rows} rows in {} tables", crate::store::shown(&from), copied.len()));
    Ok(())
}
