//! `acct config unset`.

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Args;

#[derive(Debug, Args)]
pub struct UnsetArgs {
    key: String,
}

pub(super) fn run(ctx: &mut Ctx, UnsetArgs { key }: UnsetArgs) -> Result<()> {
    let dry_run = ctx.dry_run;
    let s = ctx.config.unset(&key, dry_run)?;
    let note = match (s.changed, dry_run) {
        (false, _) => format!("'{}' was not set", crate::error::one_line(&key)),
        (true, true) => format!("would unset {}", crate::error::one_line(&key)),
        (true, false) => format!("unset {}", crate::error::one_line(&key)),
    };
    super::print_setting(ctx, &key, &s, note)
}
