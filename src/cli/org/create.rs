//! `acct org create`.

use crate::error::Result;
use crate::service::org::{self, OrgRow};
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct CreateArgs {
    slug: String,
    /// Display name [default: the slug]
    #[arg(long, value_name = "DISPLAY")]
    display_name: Option<String>,
}

pub(super) fn run(ctx: &Ctx, a: CreateArgs) -> Result<()> {
    let new = org::new_org(&a.slug, a.display_name.as_deref())?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let o = org::create(&mut *t.tx, &t.actor, &new)?;
    t.finish()?;
    let verb = if ctx.dry_run { "would create" } else { "created" };
    ctx.note(format!("{verb} organization {} with you as its full-admin", o.slug));
    // With --format, the result as data: the organization created.
    if ctx.format_given().is_some() {
        crate::cli::print_object(ctx, &super::fields(&OrgRow { org: o, members: 1 }))?;
    }
    Ok(())
}
