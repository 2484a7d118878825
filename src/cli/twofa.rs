//! `acct 2fa`: the actor's own two-factor authentication.

use crate::error::{AppError, Kind, Result};
use crate::output::Format;
use crate::service::session::Ctx;
use crate::service::twofa;
use clap::Subcommand;
use serde_json::json;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum TwoFaCmd {
    /// Enrol an authenticator app (TOTP); prints recovery codes once
    ///
    /// Creates a TOTP secret for the actor, prints its otpauth:// URI and a QR code, and asks for a
    /// current code to confirm; without a terminal the code is read from one line of stdin. Then
    /// prints ten single-use recovery codes, once (they are stored hashed). --dry-run is refused
    /// (exit 2).
    Enroll,
    /// Check a code from the app, or a recovery code
    ///
    /// Checks a code for the actor: a TOTP code (one step of clock drift allowed; a code already
    /// used is refused) or a recovery code (any case, dashes optional). Codes may be typed with
    /// spaces. Five failures in a row lock verification for 15 minutes. --dry-run is refused (exit
    /// 2).
    Verify { code: String },
    /// Method, enrolment time and remaining recovery codes
    ///
    /// Shows the actor's two-factor method (none, email, sms, app), when the app was enrolled and
    /// how many recovery codes are left.
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
                    // The same name as the user field (issue 18.5).
                    ("two_factor", json!(s.method)),
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
            // With a machine format, stdout is one object and everything
            // for the person (the QR code, the URI, the prose) goes to stderr.
            let as_data = matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl));
            let shown = std::cell::RefCell::new((String::new(), String::new()));
            let show = |c: &twofa::Challenge| -> Result<()> {
                let text =
                    format!("Scan this code with an authenticator app, or enter the URI by hand:\n\n{}\n{}\n", c.qr, c.uri);
                shown.replace((c.uri.clone(), c.secret.clone()));
                if as_data {
                    let mut err = std::io::stderr().lock();
                    writeln!(err, "{text}")?;
                    err.flush()?;
                } else {
                    let mut out = ctx.stdout();
                    writeln!(out, "{text}")?;
                    out.flush()?;
                }
                Ok(())
            };
            let ask = |prompt: &str| -> Result<String> {
                // The prompt is for a person; a script's error does not repeat it.
                if ctx.interactive() {
                    return Ok(dialoguer::Input::<String>::new().with_prompt(prompt).interact_text()?);
                }
                // No terminal: the code is one line of stdin, so enrolment can be scripted.
                match super::stdin_line("code")? {
                    Some(line) if !line.trim().is_empty() => Ok(line.trim().to_string()),
                    _ => Err(AppError::new(Kind::Usage, "no code on stdin; nothing was changed")
                        .with_hint("write the code the app shows now as one line to stdin, e.g. '123 456'")
                        .into()),
                }
            };
            let codes = twofa::enroll(ctx, &show, &ask)?;
            if ctx.dry_run {
                return Ok(());
            }
            if as_data {
                let (uri, secret) = shown.into_inner();
                super::print_object(
                    ctx,
                    &[("otpauth_uri", json!(uri)), ("secret", json!(secret)), ("recovery_codes", json!(codes))],
                )?;
                ctx.note("two-factor authentication with an app is enrolled");
                ctx.note("the code just used cannot be used again: 'acct 2fa verify' needs the next code the app shows");
                return Ok(());
            }
            let mut out = ctx.stdout();
            writeln!(out, "Recovery codes (each works once; store them safely, they are not shown again):")?;
            for c in codes {
                writeln!(out, "  {c}")?;
            }
            out.flush()?;
            ctx.note("two-factor authentication with an app is enrolled");
            ctx.note("the code just used cannot be used again: 'acct 2fa verify' needs the next code the app shows");
            Ok(())
        }
    }
}
