//! The audit log: queries, and the SQL of the hash chain (appending a
//! chained entry, reading the chain back in order, chaining the entries of
//! an older schema). The encoding and the hash are [`crate::store::chain`]'s.

use super::tx::{Params, PgTx};
use crate::authz::{Perm, Permit};
use crate::error::Result;
use crate::store::AuditStore;
use crate::store::chain::{self, ChainEntry, unix_seconds};
use crate::store::model::*;
use crate::store::rows::*;
use anyhow::Context;
use postgres::types::ToSql;
use postgres::{GenericClient, Row};
use serde_json::Value;

/// A parameter of a statement built at run time.
type Arg = Box<dyn ToSql + Sync>;

fn refs(args: &[Arg]) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect()
}

const CHAIN_SELECT: &str = "SELECT id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts, hash,
        (SELECT string_agg(o.org, chr(31) ORDER BY o.org) FROM audit_orgs o WHERE o.audit_id = a.id) AS audience
     FROM audit a WHERE id > $1 ORDER BY id LIMIT $2";

fn chain_row(r: &Row) -> Result<ChainEntry, postgres::Error> {
    let audience: Option<String> = r.try_get("audience")?;
    Ok(ChainEntry {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor: r.try_get("actor")?,
        org: r.try_get("org")?,
        action: r.try_get("action")?,
        target_id: r.try_get("target_id")?,
        target: r.try_get("target")?,
        changes: r.try_get("changes")?,
        change_id: r.try_get("change_id")?,
        reverts: r.try_get("reverts")?,
        hash: r.try_get("hash")?,
        audience: audience.map(|a| a.split('\u{1f}').map(str::to_string).collect()).unwrap_or_default(),
    })
}

/// Every entry in id order, a page at a time (constant memory), through any
/// client (a transaction, or the migration's).
fn each_entry(c: &mut impl GenericClient, sink: &mut dyn FnMut(ChainEntry) -> Result<()>) -> Result<()> {
    let mut after = i64::MIN;
    loop {
        let page: Vec<ChainEntry> =
            c.query(CHAIN_SELECT, &[&after, &4096i64])?.iter().map(chain_row).collect::<Result<_, _>>()?;
        let Some(last) = page.last() else { return Ok(()) };
        after = last.id;
        for e in page {
            sink(e)?;
        }
    }
}

/// Migration 5: chain the entries written before it, in id order.
pub(super) fn chain_existing(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let mut entries = Vec::new();
    each_entry(tx, &mut |e| {
        entries.push(e);
        Ok(())
    })?;
    let mut prev = chain::GENESIS.to_string();
    for e in entries {
        let h = chain::hash(&prev, &e);
        tx.execute("UPDATE audit SET hash = $1 WHERE id = $2", &[&h, &e.id])?;
        prev = h;
    }
    Ok(())
}

/// Migration 7: the numeric time of the entries written before it.
pub(super) fn time_existing(tx: &mut postgres::Transaction<'_>) -> Result<()> {
    let mut times = Vec::new();
    each_entry(tx, &mut |e| {
        times.push((e.id, unix_seconds(&e.at)));
        Ok(())
    })?;
    for (id, t) in times {
        tx.execute("UPDATE audit SET at_unix = $1 WHERE id = $2", &[&t, &id])?;
    }
    Ok(())
}

pub(super) use crate::store::chain::AUDIT_COLUMNS;

/// The values of an entry's row, with its hash and its time in seconds.
pub(super) fn audit_values<'a>(e: &'a ChainEntry, hash: &'a String, at_unix: &'a Option<i64>) -> [&'a (dyn ToSql + Sync); 13] {
    [
        &e.id,
        &e.at,
        &e.actor_id,
        &e.actor,
        &e.org,
        &e.action,
        &e.target_id,
        &e.target,
        &e.changes,
        &e.change_id,
        &e.reverts,
        hash,
        at_unix,
    ]
}

impl PgTx<'_> {
    /// The id the next entry gets and the hash it chains to. Ids continue
    /// from the highest ever given (`audit_seq`), so that entries cut off
    /// the end leave a gap that `audit verify` names.
    pub(super) fn tail(&self) -> Result<(i64, String)> {
        if let Some(end) = self.chain_end.borrow().clone() {
            return Ok(end);
        }
        let seq = self.audit_seq()?;
        let last: Option<(i64, Option<String>)> =
            self.maybe("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &[], |r| {
                Ok((r.try_get("id")?, r.try_get("hash")?))
            })?;
        let prev = match &last {
            None => chain::GENESIS.to_string(),
            Some((_, h)) => h.clone().unwrap_or_default(),
        };
        let max = last.map(|(id, _)| id).unwrap_or(0);
        Ok((seq.max(max) + 1, prev))
    }

    fn audit_seq(&self) -> Result<i64> {
        let v: Option<String> = self.maybe("SELECT value FROM acct_meta WHERE key = 'audit_seq'", &[], |r| r.try_get("value"))?;
        Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Insert an entry chained to `prev`.
    fn insert_entry(&self, e: &ChainEntry, prev: &str) -> Result<()> {
        let h = chain::hash(prev, e);
        let at_unix = unix_seconds(&e.at);
        self.run(
            &format!("INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"),
            &audit_values(e, &h, &at_unix),
        )?;
        for o in &e.audience {
            self.run("INSERT INTO audit_orgs (org, audit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", &[o, &e.id])?;
        }
        self.appended.set(self.appended.get().max(e.id));
        *self.chain_end.borrow_mut() = Some((e.id + 1, h));
        Ok(())
    }
}

