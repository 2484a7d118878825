//! `acct access revoke` (its arguments are `access grant`'s).

use super::grant::{self, GrantArgs};
use crate::error::Result;
use crate::service::session::Ctx;

pub(super) fn run(ctx: &Ctx, a: GrantArgs) -> Result<()> {
    grant::change(ctx, a, false)
}
