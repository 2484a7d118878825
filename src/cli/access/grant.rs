//! `acct access grant` (and, with the same arguments, `acct access revoke`).

use crate::error::Result;
use crate::service::access;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct GrantArgs {
    #[arg(add = crate::cli::complete::users())]
    pub(super) user: String,
    pub(super) role: String,
}

pub(super) fn run(ctx: &Ctx, a: GrantArgs) -> Result<()> {
    change(ctx, a, true)
}

/// Grant (`on`) or revoke: a note and, with `--format`, one row.
pub(super) fn change(ctx: &Ctx, GrantArgs { user, role }: GrantArgs, on: bool) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let changed = access::change(&mut *t.tx, &t.actor, &user, &role, on)?;
    t.finish()?;
    let note = match (on, changed, ctx.dry_run) {
        (true, true, false) => format!("granted {role} to {user}"),
        (true, true, true) => format!("would grant {role} to {user}"),
        (true, false, _) => format!("{user} already holds {role}"),
        (false, true, false) => format!("revoked {role} from {user}"),
        (false, true, true) => format!("would revoke {role} from {user}"),
        (false, false, _) => format!("{user} does not hold {role}"),
    };
    crate::cli::print_outcomes(
        ctx,
        &["user", "role"],
        vec![crate::cli::Outcome { values: vec![json!(user), json!([role])], changed, note }],
    )
}
