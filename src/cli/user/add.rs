//! `acct user add`.

use super::*;

#[derive(Debug, Args)]
pub struct AddArgs {
    #[arg(required = true, value_name = "EMAIL")]
    emails: Vec<String>,
    /// Role in the current organization (repeatable); asked on a terminal when missing
    #[arg(long = "role", value_name = "ROLE", add = crate::cli::complete::roles())]
    roles: Vec<String>,
    /// First name of new identities
    #[arg(long, value_name = "F")]
    first_name: Option<String>,
    /// Last name of new identities
    #[arg(long, value_name = "L")]
    last_name: Option<String>,
    /// Username [default: derived from the e-mail]
    #[arg(long, value_name = "U")]
    username: Option<String>,
    /// Primary group of new identities (an additional group for existing ones)
    #[arg(long, value_name = "G", add = crate::cli::complete::groups())]
    group: Option<String>,
    /// Record the invitation as pending; deliver later with 'acct invite send'
    #[arg(long)]
    no_send: bool,
    /// Skip addresses that are already members instead of failing
    #[arg(long)]
    if_missing: bool,
    /// Apply what can be applied, report each failure, exit 7
    #[arg(long)]
    keep_going: bool,
}

pub(super) fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let r = user::add(
        ctx,
        &user::AddArgs {
            emails: a.emails,
            roles: a.roles,
            first_name: a.first_name,
            last_name: a.last_name,
            username: a.username,
            group: a.group,
            no_send: a.no_send,
            if_missing: a.if_missing,
            keep_going: a.keep_going,
        },
    )?;
    let org = ctx.org_slug().unwrap_or_default();
    for row in &r.rows {
        if let Ok(outcome) = &row.outcome {
            let dry = if ctx.dry_run { "would be " } else { "" };
            let msg = match outcome {
                user::Added::Invited if a.no_send => {
                    format!("{} {dry}invited to {org}; the invitation is pending (send it with 'acct invite send')", row.email)
                }
                user::Added::Invited => format!("{} {dry}invited to {org}", row.email),
                user::Added::Joined => format!("{} {dry}added to {org} (existing account: no invitation)", row.email),
                user::Added::Skipped => format!("{} is already a member of {org}: skipped", row.email),
            };
            ctx.note(msg);
        }
    }
    if let Some(format) = ctx.format_given() {
        let rows = r
            .rows
            .iter()
            .map(|row| {
                let outcome = match &row.outcome {
                    Ok(o) => o.name().to_string(),
                    Err(e) => format!("error: {}", crate::error::classify(e).message),
                };
                vec![json!(row.email), json!(row.id), json!(row.username), json!(outcome)]
            })
            .collect();
        let _ = format;
        crate::cli::print_rows(ctx, &["email", "id", "username", "outcome"], rows)?;
    }
    crate::cli::invite::report(ctx, &r.sent)?;
    let outcomes: Vec<service::Outcome<()>> =
        r.rows.into_iter().map(|row| service::Outcome { target: row.email, result: row.outcome.map(|_| ()) }).collect();
    service::report_partial(ctx, &outcomes)
}
