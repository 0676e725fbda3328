//! Sealing the tokens a device-bound session keeps (its FusionAuth refresh token, the latest
//! JWT): AES-256-GCM with a key derived from `APP_SESSION_KEY`, a random 96-bit nonce per seal,
//! and the session's id (plus what the value is) as additional data, so a sealed value opens
//! only in the row, and the column, it was sealed for.
//!
//! Stored form: standard Base64 of `nonce (12) ‖ ciphertext ‖ tag (16)`.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::key::{KeyUse, SessionKey};

/// AES-GCM's tag length.
const TAG_LEN: usize = 16;

/// What a sealed value is; part of its additional data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sealed {
    /// FusionAuth's refresh token.
    RefreshToken,
    /// The latest JWT the session handed out.
    AccessToken,
}

impl Sealed {
    fn label(self) -> &'static [u8] {
        match self {
            Self::RefreshToken => b"refresh-token",
            Self::AccessToken => b"access-token",
        }
    }
}

/// Why a sealed value could not be opened (or made). Never carries the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SealError {
    /// Not Base64, or too short to hold a nonce and a tag.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Tampered with, moved to another row or column, or sealed with a key this instance does
    /// not have.
    #[error("the sealed value does not open with the session key")]
    WrongKeyOrPlace,
    /// Opened, but not UTF-8 (cannot happen for values this module sealed).
    #[error("the sealed value is not text")]
    NotText,
    /// The random nonce could not be drawn.
    #[error("cannot seal: no randomness")]
    NoRandomness,
}

/// A value opened from its seal. `Debug` never shows it.
pub(crate) struct Opened {
    /// The plaintext.
    pub value: String,
    /// True when it was sealed with `APP_SESSION_KEY_PREVIOUS`: seal it again with the current
    /// key at the next write.
    pub needs_reseal: bool,
}

shared::debug_fields!(Opened { needs_reseal });

/// Seals with the current session key; opens with it or, during a key rotation, with the
/// previous one.
pub(crate) struct Sealer {
    current: RandomizedNonceKey,
    previous: Option<RandomizedNonceKey>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("has_previous_key", &self.previous.is_some())
            .finish_non_exhaustive()
    }
}

fn aead_key(key: &SessionKey) -> RandomizedNonceKey {
    // A 32-byte key is what AES-256-GCM takes: this cannot fail.
    RandomizedNonceKey::new(&AES_256_GCM, &key.derive(KeyUse::Sealing))
        .expect("a 32-byte key is an AES-256 key")
}

fn aad(what: Sealed, session_id: &str) -> Aad<Vec<u8>> {
    let mut data = what.label().to_vec();
    data.push(0);
    data.extend_from_slice(session_id.as_bytes());
    Aad::from(data)
}

impl Sealer {
    pub(crate) fn new(current: &SessionKey, previous: Option<&SessionKey>) -> Self {
        Self {
            current: aead_key(current),
            previous: previous.map(aead_key),
        }
    }

