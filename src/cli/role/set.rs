//! `acct role set`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct SetArgs {
    #[arg(add = crate::cli::complete::users())]
    pub(super) user: String,
    #[arg(required = true, add = crate::cli::complete::roles())]
    pub(super) roles: Vec<String>,
}

pub(super) fn run(ctx: &Ctx, a: SetArgs) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let done = role::set(&mut *t.tx, &t.actor, &org, &a.user, &a.roles)?;
    t.finish()?;
    let label = &done.label;
    // One note per assignment made, or one saying that there was none.
    let notes: Vec<String> = done
        .steps
        .iter()
        .map(|s| match (s.assigned, ctx.dry_run) {
            (true, false) => format!("assigned {} to {label}", s.role),
            (true, true) => format!("would assign {} to {label}", s.role),
            (false, false) => format!("unassigned {} from {label}", s.role),
            (false, true) => format!("would unassign {} from {label}", s.role),
        })
        .collect();
    let changed = !notes.is_empty();
    let note = if changed { notes.join("\n") } else { format!("{label} already holds exactly {}", done.new.join(", ")) };
    let outcome = crate::cli::Outcome { values: vec![json!(a.user), json!(done.old), json!(done.new)], changed, note };
    crate::cli::print_outcomes(ctx, &["user", "old", "new"], vec![outcome])
}
