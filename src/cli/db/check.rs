//! `acct db check`.

use crate::error::Result;
use crate::service::db;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    // The problems are the result: data on stdout (none when healthy).
    let checked = db::check(ctx.session()?.store())?;
    if checked.expired_trash > 0 {
        ctx.warn(format!(
            "{} user(s) were removed more than 30 days ago and still wait to be purged; run 'acct db purge'",
            checked.expired_trash
        ));
    }
    crate::cli::print_rows(ctx, &["problem"], checked.problems.iter().map(|p| vec![json!(p)]).collect())?;
    db::check_failed(&checked.problems)?;
    ctx.note(format!("ok: integrity, foreign keys and the audit chain ({} entries)", checked.entries));
    Ok(())
}
