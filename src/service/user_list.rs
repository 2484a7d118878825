//! `user list` and `user export`: the members of the current organization,
//! filtered and sorted in the database and streamed row by row.

use super::{group_in, member, role_in};
use crate::authz::{self, Perm, Request, Status, Subject};
use crate::error::{AppError, Kind, Result, one_line};
use crate::store::{Column, Org, Tx, User, UserQuery, UserSink};

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
fn query(tx: &dyn Tx, org: &Org, f: &Filters) -> Result<UserQuery> {
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

/// A page of rows: at most `limit`, after skipping `offset`.
pub struct Page {
    pub limit: Option<u64>,
    pub offset: u64,
}

/// Stream the members matching `f` to `each`, in order; returns the rows
/// given and, when the page left some out (or skipped some), how many match.
pub fn list(
    tx: &dyn Tx,
    actor: &Subject,
    org: &Org,
    f: &Filters,
    columns: &[Column],
    page: &Page,
    each: &mut UserSink<'_>,
) -> Result<(u64, Option<u64>)> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::UserRead })?;
    let mut q = query(tx, org, f)?;
    only(&mut q, columns);
    q.offset = page.offset;
    q.limit = page.limit;
    let shown = tx.users(&seen, &q, each)?;
    let total = if q.limit.is_some_and(|l| shown >= l) || q.offset > 0 {
        Some(tx.count_users(&seen, &UserQuery { limit: None, offset: 0, ..q.clone() })?)
    } else {
        None
    };
    Ok((shown, total))
}

/// One user in the trash, removed from the organization: the record as it
/// was there (its roles, status `removed`) and when it was removed.
pub struct Trashed {
    pub user: User,
    pub removed_at: String,
}

/// `user list --status removed`: the page of users in the trash who were
/// removed from the organization, oldest removal first, and how many match.
pub fn trash(tx: &dyn Tx, actor: &Subject, org: &Org, f: &Filters, page: &Page) -> Result<(Vec<Trashed>, u64)> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::UserRead })?;
    if f.role.is_some() || f.group.is_some() || !f.sort.is_empty() {
        return Err(AppError::new(Kind::Usage, "--status removed goes with --search, --two-factor, --limit and --offset only")
            .with_hint("the trash keeps no group memberships; it lists the oldest removal first")
            .into());
    }
    let needle = f.search.as_deref().map(str::to_lowercase).filter(|s| !s.is_empty());
    let mut rows = Vec::new();
    for id in tx.trashed_from(&seen, org.id)? {
        let (Some(mut u), Some(info)) = (tx.user(id, None)?, tx.trash_info(id)?) else { continue };
        if f.two_factor.as_deref().is_some_and(|m| m != u.two_factor) {
            continue;
        }
        let hay = [Some(&u.email), Some(&u.username), u.first_name.as_ref(), u.last_name.as_ref(), u.full_name.as_ref()];
        if needle.as_ref().is_some_and(|n| !hay.iter().flatten().any(|h| h.to_lowercase().contains(n.as_str()))) {
            continue;
        }
        u.roles = info.roles;
        u.status = "removed".into();
        rows.push(Trashed { user: u, removed_at: info.trashed_at });
    }
    let total = rows.len() as u64;
    let shown = rows.into_iter().skip(page.offset as usize).take(page.limit.map_or(usize::MAX, |l| l as usize)).collect();
    Ok((shown, total))
}

/// What `user export` selects.
pub struct ExportArgs<'a> {
    pub users: &'a [String],
    pub fields: &'a [Column],
    pub filters: &'a Filters,
    pub limit: Option<u64>,
}

/// Stream the selected members to `each`; returns the number of rows.
pub fn export(tx: &dyn Tx, actor: &Subject, org: &Org, a: &ExportArgs<'_>, each: &mut UserSink<'_>) -> Result<u64> {
    let seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::UserExport })?;
    if a.filters.status.as_deref() == Some("removed") {
        return Err(AppError::new(Kind::Usage, "export writes members; users in the trash are not members")
            .with_hint("see them with 'acct user list --status removed --format csv'")
            .into());
    }
    let mut q = query(tx, org, a.filters)?;
    only(&mut q, a.fields);
    q.limit = a.limit;
    if !a.users.is_empty() {
        let ids = a.users.iter().map(|u| member(tx, org, u).map(|s| s.id)).collect::<Result<Vec<_>>>()?;
        q.ids = Some(ids);
    }
    tx.users(&seen, &q, each)
}
