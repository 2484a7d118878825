//! `acct db purge`.

use crate::error::Result;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let done = crate::service::user::purge_expired(&mut *t.tx, &t.actor)?;
    t.finish()?;
    let verb = if ctx.dry_run { "would purge" } else { "purged" };
    for p in &done.purged {
        ctx.note(format!("{verb} {} (removed more than 30 days ago)", p.email));
    }
    for (who, why) in &done.left {
        ctx.warn(format!("left {who} in the trash: {why}"));
    }
    if done.purged.is_empty() && done.left.is_empty() {
        ctx.note("nothing to purge: no user was removed more than 30 days ago");
    }
    // With --format, the users purged as data (an empty list when none was).
    if ctx.format_given().is_some() {
        let rows = done
            .purged
            .iter()
            .map(|p| vec![json!(p.id), json!(p.email), json!(p.org), json!(p.removed_at), json!(true)])
            .collect();
        crate::cli::print_rows(ctx, &["id", "email", "org", "removed_at", "changed"], rows)?;
    }
    Ok(())
}
