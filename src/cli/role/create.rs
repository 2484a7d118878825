//! `acct role create`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct CreateArgs {
    pub(super) name: String,
    /// A permission of the catalogue (repeat, or separate with commas)
    #[arg(long = "permission", value_name = "PERM", required = true)]
    pub(super) permissions: Vec<String>,
    /// Display name [default: the name]
    #[arg(long, value_name = "DISPLAY")]
    pub(super) display_name: Option<String>,
}

pub(super) fn run(ctx: &Ctx, a: CreateArgs) -> Result<()> {
    let new = role::new_role(&a.name, &a.permissions, a.display_name.as_deref())?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let r = role::create(&mut *t.tx, &t.actor, &org, &new)?;
    t.finish()?;
    let verb = if ctx.dry_run { "would create" } else { "created" };
    ctx.note(format!("{verb} role {} ({})", r.name, r.perms));
    crate::cli::print_result(
        ctx,
        &[("name", json!(r.name)), ("display_name", json!(r.display_name)), ("permissions", json!(r.perms.names()))],
    )
}
