//! `acct group list`.

use crate::error::Result;
use crate::service::group;
use crate::service::session::Ctx;
use serde_json::json;

/// Counts are `*_count`: `group show` gives the same people as lists under
/// the plain names, and one key has one type everywhere.
const NAMES: [&str; 6] = ["slug", "display_name", "primary_members_count", "members_count", "managers_count", "created_at"];

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let rows = group::list(&*t.tx, &t.actor, &t.org()?)?
        .into_iter()
        .map(|g| {
            vec![
                json!(g.slug),
                json!(g.display_name),
                json!(g.primary_members),
                json!(g.members),
                json!(g.managers),
                json!(g.created_at),
            ]
        })
        .collect();
    crate::cli::print_rows(ctx, &NAMES, rows)
}
