//! The hash chain of the audit log: the canonical encoding of one entry and
//! its SHA-256. Every backend stores the hash this module computes, so that
//! one verifier (and anyone's 20-line script, see the README) checks them all.
//!
//! The hash of entry N is SHA-256 over the concatenation of these fields, in
//! this order: the previous entry's hash (the [`GENESIS`] value for the first
//! entry), id, at, actor_id, actor, org, action, target_id, target, changes,
//! change_id, reverts, audience. Each field is encoded as
//! - `n` for NULL,
//! - `i` + the decimal integer + `;` for an integer,
//! - `t` + the length in bytes (decimal) + `:` + the UTF-8 bytes for text.
//!
//! `changes` is the stored JSON text, byte for byte; `audience` is the text of
//! the further organizations that see the entry (`audit_orgs`), their slugs
//! sorted and joined with `,` (empty text when there are none). The hash is
//! written as 64 lower-case hexadecimal digits.

use sha2::{Digest, Sha256};

/// The columns of an audit row as both backends write it, in the order
/// their inserts give the values.
pub const AUDIT_COLUMNS: &str =
    "id, at, actor_id, actor, org, action, target_id, target, changes, change_id, reverts, hash, at_unix";

/// What the first entry chains to: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hashed fields of one audit entry, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainEntry {
    pub id: i64,
    pub at: String,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub org: Option<String>,
    pub action: String,
    pub target_id: Option<i64>,
    pub target: Option<String>,
    pub changes: String,
    pub change_id: Option<String>,
    pub reverts: Option<i64>,
    /// Sorted slugs of the further organizations that see the entry.
    pub audience: Vec<String>,
    /// The stored hash (`None` when the row has none: not written by acct).
    pub hash: Option<String>,
}

fn int(h: &mut Sha256, v: Option<i64>) {
    match v {
        None => h.update(b"n"),
        Some(i) => h.update(format!("i{i};").as_bytes()),
    }
}

fn text(h: &mut Sha256, v: Option<&str>) {
    match v {
        None => h.update(b"n"),
        Some(s) => {
            h.update(format!("t{}:", s.len()).as_bytes());
            h.update(s.as_bytes());
        }
    }
}

/// The hash of an entry chained to `prev`.
pub fn hash(prev: &str, e: &ChainEntry) -> String {
    let mut h = Sha256::new();
    text(&mut h, Some(prev));
    int(&mut h, Some(e.id));
    text(&mut h, Some(&e.at));
    int(&mut h, e.actor_id);
    text(&mut h, Some(&e.actor));
    text(&mut h, e.org.as_deref());
    text(&mut h, Some(&e.action));
    int(&mut h, e.target_id);
    text(&mut h, e.target.as_deref());
    text(&mut h, Some(&e.changes));
    text(&mut h, e.change_id.as_deref());
    int(&mut h, e.reverts);
    text(&mut h, Some(&e.audience.join(",")));
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A new change id: 12 random lower-case hexadecimal digits (48 bits).
pub fn new_change_id() -> String {
    let mut b = [0u8; 6];
    crate::secret::fill_random(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// An audit time (RFC 3339 as acct writes it, a year past 9999 with its
/// `+` sign, e.g. `+10000-01-01T00:00:00Z`) in seconds since the Unix epoch:
/// the form that `audit list --since/--until` compare. `None` for text that
/// is not a time (an entry written outside acct).
pub fn unix_seconds(at: &str) -> Option<i64> {
    at.parse::<chrono::DateTime<chrono::Utc>>().ok().map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_encoding_is_fixed() {
        // The same bytes as the README's script builds by hand.
        let e = ChainEntry {
            id: 1,
            at: "2026-01-01T00:00:00Z".into(),
            actor: "init".into(),
            org: Some("acme".into()),
            action: "init".into(),
            target_id: Some(1),
            target: Some("ada@example.com".into()),
            changes: "{}".into(),
            change_id: Some("0123456789ab".into()),
            ..Default::default()
        };
        let bytes = format!(
            "t64:{GENESIS}i1;t20:2026-01-01T00:00:00Zn{}t4:acmet4:initi1;t15:ada@example.comt2:{{}}t12:0123456789abnt0:",
            "t4:init"
        );
        let want: String = Sha256::digest(bytes.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hash(GENESIS, &e), want);
        let mut other = e.clone();
        other.audience = vec!["beta".into()];
        assert_ne!(hash(GENESIS, &other), want);
        assert_eq!(new_change_id().len(), 12);
    }
}
