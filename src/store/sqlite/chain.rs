//! The SQL of the audit hash chain: appending a chained entry, reading the
//! chain back in order, and chaining the entries of an older database
//! (migration 5). The encoding and the hash are [`crate::store::chain`]'s.

use crate::error::Result;
use crate::store::chain::{self, ChainEntry};
use rusqlite::{Connection, OptionalExtension, params};

/// The id the next entry gets and the hash it chains to. The id continues
/// from the highest ever assigned (`sqlite_sequence`), so that entries cut
/// off the end leave a gap that `audit verify` names.
pub fn tail(conn: &Connection) -> Result<(i64, String)> {
    let seq: i64 = conn
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'audit'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let last: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let prev = match &last {
        None => chain::GENESIS.to_string(),
        Some((_, h)) => h.clone().unwrap_or_default(),
    };
    let max = last.map(|(id, _)| id).unwrap_or(0);
    Ok((seq.max(max) + 1, prev))
}

/// Insert an entry chained to `prev`; returns its hash.
pub fn insert(conn: &Connection, e: &ChainEntry, prev: &str) -> Result<String> {
    let h = chain::hash(prev, e);
    conn.prepare_cached(&format!(
        "INSERT INTO audit ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        chain::AUDIT_COLUMNS
    ))?
    .execute(params![
        e.id,
        e.at,
        e.actor_id,
        e.actor,
        e.org,
        e.action,
        e.target_id,
        e.target,
        e.changes,
        e.change_id,
        e.reverts,
        h,
        unix_seconds(&e.at)
    ])?;
    if !e.audience.is_empty() {
        let mut st = conn.prepare_cached("INSERT OR IGNORE INTO audit_orgs (org, audit_id) VALUES (?1, ?2)")?;
        for o in &e.audience {
            st.execute(params![o, e.id])?;
        }
    }
    Ok(h)
}

const SELECT: &str = "SELECT id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts, hash,
        (SELECT group_concat(org, char(31)) FROM audit_orgs WHERE audit_id = a.id)
     FROM audit a WHERE id > ?1 ORDER BY id LIMIT ?2";

/// Every entry in id order, a page at a time (constant memory).
pub fn each(conn: &Connection, sink: &mut dyn FnMut(ChainEntry) -> Result<()>) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let page: Vec<ChainEntry> = {
            let mut st = conn.prepare_cached(SELECT)?;
            let rows = st.query_map(params![after, 4096], |r| {
                let audience: Option<String> = r.get(12)?;
                let mut audience: Vec<String> =
                    audience.map(|a| a.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default();
                audience.sort();
                Ok(ChainEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor_id: r.get(2)?,
                    actor: r.get(3)?,
                    org: r.get(4)?,
                    action: r.get(5)?,
                    target_id: r.get(6)?,
                    target: r.get(7)?,
                    changes: r.get(8)?,
                    change_id: r.get(9)?,
                    reverts: r.get(10)?,
                    hash: r.get(11)?,
                    audience,
                })
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let Some(last) = page.last() else { return Ok(()) };
        after = last.id;
        for e in page {
            sink(e)?;
        }
    }
}

/// The highest id ever assigned to an entry (0 for none).
pub fn last_assigned(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0), coalesce((SELECT max(id) FROM audit), 0))",
        [],
        |r| r.get(0),
    )?)
}

/// Migration 5: chain the entries that an older acct wrote, in id order.
/// `each` reads a page completely before it hands the entries over, so no
/// statement is reading the rows that are updated.
pub fn chain_existing(conn: &Connection) -> Result<()> {
    let mut prev = chain::GENESIS.to_string();
    each(conn, &mut |e| {
        let h = chain::hash(&prev, &e);
        conn.prepare_cached("UPDATE audit SET hash = ?1 WHERE id = ?2")?.execute(params![h, e.id])?;
        prev = h;
        Ok(())
    })
}

pub use crate::store::chain::unix_seconds;

/// Migration 7: the numeric time of the entries written before it. `each`
/// reads a page completely before it hands the entries over.
pub fn time_existing(conn: &Connection) -> Result<()> {
    each(conn, &mut |e| {
        conn.prepare_cached("UPDATE audit SET at_unix = ?1 WHERE id = ?2")?.execute(params![unix_seconds(&e.at), e.id])?;
        Ok(())
    })
}

#[cfg(test)]
mod time_tests {
    use super::unix_seconds;

    #[test]
    fn audit_times_of_every_year_are_numbers_in_time_order() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2030-06-01T00:00:00Z"), Some(1_906_502_400));
        assert_eq!(unix_seconds("+10000-01-01T00:00:00Z"), Some(253_402_300_800));
        assert_eq!(unix_seconds("-0001-01-01T00:00:00Z"), Some(-62_198_755_200));
        assert_eq!(unix_seconds("t1"), None);
        let t = chrono::DateTime::from_timestamp(253_402_300_800, 0).unwrap();
        assert_eq!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true), "+10000-01-01T00:00:00Z");
    }
}
