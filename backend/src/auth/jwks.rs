//! FusionAuth's public signing keys: `GET /.well-known/jwks.json`, cached by `kid`.
//!
//! An unknown `kid` triggers a refetch, but at most one fetch runs at a time and at most one
//! starts every [`MIN_REFETCH_INTERVAL`] (so forged tokens with random `kid`s cannot hammer
//! FusionAuth). A `kid` not known when the next fetch is not yet allowed is "unavailable" (503,
//! retry), not "unknown" (401): after a key rotation the new key's first tokens must not log
//! their users out. When FusionAuth is down, or answers a set without one usable key, the last
//! good key set stays in use; a key that disappears from the set is still accepted for
//! [`REMOVED_KEY_GRACE`].

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use shared::fusionauth::{Jwk, JwkSet};

/// Minimum time between two fetches after a successful one.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Minimum time between two fetches after a failed one (FusionAuth was down).
const MIN_RETRY_INTERVAL: Duration = Duration::from_secs(2);
/// How long a key that FusionAuth stopped publishing is still accepted.
pub const REMOVED_KEY_GRACE: Duration = Duration::from_secs(600);

/// A verification key and the algorithm it is published for (if the JWK says).
pub(crate) struct CachedKey {
    pub decoding: DecodingKey,
    pub algorithm: Option<Algorithm>,
    /// The JWK it came from (its public members), to tell an unchanged key from a new one.
    pub material: String,
}

impl CachedKey {
    fn same_material(&self, other: &Self) -> bool {
        !self.material.is_empty() && self.material == other.material
    }
}

/// Why no key could be found.
#[derive(Debug)]
pub(crate) enum KeyError {
    /// FusionAuth does not publish this `kid`.
    Unknown,
    /// The key set could not be fetched; the `kid` may or may not exist.
    Unavailable(anyhow::Error),
}

/// A key in the cache, and since when FusionAuth no longer publishes it.
#[derive(Clone)]
struct Published {
    key: Arc<CachedKey>,
    missing_since: Option<Instant>,
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
    keys: RwLock<Arc<HashMap<String, Published>>>,
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
        keys.get(kid).map(|published| Arc::clone(&published.key))
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
            // Not asked yet whether FusionAuth publishes it: a rotated-in key would be.
            return Err(KeyError::Unavailable(match &state.last_error {
                Some(error) => anyhow::anyhow!("{error}"),
                None => anyhow::anyhow!("kid not yet published; the key set is refetched soon"),
            }));
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
        match self.download().await.and_then(|keys| {
            if keys.is_empty() {
                anyhow::bail!("GET {}: no usable signing key in the set", self.url);
            }
            Ok(keys)
        }) {
            Ok(keys) => {
                let count = keys.len();
                let mut current = self.keys.write().unwrap_or_else(PoisonError::into_inner);
                *current = Arc::new(merge(&current, keys, Instant::now()));
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

/// The key set after a fetch: every fetched key (keeping the cached `Arc` of a key whose
/// material did not change, so what it verified stays verified), plus the previous keys missing
/// from `fetched` until [`REMOVED_KEY_GRACE`] after they went missing.
fn merge(
    previous: &HashMap<String, Published>,
    fetched: HashMap<String, Arc<CachedKey>>,
    now: Instant,
) -> HashMap<String, Published> {
    let mut merged: HashMap<String, Published> = previous
        .iter()
        .filter(|(kid, _)| !fetched.contains_key(*kid))
        .filter_map(|(kid, published)| {
            let since = published.missing_since.unwrap_or(now);
            (now.saturating_duration_since(since) < REMOVED_KEY_GRACE).then(|| {
                let kept = Published {
                    key: Arc::clone(&published.key),
                    missing_since: Some(since),
                };
                (kid.clone(), kept)
            })
        })
        .collect();
    for (kid, key) in fetched {
        let key = match previous.get(&kid) {
            Some(old) if old.key.same_material(&key) => Arc::clone(&old.key),
            _ => key,
        };
        merged.insert(
            kid,
            Published {
                key,
                missing_since: None,
            },
        );
    }
    merged
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
    let material = [
        jwk.kty.as_str(),
        jwk.alg.as_deref().unwrap_or_default(),
        jwk.crv.as_deref().unwrap_or_default(),
        jwk.n.as_deref().unwrap_or_default(),
        jwk.e.as_deref().unwrap_or_default(),
        jwk.x.as_deref().unwrap_or_default(),
        jwk.y.as_deref().unwrap_or_default(),
    ]
    .join(".");
    Some(CachedKey {
        decoding,
        algorithm,
        material,
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

    fn published(jwks: &[&Jwk]) -> HashMap<String, Arc<CachedKey>> {
        jwks.iter()
            .map(|jwk| {
                (
                    jwk.kid.clone(),
                    Arc::new(decoding_key(jwk).expect("usable")),
                )
            })
            .collect()
    }

    #[test]
    fn a_key_dropped_from_the_set_is_kept_for_the_grace_period_then_forgotten() {
        let (old, _) = ec_jwk();
        let (new, _) = ec_jwk();
        let new = Jwk {
            kid: "e2".into(),
            ..new
        };
        let start = Instant::now();
        let first = merge(&HashMap::new(), published(&[&old]), start);
        let rotated = merge(&first, published(&[&new]), start);
        assert!(rotated.contains_key("e1") && rotated.contains_key("e2"));
        // The grace period counts from when it went missing, not from the latest fetch.
        let later = merge(&rotated, published(&[&new]), start + REMOVED_KEY_GRACE / 2);
        assert!(later.contains_key("e1"));
        let expired = merge(&later, published(&[&new]), start + REMOVED_KEY_GRACE);
        assert!(!expired.contains_key("e1") && expired.contains_key("e2"));
    }

    #[test]
    fn an_unchanged_key_keeps_its_identity_and_a_changed_one_replaces_it() {
        let (jwk, _) = ec_jwk();
        let now = Instant::now();
        let first = merge(&HashMap::new(), published(&[&jwk]), now);
        let again = merge(&first, published(&[&jwk]), now);
        assert!(Arc::ptr_eq(&first["e1"].key, &again["e1"].key));
        let (changed, _) = ec_jwk();
        let replaced = merge(&again, published(&[&changed]), now);
        assert!(!Arc::ptr_eq(&again["e1"].key, &replaced["e1"].key));
        assert!(replaced["e1"].missing_since.is_none());
    }

    #[tokio::test]
    async fn a_set_without_one_usable_key_never_replaces_the_keys_in_use() {
        use std::io::{Read as _, Write as _};
        let (jwk, _) = ec_jwk();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let address = listener.local_addr().expect("address");
        let bodies = [
            serde_json::json!({"keys": [jwk]}).to_string(),
            serde_json::json!({"keys": []}).to_string(),
            serde_json::json!({"keys": [{"kty": "oct", "kid": "h1", "k": "c2VjcmV0"}]}).to_string(),
        ];
        std::thread::spawn(move || {
            for body in bodies {
                let (mut stream, _) = listener.accept().expect("accepts");
                let mut request = [0_u8; 4096];
                let _ = stream.read(&mut request);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        let cache = JwksCache::new(reqwest::Client::new(), &format!("http://{address}"));
        assert_eq!(cache.prefetch().await.expect("the first set"), 1);
        for refused in ["an empty set", "a set of unusable keys"] {
            assert!(cache.prefetch().await.is_err(), "{refused}");
            assert!(cache.key("e1").await.is_ok(), "{refused} kept e1");
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
