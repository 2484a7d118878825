//! `acct org list`.

use crate::error::Result;
use crate::service::org::{self, OrgRow};
use crate::service::session::Ctx;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let rows = org::list(&*t.tx, &t.actor)?;
    let names: Vec<&str> = super::fields(&OrgRow { org: Default::default(), members: 0 }).iter().map(|f| f.0).collect();
    let rows = rows.iter().map(|r| super::fields(r).into_iter().map(|f| f.1).collect()).collect();
    crate::cli::print_rows(ctx, &names, rows)
}
