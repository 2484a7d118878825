//! The SQL of a user listing (`acct user list`, export, apply): the query
//! for a [`UserQuery`], its plan-friendly order, and the decoding of a user
//! row by column name.

use super::tx::split;
use crate::store::model::{Column, User, UserQuery};
use crate::store::shared::column_at;
use rusqlite::Row;
use rusqlite::types::Value as Sql;
use serde_json::json;

/// The query of a listing (or its count) and its arguments.
pub(super) fn user_query_sql(q: &UserQuery, count: bool) -> (String, Vec<Sql>) {
    let mut args: Vec<Sql> = vec![Sql::Integer(q.org)];
    let filtered = q.ids.is_some()
        || q.status.is_some()
        || q.two_factor.is_some()
        || q.sms_auto_send.is_some()
        || q.role.is_some()
        || q.group.is_some()
        || q.search.is_some();
    if count && !filtered {
        return ("SELECT members FROM orgs WHERE id = ?1".to_string(), args);
    }
    // The loop order. A search drives from its matches (read from the
    // search index); a sort on an indexed column walks that index and
    // stops after a page; anything else runs through the organization's
    // memberships, in user id order. CROSS JOIN fixes the order.
    let from_users = q.search.is_some() || q.sort.first().is_some_and(|(c, _)| indexed(*c));
    let from = if from_users {
        "FROM users u CROSS JOIN memberships m ON m.org_id = ?1 AND m.user_id = u.id"
    } else {
        "FROM memberships m JOIN users u ON u.id = m.user_id"
    };
    let mut sql = if count {
        format!("SELECT count(*) {from} WHERE m.org_id = ?1")
    } else {
        let roles = if q.without_roles { "NULL" } else { ROLES_OF };
        let groups = if q.without_groups { "NULL" } else { GROUPS_OF };
        let wants = |c: Column| q.columns.as_ref().is_none_or(|cs| cs.contains(&c)) || q.sort.iter().any(|(s, _)| *s == c);
        let joins = if wants(Column::PrimaryGroup) || wants(Column::Organization) { USER_JOINS } else { "" };
        let columns = select_list(q.columns.as_deref());
        format!("SELECT {columns}, {roles} AS roles, {groups} AS groups {from} {joins} WHERE m.org_id = ?1")
    };
    let arg = |v: Sql, args: &mut Vec<Sql>| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(ids) = &q.ids {
        let a = arg(Sql::Text(json!(ids).to_string()), &mut args);
        sql.push_str(&format!(" AND u.id IN (SELECT value FROM json_each({a}))"));
    }
    if let Some(s) = q.status {
        let a = arg(Sql::Text(s.name().into()), &mut args);
        sql.push_str(&format!(" AND u.status = {a}"));
    }
    if let Some(tf) = &q.two_factor {
        let a = arg(Sql::Text(tf.clone()), &mut args);
        sql.push_str(&format!(" AND u.two_factor = {a}"));
    }
    if let Some(on) = q.sms_auto_send {
        let a = arg(Sql::Integer(on.into()), &mut args);
        sql.push_str(&format!(" AND u.sms_auto_send = {a}"));
    }
    if let Some(r) = q.role {
        let a = arg(Sql::Integer(r), &mut args);
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.org_id = m.org_id AND ur.user_id = u.id AND ur.role_id = {a})"
        ));
    }
    if let Some(g) = q.group {
        let a = arg(Sql::Integer(g), &mut args);
        sql.push_str(&format!(
            " AND (u.primary_group_id = {a} OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = {a} AND gm.user_id = u.id))"
        ));
    }
    if let Some(s) = &q.search {
        let a = arg(Sql::Text(search_needle(s)), &mut args);
        sql.push_str(&format!(" AND u.id IN (SELECT id FROM users WHERE instr(search_key, {a}) > 0)"));
    }
    if count {
        return (sql, args);
    }
    sql.push_str(" ORDER BY ");
    for (c, desc) in &q.sort {
        sql.push_str(sort_expr(*c));
        sql.push_str(if *desc { " DESC, " } else { " ASC, " });
    }
    // Ties are broken by id in the direction of the last key, so that an
    // index on (column, id) can be walked either way.
    let id = if from_users { "u.id" } else { "m.user_id" };
    sql.push_str(id);
    if q.sort.last().is_some_and(|(_, desc)| *desc) {
        sql.push_str(" DESC");
    }
    if q.limit.is_some() || q.offset > 0 {
        let l = arg(Sql::Integer(q.limit.map_or(-1, |l| l.min(i64::MAX as u64) as i64)), &mut args);
        let o = arg(Sql::Integer(q.offset.min(i64::MAX as u64) as i64), &mut args);
        sql.push_str(&format!(" LIMIT {l} OFFSET {o}"));
    }
    (sql, args)
}

