//! Test-only helpers shared by the foundation tests: users made directly in
//! the database (there is no `acct user add` yet), the output shapes of the
//! data formats, and small file helpers.

#![allow(dead_code)]

use crate::common::{Env, Param};
use serde_json::Value;

pub const T0: &str = "2026-01-01T00:00:00Z";

/// Insert an active member of `org` whose primary group is the org's
/// `everyone` group, holding the given organization roles. Returns the id.
pub fn add_user(env: &Env, username: &str, org: &str, roles: &[&str]) -> i64 {
    add_user_with(env, username, org, roles, "active", "everyone")
}

/// Insert a member with a status and a primary group (a group slug of `org`).
pub fn add_user_with(env: &Env, username: &str, org: &str, roles: &[&str], status: &str, primary_group: &str) -> i64 {
    let email = format!("{username}@example.com");
    let one = |sql: &str, params: &[Param]| -> i64 {
        env.sql(sql, params).first().and_then(|r| r.first()).unwrap_or_else(|| panic!("{sql}: no row")).parse().expect(sql)
    };
    let org_id = one("SELECT id FROM orgs WHERE slug = ?1", &[org.into()]);
    let group = one("SELECT id FROM groups WHERE org_id = ?1 AND slug = ?2", &[org_id.into(), primary_group.into()]);
    let id = one(
        "INSERT INTO users (username, email, email_key, status, created_at, updated_at, primary_group_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6) RETURNING id",
        &[username.into(), email.as_str().into(), email.to_lowercase().as_str().into(), status.into(), T0.into(), group.into()],
    );
    env.sql("INSERT INTO memberships (org_id, user_id, created_at) VALUES (?1, ?2, ?3)", &[org_id.into(), id.into(), T0.into()]);
    for role in roles {
        give_role(env, id, org, role);
    }
    id
}

/// Give an organization role (built-in or custom of `org`) directly.
pub fn give_role(env: &Env, user: i64, org: &str, role: &str) {
    let given = env.sql(
        "INSERT INTO user_roles (org_id, user_id, role_id)
         SELECT o.id, ?1, r.id FROM orgs o JOIN roles r ON r.name = ?2 AND r.scope = 'org' AND (r.org_id IS NULL OR r.org_id = o.id)
         WHERE o.slug = ?3 RETURNING role_id",
        &[user.into(), role.into(), org.into()],
    );
    assert_eq!(given.len(), 1, "no role {role} in {org}");
}

/// Give a global role directly.
pub fn give_global(env: &Env, user: i64, role: &str) {
    let given = env.sql(
        "INSERT INTO global_roles (user_id, role_id) SELECT ?1, id FROM roles WHERE name = ?2 AND scope = 'global' RETURNING role_id",
        &[user.into(), role.into()],
    );
    assert_eq!(given.len(), 1, "no global role {role}");
}

pub fn set_status(env: &Env, username: &str, status: &str) {
    env.sql("UPDATE users SET status = ?1 WHERE username = ?2", &[status.into(), username.into()]);
}

/// Rows of a query as strings, one line per row with `|` between columns.
pub fn rows(env: &Env, sql: &str) -> Vec<String> {
    env.rows(sql, &[])
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

/// `audit_chain.py` on the account's database: on a file it reads the file
/// itself; on PostgreSQL the rows come as JSON (the server types them).
pub fn python_chain(env: &Env) -> std::process::Output {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/audit_chain.py");
    let mut c = std::process::Command::new("python3");
    c.arg(script);
    if !env.on_postgres() {
        return c.arg(env.db_path()).output().expect("python3");
    }
    let rows = env.query(
        "SELECT json_build_object(
           'audit', (SELECT json_agg(json_build_array(id, at, actor_id, actor, org, action, target_id, target, changes,
                                                      change_id, reverts, hash) ORDER BY id) FROM audit),
           'audience', (SELECT coalesce(json_agg(json_build_array(org, audit_id)), '[]') FROM audit_orgs))::text",
    );
    let input = env.home().join("audit.json");
    std::fs::write(&input, rows).unwrap();
    c.arg("-").stdin(std::fs::File::open(input).unwrap()).output().expect("python3")
}
