//! All cryptography, with aws-lc-rs: random values, encodings, SHA-256 and HMAC, TOTP codes,
//! PBKDF2 password hashes here; signing keys and JWTs in [`signing`].

mod signing;

pub use signing::{SigningKey, parse_jwt};

use std::num::NonZeroU32;

use anyhow::anyhow;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::{digest, hmac, pbkdf2};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// FusionAuth's default password scheme and work factor.
pub const DEFAULT_SCHEME: &str = "salted-pbkdf2-hmac-sha256";
pub const DEFAULT_FACTOR: u32 = 24_000;

/// `N` bytes from the system's secure random generator.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| anyhow!("the system random generator failed"))?;
    Ok(bytes)
}

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A random opaque string of `N` bytes, base64url without padding.
pub fn random_string<const N: usize>() -> anyhow::Result<String> {
    Ok(b64url(&random_bytes::<N>()?))
}

/// SHA-256 of `text`, base64url: how secrets (API keys, refresh tokens) are stored.
pub fn sha256_b64(text: &str) -> String {
    b64url(digest::digest(&digest::SHA256, text.as_bytes()).as_ref())
}

/// HMAC-SHA256 of `data` under `secret`, base64url.
pub fn hmac_b64(secret: &[u8], data: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    b64url(hmac::sign(&key, data).as_ref())
}

/// Decodes RFC 4648 Base32 (case-insensitive; padding, spaces and dashes ignored).
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => u32::from(c) - u32::from('A'),
            c @ '2'..='7' => u32::from(c) - u32::from('2') + 26,
            '=' | ' ' | '-' => continue,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The RFC 6238 TOTP code (HMAC-SHA1, 6 digits) for time step `counter`.
pub fn totp(secret: &[u8], counter: u64) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let bytes: [u8; 4] = mac
        .get(offset..offset + 4)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 4]);
    (u32::from_be_bytes(bytes) & 0x7fff_ffff) % 1_000_000
}

/// Whether `code` is the TOTP code (30-second steps) for `now_s`, one step either side.
pub fn verify_totp(secret: &[u8], code: &str, now_s: i64) -> bool {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Ok(wanted) = code.parse::<u32>() else {
        return false;
    };
    let step = now_s.div_euclid(30);
    (step - 1..=step + 1)
        .filter_map(|counter| u64::try_from(counter).ok())
        .any(|counter| totp(secret, counter) == wanted)
}

/// A stored password hash.
#[derive(Clone)]
pub struct PasswordHash {
    pub scheme: String,
    pub factor: u32,
    /// Base64 (standard) of the salt bytes.
    pub salt: String,
    /// Base64 (standard) of the derived key.
    pub hash: String,
}

shared::debug_fields!(PasswordHash { scheme, factor });

fn iterations(factor: u32) -> NonZeroU32 {
    NonZeroU32::new(factor).unwrap_or(NonZeroU32::MIN)
}

/// Hashes `password` with `salted-pbkdf2-hmac-sha256` and a fresh 32-byte salt.
pub fn hash_password(password: &str, factor: u32) -> anyhow::Result<PasswordHash> {
    let salt = random_bytes::<32>()?;
    let mut out = [0u8; 32];
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations(factor),
        &salt,
        password.as_bytes(),
        &mut out,
    );
    Ok(PasswordHash {
        scheme: DEFAULT_SCHEME.to_owned(),
        factor,
        salt: STANDARD.encode(salt),
        hash: STANDARD.encode(out),
    })
}

/// Constant-time check of `password` against a stored hash.
pub fn verify_password(password: &str, stored: &PasswordHash) -> bool {
    if stored.scheme != DEFAULT_SCHEME {
        return false;
    }
    let (Ok(salt), Ok(expected)) = (STANDARD.decode(&stored.salt), STANDARD.decode(&stored.hash))
    else {
        return false;
    };
    if expected.is_empty() || expected.len() > 64 {
        return false;
    }
    pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations(stored.factor),
        &salt,
        password.as_bytes(),
        &expected,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        // RFC 6238 appendix B (SHA-1 seed "12345678901234567890"), last 6 digits.
        let secret = b"12345678901234567890";
        assert_eq!(totp(secret, 59 / 30), 287_082);
        assert_eq!(totp(secret, 1_111_111_109 / 30), 81_804);
        assert_eq!(totp(secret, 1_234_567_890 / 30), 5_924);
        assert!(verify_totp(secret, "005924", 1_234_567_890 + 30));
        assert!(!verify_totp(secret, "005924", 1_234_567_890 + 90));
    }

    #[test]
    fn base32_decodes_rfc_4648_vectors() {
        assert_eq!(
            base32_decode("MZXW6YTBOI======").as_deref(),
            Some(&b"foobar"[..])
        );
        assert_eq!(base32_decode("mzxw6ytb").as_deref(), Some(&b"fooba"[..]));
        assert_eq!(base32_decode("not base32!"), None);
    }

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let stored = hash_password("correct horse", 1000).expect("hash");
        assert!(verify_password("correct horse", &stored));
        assert!(!verify_password("wrong horse", &stored));
    }
}
