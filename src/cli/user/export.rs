//! `acct user export`.

use super::*;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Header {
    Names,
    Labels,
}

#[derive(Debug, Args)]
pub struct ExportFlags {
    /// Only these users [default: every member matching the filters]
    #[arg(value_name = "USER", add = crate::cli::complete::users())]
    users: Vec<String>,
    /// Fields in this order (comma-separated) [default: id,email,first_name,last_name,role,two_factor; fields: see below]
    #[arg(long, visible_alias = "columns", value_name = "F,...", add = crate::cli::complete::field_list())]
    fields: Option<String>,
    #[command(flatten)]
    filters: FilterArgs,
    /// Write to FILE (atomically) instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Header row: field names or display labels
    #[arg(long, value_enum, default_value = "names")]
    header: Header,
    /// Cells as stored, without formula neutralisation
    #[arg(long)]
    raw: bool,
    /// Start with a UTF-8 byte-order mark (for spreadsheets that otherwise guess a legacy encoding)
    #[arg(long)]
    bom: bool,
    /// At most N rows
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
}

/// The fields: --fields, a checkbox list on a terminal, or the defaults.
pub(super) fn export_fields(ctx: &Ctx, given: Option<&str>) -> Result<Vec<Column>> {
    if let Some(f) = given {
        return Ok(crate::config::columns(f)?);
    }
    if !ctx.interactive() {
        return Ok(Column::EXPORT_DEFAULT.to_vec());
    }
    let items: Vec<String> = Column::EXPORT_DEFAULT.iter().map(|c| format!("{} ({})", c.label(), c.name())).collect();
    let picked = dialoguer::MultiSelect::new()
        .with_prompt("Fields to export (space toggles, enter accepts)")
        .items(&items)
        .defaults(&[true; 6])
        .interact()?;
    if picked.is_empty() {
        return Err(AppError::new(Kind::Usage, "no field chosen; nothing was exported").into());
    }
    Ok(picked.into_iter().map(|i| Column::EXPORT_DEFAULT[i]).collect())
}

pub(super) fn export(ctx: &Ctx, a: ExportFlags) -> Result<()> {
    let format = ctx.format_or(Format::Csv);
    if format == Format::Table {
        return Err(AppError::new(Kind::Usage, "export writes csv, tsv, json or jsonl, not tables").into());
    }
    if a.bom && !matches!(format, Format::Csv | Format::Tsv) {
        return Err(AppError::new(Kind::Usage, "--bom goes with csv or tsv").into());
    }
    let fields = export_fields(ctx, a.fields.as_deref())?;
    let filters: Filters = a.filters.into();
    let args = ExportArgs { users: &a.users, fields: &fields, filters: &filters, limit: a.limit };
    let mut session = ctx.session()?;
    let t = session.read()?;
    let org = t.org()?;
    let names: Vec<String> = fields.iter().map(|c| c.name().to_string()).collect();
    let header: Vec<String> = match a.header {
        Header::Labels => fields.iter().map(|c| c.label().to_string()).collect(),
        Header::Names => names.clone(),
    };
    let write = |w: &mut dyn Write| -> Result<u64> {
        if a.bom {
            w.write_all("\u{feff}".as_bytes())?;
        }
        let mut sink = Sink::new(Box::new(w), format, ctx.style(), names.clone(), header.clone(), a.raw);
        let mut row = Vec::with_capacity(fields.len());
        let text = sink.takes_text();
        user_list::export(&*t.tx, &t.actor, &org, &args, &mut |u| {
            if text {
                return sink.text_row(fields.iter().map(|c| c.text(u)));
            }
            row.clear();
            row.extend(fields.iter().map(|c| c.value(u)));
            sink.row(&row)
        })?;
        sink.finish()
    };
    let n = match &a.output {
        None => {
            let mut out = ctx.stdout();
            write(&mut out)?
        }
        Some(path) => crate::cli::output_file(ctx, path, None)?.write(|w| write(w))?,
    };
    if let Some(p) = &a.output {
        ctx.note(format!("exported {n} users to {}", p.display()));
    }
    Ok(())
}
