//! The SQLite transaction: what every area of the store shares (the
//! statement helpers, the audit append, the labels of rows), and the
//! transaction itself. Each area's SQL is in its own file: `orgs.rs`,
//! `users.rs` (with `user_query.rs`), `members.rs`, `groups.rs`,
//! `invitations.rs`, `audit.rs`.

use super::now;
use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::Tx;
use crate::store::chain::ChainEntry;
use crate::store::copy::Cell;
use crate::store::model::Completion;
use crate::store::shared::Entry;
use anyhow::Context;
use rusqlite::{OptionalExtension, Params, Row, Transaction, params};

pub struct SqliteTx<'c> {
    pub(super) tx: Transaction<'c>,
    /// The definitions of the indexes set aside by `suspend_indexes`.
    pub(super) suspended: Vec<String>,
    change_id: String,
    pub(super) reverts: Option<i64>,
}

impl<'c> SqliteTx<'c> {
    #[cfg(test)]
    pub fn new(tx: Transaction<'c>) -> Self {
        Self::with_change(tx, &crate::store::chain::new_change_id())
    }

    /// A transaction whose audit entries belong to the change `change_id`.
    pub fn with_change(tx: Transaction<'c>, change_id: &str) -> Self {
        SqliteTx { tx, suspended: Vec::new(), change_id: change_id.to_string(), reverts: None }
    }

    // ------------------------------------------------ statement helpers
    // Each runs one cached statement; the caller says what it was for with
    // `.context(...)`.

    /// Every row of a cached query.
    pub(super) fn all<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Vec<T>> {
        let mut st = self.tx.prepare_cached(sql)?;
        let rows = st.query_map(params, f)?.collect();
        rows
    }

    /// The one row of a cached query.
    pub(super) fn one<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.prepare_cached(sql)?.query_row(params, f)
    }

    /// The row of a cached query, if there is one.
    pub(super) fn maybe<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<T>> {
        self.one(sql, params, f).optional()
    }

    /// Run a cached statement; the number of rows it changed.
    pub(super) fn run<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    // ------------------------------------------------------------ audit

    /// The slugs of the further organizations that see entries written under `p`.
    pub(super) fn audience(&self, p: &Permit, org: Option<&str>) -> Result<Vec<String>> {
        crate::store::shared::audience(p, org, |o| {
            self.maybe("SELECT slug FROM orgs WHERE id = ?1", [o], |r| r.get::<_, String>("slug"))
                .context("reading an organization of the audit audience")
        })
    }

    /// The entry as it will be chained, without its id.
    pub(super) fn chain_entry(
        &self,
        p: &Permit,
        org: Option<&str>,
        target_id: Option<i64>,
        target: Option<&str>,
        changes: String,
    ) -> ChainEntry {
        crate::store::shared::chain_entry(p, Entry { org, target_id, target, changes }, &self.change_id, self.reverts)
    }

    // ------------------------------------------------ labels and shared rows

    /// A change of the user's roles or groups is a change of the user.
    pub(super) fn touch(&self, user: i64) -> Result<()> {
        self.run("UPDATE users SET updated_at = ?1 WHERE id = ?2", params![now(), user])
            .context("updating the user's change time")?;
        Ok(())
    }

    pub(super) fn everyone_group(&self, org: i64) -> Result<i64> {
        self.tx
            .query_row("SELECT id FROM groups WHERE org_id = ?1 AND slug = 'everyone'", [org], |r| r.get("id"))
            .context("reading the organization's 'everyone' group")
    }
}

pub(super) use crate::store::shared::{covers, split};

