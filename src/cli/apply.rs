//! `acct apply`: the members of the current organization as a file.

use crate::error::{AppError, Kind, Result};
use crate::output::Format;
use crate::service::apply::{self, Outcome, Plan};
use crate::service::session::Ctx;
use clap::{Args, ValueEnum};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// CSV file with a header (JSON Lines when it ends in .jsonl), or - for stdin
    #[arg(value_name = "FILE|-")]
    file: String,
    /// The format of FILE [default: jsonl for a .jsonl file, else csv]
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormat>,
    /// Also remove the members who are not in the file (asks on a terminal; --yes otherwise)
    #[arg(long)]
    prune: bool,
    /// Apply the rows that are allowed, report each refused one, exit 7
    #[arg(long)]
    keep_going: bool,
    /// Write one CSV line per input row with its outcome
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Record the invitations of new members as pending; deliver later with 'acct invite send --all'
    #[arg(long)]
    no_send: bool,
}

pub const AFTER_HELP: &str = "\
The file is keyed by email. Every other column is optional: first_name, last_name, full_name,
initials, phone, timezone, notify, robot, active, sso_disabled, sms_auto_send, require_2fa,
primary_group, groups (;-separated: exactly these additional groups) and role (;-separated:
exactly these roles). An absent column leaves that attribute alone; an empty cell clears it.
A row whose address is not a member adds it (invited; the row needs a role). id and username
are checked against the address; the other columns of 'acct user export' are ignored.

The plan is printed first (+ add, ~ change, - remove), then applied in one transaction: every
change is decided as the command that makes it alone would be, and one refused row changes
nothing unless --keep-going.

Examples:
  acct user export --fields email,first_name,last_name,role -o team.csv
  acct apply team.csv --dry-run
  acct apply team.csv --report outcome.csv
  acct apply team.jsonl --prune --yes";

/// The exit status of a refused row, as a kind.
fn kind_of(code: u8) -> Kind {
    match code {
        2 => Kind::Usage,
        3 => Kind::NotFound,
        4 => Kind::Denied,
        5 => Kind::Conflict,
        6 => Kind::Invalid,
        _ => Kind::Failure,
    }
}

fn summary(plan: &Plan) -> String {
    let c = plan.counts;
    if c.changes() == 0 && c.errors == 0 {
        return "no changes".into();
    }
    let mut s = format!("plan: {} to add, {} to change, {} to remove, {} unchanged", c.add, c.change, c.remove, c.unchanged);
    if c.errors > 0 {
        s.push_str(&format!(", {} refused", c.errors));
    }
    s
}

/// The plan on stdout: one line per change, or the changes as data.
fn print_plan(ctx: &Ctx, plan: &mut Plan) -> Result<()> {
    match ctx.format_or(Format::Table) {
        Format::Table => {
            let mut out = ctx.stdout();
            plan.changes.each(|c| Ok(writeln!(out, "{}", apply::plan_line(&c))?))?;
            out.flush()?;
        }
        _ => super::print_rows_from(ctx, &["line", "action", "email", "field", "old", "new"], |sink| {
            plan.changes.each(|c| sink.row(&[json!(c.line), json!(c.action), json!(c.email), json!(c.field), c.old, c.new]))
        })?,
    }
    Ok(())
}

/// What applying the input did.
struct Applied {
    plan: Plan,
    /// The transaction committed (not a dry run, and nothing refused or `--keep-going`).
    committed: bool,
    sent: Vec<crate::service::invite::Sent>,
}

/// Apply the input in one write transaction. `show` gets the plan before
/// anything is committed (the confirmation of `--prune` comes after it).
fn apply_input(
    ctx: &Ctx,
    input: Box<dyn std::io::Read>,
    jsonl: bool,
    opts: &apply::Options,
    show: &mut dyn FnMut(&mut Plan) -> Result<()>,
) -> Result<Applied> {
    if opts.prune && !ctx.yes && !ctx.dry_run && !ctx.interactive() {
        return Err(AppError::new(Kind::Usage, "--prune removes members, and there is no terminal to confirm it")
            .with_hint("pass --yes to confirm, or --dry-run to see the plan")
            .into());
    }
    // Asking about --prune on a terminal reads the input twice (the question
    // is asked with no transaction open, then the input applied on fresh
    // facts): a copy is kept for the second reading.
    let asks = opts.prune && !ctx.yes && !ctx.dry_run && ctx.interactive();
    let mut input = Some(input);
    let copy = match (asks, input.as_mut()) {
        (true, Some(i)) => {
            let mut f = tempfile::tempfile()?;
            std::io::copy(i, &mut f)?;
            Some(f)
        }
        _ => None,
    };
    let bar = (std::io::IsTerminal::is_terminal(&std::io::stderr()) && !ctx.quiet).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos} rows {per_sec}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    });
    let mut session = ctx.session()?;
    session.store().set_bulk_mode(true)?;
    let (plan, mails, keep) = session.write_confirmed(|tx, actor, ask, again| {
        let reading: Box<dyn std::io::Read> = match &copy {
            Some(f) => {
                let mut f = f.try_clone()?;
                std::io::Seek::rewind(&mut f)?;
                Box::new(f)
            }
            None => input.take().ok_or_else(|| anyhow::anyhow!("internal error: the input was read twice"))?,
        };
        let source = apply::input::Source::open(reading, jsonl)?;
        let org = ctx.org(&*tx)?;
        let mut quiet = |_: &mut Plan| Ok(());
        let mut progress = |n: u64| {
            if let Some(b) = &bar
                && n.is_multiple_of(1024)
            {
                b.set_position(n);
            }
        };
        let hooks = apply::Hooks { show: if again { &mut quiet } else { &mut *show }, ask, progress: &mut progress };
        let done = apply::apply(tx, actor, &org, &ctx.config, source, opts, hooks);
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        let (plan, mails, keep) = done?;
        Ok(((plan, mails, keep), keep))
    })?;
    if !keep || ctx.dry_run {
        return Ok(Applied { plan, committed: false, sent: vec![] });
    }
    session.store().set_bulk_mode(false)?;
    let sent = session.deliver(mails.iter().map(|(p, m)| (p, m.clone())).collect())?;
    Ok(Applied { plan, committed: true, sent })
}

