//! `acct group create`.

use crate::error::Result;
use crate::service::group;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct CreateArgs {
    group: String,
    /// Display name [default: the name]
    #[arg(long, value_name = "DISPLAY")]
    display_name: Option<String>,
}

pub(super) fn run(ctx: &Ctx, a: CreateArgs) -> Result<()> {
    let new = group::new_group(&a.group, a.display_name.as_deref())?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let g = group::create(&mut *t.tx, &t.actor, &org, &new)?;
    t.finish()?;
    ctx.note(format!("{} group {}", if ctx.dry_run { "would create" } else { "created" }, g.slug));
    crate::cli::print_result(ctx, &[("group", json!(g.slug)), ("display_name", json!(g.display_name))])
}
