//! Bulk import: many members in one transaction, and the secondary indexes
//! a large load sets aside to build once at the end.

use super::now;
use super::tx::SqliteTx;
use super::users::new_user_search_key;
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::model::ImportRow;
use anyhow::Context;
use rusqlite::{OptionalExtension, ToSql, params};

/// Secondary indexes that a bulk load may set aside: none of them is read
/// while the decided rows are written (the rows were checked in the first
/// pass, before any is set aside; the writes look rows up by their primary
/// and unique keys only, and so do the foreign-key checks).
const SUSPENDABLE: &[&str] = &[
    "users_email_ci",
    "users_first_name_ci",
    "users_last_name_ci",
    "users_status",
    "users_two_factor",
    "users_primary_group",
    "users_search",
    "memberships_user",
    "memberships_role",
    "user_roles_role",
    "user_roles_user",
    "group_members_user",
    "invitations_user",
    "audit_at",
    "audit_at_unix",
    "audit_actor",
    "audit_target",
    "audit_action",
    "audit_change",
];

/// Rows per multi-row INSERT: one statement's run (its cursors, its
/// statement journal, the AUTOINCREMENT counter) serves this many rows.
const ROWS_PER_INSERT: usize = 64;

/// Runs `INSERT … VALUES` for `values` in order, a row of them for each
/// `?` of `one` (a row's parenthesised values), up to [`ROWS_PER_INSERT`]
/// rows a statement.
fn insert_many(tx: &rusqlite::Transaction<'_>, head: &str, one: &str, values: &[&dyn ToSql]) -> Result<()> {
    let width = one.matches('?').count();
    for rows in values.chunks(width * ROWS_PER_INSERT) {
        let n = rows.len() / width;
        let sql = format!("{head} {}", vec![one; n].join(", "));
        tx.prepare_cached(&sql)?.execute(rows)?;
    }
    Ok(())
}

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
        // New users get ids in row order from the highest ever assigned on
        // (the write lock is held: nobody else assigns any meanwhile).
        let mut next_user: i64 = self.tx.query_row(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'users'), 0),
                        coalesce((SELECT max(id) FROM users), 0)) + 1",
            [],
            |r| r.get(0),
        )?;
        let mut email_of = self.tx.prepare_cached("SELECT email FROM users WHERE id = ?1")?;
        let mut set_primary =
            self.tx.prepare_cached("UPDATE users SET primary_group_id = ?1 WHERE id = ?2 AND primary_group_id IS NULL")?;
        let mut ins_group = self.tx.prepare_cached("INSERT OR IGNORE INTO group_members (group_id, user_id) VALUES (?1, ?2)")?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut targets = Vec::with_capacity(rows.len());
        let mut search = Vec::new();
        let mut groups = Vec::new();
        for row in rows {
            match (&row.new, row.existing) {
                (Some(u), _) => {
                    ids.push(next_user);
                    next_user += 1;
                    targets.push(u.email.clone());
                    search.push(new_user_search_key(u));
                    groups.push(row.group.unwrap_or(everyone));
                }
                (None, Some(id)) => {
                    let email: String = email_of.query_row([id], |r| r.get(0))?;
                    let g = row.group.unwrap_or(everyone);
                    if set_primary.execute(params![g, id])? == 0 && row.group.is_some() {
                        ins_group.execute(params![g, id])?;
                    }
                    ids.push(id);
                    targets.push(email);
                }
                (None, None) => return Err(anyhow::anyhow!("internal error: an import row without a user")),
            }
        }
        drop((email_of, set_primary, ins_group));
        // The new users and their invitations.
        let (mut users, mut invitations): (Vec<&dyn ToSql>, Vec<&dyn ToSql>) = Default::default();
        let mut k = 0;
        for (row, id) in rows.iter().zip(&ids) {
            let Some(u) = &row.new else { continue };
            users.extend([
                id as &dyn ToSql,
                &u.username,
                &u.email,
                &u.email_key,
                &u.first_name,
                &u.last_name,
                &u.full_name,
                &u.initials,
                &groups[k],
                &t,
                &t,
                &search[k],
            ]);
            invitations.extend([id as &dyn ToSql, &org, &t]);
            k += 1;
        }
        insert_many(
            &self.tx,
            "INSERT INTO users (id, username, email, email_key, first_name, last_name, full_name, initials,
                                primary_group_id, created_at, updated_at, search_key, status, accepted) VALUES",
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'invited', 0)",
            &users,
        )?;
        insert_many(&self.tx, "INSERT INTO invitations (user_id, org_id, created_at) VALUES", "(?, ?, ?)", &invitations)?;
        // Every row's membership, with its role key, and roles.
        let keys: Vec<String> = rows
            .iter()
            .map(|row| {
                let mut key: Vec<&str> = row.role_names.iter().map(String::as_str).collect();
                key.sort_unstable();
                key.dedup();
                key.join(";")
            })
            .collect();
        let (mut members, mut roles): (Vec<&dyn ToSql>, Vec<&dyn ToSql>) = Default::default();
        for ((row, id), key) in rows.iter().zip(&ids).zip(&keys) {
            members.extend([&org as &dyn ToSql, id, &t, key]);
            for r in &row.roles {
                roles.extend([&org as &dyn ToSql, id, r]);
            }
        }
        insert_many(
            &self.tx,
            "INSERT INTO memberships (org_id, user_id, created_at, role_key) VALUES",
            "(?, ?, ?, ?)",
            &members,
        )?;
        insert_many(&self.tx, "INSERT OR IGNORE INTO user_roles (org_id, user_id, role_id) VALUES", "(?, ?, ?)", &roles)?;
        // Every entry is chained like any other: the tail once, then in memory.
        let mut entry = self.chain_entry(p, p.org_slug(), None, None, String::new());
        entry.at = t.clone();
        entry.audience = self.audience(p, p.org_slug())?;
        let (mut next_id, mut prev) = super::chain::tail(&self.tx)?;
        let first_entry = next_id;
        let mut hashes = Vec::with_capacity(rows.len());
        for ((row, id), target) in rows.iter().zip(&ids).zip(&targets) {
            entry.id = next_id;
            entry.target_id = Some(*id);
            entry.target = Some(target.clone());
            entry.changes.clone_from(&row.changes);
            prev = crate::store::chain::hash(&prev, &entry);
            hashes.push(prev.clone());
            next_id += 1;
        }
        let entry_ids: Vec<i64> = (first_entry..next_id).collect();
        let at_unix = super::chain::unix_seconds(&entry.at);
        let mut audit: Vec<&dyn ToSql> = Vec::with_capacity(rows.len() * 13);
        for (((row, id), target), (eid, h)) in rows.iter().zip(&ids).zip(&targets).zip(entry_ids.iter().zip(&hashes)) {
            audit.extend([
                eid as &dyn ToSql,
                &entry.at,
                &entry.actor_id,
                &entry.actor,
                &entry.org,
                &entry.action,
                id,
                target,
                &row.changes,
                &entry.change_id,
                &entry.reverts,
                h,
                &at_unix,
            ]);
        }
        insert_many(
            &self.tx,
            &format!("INSERT INTO audit ({}) VALUES", crate::store::chain::AUDIT_COLUMNS),
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            &audit,
        )?;
        if !entry.audience.is_empty() {
            let mut audience: Vec<&dyn ToSql> = Vec::new();
            for eid in &entry_ids {
                for o in &entry.audience {
                    audience.extend([o as &dyn ToSql, eid]);
                }
            }
            insert_many(&self.tx, "INSERT OR IGNORE INTO audit_orgs (org, audit_id) VALUES", "(?, ?)", &audience)?;
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
