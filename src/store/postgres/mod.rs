//! PostgreSQL behind the [`Store`] and [`Tx`] traits, for a team of
//! operators on several machines who share one account database.
//!
//! Concurrency: every write transaction takes one transaction-level advisory
//! lock first (READ COMMITTED), so writers run one after another across
//! every machine, as SQLite's `BEGIN IMMEDIATE` makes them on one: the facts
//! a decision reads (the last full-admin, the end of the audit chain) still
//! hold at its write. Waiting for the lock is bounded by `lock_timeout`
//! (the busy timeout, 10 s), and the error says what was waited for; the
//! session's `application_name` shows who holds it in `pg_stat_activity`.
//! Read transactions are REPEATABLE READ, READ ONLY: a consistent snapshot.

mod audit;
mod connect;
mod groups;
mod import;
mod invitations;
mod members;
mod orgs;
mod tx;
mod user_query;
mod users;

use super::{Store, Tx};
use crate::error::{Absent, DbFault, Result};
use anyhow::Context;
pub use connect::shown_url;
use postgres::Client;

/// Embedded migrations, numbered as SQLite's (the index + 1 is the schema
/// version); a test holds the two lists to the same length and names.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    ("001_init.sql", include_str!("001_init.sql")),
    ("002_delivery_attempt.sql", include_str!("002_delivery_attempt.sql")),
    ("003_audit_audience.sql", include_str!("003_audit_audience.sql")),
    ("004_role_key.sql", include_str!("004_role_key.sql")),
    ("005_audit_chain.sql", include_str!("005_audit_chain.sql")),
    ("006_name_overrides.sql", include_str!("006_name_overrides.sql")),
    ("007_audit_time.sql", include_str!("007_audit_time.sql")),
    ("008_db_login.sql", include_str!("008_db_login.sql")),
    ("009_statement_foreign_keys.sql", include_str!("009_statement_foreign_keys.sql")),
    ("010_member_count_deltas.sql", include_str!("010_member_count_deltas.sql")),
];

/// The member count of the organization `o` (an alias of orgs): its counter
/// and the deltas not yet folded into it (migration 010).
pub(super) const MEMBER_COUNT: &str =
    "(o.members + coalesce((SELECT sum(d.delta) FROM member_count_deltas d WHERE d.org_id = o.id), 0))::bigint";

/// The advisory lock of the writers (and of migrations): "acct" in ASCII.
const WRITE_LOCK: i64 = 0x6163_6374;

pub struct PgStore {
    client: Client,
    prepared: tx::Prepared,
    /// The URL as messages show it (no password).
    location: String,
    change_id: String,
}

impl PgStore {
    /// Open an acct database, migrating it when it is older than this binary.
    pub fn open(url: &str) -> Result<PgStore> {
        let mut store = Self::connect(url)?;
        match store.version()? {
            None => {
                let why = if store.foreign_tables()? > 0 { None } else { Some(Absent::NotFound) };
                return Err(match why {
                    Some(why) => DbFault::Missing { location: store.location.clone(), why, suggest_init: true },
                    None => DbFault::NotAcct { location: store.location.clone() },
                }
                .into());
            }
            Some(_) => store.migrate()?,
        }
        Ok(store)
    }

    /// Create acct's schema in an existing, empty database. A database with
    /// acct's schema is a conflict; one with other tables is refused.
    pub fn create(url: &str) -> Result<PgStore> {
        let mut store = Self::connect(url)?;
        if store.version()?.is_some() {
            return Err(DbFault::Exists { location: store.location.clone() }.into());
        }
        if store.foreign_tables()? > 0 {
            return Err(DbFault::Foreign { location: store.location.clone() }.into());
        }
        store.migrate()?;
        Ok(store)
    }

    fn connect(url: &str) -> Result<PgStore> {
        let location = shown_url(url);
        let client = connect::client(url)?;
        Ok(PgStore { client, prepared: tx::Prepared::default(), location, change_id: crate::store::chain::new_change_id() })
    }

    /// The schema version, or `None` when there is no acct schema.
    fn version(&mut self) -> Result<Option<u32>> {
        let exists: bool = self
            .client
            .query_one("SELECT to_regclass('acct_meta') IS NOT NULL", &[])
            .context("looking for acct's schema")?
            .get(0);
        if !exists {
            return Ok(None);
        }
        let row = self
            .client
            .query_opt("SELECT value FROM acct_meta WHERE key = 'schema_version'", &[])
            .context("reading the schema version")?;
        match row {
            Some(r) => {
                let v: String = r.get(0);
                Ok(Some(v.parse().map_err(|_| DbFault::Unversioned { location: self.location.clone() })?))
            }
            None => Err(DbFault::Unversioned { location: self.location.clone() }.into()),
        }
    }

