//! FusionAuth's public signing keys: `GET /.well-known/jwks.json`, cached by `kid`.
//!
//! An unknown `kid` triggers a refetch, but at most one fetch runs at a time and at most one
//! starts every [`MIN_REFETCH_INTERVAL`] (so forged tokens with random `kid`s cannot hammer
//! FusionAuth). When FusionAuth is down the last good key set stays in use.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use shared::fusionauth::{Jwk, JwkSet};

/// Minimum time between two fetches after a successful one.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Minimum time between two fetches after a failed one (FusionAuth was down).
const MIN_RETRY_INTERVAL: Duration = Duration::from_secs(2);

/// A verification key and the algorithm it is published for (if the JWK says).
pub(crate) struct CachedKey {
    pub decoding: DecodingKey,
    pub algorithm: Option<Algorithm>,
}

/// Why no key could be found.
#[derive(Debug)]
pub(crate) enum KeyError {
    /// FusionAuth does not publish this `kid`.
    Unknown,
    /// The key set could not be fetched; the `kid` may or may not exist.
    Unavailable(anyhow::Error),
}

#[derive(Default)]
struct FetchState {
    last_attempt: Option<Instant>,
    last_error: Option<String>,
}

/// The cache; shared by every worker.
pub(crate) struct JwksCache {
    client: reqwest::Client,
    url: String,
    keys: RwLock<Arc<HashMap<String, Arc<CachedKey>>>>,
    fetch: tokio::sync::Mutex<FetchState>,
}

impl JwksCache {
    pub fn new(client: reqwest::Client, fusionauth_url: &str) -> Self {
        Self {
            client,
            url: format!(
                "{}/.well-known/jwks.json",
                fusionauth_url.trim_end_matches('/')
            ),
            keys: RwLock::new(Arc::new(HashMap::new())),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
        }
    }

    /// True once a key set with at least one usable key has been fetched.
    pub fn has_keys(&self) -> bool {
        !self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }

    /// True while `key` is still the published key for `kid` (a refetch replaces every key, so
    /// anything verified before it is verified again).
    pub fn is_current(&self, kid: &str, key: &Arc<CachedKey>) -> bool {
        self.cached(kid)
            .is_some_and(|cached| Arc::ptr_eq(&cached, key))
    }

    fn cached(&self, kid: &str) -> Option<Arc<CachedKey>> {
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        keys.get(kid).cloned()
    }

    /// The key for `kid`, fetching the key set when it is not cached.
    pub async fn key(&self, kid: &str) -> Result<Arc<CachedKey>, KeyError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut state = self.fetch.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let interval = if state.last_error.is_some() {
            MIN_RETRY_INTERVAL
        } else {
            MIN_REFETCH_INTERVAL
        };
        if state.last_attempt.is_some_and(|at| at.elapsed() < interval) {
            return Err(match &state.last_error {
                Some(error) => KeyError::Unavailable(anyhow::anyhow!("{error}")),
                None => KeyError::Unknown,
            });
        }
        self.fetch_locked(&mut state)
            .await
            .map_err(KeyError::Unavailable)?;
        self.cached(kid).ok_or(KeyError::Unknown)
    }

    /// Fetches the key set unless a fetch ran within the refetch interval.
    pub async fn fetch_if_due(&self) {
        let mut state = self.fetch.lock().await;
        let interval = if state.last_error.is_some() {
            MIN_RETRY_INTERVAL
        } else {
            MIN_REFETCH_INTERVAL
        };
        if state.last_attempt.is_none_or(|at| at.elapsed() >= interval) {
            let _ = self.fetch_locked(&mut state).await;
        }
    }

    /// Fetches the key set now (used at start so the first request does not wait).
    ///
    /// # Errors
    /// When FusionAuth cannot be reached or answers something that is not a key set.
    pub async fn prefetch(&self) -> anyhow::Result<usize> {
        let mut state = self.fetch.lock().await;
        self.fetch_locked(&mut state).await
    }

    async fn fetch_locked(&self, state: &mut FetchState) -> anyhow::Result<usize> {
        state.last_attempt = Some(Instant::now());
        match self.download().await {
            Ok(keys) => {
                let count = keys.len();
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
                state.last_error = None;
                tracing::info!(keys = count, "fetched FusionAuth's signing keys");
                Ok(count)
            }
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot fetch FusionAuth's signing keys; keeping the last good set"
                );
                state.last_error = Some(format!("{error:#}"));
                Err(error)
            }
        }
    }

    async fn download(&self) -> anyhow::Result<HashMap<String, Arc<CachedKey>>> {
        let response = self
            .client
            .get(&self.url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("GET {}: {e}", self.url))?;
        let status = response.status();
        if !status.is_success() {
            anyhow::bail!("GET {} answered {status}", self.url);
        }
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| anyhow::anyhow!("GET {}: not a JWK set: {e}", self.url))?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| match decoding_key(jwk) {
                Some(key) => Some((jwk.kid.clone(), Arc::new(key))),
                None => {
                    tracing::debug!(kid = %jwk.kid, kty = %jwk.kty, "skipping a JWK that cannot verify signatures");
                    None
                }
            })
            .collect())
    }
}

