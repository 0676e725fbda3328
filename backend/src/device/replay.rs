//! Which proofs this instance has already accepted: `(jkt, jti)` pairs, each kept until the
//! last second its proof could still be accepted (its nonce's expiry, or `iat` + the window),
//! so a captured proof cannot be replayed here. Bounded: when full of live entries, further
//! proofs are refused (fail closed) rather than forgetting one that could be replayed.
//!
//! Per instance: across instances, a captured proof's replay is bounded by its `htm`, `htu`,
//! `ath` and freshness instead (see the README's threat model).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};

/// How many proofs are remembered at most: ~56 MB at worst (a 32-byte hash and an instant
/// each, plus the map's overhead), i.e. 3,300 requests per second for 5 minutes.
pub(crate) const DEFAULT_CAPACITY: usize = 1_000_000;

/// What recording a proof found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// First use: recorded.
    First,
    /// Already recorded and still within its window: a replay.
    Again,
    /// The cache is full of proofs still within their window: refuse (and retry later).
    Full,
}

#[derive(Debug, Default)]
struct Entries {
    /// SHA-256 of `jkt ‖ 0 ‖ jti` → the last second it must be remembered.
    until: HashMap<[u8; 32], i64>,
    /// When expired entries are next swept out.
    next_sweep: i64,
}

/// The `(jkt, jti)` pairs seen within their window.
#[derive(Debug)]
pub(crate) struct ReplayCache {
    entries: Mutex<Entries>,
    capacity: usize,
}

impl ReplayCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::default(),
            capacity,
        }
    }

    /// Records that the proof `jti` of key `jkt` was used at `now`, to be refused again until
    /// `until` (seconds) has passed.
    pub(crate) fn record(&self, jkt: &str, jti: &str, now: i64, until: i64) -> Seen {
        let mut id = Vec::with_capacity(jkt.len() + 1 + jti.len());
        id.extend_from_slice(jkt.as_bytes());
        id.push(0);
        id.extend_from_slice(jti.as_bytes());
        let mut key = [0; 32];
        key.copy_from_slice(digest(&SHA256, &id).as_ref());

        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&seen_until) = entries.until.get(&key)
            && seen_until >= now
        {
            return Seen::Again;
        }
        if now >= entries.next_sweep || entries.until.len() >= self.capacity {
            entries.until.retain(|_, &mut until| until >= now);
            entries.next_sweep = now.saturating_add(1);
        }
        if entries.until.len() >= self.capacity {
            return Seen::Full;
        }
        entries.until.insert(key, until.max(now));
        Seen::First
    }

    /// How many proofs are remembered now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .until
            .len()
    }
}

impl Default for ReplayCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_refused_again_for_the_same_key_until_its_window_ends() {
        let cache = ReplayCache::new(10);
        assert_eq!(cache.record("key-a", "jti-1", 1000, 1060), Seen::First);
        assert_eq!(cache.record("key-a", "jti-1", 1001, 1061), Seen::Again);
        assert_eq!(cache.record("key-a", "jti-1", 1060, 1120), Seen::Again);
        assert_eq!(
            cache.record("key-b", "jti-1", 1001, 1061),
            Seen::First,
            "another key may pick the same jti"
        );
        assert_eq!(cache.record("key-a", "jti-2", 1001, 1061), Seen::First);
        assert_eq!(
            cache.record("key-a", "jti-1", 1061, 1121),
            Seen::First,
            "past its window a proof is refused by its iat or nonce instead"
        );
    }

    #[test]
    fn the_pair_is_not_confused_by_where_key_and_jti_split() {
        let cache = ReplayCache::new(10);
        assert_eq!(cache.record("ab", "c", 0, 60), Seen::First);
        assert_eq!(cache.record("a", "bc", 0, 60), Seen::First);
    }

    #[test]
    fn a_full_cache_forgets_expired_proofs_first_and_then_refuses() {
        let cache = ReplayCache::new(3);
        for jti in ["1", "2", "3"] {
            assert_eq!(cache.record("k", jti, 1000, 1010), Seen::First);
        }
        assert_eq!(cache.record("k", "4", 1005, 1015), Seen::Full);
        assert_eq!(cache.len(), 3, "nothing live was forgotten");
        assert_eq!(cache.record("k", "1", 1005, 1015), Seen::Again);
        assert_eq!(
            cache.record("k", "4", 1011, 1021),
            Seen::First,
            "1–3 expired"
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn expired_proofs_are_swept_out_as_time_passes() {
        let cache = ReplayCache::new(100);
        for jti in 0..50 {
            cache.record("k", &jti.to_string(), 1000, 1060);
        }
        assert_eq!(cache.len(), 50);
        cache.record("k", "late", 1061, 1121);
        assert_eq!(cache.len(), 1);
    }
}
