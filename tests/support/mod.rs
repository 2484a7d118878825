//! Test-only helpers shared by the foundation tests: users made directly in
//! the database (there is no `acct user add` yet), the output shapes of the
//! data formats, and small file helpers.

#![allow(dead_code)]

use crate::common::Env;
use rusqlite::params;
use serde_json::Value;

pub const T0: &str = "2026-01-01T00:00:00Z";

/// Insert an active member of `org` whose primary group is the org's
/// `everyone` group, holding the given organization roles. Returns the id.
pub fn add_user(env: &Env, username: &str, org: &str, roles: &[&str]) -> i64 {
    add_user_with(env, username, org, roles, "active", "everyone")
}

/// Insert a member with a status and a primary group (a group slug of `org`).
pub fn add_user_with(env: &Env, username: &str, org: &str, roles: &[&str], status: &str, primary_group: &str) -> i64 {
    let db = env.db();
    let email = format!("{username}@example.com");
    let org_id: i64 = db.query_row("SELECT id FROM orgs WHERE slug = ?1", [org], |r| r.get(0)).expect("org");
    let group: i64 = db
        .query_row("SELECT id FROM groups WHERE org_id = ?1 AND slug = ?2", params![org_id, primary_group], |r| r.get(0))
        .expect("group");
    db.execute(
        "INSERT INTO users (username, email, email_key, status, created_at, updated_at, primary_group_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
        params![username, email, email.to_lowercase(), status, T0, group],
    )
    .expect("insert user");
    let id = db.last_insert_rowid();
    db.execute("INSERT INTO memberships (org_id, user_id, created_at) VALUES (?1, ?2, ?3)", params![org_id, id, T0])
        .expect("membership");
    for role in roles {
        give_role(env, id, org, role);
    }
    id
}

/// Give an organization role (built-in or custom of `org`) directly.
pub fn give_role(env: &Env, user: i64, org: &str, role: &str) {
    let db = env.db();
    let org_id: i64 = db.query_row("SELECT id FROM orgs WHERE slug = ?1", [org], |r| r.get(0)).expect("org");
    let role_id: i64 = db
        .query_row(
            "SELECT id FROM roles WHERE name = ?1 AND scope = 'org' AND (org_id IS NULL OR org_id = ?2)",
            params![role, org_id],
            |r| r.get(0),
        )
        .expect("role");
    db.execute("INSERT INTO user_roles (org_id, user_id, role_id) VALUES (?1, ?2, ?3)", params![org_id, user, role_id])
        .expect("user role");
}

/// Give a global role directly.
pub fn give_global(env: &Env, user: i64, role: &str) {
    env.db()
        .execute(
            "INSERT INTO global_roles (user_id, role_id) SELECT ?1, id FROM roles WHERE name = ?2 AND scope = 'global'",
            params![user, role],
        )
        .expect("global role");
}

pub fn set_status(env: &Env, username: &str, status: &str) {
    env.db().execute("UPDATE users SET status = ?1 WHERE username = ?2", params![status, username]).expect("status");
}

/// Rows of a query as strings, one line per row with `|` between columns.
pub fn rows(env: &Env, sql: &str) -> Vec<String> {
    let db = env.db();
    let mut st = db.prepare(sql).expect(sql);
    let n = st.column_count();
    st.query_map([], |r| {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            cells.push(match v {
                rusqlite::types::Value::Null => "NULL".to_string(),
                rusqlite::types::Value::Integer(i) => i.to_string(),
                rusqlite::types::Value::Real(f) => f.to_string(),
                rusqlite::types::Value::Text(t) => t,
                rusqlite::types::Value::Blob(b) => format!("{b:?}"),
            });
        }
        Ok(cells.join("|"))
    })
    .expect(sql)
    .collect::<Result<_, _>>()
    .expect(sql)
}

/// A digest of everything a mutation could change: every table's rows.
pub fn snapshot(env: &Env) -> Vec<String> {
    let tables = [
        "orgs",
        "groups",
        "users",
        "memberships",
        "roles",
        "role_permissions",
        "user_roles",
        "global_roles",
        "group_members",
        "group_managers",
        "audit",
    ];
    let mut out = Vec::new();
    for t in tables {
        out.push(format!("-- {t}"));
        out.extend(rows(env, &format!("SELECT * FROM {t} ORDER BY 1, 2")));
    }
    out
}

/// Parse stdout as JSON.
#[track_caller]
pub fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// The text of a value in a CSV/TSV/table cell: null empty, lists joined with `;`.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(a) => a.iter().map(cell).collect::<Vec<_>>().join(";"),
        Value::Object(_) => v.to_string(),
    }
}

/// File mode bits.
pub fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

/// Write `text` into `name` in the environment's home; returns the path.
pub fn write_file(env: &Env, name: &str, text: &str) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    p.display().to_string()
}

pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
