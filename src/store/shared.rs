//! What every backend computes the same way, beside its SQL: the one rule a
//! store keeps (a write needs a permit that covers it), the derived search
//! key of a user, lists stored joined with `;`, and an audit entry as it
//! will be chained.

use crate::authz::{Op, Perm, PermSet, Permit};
use crate::error::Result;
use crate::store::NewUser;
use crate::store::chain::ChainEntry;

/// The one rule the store keeps: a write is made only under a permit for
/// one of the operations it serves (`ops`), for this organization (when
/// `org` is given) and this target (when `target` is given).
pub fn covers(p: &Permit, ops: &[Op], org: Option<i64>, target: Option<i64>) -> Result<()> {
    let op = if ops.contains(&p.op()) { p.op() } else { ops[0] };
    match org {
        Some(o) => p.check_in(op, o, target)?,
        None => p.check(op, target)?,
    }
    Ok(())
}

/// A list stored joined with `;`.
pub fn split(s: Option<String>) -> Vec<String> {
    s.map(|s| s.split(';').filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

/// What `--search` looks in: e-mail, username and names, lower-cased
/// (Unicode-aware, unlike SQL's LIKE), one per line.
pub fn search_key(email: &str, username: &str, names: [Option<&str>; 3]) -> String {
    let mut s = format!("{email}\n{username}");
    for n in names.into_iter().flatten() {
        s.push('\n');
        s.push_str(n);
    }
    crate::text::nfc(&s).to_lowercase()
}

/// The search key of a new user.
pub fn new_user_search_key(u: &NewUser) -> String {
    search_key(&u.email, &u.username, [u.first_name.as_deref(), u.last_name.as_deref(), u.full_name.as_deref()])
}

/// The permissions of a `;`- or `,`-joined list of names.
pub fn perms_from(names: Option<String>) -> PermSet {
    let v: Vec<Perm> = split(names.map(|s| s.replace(',', ";"))).iter().filter_map(|n| Perm::parse(n)).collect();
    PermSet::of(&v)
}

/// The slugs of the further organizations that see entries written under
/// `p` (besides `org`, the entry's own), sorted; `slug_of` names an
/// organization by its id.
pub fn audience(p: &Permit, org: Option<&str>, slug_of: impl Fn(i64) -> Result<Option<String>>) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for o in p.audience() {
        if let Some(slug) = slug_of(*o)?
            && Some(slug.as_str()) != org
            && !out.contains(&slug)
        {
            out.push(slug);
        }
    }
    out.sort();
    Ok(out)
}

/// An audit entry written under `p` as it will be chained, without its id
/// and its audience.
pub struct Entry<'a> {
    pub org: Option<&'a str>,
    pub target_id: Option<i64>,
    pub target: Option<&'a str>,
    pub changes: String,
}

pub fn chain_entry(p: &Permit, e: Entry<'_>, change_id: &str, reverts: Option<i64>) -> ChainEntry {
    ChainEntry {
        id: 0,
        at: crate::store::sqlite::now(),
        actor_id: p.actor_id(),
        actor: p.actor_label().to_string(),
        org: e.org.map(str::to_string),
        action: p.op().name().to_string(),
        target_id: e.target_id,
        target: e.target.map(str::to_string),
        changes: e.changes,
        change_id: Some(change_id.to_string()),
        reverts,
        audience: Vec::new(),
        hash: None,
    }
}

/// The position of the column `name` in a user row whose select list is
/// `names` followed by `roles` and `groups` (as both backends' user
/// queries build it). Evaluated at compile time where the decoders use it:
/// a row is then read by position, not by looking each name up in every row.
pub const fn column_at(names: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < names.len() {
        if same(names[i], name) {
            return i;
        }
        i += 1;
    }
    if same(name, "roles") {
        return names.len();
    }
    if same(name, "groups") {
        return names.len() + 1;
    }
    panic!("not a column of the user row")
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
