//! `acct 2fa status`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::twofa;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let (who, s) = twofa::status(&*t.tx, &t.actor)?;
    crate::cli::print_object(
        ctx,
        &[
            ("user", json!(who)),
            // The same name as the user field (issue 18.5).
            ("two_factor", json!(s.method)),
            ("enrolled_at", json!(s.enrolled_at)),
            ("recovery_codes_left", json!(s.recovery_left)),
            ("failures", json!(s.failures)),
            ("locked_until", json!(s.locked_until)),
        ],
    )
}
