//! `acct config unset`.

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct UnsetArgs {
    key: String,
}

pub(super) fn run(ctx: &mut Ctx, UnsetArgs { key }: UnsetArgs) -> Result<()> {
    if ctx.dry_run {
        ctx.config.check_key(&key)?;
        ctx.note("dry run: nothing was changed");
    } else if !ctx.config.unset(&key)? {
        ctx.note(format!("'{key}' was not set"));
    }
    Ok(())
}
