//! `acct config path`.

use crate::error::Result;
use crate::service::session::Ctx;
use serde_json::json;
use std::io::Write;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    if ctx.format_given().is_some_and(|f| f != crate::output::Format::Table) {
        return crate::cli::print_object(ctx, &[("path", json!(ctx.config.path.display().to_string()))]);
    }
    let mut out = ctx.stdout();
    writeln!(out, "{}", ctx.config.path.display())?;
    out.flush()?;
    Ok(())
}
