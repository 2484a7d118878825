//! The PostgreSQL transaction: the statement helpers every area shares, the
//! audit entry's chained form, and the transaction itself. Each area's SQL
//! is in its own file, as for SQLite.

use crate::authz::{Op, Permit};
use crate::error::Result;
use crate::store::Tx;
use crate::store::chain::ChainEntry;
use crate::store::copy::Cell;
use crate::store::model::Completion;
use crate::store::shared::Entry;
use crate::store::sqlite::now;
use anyhow::Context;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Row, Statement, Transaction};
use std::cell::RefCell;

/// The parameters of a statement.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// The statements a connection has prepared, by their text: each is parsed
/// and planned by the server once, then only executed (one round trip
/// instead of two).
#[derive(Default)]
pub struct Prepared(RefCell<std::collections::HashMap<String, Statement>>);

/// Distinct statements kept per connection (built listings vary their text).
const PREPARED_MAX: usize = 512;

pub struct PgTx<'c> {
    tx: RefCell<Transaction<'c>>,
    prepared: &'c Prepared,
    change_id: String,
    pub(super) reverts: Option<i64>,
    /// The highest audit id this transaction appended (0: none), written to
    /// `audit_seq` once, at commit: a row updated by every entry would grow
    /// a chain of versions that each later look-up walks. One mark per open
    /// savepoint, to forget the entries a rolled-back step appended.
    pub(super) appended: std::cell::Cell<i64>,
    /// The end of the audit chain (the next id and the hash to chain to)
    /// once this transaction has appended an entry: each further entry
    /// chains to it without asking the server (writers hold the lock).
    pub(super) chain_end: RefCell<Option<(i64, String)>>,
    marks: Vec<(i64, Option<(i64, String)>)>,
    /// A write transaction: it folds the member-count deltas at commit.
    writes: bool,
}

impl<'c> PgTx<'c> {
    pub fn new(tx: Transaction<'c>, prepared: &'c Prepared, change_id: &str, writes: bool) -> Self {
        PgTx {
            tx: RefCell::new(tx),
            prepared,
            change_id: change_id.to_string(),
            reverts: None,
            appended: std::cell::Cell::new(0),
            chain_end: RefCell::new(None),
            marks: Vec::new(),
            writes,
        }
    }

