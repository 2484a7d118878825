//! `acct access list`.

use crate::error::Result;
use crate::service::access;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let rows = access::list(&*t.tx, &t.actor)?;
    crate::cli::print_rows(
        ctx,
        &["id", "email", "role"],
        rows.into_iter().map(|r| vec![json!(r.user_id), json!(r.email), json!([r.role])]).collect(),
    )
}