/// The columns of a user row; `?1` is the organization roles are shown for.
/// The roles of a user in the organization `?1`, sorted, joined with `;`.
const ROLES_OF: &str = "(SELECT group_concat(name, ';') FROM (SELECT r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
        WHERE ur.org_id = ?1 AND ur.user_id = u.id ORDER BY r.name))";
/// Additional groups: slugs in the organization `?1`, `org/slug` elsewhere.
const GROUPS_OF: &str =
    "(SELECT group_concat(label, ';') FROM (SELECT CASE WHEN g.org_id = ?1 THEN g.slug ELSE o.slug || '/' || g.slug END AS label
        FROM group_members gm JOIN groups g ON g.id = gm.group_id JOIN orgs o ON o.id = g.org_id
        WHERE gm.user_id = u.id ORDER BY label))";
const USER_JOINS: &str = "LEFT JOIN groups pg ON pg.id = u.primary_group_id LEFT JOIN orgs po ON po.id = pg.org_id";

/// Columns with an index whose order is the sort order.
fn indexed(c: Column) -> bool {
    matches!(
        c,
        Column::Id | Column::Username | Column::Email | Column::FirstName | Column::LastName | Column::Status | Column::TwoFactor
    )
}

/// The sort expressions, from the attribute table's sort kinds.
macro_rules! define_sort {
    ([] $(($kind:ident, $name:ident, $var:ident, $label:literal, $cpos:literal, $chg:literal, $who:tt, $sort:ident, $($rest:tt)*),)*) => {
        fn sort_expr(c: Column) -> &'static str {
            match c {
                $(Column::$var => sort_by!($sort, $name),)*
            }
        }
    };
}

