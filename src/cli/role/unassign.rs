//! `acct role unassign` (its arguments are `role assign`'s).

use super::assign::{self, AssignArgs};
use crate::error::Result;
use crate::service::session::Ctx;

pub(super) fn run(ctx: &Ctx, a: AssignArgs) -> Result<()> {
    assign::change(ctx, &a.user, &a.roles, false)
}