/// A verification key from one JWK; `None` for keys this backend cannot or must not use.
fn decoding_key(jwk: &Jwk) -> Option<CachedKey> {
    if jwk.kid.is_empty() || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
        return None;
    }
    let algorithm = match jwk.alg.as_deref() {
        Some(name) => Some(name.parse::<Algorithm>().ok()?),
        None => None,
    };
    let decoding = match jwk.kty.as_str() {
        "RSA" => DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok()?,
        // FusionAuth's ES256 keys (the Kickstart's access-token key): P-256, `crv`/`x`/`y`.
        "EC" => {
            let curve_alg = match jwk.crv.as_deref() {
                Some("P-256") => Algorithm::ES256,
                Some("P-384") => Algorithm::ES384,
                // P-521 (ES512) and secp256k1 (ES256K) are not verified by `jsonwebtoken`.
                _ => return None,
            };
            if algorithm.is_some_and(|alg| alg != curve_alg) {
                return None;
            }
            DecodingKey::from_ec_components(jwk.x.as_deref()?, jwk.y.as_deref()?).ok()?
        }
        "OKP" => DecodingKey::from_ed_components(jwk.x.as_deref()?).ok()?,
        // HMAC ("oct") secrets are never published by FusionAuth, and must never be trusted.
        _ => return None,
    };
    Some(CachedKey {
        decoding,
        algorithm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_jwk() -> Jwk {
        // A real 2048-bit modulus is not needed to build a key, only valid base64url.
        Jwk {
            kty: "RSA".into(),
            alg: Some("RS256".into()),
            use_: Some("sig".into()),
            kid: "k1".into(),
            n: Some("sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw".into()),
            e: Some("AQAB".into()),
            ..Jwk::default()
        }
    }

    /// A fresh P-256 key as FusionAuth publishes it, and its PKCS#8 form to sign with.
    fn ec_jwk() -> (Jwk, Vec<u8>) {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("parses");
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let jwk = Jwk {
            kty: "EC".into(),
            alg: Some("ES256".into()),
            use_: Some("sig".into()),
            kid: "e1".into(),
            crv: Some("P-256".into()),
            x: Some(URL_SAFE_NO_PAD.encode(&point[1..33])),
            y: Some(URL_SAFE_NO_PAD.encode(&point[33..65])),
            ..Jwk::default()
        };
        (jwk, pkcs8.as_ref().to_vec())
    }

    #[test]
    fn p256_signing_keys_verify_es256_tokens_signed_by_their_private_key() {
        use jsonwebtoken::{EncodingKey, Header, Validation, decode, encode};
        let (jwk, pkcs8) = ec_jwk();
        let key = decoding_key(&jwk).expect("usable");
        assert_eq!(key.algorithm, Some(Algorithm::ES256));
        let claims = serde_json::json!({"sub": "u1"});
        let token = encode(
            &Header::new(Algorithm::ES256),
            &claims,
            &EncodingKey::from_ec_der(&pkcs8),
        )
        .expect("signs");
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_required_spec_claims::<&str>(&[]);
        validation.validate_exp = false;
        let verified = decode::<serde_json::Value>(&token, &key.decoding, &validation)
            .expect("the signature verifies with the JWK's x and y");
        assert_eq!(verified.claims, claims);

        let (other, _) = ec_jwk();
        let other = decoding_key(&other).expect("usable");
        assert!(decode::<serde_json::Value>(&token, &other.decoding, &validation).is_err());
    }

    #[test]
    fn ec_keys_of_an_unknown_curve_or_another_algorithm_are_never_used() {
        let (jwk, _) = ec_jwk();
        let no_curve = Jwk {
            crv: None,
            ..jwk.clone()
        };
        let wrong_curve = Jwk {
            crv: Some("secp256k1".into()),
            ..jwk.clone()
        };
        let mismatched = Jwk {
            alg: Some("ES384".into()),
            ..jwk.clone()
        };
        let no_y = Jwk { y: None, ..jwk };
        for jwk in [no_curve, wrong_curve, mismatched, no_y] {
            assert!(decoding_key(&jwk).is_none(), "{jwk:?}");
        }
    }

    #[test]
    fn rsa_signing_keys_are_kept_with_their_algorithm() {
        let key = decoding_key(&rsa_jwk()).expect("usable");
        assert_eq!(key.algorithm, Some(Algorithm::RS256));
    }

    #[test]
    fn hmac_encryption_and_nameless_keys_are_never_used() {
        let oct = Jwk {
            kty: "oct".into(),
            kid: "h1".into(),
            ..Jwk::default()
        };
        let encryption = Jwk {
            use_: Some("enc".into()),
            ..rsa_jwk()
        };
        let nameless = Jwk {
            kid: String::new(),
            ..rsa_jwk()
        };
        let unknown_alg = Jwk {
            alg: Some("RS999".into()),
            ..rsa_jwk()
        };
        for jwk in [oct, encryption, nameless, unknown_alg] {
            assert!(decoding_key(&jwk).is_none(), "{jwk:?}");
        }
    }
}