impl Tx for SqliteTx<'_> {
    fn commit(mut self: Box<Self>) -> Result<()> {
        self.resume_indexes()?;
        self.tx.commit().context("committing the transaction")?;
        Ok(())
    }

    fn suspend_indexes(&mut self) -> Result<()> {
        self.suspend_secondary()
    }

    fn resume_indexes(&mut self) -> Result<()> {
        self.resume_secondary()
    }

    fn step_begin(&mut self) -> Result<()> {
        self.tx.execute_batch("SAVEPOINT step").context("starting a step")?;
        Ok(())
    }

    fn step_end(&mut self, keep: bool) -> Result<()> {
        if keep {
            self.tx.execute_batch("RELEASE step").context("keeping a step")?;
        } else {
            self.tx.execute_batch("ROLLBACK TO step; RELEASE step").context("undoing a step")?;
        }
        Ok(())
    }

    fn is_initialized(&self) -> Result<bool> {
        self.tx
            .query_row("SELECT EXISTS (SELECT 1 FROM orgs) AS initialized", [], |r| r.get("initialized"))
            .context("looking for an organization")
    }

    fn completions(&self, p: &Permit, kind: Completion, org: Option<i64>, prefix: &str, limit: u64) -> Result<Vec<String>> {
        // Organizations: every one under global read, else the actor's own.
        let own = match kind {
            Completion::Orgs => p.check_orgs()?,
            _ => {
                p.check_read(&[kind.perm()], org)?;
                None
            }
        };
        let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        let sql = match kind {
            Completion::Users => {
                "SELECT email AS name FROM (SELECT u.email AS email FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = ?1 AND u.email LIKE ?2 ESCAPE '\\'
                   UNION SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = ?1 AND u.username LIKE ?2 ESCAPE '\\') ORDER BY 1 LIMIT ?3"
            }
            Completion::Roles => {
                "SELECT name FROM roles WHERE scope = 'org' AND (org_id IS NULL OR org_id = ?1) AND name LIKE ?2 ESCAPE '\\'
                 ORDER BY 1 LIMIT ?3"
            }
            Completion::Groups => {
                "SELECT slug AS name FROM groups WHERE org_id = ?1 AND slug LIKE ?2 ESCAPE '\\' ORDER BY 1 LIMIT ?3"
            }
            Completion::Orgs if own.is_some() => {
                "SELECT o.slug AS name FROM orgs o JOIN memberships m ON m.org_id = o.id
                 WHERE m.user_id = ?1 AND o.slug LIKE ?2 ESCAPE '\\' ORDER BY 1 LIMIT ?3"
            }
            Completion::Orgs => "SELECT slug AS name FROM orgs WHERE ?1 = ?1 AND slug LIKE ?2 ESCAPE '\\' ORDER BY 1 LIMIT ?3",
        };
        self.all(sql, params![own.or(org).unwrap_or(0), pattern, limit.min(i64::MAX as u64) as i64], |r| r.get("name"))
            .context("reading names to complete")
    }

    fn dump(&self, table: &str, columns: &[&str], key: &str, sink: &mut dyn FnMut(Vec<Cell>) -> Result<()>) -> Result<()> {
        use rusqlite::types::ValueRef;
        let sql = format!("SELECT {} FROM {table} ORDER BY {key}", columns.join(", "));
        let mut st = self.tx.prepare(&sql).with_context(|| format!("reading {table}"))?;
        let mut rows = st.query([]).with_context(|| format!("reading {table}"))?;
        while let Some(r) = rows.next().with_context(|| format!("reading {table}"))? {
            let mut row = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Real(f) => Cell::Text(f.to_string()),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                });
            }
            sink(row)?;
        }
        Ok(())
    }

    fn load(&mut self, p: &Permit, table: &str, columns: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
        use rusqlite::types::Value;
        covers(p, &[Op::Init], None, None)?;
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), marks.join(", "));
        let mut st = self.tx.prepare_cached(&sql).with_context(|| format!("writing {table}"))?;
        for row in rows {
            let values = row.iter().map(|c| match c {
                Cell::Null => Value::Null,
                Cell::Int(n) => Value::Integer(*n),
                Cell::Text(t) => Value::Text(t.clone()),
                Cell::Bytes(b) => Value::Blob(b.clone()),
            });
            st.execute(rusqlite::params_from_iter(values)).with_context(|| format!("writing {table}"))?;
        }
        Ok(())
    }

    fn session_login(&self) -> Result<Option<String>> {
        Ok(None)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.maybe("SELECT value FROM acct_meta WHERE key = ?1", [key], |r| r.get("value")).context("reading a database setting")
    }

    fn set_setting(&mut self, p: &Permit, key: &str, value: &str) -> Result<()> {
        covers(p, &[Op::DbSet], None, None)?;
        self.run(
            "INSERT INTO acct_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .context("storing a database setting")?;
        Ok(())
    }

    fn set_audit_seq(&mut self, p: &Permit, seq: i64) -> Result<()> {
        covers(p, &[Op::Init], None, None)?;
        self.tx.execute("DELETE FROM sqlite_sequence WHERE name = 'audit'", []).context("setting the audit sequence")?;
        self.tx
            .execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit', ?1)", [seq])
            .context("setting the audit sequence")?;
        Ok(())
    }
}

#[cfg(test)]
mod reuse {
    use super::*;
    use crate::store::conformance::{add, edit, init, named};
    use crate::store::{Selector, Store, UserChange, UserStore};
    use rusqlite::ffi;

    /// The statements of the connection that SQLite prepared more than once.
    fn reprepared(conn: &rusqlite::Connection) -> Vec<(String, i32)> {
        let mut found = Vec::new();
        // SAFETY: the handle and the statements are only read, while `conn`
        // is borrowed and no statement is finalized.
        unsafe {
            let db = conn.handle();
            let mut st = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !st.is_null() {
                let n = ffi::sqlite3_stmt_status(st, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
                if n > 0 {
                    let sql = std::ffi::CStr::from_ptr(ffi::sqlite3_sql(st)).to_string_lossy().into_owned();
                    found.push((sql, n));
                }
                st = ffi::sqlite3_next_stmt(db, st);
            }
        }
        found
    }

    /// The statements of a changed row (the actor as a subject, the member's
    /// row, the edit) are prepared once and reused with other values: no
    /// bound value makes SQLite plan them again.
    #[test]
    fn the_statements_of_a_changed_row_are_prepared_once() {
        let mut store = crate::store::sqlite::SqliteStore::memory().unwrap();
        let w = init(&mut store);
        store.set_bulk_mode(true).unwrap();
        let conn = store.connection();
        let mut t = SqliteTx::new(conn.transaction().unwrap());
        let ids: Vec<i64> = ["ada", "bob", "carol"]
            .iter()
            .map(|n| add(&mut t, w.admin, w.org, &named(&format!("{n}@example.com"), n, "Lovelace"), &["read-only"], None))
            .collect();
        for (i, id) in ids.iter().enumerate() {
            let last = format!("Changed{i}");
            t.subject(w.admin).unwrap().unwrap();
            t.subject(*id).unwrap().unwrap();
            t.find_user(&Selector::Id(*id)).unwrap().unwrap();
            t.user(*id, Some(w.org)).unwrap().unwrap();
            t.user(*id, None).unwrap().unwrap();
            t.name_overrides(*id).unwrap();
            let change = UserChange { last_name: Some(Some(last.clone())), ..UserChange::default() };
            edit(&mut t, w.admin, *id, &change).unwrap();
            assert_eq!(t.user(*id, Some(w.org)).unwrap().unwrap().last_name.as_deref(), Some(last.as_str()));
        }
        let again = reprepared(&t.tx);
        assert!(again.is_empty(), "prepared again on a later use: {again:#?}");
    }
}
