//! `acct audit`.

use crate::error::Result;
use crate::service::audit;
use crate::service::session::Ctx;
use clap::Subcommand;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Entries of the current organization, oldest first (needs audit:read)
    ///
    /// Lists the audit entries of the current organization, and those of changes to the identity of
    /// any of its members made elsewhere, oldest first (--reverse: newest first). Each entry shows
    /// its id, time, actor, action, target, changed fields and change id. The filters combine;
    /// --since and --until take RFC 3339 times, dates or ages such as 7d.
    #[command(
        after_help = "Examples:\n  acct audit list --since 7d --action user.edit\n  acct audit list --target bob@example.com --format jsonl"
    )]
    #[command(alias = "ls")]
    List {
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
    },
    /// Recompute the hash chain and name the first entry altered, removed or inserted (needs audit:read)
    ///
    /// Recomputes the SHA-256 chain of the audit log from its genesis value. Exit 0 when the chain
    /// is intact; exit 1 naming the first entry that was altered, removed or inserted. With --head
    /// ID:HASH (from 'acct audit head'), it also proves that the log still extends that entry, so a
    /// cut and rewritten tail is found too.
    Verify(super::audit_verify::VerifyArgs),
    /// Print the id and hash of the newest entry, to keep elsewhere (needs audit:read)
    ///
    /// Prints the id and hash of the newest audit entry as ID:HASH. Keep it outside the database (a
    /// ticket, a CI log); 'acct audit verify --head ID:HASH' later proves that nothing up to it was
    /// changed.
    Head(super::audit_verify::HeadArgs),
}

pub fn run(cmd: AuditCmd, ctx: &Ctx) -> Result<()> {
    let (actor, target, action, since, until, change, limit, reverse) = match cmd {
        AuditCmd::List { actor, target, action, since, until, change, limit, reverse } => {
            (actor, target, action, since, until, change, limit, reverse)
        }
        AuditCmd::Verify(a) => return super::audit_verify::run_verify(&a, ctx),
        AuditCmd::Head(a) => return super::audit_verify::run_head(&a, ctx),
    };
    let entries = audit::list(ctx, &audit::Filter { actor, target, action, since, until, change, limit, reverse })?;
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
    super::print_rows(ctx, &["id", "at", "actor", "org", "action", "target", "changes", "change", "reverts"], rows)
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
