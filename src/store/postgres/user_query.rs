//! The SQL of a user listing (`acct user list`, export, apply): the query
//! for a [`UserQuery`], its order, and the decoding of a user row by column
//! name. The same query as SQLite's; the order is SQLite's too (NULLs first
//! ascending, `lower()` of a `COLLATE "C"` column for NOCASE).

use super::tx::split;
use crate::store::model::{Column, User, UserQuery};
use crate::store::shared::column_at;
use postgres::Row;
use postgres::types::ToSql;

/// A parameter of a statement built at run time.
pub(super) type Arg = Box<dyn ToSql + Sync>;

/// The parameters as a statement takes them.
pub(super) fn arg_refs(args: &[Arg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
}

/// The query of a listing (or its count) and its arguments.
pub(super) fn user_query_sql(q: &UserQuery, count: bool) -> (String, Vec<Arg>) {
    let mut args: Vec<Arg> = vec![Box::new(q.org)];
    let filtered = q.ids.is_some()
        || q.status.is_some()
        || q.two_factor.is_some()
        || q.sms_auto_send.is_some()
        || q.role.is_some()
        || q.group.is_some()
        || q.search.is_some();
    if count && !filtered {
        return (format!("SELECT {} FROM orgs o WHERE o.id = $1", super::MEMBER_COUNT), args);
    }
    // A search or a sort on an indexed column reads from the users (the
    // search's trigram index, or the column's index); anything else runs
    // through the organization's memberships. The server picks the plan;
    // the order of the ties (the id) follows the table read first, as SQLite's.
    let from_users = q.search.is_some() || q.sort.first().is_some_and(|(c, _)| indexed(*c));
    let from = if from_users {
        "FROM users u JOIN memberships m ON m.org_id = $1 AND m.user_id = u.id"
    } else {
        "FROM memberships m JOIN users u ON u.id = m.user_id"
    };
    let mut sql = if count {
        format!("SELECT count(*) {from} WHERE m.org_id = $1")
    } else {
        let roles = if q.without_roles { "NULL::text" } else { ROLES_OF };
        let groups = if q.without_groups { "NULL::text" } else { GROUPS_OF };
        let wants = |c: Column| q.columns.as_ref().is_none_or(|cs| cs.contains(&c)) || q.sort.iter().any(|(s, _)| *s == c);
        let joins = if wants(Column::PrimaryGroup) || wants(Column::Organization) { USER_JOINS } else { "" };
        let columns = select_list(q.columns.as_deref());
        format!("SELECT {columns}, {roles} AS roles, {groups} AS groups {from} {joins} WHERE m.org_id = $1")
    };
    let arg = |v: Arg, args: &mut Vec<Arg>| {
        args.push(v);
        format!("${}", args.len())
    };
    if let Some(ids) = &q.ids {
        let a = arg(Box::new(ids.clone()), &mut args);
        sql.push_str(&format!(" AND u.id = ANY({a}::bigint[])"));
    }
    if let Some(s) = q.status {
        let a = arg(Box::new(s.name().to_string()), &mut args);
        sql.push_str(&format!(" AND u.status = {a}::text"));
    }
    if let Some(tf) = &q.two_factor {
        let a = arg(Box::new(tf.clone()), &mut args);
        sql.push_str(&format!(" AND u.two_factor = {a}::text"));
    }
    if let Some(on) = q.sms_auto_send {
        let a = arg(Box::new(on), &mut args);
        sql.push_str(&format!(" AND u.sms_auto_send = {a}::boolean"));
    }
    if let Some(r) = q.role {
        let a = arg(Box::new(r), &mut args);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.org_id = m.org_id AND ur.user_id = u.id AND ur.role_id = {a}::bigint)"
        ));
    }
    if let Some(g) = q.group {
        let a = arg(Box::new(g), &mut args);
        sql.push_str(&format!(
            " AND (u.primary_group_id = {a}::bigint OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = {a}::bigint AND gm.user_id = u.id))"
        ));
    }
    if let Some(s) = &q.search {
        // A substring of the search key: the needle's `%`, `_` and `\` are
        // literal (SQLite's `instr`), and the trigram index serves the LIKE.
        let needle = search_needle(s);
        let pattern = format!("%{}%", needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let a = arg(Box::new(pattern), &mut args);
        sql.push_str(&format!(" AND u.search_key LIKE {a}::text ESCAPE '\\'"));
    }
    if count {
        return (sql, args);
    }
    sql.push_str(" ORDER BY ");
    for (c, desc) in &q.sort {
        sql.push_str(sort_expr(*c));
        // SQLite puts NULLs first ascending and last descending.
        sql.push_str(match (*desc, nullable(*c)) {
            (false, false) => " ASC, ",
            (true, false) => " DESC, ",
            (false, true) => " ASC NULLS FIRST, ",
            (true, true) => " DESC NULLS LAST, ",
        });
    }
    // Ties are broken by id in the direction of the last key, so that an
    // index on (column, id) can be walked either way.
    let id = if from_users { "u.id" } else { "m.user_id" };
    sql.push_str(id);
    if q.sort.last().is_some_and(|(_, desc)| *desc) {
        sql.push_str(" DESC");
    }
    if let Some(l) = q.limit {
        let l = arg(Box::new(l.min(i64::MAX as u64) as i64), &mut args);
        sql.push_str(&format!(" LIMIT {l}::bigint"));
    }
    if q.offset > 0 {
        let o = arg(Box::new(q.offset.min(i64::MAX as u64) as i64), &mut args);
        sql.push_str(&format!(" OFFSET {o}::bigint"));
    }
    (sql, args)
}