    /// The prepared statement of `sql`.
    fn statement(&self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(st) = self.prepared.0.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.borrow_mut().prepare(sql)?;
        let mut cache = self.prepared.0.borrow_mut();
        if cache.len() >= PREPARED_MAX {
            cache.clear();
        }
        cache.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    // ------------------------------------------------ statement helpers
    // The caller says what each statement was for with `.context(...)`.

    /// Every row of a query.
    pub(super) fn all<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        mut f: impl FnMut(&Row) -> std::result::Result<T, postgres::Error>,
    ) -> std::result::Result<Vec<T>, postgres::Error> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query(&st, params)?.iter().map(&mut f).collect()
    }

    /// The one row of a query.
    pub(super) fn one<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        f: impl FnOnce(&Row) -> std::result::Result<T, postgres::Error>,
    ) -> std::result::Result<T, postgres::Error> {
        let st = self.statement(sql)?;
        f(&self.tx.borrow_mut().query_one(&st, params)?)
    }

    /// The row of a query, if there is one.
    pub(super) fn maybe<T>(
        &self,
        sql: &str,
        params: Params<'_>,
        f: impl FnOnce(&Row) -> std::result::Result<T, postgres::Error>,
    ) -> std::result::Result<Option<T>, postgres::Error> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().query_opt(&st, params)?.as_ref().map(f).transpose()
    }

    /// Run a statement; the number of rows it changed.
    pub(super) fn run(&self, sql: &str, params: Params<'_>) -> std::result::Result<u64, postgres::Error> {
        let st = self.statement(sql)?;
        self.tx.borrow_mut().execute(&st, params)
    }

    /// Rows of a query handed to `f` one at a time as they arrive (constant
    /// memory); `f` must not use the transaction.
    pub(super) fn each(&self, sql: &str, params: Params<'_>, f: &mut dyn FnMut(&Row) -> Result<()>) -> Result<u64> {
        use postgres::fallible_iterator::FallibleIterator;
        let st = self.statement(sql).context("preparing a query")?;
        let mut tx = self.tx.borrow_mut();
        let mut rows = tx.query_raw(&st, params.iter().copied()).context("running a query")?;
        let mut n = 0;
        while let Some(r) = rows.next().context("reading the next row")? {
            f(&r)?;
            n += 1;
        }
        Ok(n)
    }

    /// Stream rows into `sql`, a `COPY … FROM STDIN (FORMAT binary)` of
    /// columns of `types`: `f` writes them. The number of rows copied. Values
    /// travel in binary, as parameters do: nothing is quoted or escaped.
    pub(super) fn copy_in(
        &self,
        sql: &str,
        types: &[Type],
        f: impl FnOnce(&mut BinaryCopyInWriter<'_>) -> std::result::Result<(), postgres::Error>,
    ) -> std::result::Result<u64, postgres::Error> {
        let st = self.statement(sql)?;
        let mut tx = self.tx.borrow_mut();
        let mut w = BinaryCopyInWriter::new(tx.copy_in(&st)?, types);
        // On an error the writer is dropped unfinished, which aborts the COPY.
        f(&mut w)?;
        w.finish()
    }

    /// Run statements that take no parameters.
    pub(super) fn batch(&self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.tx.borrow_mut().batch_execute(sql)
    }

    // ------------------------------------------------------------ audit

    /// The slugs of the further organizations that see entries written under `p`.
    pub(super) fn audience(&self, p: &Permit, org: Option<&str>) -> Result<Vec<String>> {
        crate::store::shared::audience(p, org, |o| {
            self.maybe("SELECT slug FROM orgs WHERE id = $1", &[&o], |r| r.try_get::<_, String>("slug"))
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
        self.run("UPDATE users SET updated_at = $1 WHERE id = $2", &[&now(), &user])
            .context("updating the user's change time")?;
        Ok(())
    }

    pub(super) fn everyone_group(&self, org: i64) -> Result<i64> {
        self.one("SELECT id FROM groups WHERE org_id = $1 AND slug = 'everyone'", &[&org], |r| r.try_get("id"))
            .context("reading the organization's 'everyone' group")
    }
}

pub(super) use crate::store::shared::{covers, split};

impl Tx for PgTx<'_> {
    fn commit(self: Box<Self>) -> Result<()> {
        if self.writes {
            // One round trip: the member-count deltas of this and earlier
            // transactions into the counters, one update of each
            // organization's row (migration 010); and the highest audit id
            // appended, never lowered (a copy may have set it past the
            // entries it copied).
            let mut sql = String::from(
                "WITH d AS (DELETE FROM member_count_deltas RETURNING org_id, delta)
                 UPDATE orgs o SET members = o.members + s.n
                   FROM (SELECT org_id, sum(delta)::bigint AS n FROM d GROUP BY org_id) s
                  WHERE o.id = s.org_id AND s.n <> 0;",
            );
            let last = self.appended.get();
            if last > 0 {
                sql.push_str(&format!(
                    "INSERT INTO acct_meta (key, value) VALUES ('audit_seq', '{last}') ON CONFLICT (key)
                     DO UPDATE SET value = greatest(acct_meta.value::bigint, excluded.value::bigint)::text;"
                ));
            }
            self.batch(&sql).context("recording the member counts and the last audit id")?;
        }
        self.tx.into_inner().commit().context("committing the transaction")?;
        Ok(())
    }

    fn suspend_indexes(&mut self) -> Result<()> {
        // The server maintains its indexes in bulk itself (COPY); nothing is
        // set aside.
        Ok(())
    }

    fn resume_indexes(&mut self) -> Result<()> {
        Ok(())
    }

    fn step_begin(&mut self) -> Result<()> {
        self.batch("SAVEPOINT step").context("starting a step")?;
        self.marks.push((self.appended.get(), self.chain_end.borrow().clone()));
        Ok(())
    }

    fn step_end(&mut self, keep: bool) -> Result<()> {
        let (mark, end) = self.marks.pop().unwrap_or((0, None));
        if keep {
            self.batch("RELEASE SAVEPOINT step").context("keeping a step")?;
        } else {
            self.batch("ROLLBACK TO SAVEPOINT step; RELEASE SAVEPOINT step").context("undoing a step")?;
            self.appended.set(mark);
            *self.chain_end.borrow_mut() = end;
        }
        Ok(())
    }

    fn is_initialized(&self) -> Result<bool> {
        self.one("SELECT EXISTS (SELECT 1 FROM orgs) AS initialized", &[], |r| r.try_get("initialized"))
            .context("looking for an organization")
    }

    fn completions(&self, p: &Permit, kind: Completion, org: Option<i64>, prefix: &str, limit: u64) -> Result<Vec<String>> {
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
                "SELECT name FROM (SELECT u.email AS name FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = $1 AND u.email LIKE $2 ESCAPE '\\'
                   UNION SELECT u.username FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.org_id = $1 AND u.username LIKE $2 ESCAPE '\\') AS names ORDER BY 1 LIMIT $3"
            }
            Completion::Roles => {
                "SELECT name FROM roles WHERE scope = 'org' AND (org_id IS NULL OR org_id = $1) AND name LIKE $2 ESCAPE '\\'
                 ORDER BY 1 LIMIT $3"
            }
            Completion::Groups => {
                "SELECT slug AS name FROM groups WHERE org_id = $1 AND slug LIKE $2 ESCAPE '\\' ORDER BY 1 LIMIT $3"
            }
            Completion::Orgs if own.is_some() => {
                "SELECT o.slug AS name FROM orgs o JOIN memberships m ON m.org_id = o.id
                 WHERE m.user_id = $1 AND o.slug LIKE $2 ESCAPE '\\' ORDER BY 1 LIMIT $3"
            }
            Completion::Orgs => {
                "SELECT slug AS name FROM orgs WHERE $1::bigint = $1 AND slug LIKE $2 ESCAPE '\\' ORDER BY 1 LIMIT $3"
            }
        };
        let limit = limit.min(i64::MAX as u64) as i64;
        self.all(sql, &[&own.or(org).unwrap_or(0), &pattern, &limit], |r| r.try_get("name")).context("reading names to complete")
    }

    fn dump(&self, table: &str, columns: &[&str], key: &str, sink: &mut dyn FnMut(Vec<Cell>) -> Result<()>) -> Result<()> {
        use postgres::types::Type;
        let sql = format!("SELECT {} FROM {table} ORDER BY {key}", columns.join(", "));
        self.each(&sql, &[], &mut |r| {
            let mut row = Vec::with_capacity(columns.len());
            for (i, c) in r.columns().iter().enumerate() {
                let cell = match *c.type_() {
                    Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(|b| Cell::Int(b as i64)),
                    Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(Cell::Int),
                    Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i)?.map(Cell::Bytes),
                    _ => r.try_get::<_, Option<String>>(i)?.map(Cell::Text),
                };
                row.push(cell.unwrap_or(Cell::Null));
            }
            sink(row)
        })
        .with_context(|| format!("reading {table}"))?;
        Ok(())
    }

    fn load(&mut self, p: &Permit, table: &str, columns: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
        use postgres::types::Type;
        covers(p, &[Op::Init], None, None)?;
        // Rows copied into the audit table move its end.
        *self.chain_end.borrow_mut() = None;
        let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
        let sql = format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), marks.join(", "));
        let mut tx = self.tx.borrow_mut();
        let st = tx.prepare(&sql).with_context(|| format!("writing {table}"))?;
        let types: Vec<Type> = st.params().to_vec();
        for row in rows {
            let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(row.len());
            for (cell, ty) in row.iter().zip(&types) {
                values.push(match (cell, ty) {
                    (Cell::Null, &Type::BOOL) => Box::new(None::<bool>),
                    (Cell::Null, &Type::INT8) => Box::new(None::<i64>),
                    (Cell::Null, &Type::BYTEA) => Box::new(None::<Vec<u8>>),
                    (Cell::Null, _) => Box::new(None::<String>),
                    (Cell::Int(n), &Type::BOOL) => Box::new(*n != 0),
                    (Cell::Int(n), &Type::INT8) => Box::new(*n),
                    (Cell::Int(n), _) => Box::new(n.to_string()),
                    (Cell::Text(t), &Type::INT8) => {
                        Box::new(t.parse::<i64>().with_context(|| format!("{table}: '{t}' is not a number"))?)
                    }
                    (Cell::Text(t), _) => Box::new(t.clone()),
                    (Cell::Bytes(b), &Type::BYTEA) => Box::new(b.clone()),
                    (Cell::Bytes(b), _) => Box::new(String::from_utf8_lossy(b).into_owned()),
                });
            }
            let refs: Vec<&(dyn ToSql + Sync)> = values.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
            tx.execute(&st, &refs).with_context(|| format!("writing {table}"))?;
        }
        Ok(())
    }

    fn session_login(&self) -> Result<Option<String>> {
        Ok(Some(
            self.one("SELECT session_user::text AS login", &[], |r| r.try_get("login")).context("reading the session's login")?,
        ))
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.maybe("SELECT value FROM acct_meta WHERE key = $1", &[&key], |r| r.try_get("value"))
            .context("reading a database setting")
    }

    fn set_setting(&mut self, p: &Permit, key: &str, value: &str) -> Result<()> {
        covers(p, &[Op::DbSet], None, None)?;
        self.run(
            "INSERT INTO acct_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )
        .context("storing a database setting")?;
        Ok(())
    }

    fn set_audit_seq(&mut self, p: &Permit, seq: i64) -> Result<()> {
        covers(p, &[Op::Init], None, None)?;
        *self.chain_end.borrow_mut() = None;
        self.run(
            "INSERT INTO acct_meta (key, value) VALUES ('audit_seq', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&seq.to_string()],
        )
        .context("setting the audit sequence")?;
        // The identities continue after the copied ids.
        self.batch(
            "SELECT setval(pg_get_serial_sequence(t, 'id'), coalesce(m, 0) + 1, false)
               FROM (VALUES ('orgs', (SELECT max(id) FROM orgs)), ('groups', (SELECT max(id) FROM groups)),
                            ('users', (SELECT max(id) FROM users)), ('roles', (SELECT max(id) FROM roles)),
                            ('invitations', (SELECT max(id) FROM invitations))) AS s (t, m)",
        )
        .context("moving the id sequences past the copied rows")?;
        Ok(())
    }
}
