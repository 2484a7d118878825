//! `acct group add-manager`, `remove-manager`, `add-member` and
//! `remove-member`: one shape of arguments, one run.

use crate::error::Result;
use crate::service::group;
use crate::service::session::Ctx;
use crate::store::GroupRole;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct People {
    #[arg(add = crate::cli::complete::groups())]
    group: String,
    #[arg(required = true, value_name = "USER", add = crate::cli::complete::users())]
    users: Vec<String>,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

pub(super) fn run(ctx: &Ctx, p: People, role: GroupRole, present: bool) -> Result<()> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let outcomes = group::people(&mut *t.tx, &t.actor, &org, &p.group, &p.users, (role, present), p.keep_going)?;
    t.finish()?;
    let what = if role == GroupRole::Manager { "manager" } else { "member" };
    let mut shown = Vec::new();
    for o in &outcomes {
        if let Ok(changed) = o.result {
            let note = match (present, changed, ctx.dry_run) {
                (true, true, false) => format!("{} is now a {what} of {}", o.target, p.group),
                (true, true, true) => format!("{} would become a {what} of {}", o.target, p.group),
                (true, false, _) => format!("{} already is a {what} of {}", o.target, p.group),
                (false, true, false) => format!("{} is no longer a {what} of {}", o.target, p.group),
                (false, true, true) => format!("{} would no longer be a {what} of {}", o.target, p.group),
                (false, false, _) => format!("{} was not a {what} of {}", o.target, p.group),
            };
            shown.push(crate::cli::Outcome { values: vec![json!(o.target), json!(p.group), json!(what)], changed, note });
        }
    }
    crate::cli::print_outcomes(ctx, &["user", "group", "as"], shown)?;
    crate::cli::report_partial(ctx, &outcomes)
}
