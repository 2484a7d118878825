//! `acct db purge`.

use crate::error::Result;
use crate::service::session::Ctx;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let done = crate::service::user::purge_expired(&mut *t.tx, &t.actor)?;
    t.finish()?;
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
    Ok(())
}