/// The roles of a user in the organization `$1`, sorted, joined with `;`.
const ROLES_OF: &str = "(SELECT string_agg(r.name, ';' ORDER BY r.name) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
        WHERE ur.org_id = $1 AND ur.user_id = u.id)";
/// Additional groups: slugs in the organization `$1`, `org/slug` elsewhere.
const GROUPS_OF: &str = "(SELECT string_agg(gl.label, ';' ORDER BY gl.label) FROM
        (SELECT CASE WHEN g.org_id = $1 THEN g.slug ELSE o.slug || '/' || g.slug END AS label
         FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN orgs o ON o.id = g.org_id
         WHERE gm.user_id = u.id) AS gl)";
const USER_JOINS: &str = "LEFT JOIN groups pg ON pg.id = u.primary_group_id LEFT JOIN orgs po ON po.id = pg.org_id";

/// Columns with an index whose order is the sort order.
fn indexed(c: Column) -> bool {
    matches!(
        c,
        Column::Id | Column::Username | Column::Email | Column::FirstName | Column::LastName | Column::Status | Column::TwoFactor
    )
}

/// The sort expressions, and whether they can be NULL, from the attribute
/// table's sort kinds.
macro_rules! define_sort {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:literal, $chg:literal, $who:tt, $sort:ident, $($rest:tt)*),)*) => {
        fn sort_expr(c: Column) -> &'static str {
            match c {
                $(Column::$var => sort_by!($sort, $name),)*
            }
        }

        fn nullable(c: Column) -> bool {
            match c {
                $(Column::$var => nullable!($kind, $name),)*
            }
        }
    };
}

macro_rules! sort_by {
    // The columns are COLLATE "C": lower() folds ASCII only, as NOCASE does.
    (caseless, $name:ident) => {
        concat!("lower(u.", stringify!($name), ")")
    };
    (exact, $name:ident) => {
        concat!("u.", stringify!($name))
    };
    (joined, $name:ident) => {
        joined::$name
    };
}

/// Whether an attribute's sort expression can be NULL: every text
/// attribute, and the joined ones of the primary group and the groups.
macro_rules! nullable {
    (text, $name:ident) => {
        true
    };
    ($kind:ident, organization) => {
        true
    };
    ($kind:ident, primary_group) => {
        true
    };
    ($kind:ident, groups) => {
        true
    };
    ($kind:ident, $name:ident) => {
        false
    };
}

/// The orders of the `joined` attributes: columns of the tables the user
/// query joins (`po`: the organization of the primary group, `pg`: the
/// primary group, `m`: the membership; `groups` is the query's own column).
#[allow(non_upper_case_globals)]
mod joined {
    pub const organization: &str = "po.slug";
    pub const active: &str = "(u.status <> 'inactive')";
    pub const primary_group: &str = "pg.slug";
    pub const groups: &str = "groups";
    pub const role: &str = "m.role_key";
}

crate::attributes::user_attributes! { define_sort }

/// The needle for a search key.
pub(super) fn search_needle(text: &str) -> String {
    crate::text::nfc(text).to_lowercase()
}

