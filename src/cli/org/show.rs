//! `acct org show`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::{self, org};
use clap::Args;

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(add = crate::cli::complete::orgs())]
    slug: Option<String>,
}

pub(super) fn run(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let o = match &a.slug {
        Some(s) => service::org_named(&*t.tx, s)?,
        None => t.org()?,
    };
    let r = org::show(&*t.tx, &t.actor, o)?;
    crate::cli::print_object(ctx, &super::fields(&r))
}