pub fn run(a: ApplyArgs, ctx: &Ctx) -> Result<()> {
    // The report's path is checked, and its file created, before anything is read or applied.
    let report = a.report.as_deref().map(|p| super::output_file(ctx, p, Some(&a.file))).transpose()?;
    let jsonl = match a.input_format {
        Some(f) => f == InputFormat::Jsonl,
        None => a.file.ends_with(".jsonl"),
    };
    let input = apply::input::open_input(&a.file)?;
    let opts = apply::Options { prune: a.prune, keep_going: a.keep_going, no_send: a.no_send };
    let refused_stops = !a.keep_going && !ctx.dry_run;
    let mut show = |plan: &mut Plan| -> Result<()> {
        if !plan.ignored.is_empty() {
            ctx.note(format!("note: ignoring the column(s) {}: apply does not set them", plan.ignored.join(", ")));
        }
        if plan.counts.errors > 0 && refused_stops {
            return Ok(());
        }
        print_plan(ctx, plan)?;
        ctx.note(summary(plan));
        Ok(())
    };
    let mut r = apply_input(ctx, input, jsonl, &opts, &mut show)?;
    let c = r.plan.counts;
    let aborted = c.errors > 0 && refused_stops;
    if let Some(file) = report {
        let written = file.write(|w| {
            let names = vec!["line".to_string(), "email".to_string(), "outcome".to_string()];
            let mut sink = crate::output::Sink::new(Box::new(w), Format::Csv, ctx.style(), names.clone(), names, false);
            r.plan.rows.each(|l| sink.row(&[json!(l.line), json!(l.email), json!(l.outcome.text(aborted))]))?;
            sink.finish()
        });
        if let Err(e) = written {
            if r.committed {
                return Err(crate::cli::report_not_written(
                    &e,
                    "the changes were committed",
                    "applying the file again changes nothing more; 'acct audit list' shows what was done",
                ));
            }
            return Err(e);
        }
    }
    if c.errors > 0 {
        // One error for the command; the refused rows are data, as for
        // `user import`: on stdout when the plan was not printed, else on
        // stderr after it.
        let mut refused = super::ErrorRows::new(ctx, aborted);
        r.plan.rows.each(|l| match &l.outcome {
            Outcome::Error(m, _) => refused.row(l.line, &l.email, m),
            _ => Ok(()),
        })?;
        let details = refused.finish()?;
        let rows = c.total();
        if a.keep_going {
            crate::cli::invite::report(ctx, &r.sent)?;
            let done = if ctx.dry_run { "the others would be applied" } else { "the others were applied" };
            return Err(AppError::new(Kind::Partial, format!("{} of {rows} row(s) were refused; {done}", c.errors))
                .with_details(details)
                .into());
        }
        let kind = kind_of(r.plan.first_error.unwrap_or(6));
        return Err(AppError::new(kind, format!("{} of {rows} row(s) were refused; nothing was applied", c.errors))
            .with_hint("fix them, apply the others with --keep-going, or see each row's outcome with --report FILE")
            .with_details(details)
            .into());
    }
    if r.committed {
        ctx.note(format!("applied: {} added, {} changed, {} removed", c.add, c.change, c.remove));
    }
    crate::cli::invite::report(ctx, &r.sent)
}

#[cfg(test)]
mod tests {
    use crate::store::Column;

    /// The help names every column a row may set, in the list order, then
    /// the groups and the roles.
    #[test]
    fn help_names_every_column_apply_sets() {
        let named = super::AFTER_HELP.split_once("optional: ").unwrap().1;
        let named = named.split_once(" (;-separated").unwrap().0;
        let named: Vec<&str> = named.split([',', '\n', ' ']).filter(|w| !w.is_empty()).collect();
        let settable: Vec<&str> = Column::ALL
            .iter()
            .filter(|c| crate::service::apply::input::editable(**c) && **c != Column::Role)
            .map(|c| c.name())
            .collect();
        assert_eq!(named, settable);
        assert!(super::AFTER_HELP.contains(") and role (;-separated"));
    }
}
