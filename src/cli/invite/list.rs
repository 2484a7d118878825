//! `acct invite list`.

use crate::error::Result;
use crate::service::invite;
use crate::service::session::Ctx;
use serde_json::json;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    let mut session = ctx.session()?;
    let t = session.read()?;
    let rows = invite::list(&*t.tx, &t.actor, &t.org()?)?
        .into_iter()
        .map(|r| {
            let i = r.invitation;
            vec![
                json!(r.email),
                json!(i.delivery),
                json!(i.delivery_error),
                json!(i.sent_at),
                json!(i.expires_at),
                json!(i.created_at),
                json!(i.state),
            ]
        })
        .collect();
    crate::cli::print_rows(ctx, &["email", "delivery", "error", "sent_at", "expires_at", "created_at", "state"], rows)
}
