//! `acct user import`.

use super::*;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV file, or - for stdin
    #[arg(value_name = "FILE|-")]
    file: String,
    /// Record invitations as pending; deliver later with 'acct invite send --all'
    #[arg(long)]
    no_send: bool,
    /// Skip rows whose address is already a member
    #[arg(long)]
    if_missing: bool,
    /// Write one CSV line per input row with its outcome
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
}

pub(super) fn import(ctx: &Ctx, a: ImportArgs) -> Result<()> {
    use crate::service::import::{self, Outcome};
    // The report's path is checked, and its file created, before anything is read or imported.
    let report = a.report.as_deref().map(|p| crate::cli::output_file(ctx, p, Some(&a.file))).transpose()?;
    let source = import::open_input(&a.file)?.start()?;
    if !source.ignored.is_empty() {
        ctx.note(format!("note: ignoring the column(s) {}: 'user import' does not set them", source.ignored.join(", ")));
    }
    let opts = import::Options { no_send: a.no_send, if_missing: a.if_missing, plan_only: ctx.dry_run };
    let mut session = ctx.session()?;
    session.store().set_bulk_mode(true)?;
    let mut t = session.start_transaction()?;
    let org = t.org()?;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let shows_progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && !ctx.quiet;
    let mut progress = |written: u64, of: u64| {
        if !shows_progress {
            return;
        }
        let b = bar.get_or_insert_with(|| {
            let b = indicatif::ProgressBar::new(of);
            b.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        b.set_position(written);
    };
    let imported = import::import(&mut *t.tx, &t.actor, &org, &ctx.config, source, &opts, &mut progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let mut r = imported?;
    let sent = if r.applied {
        t.finish()?;
        session.store().set_bulk_mode(false)?;
        let sent = session.deliver(r.mails.iter().map(|m| (&r.permit, m.clone())).collect())?;
        r.lines.mark_failed(&sent);
        sent
    } else {
        drop(t);
        vec![]
    };
    let errors = r.counts.errors;
    let aborted = !r.applied && !ctx.dry_run;
    if let Some(file) = report {
        let written = file.write(|w| {
            let names = vec!["line".to_string(), "email".to_string(), "outcome".to_string()];
            let mut sink = crate::output::Sink::new(Box::new(w), Format::Csv, ctx.style(), names.clone(), names, false);
            r.lines.each(|l| sink.row(&[json!(l.line), json!(l.email), json!(l.outcome.text(r.applied, aborted))]))?;
            sink.finish()
        });
        match written {
            Err(e) if r.applied => {
                return Err(crate::cli::report_not_written(
                    &e,
                    "the import was committed",
                    "do not import the file again: its rows are members now ('acct user list' shows them)",
                ));
            }
            other => {
                other?;
            }
        }
    }
    let (add, join, skip) = (r.counts.add, r.counts.join, r.counts.skip);
    if ctx.dry_run {
        crate::cli::print_rows_from(ctx, &["line", "email", "plan"], |sink| {
            r.lines.each(|l| sink.row(&[json!(l.line), json!(l.email), json!(l.outcome.text(false, false))]))
        })?;
        ctx.note(format!(
            "plan: {} to add ({add} new, {join} existing accounts), {skip} already present, {errors} in error",
            add + join
        ));
        ctx.note("dry run: nothing was changed");
        if errors > 0 {
            // The plan on stdout has the rows in error; scripts get them in the JSON error too.
            if !matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl)) {
                return Err(AppError::new(Kind::Invalid, format!("{errors} row(s) have errors")).into());
            }
            let mut rows = crate::cli::ErrorRows::new(ctx, false);
            r.lines.each(|l| match &l.outcome {
                Outcome::Error(m) => rows.row(Some(l.line), &l.email, m),
                _ => Ok(()),
            })?;
            let details = rows.finish()?;
            return Err(AppError::new(Kind::Invalid, format!("{errors} row(s) have errors")).with_details(details).into());
        }
        return Ok(());
    }
    if aborted {
        // One error for the command; the rows in error are data (SPEC §5).
        let mut not_utf8 = false;
        let mut rows = crate::cli::ErrorRows::new(ctx, true);
        r.lines.each(|l| match &l.outcome {
            Outcome::Error(m) => {
                not_utf8 |= m.ends_with(import::NOT_UTF8);
                rows.row(Some(l.line), &l.email, m)
            }
            _ => Ok(()),
        })?;
        let details = rows.finish()?;
        return Err(AppError::new(
            Kind::Invalid,
            format!("{errors} of {} row(s) have errors; nothing was imported", r.counts.total()),
        )
        .with_hint(if not_utf8 {
            format!("the file is not UTF-8: {}", import::UTF8_HINT)
        } else {
            "fix them, or see each row's outcome with --report FILE".to_string()
        })
        .with_details(details)
        .into());
    }
    ctx.note(format!("imported {} row(s): {add} invited, {join} existing accounts added, {skip} skipped", add + join + skip));
    crate::cli::invite::report(ctx, &sent)
}
