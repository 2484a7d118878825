//! `acct invite`: the subcommands and their dispatch; each lives in its own
//! file (`send` and `resend` share one).

mod accept;
mod list;
mod send;

pub(crate) use send::report;

use crate::error::Result;
use crate::service::session::Ctx;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum InviteCmd {
    /// Open invitations of the current organization
    ///
    /// Lists the open invitations of the current organization's members, oldest first, with their
    /// state: pending (not delivered yet), sent, failed, or expired (with the hint 'acct invite
    /// resend').
    #[command(alias = "ls")]
    List,
    /// Deliver invitations not delivered yet (recorded with --no-send, or failed)
    ///
    /// Delivers the pending or failed invitations of the named users, or of everyone with --all.
    /// Each delivery makes a new token. The attempt is recorded before the message is handed to the
    /// transport, so a message that was handed over is never sent again with a new token; an
    /// interrupted delivery is reconciled by the next send. A failed delivery is reported per user
    /// (with --keep-going the others go on, exit 7).
    #[command(after_help = "Examples:\n  acct invite send bob@example.com\n  acct invite send --all")]
    #[command(override_usage = "acct invite send [OPTIONS] <USER>...|--all")]
    Send(send::SendArgs),
    /// Send a new invitation; the previous link stops working
    ///
    /// Sends USER a new invitation with a new token; the link of the previous one stops working.
    /// Refused for a user who holds permissions the actor lacks in any of their organizations (exit
    /// 4).
    Resend(send::ResendArgs),
    /// Accept an invitation: choose a password and activate the account
    ///
    /// Accepts an invitation: takes the link as the mail shows it or its bare token, sets the
    /// password (hashed with argon2id) and activates the account; the token cannot be used again.
    /// An expired, used or unknown token is refused, and so is the invitation of a deactivated
    /// account (exit 5). The password is asked twice on a terminal, or read from one line of stdin
    /// with --password-stdin (at most 1024 bytes). --dry-run is refused (exit 2): a secret is
    /// checked only for real.
    #[command(
        after_help = "The password is asked twice on a terminal. Scripts pass it on stdin:\n  printf '%s\\n' \"$PASSWORD\" | acct invite accept LINK --password-stdin"
    )]
    Accept(accept::AcceptArgs),
}

pub fn run(cmd: InviteCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        InviteCmd::List => list::run(ctx),
        InviteCmd::Send(a) => send::run(ctx, a),
        InviteCmd::Resend(a) => send::resend(ctx, a),
        InviteCmd::Accept(a) => accept::run(ctx, a),
    }
}
