//! Stateless DPoP server nonces (RFC 9449 §8): `base64url(issued_at ‖ tag)`, where `issued_at`
//! is the issuing instance's clock in whole seconds (8 bytes, big-endian) and `tag` the first 16
//! bytes of HMAC-SHA256 over it, keyed from `APP_SESSION_KEY`. Every instance sharing the key
//! accepts every other's nonces without a shared store; a nonce is valid for its lifetime by
//! the checking instance's clock.
//!
//! A proof carrying a valid nonce is accepted whatever its `iat`: that is how a device whose
//! clock is far off keeps working. A nonce is not single-use (the proof's `jti` is).

use std::time::Duration;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::key::{KeyUse, SessionKey};
use crate::Clock;

/// Bytes of the HMAC tag kept in a nonce.
const TAG_LEN: usize = 16;
/// Bytes of a decoded nonce.
const NONCE_LEN: usize = 8 + TAG_LEN;
/// How far in the future a nonce's issue time may be (another instance's clock may be ahead).
pub(crate) const FUTURE_SKEW_SECONDS: i64 = 60;

/// Why a nonce is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NonceError {
    /// Not base64url of the right length.
    #[error("the nonce is malformed")]
    Malformed,
    /// Its tag does not verify with any key this instance has: not ours.
    #[error("the nonce was not issued here")]
    Unknown,
    /// Issued longer ago than the lifetime.
    #[error("the nonce has expired")]
    Expired,
    /// Issued further in the future than [`FUTURE_SKEW_SECONDS`].
    #[error("the nonce was issued in the future")]
    FromTheFuture,
}

/// Issues and checks nonces.
pub(crate) struct Nonces {
    current: hmac::Key,
    previous: Option<hmac::Key>,
    lifetime_seconds: i64,
    clock: Clock,
}

shared::debug_fields!(Nonces { lifetime_seconds });

fn mac_key(key: &SessionKey) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, &key.derive(KeyUse::Nonces))
}

impl Nonces {
    /// Nonces valid for `lifetime` (`APP_DPOP_NONCE_SECONDS`) by `clock`, made with `current`
    /// and accepted when made with `current` or `previous` (a key rotation).
    pub(crate) fn new(
        current: &SessionKey,
        previous: Option<&SessionKey>,
        lifetime: Duration,
        clock: Clock,
    ) -> Self {
        Self {
            current: mac_key(current),
            previous: previous.map(mac_key),
            lifetime_seconds: i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
            clock,
        }
    }

    /// A nonce issued now (the same for every call within one second).
    pub(crate) fn issue(&self) -> String {
        self.issue_at(self.clock.now_seconds())
    }

