//! `acct 2fa verify`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::twofa;
use clap::Args;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    code: String,
}

pub(super) fn run(ctx: &Ctx, a: VerifyArgs) -> Result<()> {
    match twofa::verify(ctx, &a.code)? {
        twofa::Verified::Code => ctx.note("ok: the code is valid"),
        twofa::Verified::Recovery { left } => ctx.note(format!("ok: recovery code accepted; {left} left")),
    }
    Ok(())
}
