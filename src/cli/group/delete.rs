//! `acct group delete`.

use crate::error::Result;
use crate::service::group;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[arg(add = crate::cli::complete::groups())]
    group: String,
}

pub(super) fn run(ctx: &Ctx, a: DeleteArgs) -> Result<()> {
    ctx.session()?.write_confirmed(|tx, actor, ask, _| {
        let org = ctx.org(tx)?;
        group::delete(tx, actor, &org, &a.group, ask)?;
        Ok(((), true))
    })?;
    ctx.note(format!("{} group {}", if ctx.dry_run { "would delete" } else { "deleted" }, a.group));
    crate::cli::print_result(ctx, &[("group", json!(a.group))])
}
