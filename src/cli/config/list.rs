//! `acct config list`.

use crate::error::Result;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    super::warn_problems(ctx);
    let rows = ctx.config.list().into_iter().map(|(k, v)| vec![json!(k), json!(v)]).collect();
    crate::cli::print_rows(ctx, &["key", "value"], rows)
}
