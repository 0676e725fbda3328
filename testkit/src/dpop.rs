//! [`DeviceKey`]: a device key and the RFC 9449 DPoP proofs it signs, made the way the PWA makes
//! them (an aws-lc-rs P-256 key standing in for WebCrypto's non-extractable one), for tests
//! and benchmarks that talk to a backend in device-bound mode. [`ProofClaims`] lets a test
//! forge any member to see it refused.

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Base64url SHA-256 of a token: a proof's `ath`, a backend's token hash.
pub fn token_hash(token: &str) -> String {
    b64(digest(&SHA256, token.as_bytes()))
}

/// 32 random bytes, standard Base64: an `APP_SESSION_KEY`.
///
/// # Panics
/// When the system has no randomness.
pub fn random_session_key() -> String {
    let mut key = [0_u8; 32];
    SystemRandom::new().fill(&mut key).expect("randomness");
    STANDARD.encode(key)
}

/// A random `jti` (128 bits, as the PWA makes them).
///
/// # Panics
/// When the system has no randomness.
pub fn random_jti() -> String {
    let mut jti = [0_u8; 16];
    SystemRandom::new().fill(&mut jti).expect("randomness");
    b64(jti)
}

/// Seconds since the Unix epoch by this machine's clock.
pub fn unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The members of one proof, filled with good values by [`DeviceKey::claims`]; change any
/// field before [`DeviceKey::sign`] to forge a bad one.
#[derive(Clone, Debug)]
pub struct ProofClaims {
    /// The whole JOSE header.
    pub header: Value,
    /// The whole claims object.
    pub claims: Value,
}

/// A P-256 device key. `Debug` shows only the thumbprint.
pub struct DeviceKey {
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey")
            .field("jkt", &self.jkt())
            .finish_non_exhaustive()
    }
}

impl Default for DeviceKey {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceKey {
    /// A new random key.
    ///
    /// # Panics
    /// When the system has no randomness.
    pub fn new() -> Self {
        Self {
            pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("a P-256 key"),
        }
    }

    /// The public JWK, as `crypto.subtle.exportKey("jwk", publicKey)` gives it (public members
    /// only).
    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65])})
    }

    /// The RFC 7638 thumbprint.
    pub fn jkt(&self) -> String {
        let jwk = self.jwk();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            jwk["x"].as_str().unwrap_or_default(),
            jwk["y"].as_str().unwrap_or_default()
        );
        b64(digest(&SHA256, canonical.as_bytes()))
    }

    /// Good members for `method` on `url` (query and fragment dropped) with `access_token`,
    /// issued now by this machine's clock, with `nonce` when given.
    pub fn claims(
        &self,
        method: &str,
        url: &str,
        access_token: &str,
        nonce: Option<&str>,
    ) -> ProofClaims {
        let htu = url.split(['?', '#']).next().unwrap_or(url);
        let mut claims = json!({
            "jti": random_jti(),
            "htm": method,
            "htu": htu,
            "iat": unix_seconds(),
            "ath": token_hash(access_token),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        ProofClaims {
            header: json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()}),
            claims,
        }
    }

    /// `header.claims.signature` with this key's ES256 signature (raw r‖s).
    ///
    /// # Panics
    /// When signing fails (no randomness).
    pub fn sign(&self, proof: &ProofClaims) -> String {
        let signed = format!(
            "{}.{}",
            b64(proof.header.to_string()),
            b64(proof.claims.to_string())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signed.as_bytes())
            .expect("signs");
        format!("{signed}.{}", b64(signature))
    }

    /// A good proof for `method` on `url` with `access_token` (and `nonce`).
    pub fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: &str,
        nonce: Option<&str>,
    ) -> String {
        self.sign(&self.claims(method, url, access_token, nonce))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_hash_is_rfc_9449s_ath() {
        assert_eq!(
            token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn proofs_carry_the_request_and_the_public_key_only() {
        let key = DeviceKey::new();
        let proof = key.claims("GET", "http://h:1/api/cart?x=1#f", "a.b.c", Some("n"));
        assert_eq!(proof.claims["htu"], "http://h:1/api/cart");
        assert_eq!(proof.claims["nonce"], "n");
        assert_eq!(proof.claims["ath"], token_hash("a.b.c"));
        assert!(proof.header["jwk"].get("d").is_none());
        assert_eq!(key.sign(&proof).split('.').count(), 3);
        assert_eq!(key.jkt().len(), 43);
    }
}
