//! `acct invite send` and `acct invite resend`.

use crate::error::Result;
use crate::mail::Delivered;
use crate::service::invite::{self, SendFlags, Sent};
use crate::service::session::Ctx;
use crate::service::{self};
use clap::Args;

#[derive(Debug, Args)]
pub struct SendArgs {
    #[arg(value_name = "USER", required_unless_present = "all", conflicts_with = "all", add = crate::cli::complete::users())]
    users: Vec<String>,
    /// Every pending invitation of the organization
    #[arg(long)]
    all: bool,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

#[derive(Debug, Args)]
pub struct ResendArgs {
    #[arg(add = crate::cli::complete::users())]
    user: String,
}

pub(super) fn run(ctx: &Ctx, a: SendArgs) -> Result<()> {
    let flags = SendFlags { all: a.all, resend: false, keep_going: a.keep_going };
    let done = send(ctx, &a.users, flags)?;
    if ctx.dry_run {
        for o in done.outcomes.iter().filter(|o| o.result.is_ok()) {
            ctx.note(format!("would send an invitation to {}", o.target));
        }
    }
    let delivery = report(ctx, &done.sent);
    print_sent(ctx, &done)?;
    crate::cli::report_partial(ctx, &done.outcomes)?;
    delivery
}

pub(super) fn resend(ctx: &Ctx, a: ResendArgs) -> Result<()> {
    let flags = SendFlags { all: false, resend: true, keep_going: false };
    let done = send(ctx, std::slice::from_ref(&a.user), flags)?;
    if ctx.dry_run {
        ctx.note(format!("would send a new invitation to {}", a.user));
    }
    let delivery = report(ctx, &done.sent);
    print_sent(ctx, &done)?;
    delivery
}

/// What a send did: the plan's outcomes and notes, the addresses mailed (in
/// the order of the successful outcomes) and the deliveries.
struct Done {
    outcomes: Vec<service::Outcome<()>>,
    reconciled: Vec<String>,
    skipped: Vec<String>,
    mailed: Vec<String>,
    sent: Vec<Sent>,
}

/// New tokens in one transaction, then the mails, after it commits.
fn send(ctx: &Ctx, users: &[String], flags: SendFlags) -> Result<Done> {
    let mut session = ctx.session()?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let plan = invite::send(&mut *t.tx, &t.actor, &org, &ctx.config, users, flags)?;
    for email in &plan.reconciled {
        ctx.note(format!(
            "the invitation to {email} was being sent when acct was interrupted; it is counted as sent, since the message may have gone out (if it did not arrive: 'acct invite resend {email}')"
        ));
    }
    for email in &plan.skipped {
        ctx.note(format!("skipped {email}: the account has been deactivated"));
    }
    t.finish()?;
    if let Some(stale) = plan.nothing_pending {
        ctx.note(format!("no pending invitations in {}", org.slug));
        if stale > 0 {
            ctx.note(format!(
                "{stale} sent invitation(s) have expired; send a new link with 'acct invite resend USER' ('acct invite list' shows them)"
            ));
        }
    }
    let mailed = plan.mails.iter().map(|(_, m)| m.email.clone()).collect();
    let mails = plan.mails.iter().map(|(p, m)| (p, m.clone())).collect();
    let sent = session.deliver(mails)?;
    Ok(Done { outcomes: plan.outcomes, reconciled: plan.reconciled, skipped: plan.skipped, mailed, sent })
}

/// With `--format`, one row per user the send was about: `email`,
/// `outcome` (`sent`, `failed`: the delivery failed, `skipped`: deactivated,
/// `reconciled`: an interrupted delivery counted as sent, or `error: ...`
/// for a target refused under `--keep-going`), `path` (the outbox file),
/// `error` (why the delivery failed) and `changed`.
fn print_sent(ctx: &Ctx, done: &Done) -> Result<()> {
    use serde_json::{Value, json};
    if ctx.format_given().is_none() {
        return Ok(());
    }
    let row = |email: &str, outcome: &str, path: Value, error: Value, changed: bool| {
        vec![json!(email), json!(outcome), path, error, json!(changed)]
    };
    let mut rows = Vec::new();
    for email in &done.reconciled {
        rows.push(row(email, "reconciled", Value::Null, Value::Null, true));
    }
    for email in &done.skipped {
        rows.push(row(email, "skipped", Value::Null, Value::Null, false));
    }
    let mut mailed = done.mailed.iter().enumerate();
    for o in &done.outcomes {
        if let Err(e) = &o.result {
            let outcome = format!("error: {}", crate::error::classify(e).message);
            rows.push(row(&o.target, &outcome, Value::Null, Value::Null, false));
            continue;
        }
        let Some((i, email)) = mailed.next() else { continue };
        rows.push(match done.sent.get(i).map(|s| &s.result) {
            Some(Ok(Delivered::File(p))) => row(email, "sent", json!(p.display().to_string()), Value::Null, true),
            Some(Err(e)) => row(email, "failed", Value::Null, json!(e), true),
            // Another transport, or a dry run (nothing is delivered).
            Some(Ok(Delivered::Sent)) | None => row(email, "sent", Value::Null, Value::Null, true),
        });
    }
    crate::cli::print_rows(ctx, &["email", "outcome", "path", "error", "changed"], rows)
}

/// Tell the user where each mail went; a failed delivery is an error (exit 1)
/// after the account change has been kept.
pub(crate) fn report(ctx: &Ctx, sent: &[Sent]) -> Result<()> {
    let mut failed = 0;
    for s in sent {
        match &s.result {
            Ok(Delivered::File(p)) => ctx.note(format!("invitation for {} written to {}", s.email, p.display())),
            Ok(Delivered::Sent) => ctx.note(format!("invitation sent to {}", s.email)),
            Err(e) => {
                failed += 1;
                ctx.warn(format!("the invitation to {} could not be delivered: {e}", s.email));
            }
        }
    }
    if failed > 0 {
        return Err(crate::error::failure(format!("{failed} invitation(s) could not be delivered; the accounts were kept"))
            .with_hint("retry with 'acct invite resend USER'")
            .into());
    }
    Ok(())
}
