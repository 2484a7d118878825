//! `acct 2fa status`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::twofa;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let (who, s) = twofa::status(ctx)?;
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