    /// Tables in the current schema that are not acct's.
    fn foreign_tables(&mut self) -> Result<i64> {
        Ok(self
            .client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename <> 'acct_meta'",
                &[],
            )
            .context("looking at the database's tables")?
            .get(0))
    }

    /// Apply pending migrations under the writers' lock, each in its own
    /// transaction.
    fn migrate(&mut self) -> Result<()> {
        let known = MIGRATIONS.len() as u32;
        if self.version()? == Some(known) {
            return Ok(());
        }
        loop {
            let mut tx = self.client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]).context("waiting for the other acct writers")?;
            let exists: bool = tx.query_one("SELECT to_regclass('acct_meta') IS NOT NULL", &[])?.get(0);
            let current: u32 = if exists {
                tx.query_opt("SELECT value FROM acct_meta WHERE key = 'schema_version'", &[])?
                    .and_then(|r| r.get::<_, String>(0).parse().ok())
                    .unwrap_or(0)
            } else {
                0
            };
            if current > known {
                return Err(DbFault::Newer { location: self.location.clone(), found: current, known }.into());
            }
            if current == known {
                return Ok(());
            }
            let (_, sql) = MIGRATIONS[current as usize];
            tx.batch_execute(sql).map_err(|e| migration_failed(&e, current + 1))?;
            if current + 1 == 5 {
                audit::chain_existing(&mut tx)?;
            }
            if current + 1 == 7 {
                audit::time_existing(&mut tx)?;
            }
            tx.execute(
                "INSERT INTO acct_meta (key, value) VALUES ('schema_version', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&(current + 1).to_string()],
            )?;
            if current == 0 {
                tx.execute(
                    "INSERT INTO acct_meta (key, value) VALUES ('application', 'acct'), ('email_key_version', '2'),
                        ('audit_seq', '0') ON CONFLICT (key) DO NOTHING",
                    &[],
                )?;
            }
            tx.commit()?;
        }
    }
}

/// The schema version of a database, without migrating it (0: no schema).
pub fn peek_version(url: &str) -> Result<u32> {
    let mut store = PgStore::connect(url)?;
    match store.version()? {
        Some(v) => Ok(v),
        None if store.foreign_tables()? > 0 => Err(DbFault::NotAcct { location: store.location.clone() }.into()),
        None => Err(DbFault::Missing { location: store.location.clone(), why: Absent::NotFound, suggest_init: true }.into()),
    }
}

/// A failed migration, with the server's message.
fn migration_failed(e: &postgres::Error, version: u32) -> anyhow::Error {
    let why = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
    DbFault::MigrationFailed { version, why }.into()
}

impl Store for PgStore {
    fn read(&mut self) -> Result<Box<dyn Tx + '_>> {
        let PgStore { client, prepared, change_id, .. } = self;
        let tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .context("starting a read transaction")?;
        Ok(Box::new(tx::PgTx::new(tx, prepared, change_id, false)))
    }

    fn write(&mut self) -> Result<Box<dyn Tx + '_>> {
        let PgStore { client, prepared, change_id, .. } = self;
        let mut tx = client.transaction().context("starting a write transaction")?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK]).map_err(|e| connect::lock_wait(&e))?;
        Ok(Box::new(tx::PgTx::new(tx, prepared, change_id, true)))
    }

    fn backup(&mut self, dest: &std::path::Path) -> Result<()> {
        if dest.exists() {
            return Err(DbFault::DestinationExists { location: dest.display().to_string() }.into());
        }
        let mut to = crate::store::sqlite::SqliteStore::create(dest)?;
        let result = crate::store::copy::copy(self, &mut to).map(|_| ());
        if result.is_err() {
            drop(to);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", dest.display()));
            }
        }
        result
    }

    fn check(&mut self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for r in self.client.query(
            &format!(
                "SELECT slug, c, n FROM (SELECT o.slug, {MEMBER_COUNT} AS c, (SELECT count(*) FROM memberships m WHERE m.org_id = o.id) AS n
                   FROM orgs o) x WHERE c <> n ORDER BY slug"
            ),
            &[],
        )? {
            problems.push(format!(
                "counts: {} records {} members, has {}",
                r.get::<_, String>(0),
                r.get::<_, i64>(1),
                r.get::<_, i64>(2)
            ));
        }
        for r in self.client.query(
            "SELECT o.slug, u.email FROM memberships m JOIN orgs o ON o.id = m.org_id JOIN users u ON u.id = m.user_id
             WHERE m.role_key <> coalesce((SELECT string_agg(r.name, ';' ORDER BY r.name) FROM user_roles ur
                 JOIN roles r ON r.id = ur.role_id WHERE ur.org_id = m.org_id AND ur.user_id = m.user_id), '')
             ORDER BY o.slug, u.email",
            &[],
        )? {
            problems.push(format!(
                "role key: {} in {} is sorted by roles it no longer holds",
                crate::error::one_line(&r.get::<_, String>(1)),
                r.get::<_, String>(0)
            ));
        }
        Ok(problems)
    }

    fn schema_version(&mut self) -> Result<(u32, u32)> {
        Ok((self.version()?.unwrap_or(0), MIGRATIONS.len() as u32))
    }

    fn set_change_id(&mut self, id: &str) {
        self.change_id = id.to_string();
    }

    fn set_bulk_mode(&mut self, _on: bool) -> Result<()> {
        // The server sizes its own caches; nothing to change per session.
        Ok(())
    }
}

#[cfg(test)]
mod tests;
