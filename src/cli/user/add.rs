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

/// The roles to give new members: what `--role` names, or a choice on a
/// terminal among the organization's roles, least privileged first.
fn choose_roles(session: &mut Session<'_>, given: &[String]) -> Result<Vec<String>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let roles = {
        let t = session.read()?;
        let org = t.org()?;
        user::offered_roles(&*t.tx, &org)?
    };
    let names: Vec<(String, String)> = roles.into_iter().map(|r| (r.name, r.display_name)).collect();
    let items: Vec<String> = names.iter().map(|(n, d)| format!("{n} ({d})")).collect();
    // Enter must never make an administrator: start on read-only.
    let start = names.iter().position(|(n, _)| n == "read-only").unwrap_or(0);
    let pick = dialoguer::Select::new().with_prompt("Role for the new member").items(&items).default(start).interact()?;
    Ok(vec![names[pick].0.clone()])
}

pub(super) fn add(ctx: &Ctx, a: AddArgs) -> Result<()> {
    let mut args = user::AddArgs {
        emails: a.emails,
        roles: a.roles,
        first_name: a.first_name,
        last_name: a.last_name,
        username: a.username,
        group: a.group,
        no_send: a.no_send,
        if_missing: a.if_missing,
        keep_going: a.keep_going,
    };
    let checked = user::additions(&args)?;
    if args.roles.is_empty() && !ctx.interactive() {
        return Err(AppError::new(Kind::Usage, "--role is required when there is no terminal to ask")
            .with_hint("pass --role ROLE (see 'acct role list')")
            .into());
    }
    let mut session = ctx.session()?;
    args.roles = choose_roles(&mut session, &args.roles)?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let added = user::add(&mut *t.tx, &t.actor, &org, &ctx.config, &args, checked)?;
    t.finish()?;
    let sent = session.deliver(added.mails.iter().map(|m| (&added.permit, m.clone())).collect())?;
    let rows = added.rows;
    let org = ctx.org_slug().unwrap_or_default();
    for row in &rows {
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
    if ctx.format_given().is_some() {
        let shown = rows
            .iter()
            .map(|row| {
                let outcome = match &row.outcome {
                    Ok(o) => o.name().to_string(),
                    Err(e) => format!("error: {}", crate::error::classify(e).message),
                };
                vec![json!(row.email), json!(row.id), json!(row.username), json!(outcome)]
            })
            .collect();
        crate::cli::print_rows(ctx, &["email", "id", "username", "outcome"], shown)?;
    }
    crate::cli::invite::report(ctx, &sent)?;
    let outcomes: Vec<service::Outcome<()>> =
        rows.into_iter().map(|row| service::Outcome { target: row.email, result: row.outcome.map(|_| ()) }).collect();
    crate::cli::report_partial(ctx, &outcomes)
}
