//! `acct db migrate`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let (before, after) = db::migrate(&ctx.db_path()?)?;
    if before == after {
        ctx.note(format!("schema version {after}: up to date"));
    } else {
        ctx.note(format!("migrated the schema from version {before} to {after}"));
    }
    if ctx.format_given().is_some() {
        crate::cli::print_object(ctx, &[("version_before", json!(before)), ("version", json!(after))])?;
    }
    Ok(())
}
