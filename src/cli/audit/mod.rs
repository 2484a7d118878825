//! `acct audit`: the subcommands and their dispatch; each lives in its own
//! file.

mod head;
mod list;
mod verify;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

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
    List(list::ListArgs),
    /// Recompute the hash chain and name the first entry altered, removed or inserted (needs audit:read)
    ///
    /// Recomputes the SHA-256 chain of the audit log from its genesis value. Exit 0 when the chain
    /// is intact; exit 1 naming the first entry that was altered, removed or inserted. With --head
    /// ID:HASH (from 'acct audit head'), it also proves that the log still extends that entry, so a
    /// cut and rewritten tail is found too.
    Verify(verify::VerifyArgs),
    /// Print the id and hash of the newest entry, to keep elsewhere (needs audit:read)
    ///
    /// Prints the id and hash of the newest audit entry as ID:HASH. Keep it outside the database (a
    /// ticket, a CI log); 'acct audit verify --head ID:HASH' later proves that nothing up to it was
    /// changed.
    Head(head::HeadArgs),
}

pub fn run(cmd: AuditCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        AuditCmd::List(a) => list::run(ctx, a),
        AuditCmd::Verify(a) => verify::run(ctx, a),
        AuditCmd::Head(a) => head::run(ctx, a),
    }
}
