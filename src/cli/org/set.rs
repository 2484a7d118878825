//! `acct org set`.

use crate::error::Result;
use crate::service::org;
use crate::service::session::Ctx;
use crate::store::OrgChange;
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Allowed {
    Allowed,
    Disallowed,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Single sign-on
    #[arg(long, value_enum)]
    sso: Option<OnOff>,
    /// Two-factor codes by SMS
    #[arg(long = "sms-2fa", value_enum)]
    sms_2fa: Option<Allowed>,
    /// Display name
    #[arg(long, value_name = "DISPLAY")]
    display_name: Option<String>,
}

pub(super) fn run(ctx: &Ctx, a: SetArgs) -> Result<()> {
    let change = org::org_change(&OrgChange {
        display_name: a.display_name,
        sso: a.sso.map(|s| matches!(s, OnOff::On)),
        sms_2fa: a.sms_2fa.map(|s| matches!(s, Allowed::Allowed)),
    })?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let o = t.org()?;
    let done = org::set(&mut *t.tx, &t.actor, &o, &change)?;
    if done.sms_still_on > 0 {
        ctx.warn(format!(
            "{} member(s) of {} still have sms_auto_send on; it has no effect while SMS is disallowed ('acct user list --columns email,sms_auto_send' shows them)",
            done.sms_still_on, o.slug
        ));
    }
    t.finish()?;
    crate::cli::print_changes(ctx, "organization", &done.changes);
    crate::cli::print_change_rows(ctx, &done.changes)
}
