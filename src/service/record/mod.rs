//! The writes of acct as the product defines them. Each function checks
//! the rules that a write must respect (a name already taken, the
//! `everyone` group, who can be restored), computes what changes, makes the
//! change through the store's plain methods, and hands the store the
//! finished audit record to append. The store only stores, and checks that
//! the permit covers each write.
//!
//! The functions take the transaction and the engine's permit, as the
//! repository's writes used to, so a service changes one line to call one.

pub mod credentials;
pub mod groups;
pub mod members;
pub mod orgs;
pub mod users;

use crate::authz::Permit;
use crate::error::Result;
use crate::store::{AuditRecord, Tx};
use serde_json::Value;

/// Append the audit entry of a write made under `p`, in the permit's organization.
fn audit(tx: &mut dyn Tx, p: &Permit, target_id: Option<i64>, target: Option<&str>, changes: Value) -> Result<()> {
    audit_in(tx, p, p.org_slug(), target_id, target, changes)
}

/// Append the audit entry of a write made under `p`, in the organization `org`.
fn audit_in(
    tx: &mut dyn Tx,
    p: &Permit,
    org: Option<&str>,
    target_id: Option<i64>,
    target: Option<&str>,
    changes: Value,
) -> Result<()> {
    let record =
        AuditRecord { org: org.map(str::to_string), target_id, target: target.map(str::to_string), changes: changes.to_string() };
    tx.append_audit(p, &record)
}

/// `{field: {"old": old, "new": new}}`.
fn change(field: &str, old: impl Into<Value>, new: impl Into<Value>) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(field.to_string(), serde_json::json!({"old": old.into(), "new": new.into()}));
    Value::Object(m)
}

#[cfg(test)]
mod tests;

/// Changed fields, old → new, as written to the audit log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(pub Vec<(String, Value, Value)>);

impl Changes {
    pub fn push(&mut self, field: &str, old: impl Into<Value>, new: impl Into<Value>) {
        let (old, new) = (old.into(), new.into());
        if old != new {
            self.0.push((field.to_string(), old, new));
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (f, o, n) in &self.0 {
            m.insert(f.clone(), serde_json::json!({"old": o, "new": n}));
        }
        Value::Object(m)
    }
}
