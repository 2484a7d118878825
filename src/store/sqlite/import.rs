//! Bulk import: many members in one transaction, and the secondary indexes
//! a large load sets aside to build once at the end.

use super::now;
use super::tx::SqliteTx;
use super::users::search_key;
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::model::ImportRow;
use anyhow::Context;
use rusqlite::{OptionalExtension, params};

/// Secondary indexes that a bulk load may set aside: none of them is read
/// while the rows are checked and written (the unique keys are, and so are
/// `memberships_user`, `user_roles_user` and `group_managers_user`, which
/// the facts of an existing account are read through).
const SUSPENDABLE: &[&str] = &[
    "users_email_ci",
    "users_first_name_ci",
    "users_last_name_ci",
    "users_status",
    "users_two_factor",
    "users_primary_group",
    "users_search",
    "memberships_role",
    "user_roles_role",
    "group_members_user",
    "invitations_user",
    "audit_at",
    "audit_actor",
    "audit_target",
    "audit_action",
];

impl SqliteTx<'_> {
    pub(super) fn bulk_import(
        &mut self,
        p: &Permit,
        org: i64,
        rows: &[ImportRow],
        progress: &mut dyn FnMut(u64),
    ) -> Result<Vec<i64>> {
        p.check(Op::UserAdd, None)?;
        if p.org_id() != Some(org) {
            return Err(anyhow::anyhow!("internal error: the permit is for another organization"));
        }
        let t = now();
        let everyone = self.everyone_group(org)?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut ins_user = self.tx.prepare_cached(
            "INSERT INTO users (username, email, email_key, first_name, last_name, full_name, initials, status, accepted,
                                primary_group_id, created_at, updated_at, search_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'invited', 0, ?8, ?9, ?9, ?10)",
        )?;
        let mut ins_member =
            self.tx.prepare_cached("INSERT INTO memberships (org_id, user_id, created_at, role_key) VALUES (?1, ?2, ?3, ?4)")?;
        let mut ins_role =
            self.tx.prepare_cached("INSERT OR IGNORE INTO user_roles (org_id, user_id, role_id) VALUES (?1, ?2, ?3)")?;
        let mut ins_inv = self.tx.prepare_cached("INSERT INTO invitations (user_id, org_id, created_at) VALUES (?1, ?2, ?3)")?;
        let mut ins_group = self.tx.prepare_cached("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)")?;
        let mut set_primary =
            self.tx.prepare_cached("UPDATE users SET primary_group_id = ?1 WHERE id = ?2 AND primary_group_id IS NULL")?;
        // Every entry is chained like any other: the tail once, then in memory.
        let mut entry = self.chain_entry(p, p.org_slug(), None, None, String::new());
        entry.at = t.clone();
        entry.audience = self.audience(p, p.org_slug())?;
        let (mut next_id, mut prev) = super::chain::tail(&self.tx)?;
        let mut email_of = self.tx.prepare_cached("SELECT email FROM users WHERE id = ?1")?;
        for (n, row) in rows.iter().enumerate() {
            let (id, email) = match (&row.new, row.existing) {
                (Some(u), _) => {
                    ins_user.execute(params![
                        u.username,
                        u.email,
                        u.email_key,
                        u.first_name,
                        u.last_name,
                        u.full_name,
                        u.initials,
                        row.group.unwrap_or(everyone),
                        t,
                        search_key(
                            &u.email,
                            &u.username,
                            [u.first_name.as_deref(), u.last_name.as_deref(), u.full_name.as_deref()]
                        )
                    ])?;
                    let id = self.tx.last_insert_rowid();
                    ins_inv.execute(params![id, org, t])?;
                    (id, u.email.clone())
                }
                (None, Some(id)) => {
                    let email: String = email_of.query_row([id], |r| r.get(0))?;
                    let g = row.group.unwrap_or(everyone);
                    if set_primary.execute(params![g, id])? == 0 && row.group.is_some() {
                        ins_group.execute(params![g, id])?;
                    }
                    (id, email)
                }
                (None, None) => return Err(anyhow::anyhow!("internal error: an import row without a user")),
            };
            let mut key: Vec<&str> = row.role_names.iter().map(String::as_str).collect();
            key.sort_unstable();
            key.dedup();
            ins_member.execute(params![org, id, t, key.join(";")])?;
            for r in &row.roles {
                ins_role.execute(params![org, id, r])?;
            }
            entry.id = next_id;
            entry.target_id = Some(id);
            entry.target = Some(email);
            entry.changes.clone_from(&row.changes);
            prev = super::chain::insert(&self.tx, &entry, &prev)?;
            next_id += 1;
            ids.push(id);
            if n % 4096 == 4095 {
                progress(n as u64 + 1);
            }
        }
        progress(rows.len() as u64);
        Ok(ids)
    }

    pub(super) fn suspend_secondary(&mut self) -> Result<()> {
        if !self.suspended.is_empty() {
            return Ok(());
        }
        for name in SUSPENDABLE {
            let sql: Option<String> = self
                .tx
                .query_row("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", [name], |r| r.get(0))
                .optional()
                .with_context(|| format!("reading index {name}"))?;
            if let Some(sql) = sql {
                self.tx.execute_batch(&format!("DROP INDEX {name}")).with_context(|| format!("setting index {name} aside"))?;
                self.suspended.push(sql);
            }
        }
        Ok(())
    }

    pub(super) fn resume_secondary(&mut self) -> Result<()> {
        if self.suspended.is_empty() {
            return Ok(());
        }
        // Each build sorts within the page cache and spills the rest to
        // temporary files: a small cache keeps the memory of a build the same
        // whatever the number of rows.
        let cache: i64 = self.tx.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.tx.pragma_update(None, "cache_size", -4096)?;
        for sql in std::mem::take(&mut self.suspended) {
            self.tx.execute_batch(&sql).context("rebuilding an index")?;
        }
        self.tx.pragma_update(None, "cache_size", cache)?;
        Ok(())
    }
}
