//! `APP_SESSION_KEY`: the backend's one secret for device-bound sessions, and the keys derived
//! from it (HKDF-SHA256, one label per use, so sealing and nonces never share key material).

use std::fmt;

use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// How many bytes a session key has.
pub(crate) const SESSION_KEY_LENGTH: usize = 32;

/// How to make a key, for every error message about one.
const HOW_TO_MAKE_ONE: &str = "make one with `openssl rand -base64 32`";

/// What a derived key is for (the HKDF `info`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyUse {
    /// AES-256-GCM sealing of the tokens a session keeps.
    Sealing,
    /// HMAC-SHA256 of stateless DPoP nonces.
    Nonces,
}

impl KeyUse {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Sealing => b"store device sessions v1: token sealing",
            Self::Nonces => b"store device sessions v1: dpop nonces",
        }
    }
}

/// 32 secret bytes from `APP_SESSION_KEY` (standard Base64). `Debug` never shows them.
#[derive(Clone)]
#[cfg_attr(test, derive(PartialEq, Eq))]
pub(crate) struct SessionKey([u8; SESSION_KEY_LENGTH]);

/// Why a text is not a session key. The messages never repeat the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SessionKeyError {
    #[error("the session key must be standard Base64 ({HOW_TO_MAKE_ONE})")]
    NotBase64,
    #[error(
        "the session key must be exactly {SESSION_KEY_LENGTH} bytes, this one has {0} \
         ({HOW_TO_MAKE_ONE})"
    )]
    WrongLength(usize),
}

impl SessionKey {
    /// Decodes standard Base64 (padding required, surrounding whitespace ignored) of exactly
    /// 32 bytes.
    ///
    /// # Errors
    /// [`SessionKeyError`] for anything else.
    pub(crate) fn from_base64(text: &str) -> Result<Self, SessionKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SessionKeyError::NotBase64)?;
        let key = <[u8; SESSION_KEY_LENGTH]>::try_from(bytes.as_slice())
            .map_err(|_| SessionKeyError::WrongLength(bytes.len()))?;
        Ok(Self(key))
    }

    /// A key of exactly these bytes (tests).
    #[cfg(test)]
    pub(crate) fn from_bytes(bytes: [u8; SESSION_KEY_LENGTH]) -> Self {
        Self(bytes)
    }

    /// The 32-byte key for `purpose`: HKDF-SHA256 (RFC 5869) with an empty salt and the
    /// purpose's label as `info`.
    pub(crate) fn derive(&self, purpose: KeyUse) -> [u8; SESSION_KEY_LENGTH] {
        let mut out = [0; SESSION_KEY_LENGTH];
        let prk = Salt::new(HKDF_SHA256, &[]).extract(&self.0);
        // SHA-256's output length is 32 bytes, the one length HKDF_SHA256 expands to here, and
        // far below HKDF's limit of 255 × 32: neither call can fail.
        prk.expand(&[purpose.label()], HKDF_SHA256)
            .and_then(|okm| okm.fill(&mut out))
            .expect("HKDF-SHA256 expands to 32 bytes");
        out
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl rand -base64 32`, once.
    const KEY: &str = "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E=";

    #[test]
    fn a_session_key_is_exactly_thirty_two_bytes_of_standard_base64() {
        let key = SessionKey::from_base64(KEY).expect("a valid key");
        assert_eq!(SessionKey::from_base64(&format!("  {KEY}\n")), Ok(key));
        for (text, error) in [
            ("", SessionKeyError::WrongLength(0)),
            ("c2hvcnQ=", SessionKeyError::WrongLength(5)),
            (
                "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E/AA==",
                SessionKeyError::WrongLength(34),
            ),
            // URL-safe alphabet, missing padding, not Base64 at all.
            (
                "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E_",
                SessionKeyError::NotBase64,
            ),
            (
                "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E",
                SessionKeyError::NotBase64,
            ),
            ("not a key at all!", SessionKeyError::NotBase64),
        ] {
            assert_eq!(SessionKey::from_base64(text), Err(error), "{text:?}");
            let message = error.to_string();
            assert!(message.contains("openssl rand -base64 32"), "{message}");
            if !text.is_empty() {
                assert!(!message.contains(text), "{message} repeats the key");
            }
        }
    }

    #[test]
    fn a_session_key_never_shows_in_debug_output() {
        let key = SessionKey::from_base64(KEY).expect("a valid key");
        let shown = format!("{key:?}");
        assert_eq!(shown, "SessionKey(***)");
    }

    #[test]
    fn each_use_gets_its_own_key_and_each_session_key_its_own_keys() {
        let key = SessionKey::from_bytes([7; SESSION_KEY_LENGTH]);
        let other = SessionKey::from_bytes([8; SESSION_KEY_LENGTH]);
        let sealing = key.derive(KeyUse::Sealing);
        let nonces = key.derive(KeyUse::Nonces);
        assert_ne!(sealing, nonces);
        assert_ne!(
            sealing, [7; SESSION_KEY_LENGTH],
            "the key itself is never used"
        );
        assert_eq!(
            sealing,
            key.derive(KeyUse::Sealing),
            "derivation is deterministic"
        );
        assert_ne!(sealing, other.derive(KeyUse::Sealing));
    }
}
