//! The audit log: queries and the hash chain.

use super::tx::SqliteTx;
use crate::authz::{Perm, Permit};
use crate::error::Result;
use crate::store::AuditStore;
use crate::store::chain::ChainEntry;
use crate::store::model::*;
use crate::store::rows::*;
use anyhow::Context;
use rusqlite::types::Value as Sql;
use rusqlite::{OptionalExtension, params_from_iter};
use serde_json::Value;

impl AuditStore for SqliteTx<'_> {
    fn audit(&self, p: &Permit, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        p.check_audit(q.org.as_deref(), q.include_global)?;
        let (mut sql, mut args) = audit_where(q, "id, at, actor, org, action, target_id, target, changes, change_id, reverts")?;
        sql.push_str(" ORDER BY id DESC");
        if let Some(l) = q.limit {
            args.push(Sql::Integer(l.min(i64::MAX as u64) as i64));
            sql.push_str(&format!(" LIMIT ?{}", args.len()));
        }
        let mut st = self.tx.prepare(&sql).context("preparing the audit query")?;
        let rows = st
            .query_map(params_from_iter(args), |r| {
                let changes: String = r.get("changes")?;
                Ok(AuditEntry {
                    id: r.get("id")?,
                    at: r.get("at")?,
                    actor: r.get("actor")?,
                    org: r.get("org")?,
                    action: r.get("action")?,
                    target_id: r.get("target_id")?,
                    target: r.get("target")?,
                    changes: serde_json::from_str(&changes).unwrap_or(Value::String(changes)),
                    change: r.get("change_id")?,
                    reverts: r.get("reverts")?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<AuditEntry>>>())
            .context("reading the audit log")?;
        let mut v = rows;
        v.reverse();
        Ok(v)
    }

    fn audit_orgs(&self, q: &AuditQuery) -> Result<Vec<Option<String>>> {
        let (sql, args) = audit_where(q, "DISTINCT org")?;
        let mut st = self.tx.prepare(&format!("{sql} ORDER BY org")).context("preparing the audit query")?;
        let rows = st.query_map(params_from_iter(args), |r| r.get("org")).context("reading the entries' organizations")?;
        rows.collect::<rusqlite::Result<Vec<Option<String>>>>().context("reading the entries' organizations")
    }

    fn audit_chain(&self, sink: &mut dyn FnMut(ChainEntry) -> Result<()>) -> Result<()> {
        super::chain::each(&self.tx, sink).context("reading the audit chain")
    }

    fn audit_head(&self, p: &Permit) -> Result<Option<(i64, Option<String>)>> {
        p.check_read(&[Perm::AuditRead], p.org_id())?;
        self.tx
            .query_row("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", [], |r| Ok((r.get("id")?, r.get("hash")?)))
            .optional()
            .context("reading the newest audit entry")
    }

    fn audit_last_assigned(&self) -> Result<i64> {
        super::chain::last_assigned(&self.tx).context("reading the last audit id")
    }

    fn set_reverts(&mut self, entry: Option<i64>) {
        self.reverts = entry;
    }

    fn append_audit(&mut self, p: &Permit, r: &AuditRecord) -> Result<()> {
        let mut e = self.chain_entry(p, r.org.as_deref(), r.target_id, r.target.as_deref(), r.changes.clone());
        e.audience = self.audience(p, r.org.as_deref())?;
        let (id, prev) = super::chain::tail(&self.tx).context("reading the end of the audit chain")?;
        e.id = id;
        super::chain::insert(&self.tx, &e, &prev).context("appending an audit entry")?;
        Ok(())
    }
}

/// The statement selecting the entries `q` names (without order or limit)
/// and its arguments.
fn audit_where(q: &AuditQuery, columns: &str) -> Result<(String, Vec<Sql>)> {
    let mut sql = format!("SELECT {columns} FROM audit WHERE 1 = 1");
    let mut args: Vec<Sql> = Vec::new();
    let cond = |sql: &mut String, args: &mut Vec<Sql>, clause: &str, v: Sql| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(a) = q.actor {
        cond(&mut sql, &mut args, " AND actor_id = ?", Sql::Integer(a));
    }
    if let Some(t) = q.target {
        cond(&mut sql, &mut args, " AND target_id = ?", Sql::Integer(t));
    }
    if let Some(a) = &q.action {
        // `user.edit` is exact; `user` also matches the family `user.*`.
        let exact = a.trim_end_matches('.').to_string();
        args.push(Sql::Text(exact.clone()));
        let n = args.len();
        args.push(Sql::Text(format!("{}.%", exact.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))));
        sql.push_str(&format!(" AND (action = ?{n} OR action LIKE ?{} ESCAPE '\\')", n + 1));
    }
    if let Some(o) = &q.org {
        // Entries of the organization, and changes to identities that
        // belong to it too (recorded in audit_orgs).
        let also = " OR id IN (SELECT audit_id FROM audit_orgs WHERE org = ?)";
        args.push(Sql::Text(o.clone()));
        let n = args.len();
        let also = also.replace('?', &format!("?{n}"));
        if q.include_global {
            sql.push_str(&format!(" AND (org = ?{n} OR org IS NULL{also})"));
        } else {
            sql.push_str(&format!(" AND (org = ?{n}{also})"));
        }
    }
    if let Some(c) = &q.change {
        cond(&mut sql, &mut args, " AND change_id = ?", Sql::Text(c.clone()));
    }
    if let Some(i) = q.id {
        cond(&mut sql, &mut args, " AND id = ?", Sql::Integer(i));
    }
    // Times compare as numbers (`at_unix`), never as text (migration 7).
    let bound = |t: &str| super::chain::unix_seconds(t).ok_or_else(|| anyhow::anyhow!("not an RFC 3339 time: {t}"));
    if let Some(s) = &q.since {
        cond(&mut sql, &mut args, " AND at_unix >= ?", Sql::Integer(bound(s)?));
    }
    if let Some(u) = &q.until {
        cond(&mut sql, &mut args, " AND at_unix < ?", Sql::Integer(bound(u)?));
    }
    Ok((sql, args))
}
