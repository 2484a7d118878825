//! `acct config set`.

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct SetArgs {
    key: String,
    value: String,
}

pub(super) fn run(ctx: &mut Ctx, SetArgs { key, value }: SetArgs) -> Result<()> {
    if ctx.dry_run {
        ctx.config.check_key(&key)?;
        ctx.note("dry run: nothing was changed");
        return Ok(());
    }
    ctx.config.set(&key, &value)
}
