//! `acct group show`.

use crate::error::Result;
use crate::service::group;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(add = crate::cli::complete::groups())]
    group: String,
}

pub(super) fn run(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let (g, p) = group::show(&*t.tx, &t.actor, &t.org()?, &a.group)?;
    crate::cli::print_object(
        ctx,
        &[
            ("slug", json!(g.slug)),
            ("display_name", json!(g.display_name)),
            ("managers", json!(p.managers)),
            ("primary_members", json!(p.primary)),
            ("members", json!(p.members)),
            ("created_at", json!(g.created_at)),
        ],
    )
}
