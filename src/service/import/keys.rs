//! The keys an import's first pass remembers of the rows before: e-mail
//! keys (with their lines) and the usernames given out.
//!
//! A million rows would hold a million strings twice (about 120 bytes a
//! row with their tables). [`SeenKeys`] holds a 64-bit hash instead (8 or
//! 16 bytes a row). Two different keys share a hash about once in 10^8
//! imports of a million rows; so that such a pair can never refuse a row
//! that is fine, a hit that refuses a row is recorded ([`SeenKeys::hits`]),
//! and the pass is run again keeping exactly the keys of those hashes
//! ([`SeenKeys::exact_for`]). A file without such a refusal is never read
//! twice, and the exact keys kept are only those of the refused rows.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// The identity hash for keys that are hashes already.
#[derive(Default)]
pub(super) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; anything else is folded in, never lost.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Table<V> = HashMap<u64, V, BuildHasherDefault<Prehashed>>;

/// Keys seen before in this pass, each with a value (a line, or `()`).
pub(super) struct SeenKeys<V> {
    /// Keys of the hashing are random per process: a crafted file cannot
    /// aim collisions, and every pass of one import hashes alike.
    state: RandomState,
    hashed: Table<V>,
    /// Hashes whose keys are kept exactly in this pass.
    exact_for: HashSet<u64>,
    exact: HashMap<Box<str>, V>,
    /// Hashes that a refusal rested on.
    hits: HashSet<u64>,
}

impl<V: Copy> SeenKeys<V> {
    pub(super) fn new(state: RandomState) -> Self {
        SeenKeys { state, hashed: Table::default(), exact_for: HashSet::new(), exact: HashMap::new(), hits: HashSet::new() }
    }

    fn hash(&self, key: &str) -> u64 {
        self.state.hash_one(key)
    }

    /// What was stored for `key`. With `refuses`, a hit would refuse the row,
    /// so it is recorded for [`SeenKeys::hits`] unless the key is kept exactly.
    pub(super) fn get(&mut self, key: &str, refuses: bool) -> Option<V> {
        let h = self.hash(key);
        if self.exact_for.contains(&h) {
            return self.exact.get(key).copied();
        }
        let v = self.hashed.get(&h).copied();
        if v.is_some() && refuses {
            self.hits.insert(h);
        }
        v
    }

    pub(super) fn insert(&mut self, key: &str, v: V) {
        let h = self.hash(key);
        if self.exact_for.contains(&h) {
            self.exact.insert(key.into(), v);
        } else {
            self.hashed.insert(h, v);
        }
    }

    /// Forget every key (the hashes kept exactly stay so).
    pub(super) fn clear(&mut self) {
        self.hashed = Table::default();
        self.exact = HashMap::new();
    }

    /// Hashes that refused a row but were not kept exactly; taking them
    /// keeps them exactly from the next pass on. Empty when every refusal
    /// of this pass was exact.
    pub(super) fn take_hits(&mut self) -> Vec<u64> {
        let hits: Vec<u64> = self.hits.drain().filter(|h| !self.exact_for.contains(h)).collect();
        self.exact_for.extend(hits.iter().copied());
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A state under which two given keys share a hash cannot be built, so
    /// the collision is made by keeping one key's hash for another.
    #[test]
    fn a_refusing_hit_is_kept_exactly_in_the_next_pass_and_a_false_one_then_passes() {
        let mut s: SeenKeys<u64> = SeenKeys::new(RandomState::new());
        s.insert("ada@x.example", 2);
        assert_eq!(s.get("ada@x.example", true), Some(2));
        assert_eq!(s.get("bob@x.example", true), None);
        // A collision: bob's hash already holds ada's line.
        let bob = s.hash("bob@x.example");
        s.hashed.insert(bob, 2);
        assert_eq!(s.get("bob@x.example", true), Some(2), "the hashed table cannot tell");
        let mut hits = s.take_hits();
        hits.sort_unstable();
        let mut want = vec![s.hash("ada@x.example"), bob];
        want.sort_unstable();
        assert_eq!(hits, want);
        // The next pass keeps these keys exactly: the false hit is gone.
        s.clear();
        s.insert("ada@x.example", 2);
        assert_eq!(s.get("bob@x.example", true), None);
        s.insert("bob@x.example", 3);
        assert_eq!(s.get("bob@x.example", true), Some(3));
        assert_eq!(s.get("ada@x.example", true), Some(2));
        assert!(s.take_hits().is_empty(), "exact hits need no further pass");
    }

    #[test]
    fn a_hit_that_refuses_nothing_asks_for_no_further_pass() {
        let mut s: SeenKeys<()> = SeenKeys::new(RandomState::new());
        s.insert("ann", ());
        assert_eq!(s.get("ann", false), Some(()));
        assert!(s.take_hits().is_empty());
        assert_eq!(s.get("ann", true), Some(()));
        assert_eq!(s.take_hits().len(), 1);
    }
}
