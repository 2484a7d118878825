//! `acct role set`.

use crate::error::Result;
use crate::service::role;
use crate::service::session::Ctx;
use clap::Args;

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
    let (label, steps) = role::set(&mut *t.tx, &t.actor, &org, &a.user, &a.roles)?;
    t.finish()?;
    if steps.is_empty() {
        ctx.note(format!("{label} already holds exactly {}: unchanged", a.roles.join(", ")));
    }
    for s in steps {
        let msg = match (s.assigned, ctx.dry_run) {
            (true, false) => format!("assigned {} to {label}", s.role),
            (true, true) => format!("would assign {} to {label}", s.role),
            (false, false) => format!("unassigned {} from {label}", s.role),
            (false, true) => format!("would unassign {} from {label}", s.role),
        };
        ctx.note(msg);
    }
    Ok(())
}
