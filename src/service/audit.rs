//! The audit log.

use super::user_id;
use crate::authz::{self, Perm, Request, Subject};
use crate::error::{AppError, Kind, Result, one_line};
use crate::store::chain::{self, ChainEntry};
use crate::store::{AuditEntry, AuditQuery, Org, Tx};

#[derive(Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    /// Bounds as `parse_time` gives them (RFC 3339, UTC).
    pub since: Option<String>,
    pub until: Option<String>,
    pub change: Option<String>,
    pub limit: Option<u64>,
    /// Newest first (the default is oldest first).
    pub reverse: bool,
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
    // A year past 9999, as acct writes it (`+10000-01-01T00:00:00Z`).
    if let Ok(t) = s.parse::<DateTime<Utc>>() {
        return Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true));
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

pub fn list(tx: &dyn Tx, actor: &Subject, org: &Org, f: &Filter) -> Result<Vec<AuditEntry>> {
    let mut seen = authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::AuditRead })?;
    // With global read, the entries of no organization too.
    let include_global = match authz::decide(actor, &Request::GlobalRead) {
        Ok(global) => {
            seen = global;
            true
        }
        Err(_) => false,
    };
    let q = AuditQuery {
        actor: f.actor.as_deref().map(|u| user_id(tx, u)).transpose()?,
        target: f.target.as_deref().map(|u| user_id(tx, u)).transpose()?,
        action: f.action.clone(),
        org: Some(org.slug.clone()),
        include_global,
        since: f.since.clone(),
        until: f.until.clone(),
        change: f.change.clone(),
        id: None,
        limit: f.limit,
    };
    let mut v = tx.audit(&seen, &q)?;
    if f.reverse {
        v.reverse();
    }
    Ok(v)
}

/// Where the chain breaks: the first entry altered, removed or inserted, or
/// a head that the log no longer extends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    Altered(i64),
    Inserted(i64),
    Removed {
        first: i64,
        last: i64,
    },
    /// Entries cut off the end of the log (ids were given up to `assigned`).
    CutOff {
        last: i64,
        assigned: i64,
    },
    /// The kept head is past the end of the log.
    HeadMissing {
        head: i64,
        last: i64,
    },
    /// The kept head's entry has another hash now.
    HeadRewritten {
        head: i64,
    },
}

impl Break {
    pub fn message(&self) -> String {
        let what = match self {
            Break::Altered(n) => format!("entry {n} was altered (its hash does not match its contents)"),
            Break::Inserted(n) => format!("entry {n} was inserted outside acct (it has no hash)"),
            Break::Removed { first, last } if first == last => format!("entry {first} was removed"),
            Break::Removed { first, last } => format!("entries {first} to {last} were removed"),
            Break::CutOff { last, assigned } if last + 1 == *assigned => {
                format!("entry {assigned} was removed from the end of the log")
            }
            Break::CutOff { last, assigned } => {
                format!("entries {} to {assigned} were removed from the end of the log", last + 1)
            }
            Break::HeadMissing { head, last } => {
                format!("the log no longer extends the head {head}: it ends at entry {last}, so entries were cut off after it")
            }
            Break::HeadRewritten { head } => {
                format!("the log no longer extends the head {head}: entry {head} has another hash now")
            }
        };
        format!("the audit log was tampered with: {what}")
    }
}

/// An intact chain: how many entries, and the newest one's id and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub entries: u64,
    pub head: Option<(i64, String)>,
}

/// Recompute the chain from the genesis value. Entry ids are given without
/// gaps (a rolled-back transaction gives its ids back), so a missing id is a
/// removed entry; an entry whose hash is not that of its contents chained to
/// the previous entry's hash was altered (or inserted by someone who made up
/// a hash); an entry without a hash was inserted outside acct. With `head`,
/// the entry kept as the head must still be there with the same hash.
pub fn verify_chain(tx: &dyn Tx, head: Option<&(i64, String)>) -> Result<Result<Intact, Break>> {
    let mut prev = chain::GENESIS.to_string();
    let mut expected = 1;
    let mut entries = 0u64;
    let mut last: Option<(i64, String)> = None;
    let mut broken: Option<Break> = None;
    let mut head_seen = false;
    tx.audit_chain(&mut |e: ChainEntry| {
        if broken.is_some() {
            return Ok(());
        }
        if e.id > expected {
            broken = Some(Break::Removed { first: expected, last: e.id - 1 });
            return Ok(());
        }
        let Some(stored) = e.hash.clone() else {
            broken = Some(Break::Inserted(e.id));
            return Ok(());
        };
        if chain::hash(&prev, &e) != stored {
            broken = Some(Break::Altered(e.id));
            return Ok(());
        }
        if let Some((h, hash)) = head
            && *h == e.id
        {
            if !hash.eq_ignore_ascii_case(&stored) {
                broken = Some(Break::HeadRewritten { head: *h });
                return Ok(());
            }
            head_seen = true;
        }
        entries += 1;
        expected = e.id + 1;
        prev = stored.clone();
        last = Some((e.id, stored));
        Ok(())
    })?;
    if let Some(b) = broken {
        return Ok(Err(b));
    }
    let last_id = last.as_ref().map(|(i, _)| *i).unwrap_or(0);
    if let Some((h, _)) = head
        && !head_seen
    {
        return Ok(Err(Break::HeadMissing { head: *h, last: last_id }));
    }
    let assigned = tx.audit_last_assigned()?;
    if assigned > last_id {
        return Ok(Err(Break::CutOff { last: last_id, assigned }));
    }
    Ok(Ok(Intact { entries, head: last }))
}

/// `--head ID:HASH`.
pub fn parse_head(s: &str) -> Result<(i64, String), AppError> {
    let bad = || {
        AppError::new(Kind::Usage, format!("invalid head '{}'", one_line(s)))
            .with_hint("pass the ID:HASH that 'acct audit head' printed")
    };
    let (id, hash) = s.split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().ok().filter(|i| *i > 0).ok_or_else(bad)?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    Ok((id, hash.to_ascii_lowercase()))
}

/// The actor must hold `audit:read` in the current organization.
fn gate_read(actor: &Subject, org: &Org) -> Result<authz::Permit> {
    Ok(authz::decide(actor, &Request::Read { org: &org.facts(), perm: Perm::AuditRead })?)
}

/// `audit verify`: intact, or an error (exit 1) naming where it breaks.
/// `head` is what `parse_head` made of `--head`.
pub fn verify(tx: &dyn Tx, actor: &Subject, org: &Org, head: Option<&(i64, String)>) -> Result<Intact> {
    // The chain is checked whole, whoever asks; the gate is the read of
    // this organization's log.
    authz::Permit::check_read(&gate_read(actor, org)?, &[Perm::AuditRead], Some(org.id))?;
    verify_chain(tx, head)?.map_err(|b| broken(&b).into())
}

/// The error of a broken chain.
pub fn broken(b: &Break) -> AppError {
    AppError::new(Kind::Failure, b.message())
        .with_hint("compare with a backup made with 'acct db backup', or with a head kept from 'acct audit head'")
}

/// `audit head`: the newest entry's id and hash.
pub fn head(tx: &dyn Tx, actor: &Subject, org: &Org) -> Result<(i64, String)> {
    let seen = gate_read(actor, org)?;
    let (id, hash) = tx.audit_head(&seen)?.ok_or_else(|| crate::error::not_found("the audit log is empty"))?;
    Ok((id, hash.unwrap_or_default()))
}
