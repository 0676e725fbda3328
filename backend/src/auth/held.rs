//! Tokens held for their rightful owner: when someone sends their own genuine expired JWT with
//! another user's refresh token, FusionAuth (which does not tie the two together) refreshes the
//! other user's session and, with one-time-use refresh tokens, spends the value the owner holds.
//! The caller is refused; the rotated value is kept here, keyed by the SHA-256 of the spent one,
//! and used instead of it for the first caller whose verified JWT belongs to the same user and
//! who presents the spent value, so the owner's next refresh succeeds instead of logging them
//! out (or, with revoke-on-reuse, revoking their session).
//!
//! Per instance, in memory, for at most [`MAX_HELD`] entries and the refresh-token lifetime.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use aws_lc_rs::digest::{SHA256, digest};

/// Entries kept at most; the oldest go first.
const MAX_HELD: usize = 10_000;

struct Entry {
    issuer: String,
    subject: String,
    held_at_millis: i64,
    current: String,
}

/// What [`Held::take`] found for a refresh token.
pub(crate) enum Claim {
    /// Nothing is held for it.
    None,
    /// It is held for this caller: the refresh token's current value (removed from here).
    Owner(String),
    /// It is held for another user: the caller must not use it.
    Other,
}

#[derive(Default)]
pub(crate) struct Held {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl Held {
    /// Keeps `current` (the value FusionAuth rotated `spent` to) for `issuer` + `subject`.
    pub fn hold(&self, spent: &str, issuer: &str, subject: &str, current: String, now_millis: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_HELD
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, entry)| entry.held_at_millis)
                .map(|(key, _)| *key)
        {
            entries.remove(&oldest);
        }
        entries.insert(
            fingerprint(spent),
            Entry {
                issuer: issuer.to_owned(),
                subject: subject.to_owned(),
                held_at_millis: now_millis,
                current,
            },
        );
    }

    /// The value held for `refresh_token`, when `issuer` + `subject` is its owner; entries
    /// held since before `oldest_millis` are forgotten.
    pub fn take(
        &self,
        refresh_token: &str,
        issuer: &str,
        subject: &str,
        oldest_millis: i64,
    ) -> Claim {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.retain(|_, entry| entry.held_at_millis >= oldest_millis);
        let key = fingerprint(refresh_token);
        match entries.get(&key) {
            None => Claim::None,
            Some(entry) if entry.issuer == issuer && entry.subject == subject => entries
                .remove(&key)
                .map_or(Claim::None, |entry| Claim::Owner(entry.current)),
            Some(_) => Claim::Other,
        }
    }
}

fn fingerprint(refresh_token: &str) -> [u8; 32] {
    let mut key = [0_u8; 32];
    key.copy_from_slice(digest(&SHA256, refresh_token.as_bytes()).as_ref());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_tokens_go_to_their_owner_once_and_never_to_anyone_else() {
        let held = Held::default();
        held.hold("victim-rt", "iss", "victim", "rotated".to_owned(), 1_000);
        assert!(matches!(
            held.take("victim-rt", "iss", "mallory", 0),
            Claim::Other
        ));
        assert!(matches!(
            held.take("victim-rt", "other-iss", "victim", 0),
            Claim::Other
        ));
        match held.take("victim-rt", "iss", "victim", 0) {
            Claim::Owner(current) => assert_eq!(current, "rotated"),
            _ => panic!("the owner gets the held value"),
        }
        assert!(matches!(
            held.take("victim-rt", "iss", "victim", 0),
            Claim::None
        ));
    }

    #[test]
    fn held_tokens_are_forgotten_once_older_than_the_cutoff() {
        let held = Held::default();
        held.hold("victim-rt", "iss", "victim", "rotated".to_owned(), 1_000);
        assert!(matches!(
            held.take("victim-rt", "iss", "victim", 1_001),
            Claim::None
        ));
    }
}
