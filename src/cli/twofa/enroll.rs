//! `acct 2fa enroll`: the secret, its QR code and the recovery codes.

use crate::error::{AppError, Kind, Result};
use crate::output::Format;
use crate::service::session::Ctx;
use crate::service::twofa;
use serde_json::json;
use std::io::Write;

pub(super) fn run(ctx: &Ctx) -> Result<()> {
    // With a machine format, stdout is one object and everything
    // for the person (the QR code, the URI, the prose) goes to stderr.
    let as_data = matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl));
    let shown = std::cell::RefCell::new((String::new(), String::new()));
    let show = |c: &twofa::Challenge| -> Result<()> {
        let text = format!("Scan this code with an authenticator app, or enter the URI by hand:\n\n{}\n{}\n", c.qr, c.uri);
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
        match crate::cli::stdin_line("code")? {
            Some(line) if !line.trim().is_empty() => Ok(line.trim().to_string()),
            _ => Err(AppError::new(Kind::Usage, "no code on stdin; nothing was changed")
                .with_hint("write the code the app shows now as one line to stdin, e.g. '123 456'")
                .into()),
        }
    };
    ctx.refuse_dry_run("2fa enroll")?;
    let codes = twofa::enroll(&mut ctx.session()?, ctx.style().color, &show, &ask)?;
    if ctx.dry_run {
        return Ok(());
    }
    if as_data {
        let (uri, secret) = shown.into_inner();
        crate::cli::print_object(
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
