//! `acct invite accept`: the token is the credential, so no actor is needed.

use crate::config;
use crate::error::{AppError, Kind, Result};
use crate::secret;
use crate::service::invite;
use crate::service::session::Ctx;
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The invitation link as the mail shows it, or just its token (which may begin with '-')
    #[arg(allow_hyphen_values = true)]
    token: String,
    /// Read the password from one line of stdin
    #[arg(long)]
    password_stdin: bool,
}

pub(super) fn run(ctx: &Ctx, a: AcceptArgs) -> Result<()> {
    ctx.refuse_dry_run("invite accept")?;
    let template = ctx.config.get("mail.invite_url").unwrap_or_else(|| config::DEFAULT_INVITE_URL.into());
    let hash = secret::sha256(invite::token_of(&a.token, &template));
    let mut session = ctx.session()?;
    // Checked before the password is asked, and again when it is stored.
    drop(invite::acceptable(&*session.store().read()?, &hash)?);
    let pw = password(ctx, a.password_stdin)?;
    let phc = crate::twofactor::hash_password(&pw)?;
    let mut tx = session.store().write()?;
    let row = invite::accept(&mut *tx, &hash, &phc)?;
    ctx.finish(tx)?;
    ctx.note(format!("welcome, {}: your account is active", row.email));
    crate::cli::print_result(
        ctx,
        &[
            ("id", json!(row.user_id)),
            ("email", json!(row.email)),
            ("org", json!(row.invitation.org)),
            ("status", json!(row.user_status)),
        ],
    )
}

/// Twice on a terminal, or one line of stdin.
fn password(ctx: &Ctx, stdin: bool) -> Result<String> {
    if stdin {
        return Ok(crate::cli::stdin_line("password")?.unwrap_or_default());
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
}
