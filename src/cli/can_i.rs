//! `acct can-i`.

use crate::error::{AppError, Kind, Result};
use crate::output::Format;
use crate::service::can_i;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
#[command(after_help = "Actions: edit, deactivate, remove, reset-2fa, resend, restore, assign:ROLE, unassign:ROLE, undo
(with an audit entry ID in place of USER), or a permission such as user:invite. Exit 0 for yes, 4 for no.

Examples:
  acct can-i edit bob --field phone
  acct can-i reset-2fa ada@example.com
  acct can-i undo 42
  acct can-i role:manage")]
pub struct CanIArgs {
    /// What to do: an action or a permission (see below)
    #[arg(value_name = "ACTION", add = super::complete::can_i_actions())]
    action: String,
    /// To whom
    #[arg(add = super::complete::users())]
    user: Option<String>,
    /// With 'edit': the fields to change
    #[arg(long = "field", value_name = "NAME")]
    fields: Vec<String>,
}

pub fn run(a: &CanIArgs, ctx: &Ctx) -> Result<()> {
    let fields = can_i::question(&a.action, &a.fields)?;
    let mut session = ctx.session()?;
    let t = session.read()?;
    let ans = can_i::ask(&*t.tx, &t.actor, &|tx| ctx.org(tx), &a.action, a.user.as_deref(), &fields)?;
    match ctx.format_or(Format::Table) {
        Format::Table => {
            use std::io::Write;
            let mut out = ctx.stdout();
            writeln!(out, "{}", if ans.allowed { "yes" } else { "no" })?;
            out.flush()?;
            ctx.note(format!("reason: {}", ans.reason));
            if ans.target.is_some() {
                let rel = if ans.relations.is_empty() { "none".to_string() } else { ans.relations.join(", ") };
                ctx.note(format!("relations: {rel}"));
            }
        }
        _ => super::print_object(
            ctx,
            &[
                ("allowed", json!(ans.allowed)),
                ("action", json!(ans.action)),
                ("target", json!(ans.target)),
                ("reason", json!(ans.reason)),
                ("relations", json!(ans.relations)),
            ],
        )?,
    }
    if ans.allowed { Ok(()) } else { Err(AppError::new(Kind::Denied, "").into()) }
}
