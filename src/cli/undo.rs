//! `acct undo`.

use crate::error::Result;
use crate::service::session::Ctx;
use crate::service::undo::{self, Which};
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Reversible: user.edit, user.add, user.remove, user.restore, role.assign, role.unassign,
group member and manager changes, org.set, role.edit, access.grant, access.revoke, and a whole
import or apply (--change). Not reversible: invitations sent or accepted, passwords, two-factor
enrolment and resets, purges.

Examples:
  acct undo 42
  acct undo --change 3f9a1c2b7d4e --dry-run
  acct undo --change 3f9a1c2b7d4e --yes")]
pub struct UndoArgs {
    /// The audit entry to reverse (see 'acct audit list')
    #[arg(value_name = "ID", required_unless_present = "change", conflicts_with = "change")]
    id: Option<i64>,
    /// Reverse every entry of this change (one command invocation), newest first
    #[arg(long, value_name = "CHANGE")]
    change: Option<String>,
    /// Reverse even when the target has changed since the entry
    #[arg(long)]
    force: bool,
}

pub fn run(a: &UndoArgs, ctx: &Ctx) -> Result<()> {
    let which = match (&a.change, a.id) {
        (Some(c), _) => Which::Change(c.clone()),
        (None, Some(id)) => Which::Entry(id),
        (None, None) => return Err(crate::error::usage("name an audit entry ID or --change CHANGE").into()),
    };
    let mut session = ctx.session()?;
    let done = session.write_confirmed(|tx, actor, ask, _| Ok((undo::undo(tx, actor, &which, a.force, ask)?, true)))?;
    let verb = if ctx.dry_run { "would revert" } else { "reverted" };
    for (e, lines) in &done.steps {
        let what = match &e.target {
            Some(t) => format!("entry {} ({} {})", e.id, e.action, crate::error::one_line(t)),
            None => format!("entry {} ({})", e.id, e.action),
        };
        if lines.is_empty() {
            ctx.note(format!("{verb} {what}"));
        }
        for l in lines {
            ctx.note(format!("{verb} {what}: {}", crate::error::one_line(l)));
        }
    }
    if !ctx.dry_run {
        ctx.note(format!("undone as change {}", ctx.change_id()));
    }
    // With --format, one row per entry reversed: the entry, what the
    // reversal changes, and the new change (null in a dry run: nothing was
    // recorded).
    if ctx.format_given().is_some() {
        let change = if ctx.dry_run { json!(null) } else { json!(ctx.change_id()) };
        let rows = done
            .steps
            .iter()
            .map(|(e, _)| vec![json!(e.id), json!(e.action), json!(e.target), undo::reversed(e), change.clone(), json!(true)])
            .collect();
        crate::cli::print_rows(ctx, &["reverts", "action", "target", "changes", "change", "changed"], rows)?;
    }
    Ok(())
}