/// The user columns and how a row decodes, with the plain attributes of the table.
macro_rules! define_user_columns {
    ([] $(($kind:ident, $name:ident, $var:ident, $($rest:tt)*),)*) => {
        /// The user columns: expression, the name `row_to_user` reads it by,
        /// its type (for the NULL of a field nobody reads), and the fields
        /// that need it. The id comes first and is always read.
        const USER_FIELDS: &[(&str, &str, &str, &[Column])] = &[
            ("u.id", "id", "bigint", &[]),
            ("u.username", "username", "text", &[Column::Username]),
            ("u.email", "email", "text", &[Column::Email]),
            $((concat!("u.", stringify!($name)), stringify!($name),
               crate::store::postgres::user_query::sql_type!($kind), &[Column::$var]),)*
            ("u.status", "status", "text", &[Column::Status, Column::Active]),
            ("u.two_factor", "two_factor", "text", &[Column::TwoFactor]),
            ("pg.slug", "primary_group", "text", &[Column::PrimaryGroup]),
            ("po.slug", "organization", "text", &[Column::Organization]),
            ("u.created_at", "created_at", "text", &[Column::CreatedAt]),
            ("u.updated_at", "updated_at", "text", &[Column::UpdatedAt]),
            ("u.trashed_at", "trashed_at", "text", &[]),
        ];

        /// The names the user row's columns are read by, in order.
        pub(super) const USER_NAMES: &[&str] = &{
            let mut names = [""; USER_FIELDS.len()];
            let mut i = 0;
            while i < names.len() {
                names[i] = USER_FIELDS[i].1;
                i += 1;
            }
            names
        };

        pub(super) fn row_to_user(r: &Row) -> Result<User, postgres::Error> {
            let text = |c: usize| -> Result<String, postgres::Error> { Ok(r.try_get::<_, Option<String>>(c)?.unwrap_or_default()) };
            let flag = |c: usize| -> Result<bool, postgres::Error> { Ok(r.try_get::<_, Option<bool>>(c)?.unwrap_or(false)) };
            let status = text(const { column_at(USER_NAMES, "status") })?;
            Ok(User {
                id: r.try_get(const { column_at(USER_NAMES, "id") })?,
                username: text(const { column_at(USER_NAMES, "username") })?,
                email: text(const { column_at(USER_NAMES, "email") })?,
                $($name: crate::store::postgres::user_query::decode!($kind, r, flag, const { column_at(USER_NAMES, stringify!($name)) }),)*
                active: status != "inactive",
                status,
                two_factor: text(const { column_at(USER_NAMES, "two_factor") })?,
                primary_group: r.try_get(const { column_at(USER_NAMES, "primary_group") })?,
                organization: r.try_get(const { column_at(USER_NAMES, "organization") })?,
                created_at: text(const { column_at(USER_NAMES, "created_at") })?,
                updated_at: text(const { column_at(USER_NAMES, "updated_at") })?,
                trashed_at: r.try_get(const { column_at(USER_NAMES, "trashed_at") })?,
                roles: split(r.try_get(const { column_at(USER_NAMES, "roles") })?),
                groups: split(r.try_get(const { column_at(USER_NAMES, "groups") })?),
            })
        }
    };
}

/// A plain attribute's value in a row (a NULL flag is false).
macro_rules! decode {
    (text, $r:ident, $flag:ident, $col:expr) => {
        $r.try_get($col)?
    };
    (flag, $r:ident, $flag:ident, $col:expr) => {
        $flag($col)?
    };
}
pub(super) use decode;

/// The column type of a plain attribute.
macro_rules! sql_type {
    (text) => {
        "text"
    };
    (flag) => {
        "boolean"
    };
}
pub(super) use sql_type;

crate::attributes::plain_attributes! { define_user_columns }

/// The select list for the wanted fields; the others are NULL of their type
/// (no copy of values nobody reads). The id is always read.
fn select_list(wanted: Option<&[Column]>) -> String {
    USER_FIELDS
        .iter()
        .enumerate()
        .map(|(i, (expr, name, ty, needed_by))| match wanted {
            Some(w) if i > 0 && !needed_by.iter().any(|c| w.contains(c)) => format!("NULL::{ty} AS {name}"),
            _ => format!("{expr} AS {name}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The query of one user's row; `$1` is the organization roles are shown for, `$2` the user.
pub(super) fn user_row_sql() -> String {
    format!("SELECT {}, {ROLES_OF} AS roles, {GROUPS_OF} AS groups FROM users u {USER_JOINS} WHERE u.id = $2", select_list(None))
}
