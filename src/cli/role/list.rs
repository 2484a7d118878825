//! `acct role list`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let rows = role::list(&*t.tx, &t.actor, &t.org()?)?;
    crate::cli::print_rows(ctx, &super::NAMES[..6], rows.iter().map(|r| super::values(r)[..6].to_vec()).collect())
}
