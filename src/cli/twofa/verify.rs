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
    ctx.refuse_dry_run("2fa verify")?;
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let checked = twofa::verify(&mut *t.tx, &t.actor, &a.code)?;
    // A failed attempt is kept too: it counts towards the lock.
    t.finish()?;
    match checked? {
        twofa::Verified::Code => ctx.note("ok: the code is valid"),
        twofa::Verified::Recovery { left } => ctx.note(format!("ok: recovery code accepted; {left} left")),
    }
    Ok(())
}
