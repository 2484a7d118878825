//! `acct audit list`.

use crate::error::Result;
use crate::service::audit;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only changes made by this user
    #[arg(long, value_name = "USER")]
    actor: Option<String>,
    /// Only changes to this user
    #[arg(long, value_name = "USER")]
    target: Option<String>,
    /// An action (user.edit) or a family (user)
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// From this time: RFC 3339, a date or an age (7d, 12h)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Before this time
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only the entries of this change (one command invocation)
    #[arg(long, value_name = "ID")]
    change: Option<String>,
    /// The newest N entries
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Newest first
    #[arg(long)]
    reverse: bool,
}

pub(super) fn run(ctx: &Ctx, a: ListArgs) -> Result<()> {
    let ListArgs { actor, target, action, since, until, change, limit, reverse } = a;
    let since = since.as_deref().map(audit::parse_time).transpose()?;
    let until = until.as_deref().map(audit::parse_time).transpose()?;
    let filter = audit::Filter { actor, target, action, since, until, change, limit, reverse };
    let mut session = ctx.session()?;
    let t = session.read()?;
    let entries = audit::list(&*t.tx, &t.actor, &t.org()?, &filter)?;
    let rows = entries
        .into_iter()
        .map(|e| {
            let changes = if ctx.format_or(crate::output::Format::Table).is_machine()
                && matches!(ctx.format_given(), Some(crate::output::Format::Json | crate::output::Format::Jsonl))
            {
                e.changes
            } else {
                json!(summarize(&e.changes))
            };
            let mut row = vec![json!(e.id), json!(e.at), json!(e.actor), json!(e.org), json!(e.action), json!(e.target), changes];
            row.extend([json!(e.change), json!(e.reverts)]);
            row
        })
        .collect();
    crate::cli::print_rows(ctx, &["id", "at", "actor", "org", "action", "target", "changes", "change", "reverts"], rows)
}

/// `field: old → new; ...` for tables and CSV.
fn summarize(v: &serde_json::Value) -> String {
    let Some(m) = v.as_object() else { return v.to_string() };
    m.iter()
        .map(|(k, c)| {
            let s = |x: &serde_json::Value| match x {
                serde_json::Value::Null => "∅".to_string(),
                serde_json::Value::String(s) => s.clone(),
                o => o.to_string(),
            };
            format!("{k}: {} → {}", s(&c["old"]), s(&c["new"]))
        })
        .collect::<Vec<_>>()
        .join("; ")
}
