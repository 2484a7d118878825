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
    let dry_run = ctx.dry_run;
    let s = ctx.config.set(&key, &value, dry_run)?;
    let (key_shown, value) = (crate::error::one_line(&key), crate::error::one_line(s.new.as_deref().unwrap_or_default()));
    let note = match (s.changed, dry_run) {
        (false, _) => format!("{key_shown} is already {value}"),
        (true, true) => format!("would set {key_shown} = {value}"),
        (true, false) => format!("set {key_shown} = {value}"),
    };
    super::print_setting(ctx, &key, &s, note)
}
