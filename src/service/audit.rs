//! The audit log.

use super::user_id;
use crate::authz::{self, Perm, Request};
use crate::context::Ctx;
use crate::error::{AppError, Kind, Result, one_line};
use crate::store::{AuditEntry, AuditQuery};

pub struct Filter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub limit: Option<u64>,
}

/// A time bound: RFC 3339, a date (`2026-11-01`), or an age (`30m`, `12h`, `7d`).
pub fn parse_time(s: &str) -> Result<String, AppError> {
    use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
    let bad = || {
        AppError::new(Kind::Usage, format!("invalid time '{}'", one_line(s)))
            .with_hint("use RFC 3339 (2026-11-01T09:00:00Z), a date (2026-11-01) or an age (30m, 12h, 7d)")
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc();
        return Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true));
    }
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
    let n: i64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => n,
        "m" => n.checked_mul(60).ok_or_else(bad)?,
        "h" => n.checked_mul(3600).ok_or_else(bad)?,
        "d" => n.checked_mul(86_400).ok_or_else(bad)?,
        "w" => n.checked_mul(604_800).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    let delta = chrono::TimeDelta::try_seconds(secs).ok_or_else(bad)?;
    let t = Utc::now().checked_sub_signed(delta).ok_or_else(bad)?;
    Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub fn list(ctx: &Ctx, f: &Filter) -> Result<Vec<AuditEntry>> {
    let since = f.since.as_deref().map(parse_time).transpose()?;
    let until = f.until.as_deref().map(parse_time).transpose()?;
    let mut store = ctx.open_store()?;
    let tx = store.read()?;
    let actor = ctx.actor(&*tx)?;
    let org = ctx.org(&*tx)?;
    let _ = authz::decide(&actor, &Request::Read { org: &org.facts(), perm: Perm::AuditRead })?;
    let q = AuditQuery {
        actor: f.actor.as_deref().map(|u| user_id(&*tx, u)).transpose()?,
        target: f.target.as_deref().map(|u| user_id(&*tx, u)).transpose()?,
        action: f.action.clone(),
        org: Some(org.slug.clone()),
        include_global: authz::decide(&actor, &Request::GlobalRead).is_ok(),
        since,
        until,
        limit: f.limit,
    };
    tx.audit(&q)
}