macro_rules! sort_by {
    (caseless, $name:ident) => {
        concat!("u.", stringify!($name), " COLLATE NOCASE")
    };
    (exact, $name:ident) => {
        concat!("u.", stringify!($name))
    };
    (joined, $name:ident) => {
        joined::$name
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
pub fn search_needle(text: &str) -> String {
    crate::text::nfc(text).to_lowercase()
}

/// The user columns and how a row decodes, with the plain attributes of the table.
macro_rules! define_user_columns {
    ([] $(($kind:ident, $name:ident, $var:ident, $($rest:tt)*),)*) => {
        /// The user columns: expression, the name `row_to_user` reads it by, and
        /// the fields that need it. The id comes first and is always read.
        const USER_FIELDS: &[(&str, &str, &[Column])] = &[
            ("u.id", "id", &[]),
            ("u.username", "username", &[Column::Username]),
            ("u.email", "email", &[Column::Email]),
            $((concat!("u.", stringify!($name)), stringify!($name), &[Column::$var]),)*
            ("u.status", "status", &[Column::Status, Column::Active]),
            ("u.two_factor", "two_factor", &[Column::TwoFactor]),
            ("pg.slug", "primary_group", &[Column::PrimaryGroup]),
            ("po.slug", "organization", &[Column::Organization]),
            ("u.created_at", "created_at", &[Column::CreatedAt]),
            ("u.updated_at", "updated_at", &[Column::UpdatedAt]),
            ("u.trashed_at", "trashed_at", &[]),
        ];

        /// The names the user row's columns are read by, in order.
        const USER_NAMES: &[&str] = &{
            let mut names = [""; USER_FIELDS.len()];
            let mut i = 0;
            while i < names.len() {
                names[i] = USER_FIELDS[i].1;
                i += 1;
            }
            names
        };

        pub(super) fn row_to_user(r: &Row<'_>) -> rusqlite::Result<User> {
            let text = |c: usize| -> rusqlite::Result<String> { Ok(r.get::<_, Option<String>>(c)?.unwrap_or_default()) };
            let flag = |c: usize| -> rusqlite::Result<bool> { Ok(r.get::<_, Option<bool>>(c)?.unwrap_or(false)) };
            let status = text(const { column_at(USER_NAMES, "status") })?;
            Ok(User {
                id: r.get(const { column_at(USER_NAMES, "id") })?,
                username: text(const { column_at(USER_NAMES, "username") })?,
                email: text(const { column_at(USER_NAMES, "email") })?,
                $($name: crate::store::sqlite::user_query::decode!($kind, r, flag, const { column_at(USER_NAMES, stringify!($name)) }),)*
                active: status != "inactive",
                status,
                two_factor: text(const { column_at(USER_NAMES, "two_factor") })?,
                primary_group: r.get(const { column_at(USER_NAMES, "primary_group") })?,
                organization: r.get(const { column_at(USER_NAMES, "organization") })?,
                created_at: text(const { column_at(USER_NAMES, "created_at") })?,
                updated_at: text(const { column_at(USER_NAMES, "updated_at") })?,
                trashed_at: r.get(const { column_at(USER_NAMES, "trashed_at") })?,
                roles: split(r.get(const { column_at(USER_NAMES, "roles") })?),
                groups: split(r.get(const { column_at(USER_NAMES, "groups") })?),
            })
        }
    };
}

/// A plain attribute's value in a row (a NULL flag is false).
macro_rules! decode {
    (text, $r:ident, $flag:ident, $col:expr) => {
        $r.get($col)?
    };
    (flag, $r:ident, $flag:ident, $col:expr) => {
        $flag($col)?
    };
}
pub(super) use decode;

crate::attributes::plain_attributes! { define_user_columns }

/// The select list for the wanted fields; the others are NULL (no copy of
/// values nobody reads). The id is always read.
fn select_list(wanted: Option<&[Column]>) -> String {
    USER_FIELDS
        .iter()
        .enumerate()
        .map(|(i, (expr, name, needed_by))| match wanted {
            Some(w) if i > 0 && !needed_by.iter().any(|c| w.contains(c)) => format!("NULL AS {name}"),
            _ => format!("{expr} AS {name}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The query of one user's row; `?1` is the organization roles are shown for, `?2` the user.
pub(super) fn user_row_sql() -> String {
    format!("SELECT {}, {ROLES_OF} AS roles, {GROUPS_OF} AS groups FROM users u {USER_JOINS} WHERE u.id = ?2", select_list(None))
}

#[cfg(test)]
mod plans {
    use super::super::tx::SqliteTx;
    use super::*;
    use rusqlite::params_from_iter;

    /// The top-level steps of the plan of acct's own list query.
    fn plan(q: &UserQuery) -> Vec<String> {
        plan_all(q).into_iter().filter(|(parent, _)| *parent == 0).map(|(_, d)| d).collect()
    }

    /// Every step, with its parent.
    fn plan_all(q: &UserQuery) -> Vec<(i64, String)> {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let conn = store.connection();
        let tx = conn.transaction().unwrap();
        let t = SqliteTx::new(tx);
        let (sql, args) = user_query_sql(q, false);
        let mut st = t.tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = st
            .query_map(params_from_iter(args), |r| Ok((r.get::<_, i64>(1)?, r.get::<_, String>(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows
    }

    #[test]
    fn first_pages_sorted_by_a_default_column_walk_an_index_without_sorting() {
        for (col, index) in [
            (Column::Email, "users_email_ci"),
            (Column::FirstName, "users_first_name_ci"),
            (Column::LastName, "users_last_name_ci"),
            (Column::Status, "users_status"),
            (Column::TwoFactor, "users_two_factor"),
        ] {
            for desc in [false, true] {
                let q = UserQuery { org: 1, sort: vec![(col, desc)], limit: Some(100), ..Default::default() };
                let p = plan(&q);
                assert!(p.iter().any(|l| l == &format!("SCAN u USING INDEX {index}")), "{col:?} desc={desc}: {p:?}");
                assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "{col:?} desc={desc}: sorts every member: {p:?}");
            }
        }
    }

    #[test]
    fn a_search_reads_the_search_index_and_sorts_only_its_matches() {
        for sort in [vec![], vec![(Column::Email, false)], vec![(Column::LastName, true)]] {
            let q =
                UserQuery { org: 1, sort: sort.clone(), search: Some("lovelace".into()), limit: Some(100), ..Default::default() };
            let all = plan_all(&q);
            assert!(all.iter().any(|(_, d)| d == "SCAN users USING COVERING INDEX users_search"), "{sort:?}: {all:?}");
            assert!(plan(&q).first().is_some_and(|d| d == "SEARCH u USING INTEGER PRIMARY KEY (rowid=?)"), "{sort:?}: {all:?}");
        }
    }

    #[test]
    fn unfiltered_counts_read_the_memberships_only() {
        let (sql, _) = user_query_sql(&UserQuery { org: 1, ..Default::default() }, true);
        assert_eq!(sql, "SELECT members FROM orgs WHERE id = ?1");
    }

    #[test]
    fn the_default_order_is_the_membership_primary_key_and_computed_sorts_use_a_tree() {
        let p = plan(&UserQuery { org: 1, limit: Some(100), ..Default::default() });
        assert!(p.iter().any(|l| l.starts_with("SEARCH m USING PRIMARY KEY (org_id=?)")), "{p:?}");
        assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "the default order needs no sort: {p:?}");
        let p = plan(&UserQuery { org: 1, sort: vec![(Column::Groups, false)], limit: Some(100), ..Default::default() });
        assert!(p.iter().any(|l| l.contains("USE TEMP B-TREE FOR ORDER BY")), "{p:?}");
    }

    #[test]
    fn user_rows_have_each_column_where_the_decoder_reads_it() {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let conn = store.connection();
        let mut want = USER_NAMES.to_vec();
        want.extend(["roles", "groups"]);
        let some = Some(vec![Column::Email, Column::Role]);
        let queries = [
            user_query_sql(&UserQuery { org: 1, ..Default::default() }, false).0,
            user_query_sql(&UserQuery { org: 1, columns: some, search: Some("x".into()), ..Default::default() }, false).0,
            user_row_sql(),
        ];
        for sql in queries {
            let st = conn.prepare(&sql).unwrap();
            assert_eq!(st.column_names().collect::<Vec<_>>(), want, "{sql}");
        }
        assert_eq!(column_at(USER_NAMES, "id"), 0);
        assert_eq!(column_at(USER_NAMES, "groups"), USER_NAMES.len() + 1);
    }

    #[test]
    fn a_sort_by_role_walks_the_role_key_index() {
        for desc in [false, true] {
            let q = UserQuery { org: 1, sort: vec![(Column::Role, desc)], limit: Some(100), ..Default::default() };
            let p = plan(&q);
            assert!(
                p.iter().any(|l| l.starts_with("SEARCH m USING COVERING INDEX memberships_role (org_id=?)")),
                "desc={desc}: {p:?}"
            );
            assert!(!p.iter().any(|l| l.contains("TEMP B-TREE")), "desc={desc}: sorts every member: {p:?}");
        }
    }
}
