//! `user list` and `user export`: the members of the current organization,
//! filtered and sorted in the database and streamed row by row.

use super::{group_in, member, role_in};
use crate::authz::{self, Perm, Request, Status};
use crate::error::{AppError, Kind, Result, one_line};
use crate::output::{Format, Sink};
use crate::service::session::Ctx;
use crate::store::{Column, Tx, User, UserQuery};

/// The filters shared by list and export.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub status: Option<String>,
    pub role: Option<String>,
    pub group: Option<String>,
    pub two_factor: Option<String>,
    pub search: Option<String>,
    pub sort: Vec<String>,
}

pub const TABLE_PAGE: u64 = 100;

/// `FIELD[:asc|:desc]`
pub fn parse_sort(s: &str) -> Result<(Column, bool), AppError> {
    let (name, dir) = s.rsplit_once(':').unwrap_or((s, "asc"));
    let col = Column::parse(name).ok_or_else(|| {
        AppError::new(Kind::Usage, format!("cannot sort by '{}': no such column", one_line(name)))
            .with_hint(format!("columns: {}", Column::ALL.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")))
    })?;
    match dir {
        "asc" => Ok((col, false)),
        "desc" => Ok((col, true)),
        _ => Err(AppError::new(Kind::Usage, format!("invalid sort direction '{}': use :asc or :desc", one_line(dir)))),
    }
}

/// Resolve the filters into a query for the organization.
fn query(tx: &dyn Tx, org: &crate::store::Org, f: &Filters) -> Result<UserQuery> {
    let status = f
        .status
        .as_deref()
        .map(|s| {
            Status::parse(s).ok_or_else(|| {
                AppError::new(Kind::Usage, format!("invalid status '{}': use invited, active, inactive or removed", one_line(s)))
            })
        })
        .transpose()?;
    let two_factor = match f.two_factor.as_deref() {
        None => None,
        Some(m @ ("none" | "email" | "sms" | "app")) => Some(m.to_string()),
        Some(m) => {
            return Err(
                AppError::new(Kind::Usage, format!("invalid 2FA method '{}': use none, email, sms or app", one_line(m))).into()
            );
        }
    };
    Ok(UserQuery {
        org: org.id,
        ids: None,
        status,
        role: f.role.as_deref().map(|r| role_in(tx, Some(org), r).map(|r| r.id)).transpose()?,
        group: f.group.as_deref().map(|g| group_in(tx, org, g).map(|g| g.id)).transpose()?,
        two_factor,
        sms_auto_send: None,
        search: f.search.clone().filter(|s| !s.is_empty()),
        sort: f.sort.iter().map(|s| parse_sort(s)).collect::<Result<_, _>>()?,
        limit: None,
        offset: 0,
        without_roles: false,
        without_groups: false,
        columns: None,
    })
}

/// Leave out the subqueries of the columns nobody shows or sorts by.
fn only(q: &mut UserQuery, shown: &[Column]) {
    let used = |c: Column| shown.contains(&c) || q.sort.iter().any(|(s, _)| *s == c);
    q.without_roles = !used(Column::Role);
    q.without_groups = !used(Column::Groups);
    q.columns = Some(shown.to_vec());
}

pub struct Page {
    pub limit: Option<u64>,
    pub offset: u64,
    pub all: bool,
}

/// Write the list to `out`; returns (rows shown, rows matching).
pub fn list(ctx: &Ctx, f: &Filters, columns: &[Column], page: &Page, raw: bool) -> Result<(u64, Option<u64>)> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let seen = authz::decide(&actor, &Request::Read { org: &org.facts(), perm: Perm::UserRead })?;
    let format = ctx.format_or(Format::Table);
    if f.status.as_deref() == Some("removed") {
        return list_removed(ctx, &*tx, &seen, &org, f, columns, page, raw);
    }
    let mut q = query(&*tx, &org, f)?;
    only(&mut q, columns);
    q.offset = page.offset;
    q.limit = match (page.limit, page.all, format) {
        (Some(l), _, _) => Some(l),
        (None, true, _) => None,
        (None, false, Format::Table) => Some(TABLE_PAGE),
        (None, false, _) => None,
    };
    let mut out = ctx.stdout();
    let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    let mut sink = Sink::new(Box::new(&mut out), format, ctx.style(), names.clone(), names, raw);
    let text = sink.takes_text();
    let shown = tx.users(&seen, &q, &mut |u: &User| {
        if text {
            sink.text_row(columns.iter().map(|c| c.text(u)))
        } else {
            sink.row(&columns.iter().map(|c| c.value(u)).collect::<Vec<_>>())
        }
    })?;
    sink.finish()?;
    drop(out);
    let total = if q.limit.is_some_and(|l| shown >= l) || q.offset > 0 {
        Some(tx.count_users(&seen, &UserQuery { limit: None, offset: 0, ..q.clone() })?)
    } else {
        None
    };
    if let Some(note) = page_note(shown, total, q.offset, format == Format::Table) {
        ctx.note(note);
    }
    Ok((shown, total))
}

/// `user list --status removed`: the users in the trash who were removed
/// from the organization, with the roles they had there and the columns
/// `removed_at` and `purge_at`; oldest removal first.
fn list_removed(
    ctx: &Ctx,
    tx: &dyn Tx,
    seen: &authz::Permit,
    org: &crate::store::Org,
    f: &Filters,
    columns: &[Column],
    page: &Page,
    raw: bool,
) -> Result<(u64, Option<u64>)> {
    if f.role.is_some() || f.group.is_some() || !f.sort.is_empty() {
        return Err(AppError::new(Kind::Usage, "--status removed goes with --search, --two-factor, --limit and --offset only")
            .with_hint("the trash keeps no group memberships; it lists the oldest removal first")
            .into());
    }
    let needle = f.search.as_deref().map(str::to_lowercase).filter(|s| !s.is_empty());
    let mut rows = Vec::new();
    for id in tx.trashed_from(seen, org.id)? {
        let (Some(mut u), Some(info)) = (tx.user(id, None)?, tx.trash_info(id)?) else { continue };
        if f.two_factor.as_deref().is_some_and(|m| m != u.two_factor) {
            continue;
        }
        let hay = [Some(&u.email), Some(&u.username), u.first_name.as_ref(), u.last_name.as_ref(), u.full_name.as_ref()];
        if needle.as_ref().is_some_and(|n| !hay.iter().flatten().any(|h| h.to_lowercase().contains(n.as_str()))) {
            continue;
        }
        u.roles = info.roles.clone();
        u.status = "removed".into();
        let mut row: Vec<serde_json::Value> = columns.iter().map(|c| c.value(&u)).collect();
        row.push(serde_json::json!(info.trashed_at));
        row.push(serde_json::json!(super::user::purge_at(&info.trashed_at)));
        rows.push(row);
    }
    let total = rows.len() as u64;
    let limit = page.limit.or((!page.all && ctx.format_or(Format::Table) == Format::Table).then_some(TABLE_PAGE));
    let shown: Vec<_> = rows.into_iter().skip(page.offset as usize).take(limit.map_or(usize::MAX, |l| l as usize)).collect();
    let mut names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    names.extend(["removed_at".to_string(), "purge_at".to_string()]);
    let mut out = ctx.stdout();
    let mut sink = Sink::new(Box::new(&mut out), ctx.format_or(Format::Table), ctx.style(), names.clone(), names, raw);
    for r in &shown {
        sink.row(r)?;
    }
    let n = sink.finish()?;
    drop(out);
    let note = if total == 0 {
        Some("the trash of this organization is empty".to_string())
    } else {
        page_note(n, Some(total), page.offset, limit.is_some())
    };
    if let Some(note) = note {
        ctx.note(note);
    }
    Ok((n, Some(total)))
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

pub struct ExportArgs<'a> {
    pub users: &'a [String],
    pub fields: &'a [Column],
    pub filters: &'a Filters,
    pub labels: bool,
    pub raw: bool,
    pub format: Format,
    pub limit: Option<u64>,
}

/// Stream the selected members into `out`; returns the number of rows.
pub fn export(ctx: &Ctx, a: &ExportArgs<'_>, out: &mut dyn std::io::Write) -> Result<u64> {
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let seen = authz::decide(&actor, &Request::Read { org: &org.facts(), perm: Perm::UserExport })?;
    if a.filters.status.as_deref() == Some("removed") {
        return Err(AppError::new(Kind::Usage, "export writes members; users in the trash are not members")
            .with_hint("see them with 'acct user list --status removed --format csv'")
            .into());
    }
    let mut q = query(&*tx, &org, a.filters)?;
    only(&mut q, a.fields);
    q.limit = a.limit;
    if !a.users.is_empty() {
        let ids = a.users.iter().map(|u| member(&*tx, &org, u).map(|s| s.id)).collect::<Result<Vec<_>>>()?;
        q.ids = Some(ids);
    }
    let names: Vec<String> = a.fields.iter().map(|c| c.name().to_string()).collect();
    let header: Vec<String> = if a.labels { a.fields.iter().map(|c| c.label().to_string()).collect() } else { names.clone() };
    let mut sink = Sink::new(Box::new(out), a.format, ctx.style(), names, header, a.raw);
    let mut row = Vec::with_capacity(a.fields.len());
    let text = sink.takes_text();
    tx.users(&seen, &q, &mut |u: &User| {
        if text {
            return sink.text_row(a.fields.iter().map(|c| c.text(u)));
        }
        row.clear();
        row.extend(a.fields.iter().map(|c| c.value(u)));
        sink.row(&row)
    })?;
    sink.finish()
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