    fn issue_at(&self, issued_at: i64) -> String {
        let issued_at = issued_at.to_be_bytes();
        let tag = hmac::sign(&self.current, &issued_at);
        let mut nonce = [0; NONCE_LEN];
        nonce[..8].copy_from_slice(&issued_at);
        nonce[8..].copy_from_slice(&tag.as_ref()[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(nonce)
    }

    /// Checks `nonce` and returns the last second (by this clock) in which it is still valid.
    ///
    /// # Errors
    /// [`NonceError`] when it is malformed, not ours, expired or from the future.
    pub(crate) fn check(&self, nonce: &str) -> Result<i64, NonceError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(nonce)
            .map_err(|_| NonceError::Malformed)?;
        let bytes =
            <[u8; NONCE_LEN]>::try_from(bytes.as_slice()).map_err(|_| NonceError::Malformed)?;
        let (issued_at, tag) = bytes.split_at(8);
        let ours = std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .any(|key| {
                let expected = hmac::sign(key, issued_at);
                aws_lc_rs::constant_time::verify_slices_are_equal(
                    &expected.as_ref()[..TAG_LEN],
                    tag,
                )
                .is_ok()
            });
        if !ours {
            return Err(NonceError::Unknown);
        }
        let mut seconds = [0; 8];
        seconds.copy_from_slice(issued_at);
        let issued_at = i64::from_be_bytes(seconds);
        let now = self.clock.now_seconds();
        if issued_at > now.saturating_add(FUTURE_SKEW_SECONDS) {
            return Err(NonceError::FromTheFuture);
        }
        let valid_until = issued_at.saturating_add(self.lifetime_seconds);
        if now > valid_until {
            return Err(NonceError::Expired);
        }
        Ok(valid_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::key::SESSION_KEY_LENGTH;

    fn key(byte: u8) -> SessionKey {
        SessionKey::from_bytes([byte; SESSION_KEY_LENGTH])
    }

    fn nonces(clock: &Clock) -> Nonces {
        Nonces::new(&key(1), None, Duration::from_secs(300), clock.clone())
    }

    #[test]
    fn a_nonce_is_valid_for_its_lifetime_by_the_backend_clock() {
        let clock = Clock::default();
        let nonces = nonces(&clock);
        let issued_at = clock.now_seconds();
        let nonce = nonces.issue();
        assert_eq!(nonce.len(), 32, "24 bytes, base64url");
        let valid_until = nonces.check(&nonce).expect("fresh nonce");
        assert!((issued_at + 300..=issued_at + 301).contains(&valid_until));
        clock.advance(Duration::from_secs(299));
        assert!(nonces.check(&nonce).is_ok(), "still valid at 299 s");
        clock.advance(Duration::from_secs(3));
        assert_eq!(nonces.check(&nonce), Err(NonceError::Expired));
    }

    #[test]
    fn another_instance_with_the_same_key_accepts_the_nonce_and_one_with_another_key_does_not() {
        let clock = Clock::default();
        let nonce = nonces(&clock).issue();
        let sibling = Nonces::new(&key(1), None, Duration::from_secs(300), Clock::default());
        assert!(sibling.check(&nonce).is_ok());
        let stranger = Nonces::new(&key(2), None, Duration::from_secs(300), Clock::default());
        assert_eq!(stranger.check(&nonce), Err(NonceError::Unknown));
        let rotated = Nonces::new(&key(2), Some(&key(1)), Duration::from_secs(300), clock);
        assert!(
            rotated.check(&nonce).is_ok(),
            "the previous key still counts"
        );
        assert_eq!(
            sibling.check(&rotated.issue()),
            Err(NonceError::Unknown),
            "new nonces are made with the new key"
        );
    }

    #[test]
    fn forged_malformed_and_future_nonces_are_refused() {
        let clock = Clock::default();
        let nonces = nonces(&clock);
        let now = clock.now_seconds();
        let mut forged = URL_SAFE_NO_PAD.decode(nonces.issue()).expect("base64url");
        // Claim a later issue time with the old tag.
        forged[7] = forged[7].wrapping_add(100);
        let forged = URL_SAFE_NO_PAD.encode(forged);
        let valid = nonces.issue();
        for (case, nonce, error) in [
            ("empty", String::new(), NonceError::Malformed),
            ("not base64url", "!".repeat(32), NonceError::Malformed),
            ("padded", format!("{valid}=="), NonceError::Malformed),
            ("too short", valid[..31].to_owned(), NonceError::Malformed),
            ("too long", format!("{valid}AAAA"), NonceError::Malformed),
            ("a moved issue time", forged, NonceError::Unknown),
            (
                "issued beyond the skew",
                nonces.issue_at(now + FUTURE_SKEW_SECONDS + 5),
                NonceError::FromTheFuture,
            ),
            ("expired", nonces.issue_at(now - 301), NonceError::Expired),
        ] {
            assert_eq!(nonces.check(&nonce), Err(error), "{case}");
        }
        assert!(
            nonces.check(&nonces.issue_at(now + 30)).is_ok(),
            "a sibling whose clock is 30 s ahead"
        );
    }
}
