//! `acct user list`.

use super::*;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Columns in this order (comma-separated) [columns: see below]
    #[arg(long, visible_alias = "fields", value_name = "C,...", conflicts_with = "all_columns", add = crate::cli::complete::field_list())]
    columns: Option<String>,
    /// Every column
    #[arg(long)]
    all_columns: bool,
    /// Pick and order the columns on a terminal; saved as [list] columns
    #[arg(long, conflicts_with_all = ["columns", "all_columns"])]
    choose_columns: bool,
    #[command(flatten)]
    filters: FilterArgs,
    /// At most N rows
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Skip the first N rows
    #[arg(long, value_name = "N", default_value_t = 0)]
    offset: u64,
    /// Every row (tables show 100 by default)
    #[arg(long, conflicts_with = "limit")]
    all: bool,
    /// CSV/TSV cells as stored, without formula neutralisation
    #[arg(long)]
    raw: bool,
}

/// Columns: --columns, --all-columns, config [list] columns, the default.
pub(super) fn list_columns(ctx: &Ctx, a: &ListArgs) -> Result<Vec<Column>> {
    if let Some(c) = &a.columns {
        return Ok(crate::config::columns(c)?);
    }
    // JSON objects carry every field unless columns are asked for; the
    // configured columns are a preference for people, not for programs.
    let json = matches!(ctx.format_given(), Some(Format::Json | Format::Jsonl));
    if a.all_columns || json {
        return Ok(Column::ALL.to_vec());
    }
    if let Some(c) = ctx.config.value("list.columns")? {
        return Ok(crate::config::columns(&c)?);
    }
    Ok(Column::LIST_DEFAULT.to_vec())
}

/// Tick and order columns on a terminal; saves `list.columns`.
pub(super) fn choose_columns(ctx: &mut Ctx, current: &[Column]) -> Result<Vec<Column>> {
    if !ctx.interactive() {
        return Err(AppError::new(Kind::Usage, "--choose-columns needs a terminal")
            .with_hint("use --columns C,... or 'acct config set list.columns C,...'")
            .into());
    }
    let all = Column::ALL;
    let checked: Vec<bool> = all.iter().map(|c| current.contains(c)).collect();
    let names: Vec<&str> = all.iter().map(|c| c.name()).collect();
    let picked = dialoguer::MultiSelect::new()
        .with_prompt("Columns to show (space toggles, enter accepts)")
        .items(&names)
        .defaults(&checked)
        .interact()?;
    if picked.is_empty() {
        return Err(AppError::new(Kind::Usage, "no column chosen; nothing was saved").into());
    }
    // Keep the current order for columns already shown, then the new ones.
    let mut chosen: Vec<Column> = current.iter().copied().filter(|c| picked.iter().any(|i| all[*i] == *c)).collect();
    chosen.extend(picked.iter().map(|i| all[*i]).filter(|c| !current.contains(c)));
    let chosen_names: Vec<&str> = chosen.iter().map(|c| c.name()).collect();
    let order = dialoguer::Sort::new()
        .with_prompt("Order the columns (space picks up/drops, arrows move, enter accepts)")
        .items(&chosen_names)
        .interact()?;
    let ordered: Vec<Column> = order.into_iter().map(|i| chosen[i]).collect();
    let value = ordered.iter().map(|c| c.name()).collect::<Vec<_>>().join(",");
    ctx.config.set("list.columns", &value, false)?;
    ctx.note(format!("saved list.columns = {value}"));
    Ok(ordered)
}

/// Rows a table shows unless --all or --limit says otherwise.
const TABLE_PAGE: u64 = 100;

pub(super) fn list(ctx: &mut Ctx, a: ListArgs) -> Result<()> {
    let mut columns = list_columns(ctx, &a)?;
    if a.choose_columns {
        columns = choose_columns(ctx, &columns)?;
    }
    let format = ctx.format_or(Format::Table);
    let table = format == Format::Table;
    let limit = a.limit.or((!a.all && table).then_some(TABLE_PAGE));
    let page = Page { limit, offset: a.offset };
    let filters: Filters = a.filters.clone().into();
    let mut session = ctx.session()?;
    let t = session.read()?;
    let org = t.org()?;
    let mut names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    let mut out = ctx.stdout();
    let note = if filters.status.as_deref() == Some("removed") {
        let (rows, total) = user_list::trash(&*t.tx, &t.actor, &org, &filters, &page)?;
        names.extend(["removed_at".to_string(), "purge_at".to_string()]);
        let mut sink = Sink::new(Box::new(&mut out), format, ctx.style(), names.clone(), names, a.raw);
        for r in &rows {
            let mut row: Vec<serde_json::Value> = columns.iter().map(|c| c.value(&r.user)).collect();
            row.push(json!(r.removed_at));
            row.push(json!(user::purge_at(&r.removed_at)));
            sink.row(&row)?;
        }
        let n = sink.finish()?;
        match total {
            0 => Some("the trash of this organization is empty".to_string()),
            _ => page_note(n, Some(total), page.offset, limit.is_some()),
        }
    } else {
        let mut sink = Sink::new(Box::new(&mut out), format, ctx.style(), names.clone(), names, a.raw);
        let text = sink.takes_text();
        let (shown, total) = user_list::list(&*t.tx, &t.actor, &org, &filters, &columns, &page, &mut |u| {
            if text {
                sink.text_row(columns.iter().map(|c| c.text(u)))
            } else {
                sink.row(&columns.iter().map(|c| c.value(u)).collect::<Vec<_>>())
            }
        })?;
        sink.finish()?;
        page_note(shown, total, page.offset, table)
    };
    drop(out);
    if let Some(note) = note {
        ctx.note(note);
    }
    Ok(())
}

/// What stderr says about a page of `shown` rows at `offset` of `total`
/// matches (`None`: not counted, because nothing was left out).
fn page_note(shown: u64, total: Option<u64>, offset: u64, table: bool) -> Option<String> {
    let t = total.unwrap_or(shown);
    if t == 0 {
        return Some("no members match".into());
    }
    if shown == 0 {
        return Some(format!("no members past offset {offset}: {t} match"));
    }
    let after = t.saturating_sub(offset + shown);
    let hint = if table && after > 0 { "; use --all or --limit N to see more" } else { "" };
    match (offset, after) {
        (0, 0) => None,
        (0, after) => Some(format!("showing {shown} of {t} users ({after} left out){hint}")),
        (o, 0) => Some(format!("showing users {}–{} of {t} (the last ones)", o + 1, o + shown)),
        (o, after) => Some(format!("showing users {}–{} of {t} ({after} more after these){hint}", o + 1, o + shown)),
    }
}

#[cfg(test)]
mod tests {
    use super::page_note;

    #[test]
    fn page_notes() {
        assert_eq!(page_note(0, None, 0, true).as_deref(), Some("no members match"));
        assert_eq!(page_note(3, None, 0, true), None);
        assert_eq!(
            page_note(100, Some(150), 0, true).as_deref(),
            Some("showing 100 of 150 users (50 left out); use --all or --limit N to see more")
        );
        assert_eq!(page_note(0, Some(3), 50, true).as_deref(), Some("no members past offset 50: 3 match"));
        assert_eq!(page_note(2, Some(3), 1, true).as_deref(), Some("showing users 2–3 of 3 (the last ones)"));
        assert_eq!(page_note(1, Some(3), 1, false).as_deref(), Some("showing users 2–2 of 3 (1 more after these)"));
    }
}
