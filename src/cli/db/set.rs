//! `acct db set`.

use crate::error::Result;
use crate::service::login;
use crate::service::session::Ctx;
use clap::{Args, ValueEnum};
use serde_json::json;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Setting {
    /// Every actor needs an account bound to its database login (PostgreSQL)
    RequireLoginBinding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[arg(value_enum)]
    setting: Setting,
    #[arg(value_enum)]
    value: OnOff,
}

pub(super) fn run(ctx: &Ctx, a: SetArgs) -> Result<()> {
    let Setting::RequireLoginBinding = a.setting;
    let on = a.value == OnOff::On;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let changed = login::set_required(&mut *t.tx, &t.actor, on)?;
    t.finish()?;
    let value = if on { "on" } else { "off" };
    let dry = if ctx.dry_run { "would be " } else { "" };
    if changed {
        ctx.note(format!("require-login-binding {dry}set to {value}"));
    } else {
        ctx.note(format!("require-login-binding is {value} already: unchanged"));
    }
    if ctx.format_given().is_some() {
        crate::cli::print_object(
            ctx,
            &[("setting", json!("require-login-binding")), ("value", json!(value)), ("changed", json!(changed))],
        )?;
    }
    Ok(())
}
