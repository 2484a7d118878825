//! `acct db copy`: a whole account from one store into another, empty one,
//! table by table and row by row, ids, secrets' hashes, TOTP state and the
//! audit chain included, in one read snapshot of the source and one write
//! transaction of the destination. The backends differ in how they store a
//! flag (SQLite 0/1, PostgreSQL boolean) and where they keep the audit
//! sequence; a row in between is a list of [`Cell`]s.

use crate::error::Result;
use crate::store::Store;
use anyhow::Context;

/// One value of a row as it travels between backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// The tables of an account in an order that satisfies the foreign keys,
/// each with the columns copied and the key it is read in. `orgs.members`
/// is not copied: the destination's triggers count the memberships.
pub const TABLES: &[(&str, &[&str], &str)] = &[
    ("acct_meta", &["key", "value"], "key"),
    ("orgs", &["id", "slug", "display_name", "sso", "sms_2fa", "created_at"], "id"),
    ("groups", &["id", "org_id", "slug", "display_name", "created_at"], "id"),
    ("users", USER_COLUMNS, "id"),
    ("memberships", &["org_id", "user_id", "created_at", "role_key"], "org_id, user_id"),
    ("roles", &["id", "org_id", "name", "display_name", "scope", "builtin", "created_at"], "id"),
    ("role_permissions", &["role_id", "permission"], "role_id, permission"),
    ("user_roles", &["org_id", "user_id", "role_id"], "org_id, user_id, role_id"),
    ("global_roles", &["user_id", "role_id"], "user_id, role_id"),
    ("group_members", &["group_id", "user_id"], "group_id, user_id"),
    ("group_managers", &["group_id", "user_id"], "group_id, user_id"),
    (
        "invitations",
        &[
            "id",
            "user_id",
            "org_id",
            "token_hash",
            "created_at",
            "sent_at",
            "expires_at",
            "delivery",
            "delivery_error",
            "state",
            "attempted_at",
        ],
        "id",
    ),
    ("recovery_codes", &["user_id", "code_hash", "used_at"], "user_id, code_hash"),
    (
        "audit",
        &[
            "id",
            "at",
            "actor_id",
            "actor",
            "org",
            "action",
            "target_id",
            "target",
            "changes",
            "change_id",
            "reverts",
            "hash",
            "at_unix",
        ],
        "id",
    ),
    ("audit_orgs", &["org", "audit_id"], "audit_id, org"),
];

/// The keys of `acct_meta` that belong to one database (its schema version,
/// its audit sequence, the e-mail key rule it was brought to when opened)
/// and are not copied.
pub const BACKEND_META: &[&str] = &["schema_version", "application", "audit_seq", "email_key_version"];

/// The columns of `users`: the plain attributes of the attribute table
/// (`src/attributes.rs`), and the others.
macro_rules! user_columns {
    ([] $(($kind:ident, $name:ident, $($rest:tt)*),)*) => {
        const USER_COLUMNS: &[&str] = &[
            "id", "username", "email", "email_key", $(stringify!($name),)* "status", "accepted", "two_factor",
            "primary_group_id", "password_hash", "totp_secret", "totp_last_step", "totp_enrolled_at", "twofa_failures",
            "twofa_locked_until", "trashed_at", "trash_org_id", "trash_roles", "search_key", "created_at", "updated_at",
            "full_name_set", "initials_set", "db_login",
        ];
    };
}
crate::attributes::plain_attributes! { user_columns }

/// Rows handed to the destination at a time.
const BATCH: usize = 1000;

/// What was copied: rows per table.
pub type Copied = Vec<(&'static str, u64)>;

/// Copy every table of `from` into `to`, which must hold acct's schema and
/// no account yet (a conflict otherwise). All or nothing: the destination's
/// transaction commits only after the last row.
pub fn copy(from: &mut dyn Store, to: &mut dyn Store) -> Result<Copied> {
    let src = from.read()?;
    let mut dst = to.write()?;
    let permit = crate::authz::decide_init(!dst.is_initialized()?).map_err(|_| crate::error::DbFault::HoldsAccount)?;
    let mut copied = Vec::new();
    for (table, columns, key) in TABLES {
        let mut batch: Vec<Vec<Cell>> = Vec::with_capacity(BATCH);
        let mut n = 0u64;
        let mut failed: Option<anyhow::Error> = None;
        let read = src.dump(table, columns, key, &mut |row| {
            if *table == "acct_meta" && matches!(row.first(), Some(Cell::Text(k)) if BACKEND_META.contains(&k.as_str())) {
                return Ok(());
            }
            batch.push(row);
            n += 1;
            if batch.len() == BATCH {
                // The destination is another connection: writing to it
                // while the source streams is safe.
                if let Err(e) = dst.load(&permit, table, columns, &batch) {
                    failed = Some(e);
                    return Err(anyhow::anyhow!("the copy stopped"));
                }
                batch.clear();
            }
            Ok(())
        });
        match (read, failed) {
            (Ok(()), _) => {}
            (Err(_), Some(e)) | (Err(e), None) => return Err(e.context(format!("copying {table}"))),
        }
        if !batch.is_empty() {
            dst.load(&permit, table, columns, &batch).with_context(|| format!("copying {table}"))?;
        }
        copied.push((*table, n));
    }
    dst.set_audit_seq(&permit, src.audit_last_assigned()?)?;
    drop(src);
    dst.commit()?;
    Ok(copied)
}