    /// Seals `plaintext` as `what` of session `session_id`.
    ///
    /// # Errors
    /// [`SealError::NoRandomness`] when no nonce can be drawn.
    pub(crate) fn seal(
        &self,
        what: Sealed,
        session_id: &str,
        plaintext: &str,
    ) -> Result<String, SealError> {
        let mut in_out = plaintext.as_bytes().to_vec();
        let nonce = self
            .current
            .seal_in_place_append_tag(aad(what, session_id), &mut in_out)
            .map_err(|_| SealError::NoRandomness)?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + in_out.len());
        sealed.extend_from_slice(nonce.as_ref());
        sealed.extend_from_slice(&in_out);
        Ok(STANDARD.encode(sealed))
    }

    /// Opens what [`Sealer::seal`] made for the same `what` and `session_id`.
    ///
    /// # Errors
    /// [`SealError`] when it is malformed, tampered with, sealed for another place, or sealed
    /// with a key this instance does not have.
    pub(crate) fn open(
        &self,
        what: Sealed,
        session_id: &str,
        sealed: &str,
    ) -> Result<Opened, SealError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let keys = std::iter::once((&self.current, false))
            .chain(self.previous.as_ref().map(|key| (key, true)));
        for (key, needs_reseal) in keys {
            let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
            let nonce =
                Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Malformed)?;
            let mut in_out = ciphertext.to_vec();
            if let Ok(plaintext) = key.open_in_place(nonce, aad(what, session_id), &mut in_out) {
                let value =
                    String::from_utf8(plaintext.to_vec()).map_err(|_| SealError::NotText)?;
                return Ok(Opened {
                    value,
                    needs_reseal,
                });
            }
        }
        Err(SealError::WrongKeyOrPlace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::key::SESSION_KEY_LENGTH;

    const TOKEN: &str = "r3fresh-t0ken-of-the-session";

    fn key(byte: u8) -> SessionKey {
        SessionKey::from_bytes([byte; SESSION_KEY_LENGTH])
    }

    /// [`TOKEN`] sealed by `sealer` as the refresh token of session `session_id`.
    fn seal_token(sealer: &Sealer, session_id: &str) -> String {
        sealer
            .seal(Sealed::RefreshToken, session_id, TOKEN)
            .expect("seals")
    }

    /// What `sealer` opens `sealed` to, as the `what` of session `session_id`.
    fn open_value(
        sealer: &Sealer,
        what: Sealed,
        session_id: &str,
        sealed: &str,
    ) -> Result<String, SealError> {
        sealer.open(what, session_id, sealed).map(|o| o.value)
    }

    #[test]
    fn a_sealed_token_opens_in_its_own_row_and_column_only() {
        let sealer = Sealer::new(&key(1), None);
        let sealed = seal_token(&sealer, "session-a");
        assert!(!sealed.contains(TOKEN));
        let opened = sealer
            .open(Sealed::RefreshToken, "session-a", &sealed)
            .expect("opens");
        assert_eq!(opened.value, TOKEN);
        assert!(!opened.needs_reseal);
        assert!(!format!("{opened:?}").contains(TOKEN));

        assert_eq!(
            open_value(&sealer, Sealed::RefreshToken, "session-b", &sealed),
            Err(SealError::WrongKeyOrPlace),
            "moved to another session"
        );
        assert_eq!(
            open_value(&sealer, Sealed::AccessToken, "session-a", &sealed),
            Err(SealError::WrongKeyOrPlace),
            "moved to the other column"
        );
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() {
        let sealer = Sealer::new(&key(1), None);
        let first = seal_token(&sealer, "s");
        let second = seal_token(&sealer, "s");
        assert_ne!(first, second);
        let nonce = |sealed: &str| STANDARD.decode(sealed).expect("base64")[..NONCE_LEN].to_vec();
        assert_ne!(nonce(&first), nonce(&second));
        assert_eq!(
            STANDARD.decode(&first).expect("base64").len(),
            NONCE_LEN + TOKEN.len() + TAG_LEN
        );
    }

    #[test]
    fn damaged_or_foreign_seals_are_refused() {
        let sealer = Sealer::new(&key(1), None);
        let sealed = seal_token(&sealer, "s");
        let mut bytes = STANDARD.decode(&sealed).expect("base64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let flipped_tag = STANDARD.encode(&bytes);
        bytes[last] ^= 1;
        bytes[NONCE_LEN] ^= 1;
        let flipped_ciphertext = STANDARD.encode(&bytes);
        let other_key = seal_token(&Sealer::new(&key(2), None), "s");
        for (case, text, error) in [
            ("not base64", "%%%", SealError::Malformed),
            ("empty", "", SealError::Malformed),
            (
                "shorter than nonce and tag",
                &STANDARD.encode([0; NONCE_LEN + TAG_LEN - 1]),
                SealError::Malformed,
            ),
            (
                "a flipped tag bit",
                &flipped_tag,
                SealError::WrongKeyOrPlace,
            ),
            (
                "a flipped ciphertext bit",
                &flipped_ciphertext,
                SealError::WrongKeyOrPlace,
            ),
            ("another key", &other_key, SealError::WrongKeyOrPlace),
        ] {
            assert_eq!(
                open_value(&sealer, Sealed::RefreshToken, "s", text),
                Err(error),
                "{case}"
            );
        }
    }

    #[test]
    fn during_a_key_rotation_old_seals_open_and_ask_to_be_sealed_again() {
        let old = Sealer::new(&key(1), None);
        let sealed_before = seal_token(&old, "s");
        let rotated = Sealer::new(&key(2), Some(&key(1)));
        let opened = rotated
            .open(Sealed::RefreshToken, "s", &sealed_before)
            .expect("opens with the previous key");
        assert_eq!(opened.value, TOKEN);
        assert!(opened.needs_reseal);

        let sealed_after = seal_token(&rotated, "s");
        let reopened = rotated
            .open(Sealed::RefreshToken, "s", &sealed_after)
            .expect("opens with the current key");
        assert!(!reopened.needs_reseal);
        assert_eq!(
            open_value(&old, Sealed::RefreshToken, "s", &sealed_after),
            Err(SealError::WrongKeyOrPlace),
            "new seals are made with the new key only"
        );
        let after_rotation = Sealer::new(&key(2), None);
        assert_eq!(
            open_value(&after_rotation, Sealed::RefreshToken, "s", &sealed_before),
            Err(SealError::WrongKeyOrPlace),
            "once the previous key is dropped, its seals no longer open"
        );
    }
}
