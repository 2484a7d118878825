//! `acct role show`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(add = crate::cli::complete::roles())]
    pub(super) role: String,
}

pub(super) fn run(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let r = role::show(&*t.tx, &t.actor, &t.org()?, &a.role)?;
    let v = super::values(&r);
    let fields: Vec<(&str, serde_json::Value)> = super::NAMES[..6].iter().copied().zip(v).collect();
    crate::cli::print_object(ctx, &fields)
}
