//! `acct 2fa`: the actor's own two-factor authentication.

use crate::context::Ctx;
use crate::error::{AppError, Kind, Result};
use crate::service::twofa;
use clap::Subcommand;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum TwoFaCmd {
    /// Enrol an authenticator app (TOTP); prints recovery codes once
    Enroll,
    /// Check a code from the app, or a recovery code
    Verify { code: String },
    /// Method, enrolment time and remaining recovery codes
    Status,
}

pub fn run(cmd: TwoFaCmd, ctx: &Ctx) -> Result<()> {
    match cmd {
        TwoFaCmd::Status => {
            let (who, s) = twofa::status(ctx)?;
            super::print_object(
                ctx,
                &[
                    ("user", json!(who)),
                    ("method", json!(s.method)),
                    ("enrolled_at", json!(s.enrolled_at)),
                    ("recovery_codes_left", json!(s.recovery_left)),
                    ("failures", json!(s.failures)),
                    ("locked_until", json!(s.locked_until)),
                ],
            )
        }
        TwoFaCmd::Verify { code } => {
            match twofa::verify(ctx, &code)? {
                twofa::Verified::Code => ctx.note("ok: the code is valid"),
                twofa::Verified::Recovery { left } => ctx.note(format!("ok: recovery code accepted; {left} left")),
            }
            Ok(())
        }
        TwoFaCmd::Enroll => {
            let show = |c: &twofa::Challenge| -> Result<()> {
                let mut out = ctx.stdout();
                writeln!(out, "Scan this code with an authenticator app, or enter the URI by hand:\n\n{}\n{}\n", c.qr, c.uri)?;
                out.flush()?;
                Ok(())
            };
            let ask = |prompt: &str| -> Result<String> {
                if ctx.interactive() {
                    return Ok(dialoguer::Input::<String>::new().with_prompt(prompt).interact_text()?);
                }
                match super::stdin_line("code")? {
                    Some(line) => Ok(line.trim().to_string()),
                    None => Err(AppError::new(Kind::Usage, format!("{prompt}: no code given on stdin")).into()),
                }
            };
            let codes = twofa::enroll(ctx, &show, &ask)?;
            if ctx.dry_run {
                return Ok(());
            }
            let mut out = ctx.stdout();
            writeln!(out, "Recovery codes (each works once; store them safely, they are not shown again):")?;
            for c in codes {
                writeln!(out, "  {c}")?;
            }
            out.flush()?;
            ctx.note("two-factor authentication with an app is enrolled");
            Ok(())
        }
    }
}
