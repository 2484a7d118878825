//! `acct role delete`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[arg(add = crate::cli::complete::roles())]
    pub(super) name: String,
}

pub(super) fn run(ctx: &Ctx, a: DeleteArgs) -> Result<()> {
    ctx.session()?.write_confirmed(|tx, actor, ask, _| {
        let org = ctx.org(tx)?;
        role::delete(tx, actor, &org, &a.name, ask)?;
        Ok(((), true))
    })?;
    ctx.note(format!("{} role {}", if ctx.dry_run { "would delete" } else { "deleted" }, a.name));
    crate::cli::print_result(ctx, &[("name", json!(a.name))])?;
    Ok(())
}
