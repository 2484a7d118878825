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
    ctx.config.set("list.columns", &value)?;
    ctx.note(format!("saved list.columns = {value}"));
    Ok(ordered)
}

pub(super) fn list(ctx: &mut Ctx, a: ListArgs) -> Result<()> {
    let mut columns = list_columns(ctx, &a)?;
    if a.choose_columns {
        columns = choose_columns(ctx, &columns)?;
    }
    let page = Page { limit: a.limit, offset: a.offset, all: a.all };
    user_list::list(ctx, &a.filters.clone().into(), &columns, &page, a.raw)?;
    Ok(())
}
