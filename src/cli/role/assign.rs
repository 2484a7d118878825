//! `acct role assign` (and the shared half of `acct role unassign`).

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct AssignArgs {
    #[arg(add = crate::cli::complete::users())]
    pub(super) user: String,
    #[arg(required = true, add = crate::cli::complete::roles())]
    pub(super) roles: Vec<String>,
}

pub(super) fn run(ctx: &Ctx, a: AssignArgs) -> Result<()> {
    change(ctx, &a.user, &a.roles, true)
}

/// Assign (`on`) or unassign each role: a note and, with `--format`, a row each.
pub(super) fn change(ctx: &Ctx, user: &str, roles: &[String], on: bool) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let outcomes = role::assign(&mut *t.tx, &t.actor, &org, user, roles, on)?;
    t.finish()?;
    let shown = outcomes
        .into_iter()
        .map(|o| {
            let changed = matches!(o.result, Ok(true));
            let note = match (on, changed, ctx.dry_run) {
                (true, true, false) => format!("assigned {} to {user}", o.target),
                (true, true, true) => format!("would assign {} to {user}", o.target),
                (true, false, _) => format!("{user} already holds {}", o.target),
                (false, true, false) => format!("unassigned {} from {user}", o.target),
                (false, true, true) => format!("would unassign {} from {user}", o.target),
                (false, false, _) => format!("{user} does not hold {}", o.target),
            };
            crate::cli::Outcome { values: vec![json!(user), json!([o.target])], changed, note }
        })
        .collect();
    crate::cli::print_outcomes(ctx, &["user", "role"], shown)
}
