//! `acct invite`.

use crate::error::{AppError, Kind, Result};
use crate::service::session::Ctx;
use crate::service::{self, invite};
use clap::Subcommand;
use serde_json::json;

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
    Send {
        #[arg(value_name = "USER", required_unless_present = "all", conflicts_with = "all", add = super::complete::users())]
        users: Vec<String>,
        /// Every pending invitation of the organization
        #[arg(long)]
        all: bool,
        /// Apply what can be applied, report each failure, exit 7
        #[arg(long)]
        keep_going: bool,
    },
    /// Send a new invitation; the previous link stops working
    ///
    /// Sends USER a new invitation with a new token; the link of the previous one stops working.
    /// Refused for a user who holds permissions the actor lacks in any of their organizations (exit
    /// 4).
    Resend {
        #[arg(add = super::complete::users())]
        user: String,
    },
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
    Accept {
        /// The invitation link as the mail shows it, or just its token (which may begin with '-')
        #[arg(allow_hyphen_values = true)]
        token: String,
        /// Read the password from one line of stdin
        #[arg(long)]
        password_stdin: bool,
    },
}

pub fn run(cmd: InviteCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        InviteCmd::List => {
            let rows = invite::list(ctx)?
                .into_iter()
                .map(|r| {
                    let i = r.invitation;
                    vec![
                        json!(r.email),
                        json!(i.delivery),
                        json!(i.delivery_error),
                        json!(i.sent_at),
                        json!(i.expires_at),
                        json!(i.created_at),
                        json!(i.state),
                    ]
                })
                .collect();
            super::print_rows(ctx, &["email", "delivery", "error", "sent_at", "expires_at", "created_at", "state"], rows)
        }
        InviteCmd::Send { users, all, keep_going } => {
            let (outcomes, sent) = invite::send(ctx, &users, all, false, keep_going)?;
            if ctx.dry_run {
                for o in outcomes.iter().filter(|o| o.result.is_ok()) {
                    ctx.note(format!("would send an invitation to {}", o.target));
                }
            }
            let delivery = invite::report(ctx, &sent);
            service::report_partial(ctx, &outcomes)?;
            delivery
        }
        InviteCmd::Resend { user } => {
            let (_, sent) = invite::send(ctx, std::slice::from_ref(&user), false, true, false)?;
            if ctx.dry_run {
                ctx.note(format!("would send a new invitation to {user}"));
            }
            invite::report(ctx, &sent)
        }
        InviteCmd::Accept { token, password_stdin } => {
            let read = || -> Result<String> {
                if password_stdin {
                    return Ok(super::stdin_line("password")?.unwrap_or_default());
                }
                if !ctx.interactive() {
                    return Err(AppError::new(Kind::Usage, "no terminal to ask for the password")
                        .with_hint("pass --password-stdin and write the password to stdin")
                        .into());
                }
                Ok(dialoguer::Password::new()
                    .with_prompt("New password (at least 12 characters)")
                    .with_confirmation("Repeat the password", "the passwords do not match")
                    .interact()?)
            };
            let email = invite::accept(ctx, &token, &read)?;
            if !ctx.dry_run {
                ctx.note(format!("welcome, {email}: your account is active"));
            }
            Ok(())
        }
    }
}