impl AuditStore for PgTx<'_> {
    fn audit(&self, p: &Permit, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        p.check_audit(q.org.as_deref(), q.include_global)?;
        let (mut sql, mut args) = audit_where(q, "id, at, actor, org, action, target_id, target, changes, change_id, reverts")?;
        sql.push_str(" ORDER BY id DESC");
        if let Some(l) = q.limit {
            args.push(Box::new(l.min(i64::MAX as u64) as i64));
            sql.push_str(&format!(" LIMIT ${}", args.len()));
        }
        let params: Params<'_> = &refs(&args);
        let mut v = self
            .all(&sql, params, |r| {
                let changes: String = r.try_get("changes")?;
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    org: r.try_get("org")?,
                    action: r.try_get("action")?,
                    target_id: r.try_get("target_id")?,
                    target: r.try_get("target")?,
                    changes: serde_json::from_str(&changes).unwrap_or(Value::String(changes)),
                    change: r.try_get("change_id")?,
                    reverts: r.try_get("reverts")?,
                })
            })
            .context("reading the audit log")?;
        v.reverse();
        Ok(v)
    }

    fn audit_orgs(&self, q: &AuditQuery) -> Result<Vec<Option<String>>> {
        let (sql, args) = audit_where(q, "DISTINCT org")?;
        self.all(&format!("{sql} ORDER BY org NULLS FIRST"), &refs(&args), |r| r.try_get("org"))
            .context("reading the entries' organizations")
    }

    fn audit_chain(&self, sink: &mut dyn FnMut(ChainEntry) -> Result<()>) -> Result<()> {
        let mut after = i64::MIN;
        loop {
            let page = self.all(CHAIN_SELECT, &[&after, &4096i64], chain_row).context("reading the audit chain")?;
            let Some(last) = page.last() else { return Ok(()) };
            after = last.id;
            for mut e in page {
                e.audience.sort();
                sink(e)?;
            }
        }
    }

    fn audit_head(&self, p: &Permit) -> Result<Option<(i64, Option<String>)>> {
        p.check_read(&[Perm::AuditRead], p.org_id())?;
        self.maybe("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &[], |r| Ok((r.try_get("id")?, r.try_get("hash")?)))
            .context("reading the newest audit entry")
    }

    fn audit_last_assigned(&self) -> Result<i64> {
        let max: Option<i64> =
            self.one("SELECT max(id) AS id FROM audit", &[], |r| r.try_get("id")).context("reading the last audit id")?;
        Ok(self.audit_seq().context("reading the last audit id")?.max(max.unwrap_or(0)))
    }

    fn set_reverts(&mut self, entry: Option<i64>) {
        self.reverts = entry;
    }

    fn append_audit(&mut self, p: &Permit, r: &AuditRecord) -> Result<()> {
        let mut e = self.chain_entry(p, r.org.as_deref(), r.target_id, r.target.as_deref(), r.changes.clone());
        e.audience = self.audience(p, r.org.as_deref())?;
        let (id, prev) = self.tail().context("reading the end of the audit chain")?;
        e.id = id;
        self.insert_entry(&e, &prev).context("appending an audit entry")?;
        Ok(())
    }
}

/// The statement selecting the entries `q` names (without order or limit)
/// and its arguments.
fn audit_where(q: &AuditQuery, columns: &str) -> Result<(String, Vec<Arg>)> {
    let mut sql = format!("SELECT {columns} FROM audit WHERE true");
    let mut args: Vec<Arg> = Vec::new();
    fn cond(sql: &mut String, args: &mut Vec<Arg>, clause: &str, v: Arg) {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("${}", args.len())));
    }
    if let Some(a) = q.actor {
        cond(&mut sql, &mut args, " AND actor_id = ?", Box::new(a));
    }
    if let Some(t) = q.target {
        cond(&mut sql, &mut args, " AND target_id = ?", Box::new(t));
    }
    if let Some(a) = &q.action {
        // `user.edit` is exact; `user` also matches the family `user.*`.
        let exact = a.trim_end_matches('.').to_string();
        let family = format!("{}.%", exact.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        args.push(Box::new(exact));
        let n = args.len();
        args.push(Box::new(family));
        sql.push_str(&format!(" AND (action = ${n} OR action LIKE ${} ESCAPE '\\')", n + 1));
    }
    if let Some(o) = &q.org {
        // Entries of the organization, and changes to identities that
        // belong to it too (recorded in audit_orgs).
        args.push(Box::new(o.clone()));
        let n = args.len();
        let also = format!(" OR id IN (SELECT audit_id FROM audit_orgs WHERE org = ${n})");
        if q.include_global {
            sql.push_str(&format!(" AND (org = ${n} OR org IS NULL{also})"));
        } else {
            sql.push_str(&format!(" AND (org = ${n}{also})"));
        }
    }
    if let Some(c) = &q.change {
        cond(&mut sql, &mut args, " AND change_id = ?", Box::new(c.clone()));
    }
    if let Some(i) = q.id {
        cond(&mut sql, &mut args, " AND id = ?", Box::new(i));
    }
    // Times compare as numbers (`at_unix`), never as text.
    let bound = |t: &str| unix_seconds(t).ok_or_else(|| anyhow::anyhow!("not an RFC 3339 time: {t}"));
    if let Some(s) = &q.since {
        cond(&mut sql, &mut args, " AND at_unix >= ?", Box::new(bound(s)?));
    }
    if let Some(u) = &q.until {
        cond(&mut sql, &mut args, " AND at_unix < ?", Box::new(bound(u)?));
    }
    Ok((sql, args))
}
