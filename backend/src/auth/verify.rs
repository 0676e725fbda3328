//! Local JWT verification against FusionAuth's published keys (and, for `HS256` only when
//! `APP_JWT_HMAC_SECRET` is set, FusionAuth's HMAC secret, which is never published).
//!
//! Signature, algorithm allowlist, `iss` and `aud` are checked by `jsonwebtoken`; `nbf` and
//! `exp` are checked here against the backend's [`Clock`] with the configured leeway, so an
//! expired but otherwise genuine token can be told apart from a forged one (only the former is
//! ever refreshed).
//!
//! (Over 500 lines: every check of a JWT and of a webhook signature, in the order they run.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

use super::jwks::{CachedKey, JwksCache, KeyError};
use crate::clock::Clock;

/// Longest token accepted at all; FusionAuth's are well under 2 KiB.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Tokens whose signature, issuer and audience were verified, remembered by their SHA-256 so
/// the same JWT (a mobile client sends one for minutes) is not verified again on every request:
/// an ES256 verification costs about 60 µs. Only successes are kept, each with the exact key
/// that verified it and used only while that key is still the published one for its `kid`.
/// When full, it is emptied (a rare re-verification is cheaper than bookkeeping).
const MAX_VERIFIED: usize = 10_000;

struct Verified {
    kid: String,
    key: Arc<CachedKey>,
    claims: Claims,
}

/// The claims the backend relies on.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Claims {
    pub sub: String,
    pub iss: String,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Issued-at, epoch seconds: compared with user- and application-wide revocations.
    #[serde(default)]
    pub iat: Option<i64>,
    /// The session (FusionAuth's refresh token id): compared with session revocations.
    #[serde(default)]
    pub sid: Option<String>,
    /// FusionAuth puts the application in access tokens (of registered users), not in ID tokens.
    #[serde(default, rename = "applicationId")]
    pub application_id: Option<String>,
    /// Present in every FusionAuth access token.
    #[serde(default, rename = "authenticationType")]
    pub authentication_type: Option<String>,
    /// ID-token claims (OpenID Connect): an access token never carries them.
    #[serde(default)]
    pub at_hash: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub c_hash: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub nonce: Option<serde::de::IgnoredAny>,
}

impl Claims {
    /// Refuses what is not a FusionAuth access token for `application_id`: an ID token (no
    /// `applicationId`, or `at_hash`/`c_hash`/`nonce`), a token without `authenticationType`,
    /// or one whose `applicationId` names another application.
    fn ensure_access_token(&self, application_id: &str) -> Result<(), Rejection> {
        if self.at_hash.is_some() || self.c_hash.is_some() || self.nonce.is_some() {
            return Err(Rejection::Invalid("an ID token, not an access token"));
        }
        if self.application_id.as_deref() != Some(application_id) {
            return Err(Rejection::Invalid(
                "applicationId is missing or names another application",
            ));
        }
        if self
            .authentication_type
            .as_deref()
            .is_none_or(str::is_empty)
        {
            return Err(Rejection::Invalid("no authenticationType"));
        }
        Ok(())
    }
}

/// True for a JOSE `typ` an access token may carry: none, `JWT` (FusionAuth's) or RFC 9068's
/// `at+jwt`, in any case, with or without `application/`.
fn is_access_token_type(typ: Option<&str>) -> bool {
    typ.is_none_or(|typ| {
        let typ = typ.to_ascii_lowercase();
        let typ = typ.strip_prefix("application/").unwrap_or(&typ);
        typ == "jwt" || typ == "at+jwt"
    })
}

/// How old a webhook signature may be (its `iat`); also how long event ids are remembered.
pub(crate) const WEBHOOK_MAX_AGE_SECONDS: i64 = 300;
/// How far in the future a webhook signature's `iat` may be (FusionAuth's clock ahead).
const WEBHOOK_MAX_FUTURE_SECONDS: i64 = 60;

/// The claims FusionAuth's webhook signature JWT carries.
#[derive(Deserialize)]
struct WebhookClaims {
    request_body_sha256: String,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    exp: Option<i64>,
}

/// A token with a valid signature, issuer and audience.
#[derive(Debug)]
pub(crate) enum Checked {
    /// Within its lifetime.
    Fresh(Claims),
    /// Past `exp` (+ leeway) by `seconds_ago`.
    Expired { claims: Claims, seconds_ago: i64 },
}

/// Why a token was not accepted.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// Garbage, forged, of another issuer or audience, or not yet valid: never refresh it.
    Invalid(&'static str),
    /// The keys could not be fetched to decide.
    KeysUnavailable(anyhow::Error),
}

pub(crate) struct Verifier {
    jwks: JwksCache,
    /// The application (`aud` and `applicationId`).
    application_id: String,
    validation: Validation,
    /// FusionAuth's HMAC key (`APP_JWT_HMAC_SECRET`) with `HS256`-only validations; `None`
    /// refuses every HS* token.
    hmac: Option<Hmac>,
    /// For webhook signatures: signature and algorithm only (they carry no `iss`/`aud`).
    webhook_validation: Validation,
    leeway: i64,
    clock: Clock,
    verified: Mutex<HashMap<[u8; 32], Verified>>,
    /// Set in the benchmark-only `fusionauth` verification mode.
    remote: Option<RemoteValidation>,
    /// `APP_FUSIONAUTH_WEBHOOK_KID`: the only key a webhook signature may name.
    webhook_kid: Option<String>,
}

/// The configured HMAC secret: HMAC keys are never published, so an `HS256` token (whatever its
/// `kid`) is verified with this one, under validations that allow `HS256` alone.
struct Hmac {
    key: Arc<CachedKey>,
    validation: Validation,
    webhook_validation: Validation,
}

/// FusionAuth's `GET /api/jwt/validate`, asked on every request instead of verifying locally
/// (`APP_JWT_VERIFICATION=fusionauth`, which exists only to measure the difference).
/// <https://fusionauth.io/docs/apis/jwt#validate-a-jwt>
pub(crate) struct RemoteValidation {
    pub client: reqwest::Client,
    pub url: String,
    pub issuer: String,
    pub audience: String,
}

/// `GET /api/jwt/validate` 200 body: the claims, flattened.
#[derive(Deserialize)]
struct ValidateResponse {
    jwt: Claims,
}

/// The `aud` claim, a string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct AudienceClaim {
    aud: Audience,
}

impl RemoteValidation {
    async fn claims(&self, token: &str) -> Result<Claims, Rejection> {
        let response = self
            .client
            .get(&self.url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| Rejection::KeysUnavailable(e.into()))?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(Rejection::Invalid("refused by FusionAuth's validate API"));
        }
        if !response.status().is_success() {
            return Err(Rejection::KeysUnavailable(anyhow::anyhow!(
                "FusionAuth's validate API answered {}",
                response.status()
            )));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| Rejection::KeysUnavailable(e.into()))?;
        let claims = serde_json::from_slice::<ValidateResponse>(&body)
            .map_err(|_| Rejection::Invalid("unreadable validate answer"))?
            .jwt;
        let audience = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|value| serde_json::from_value::<AudienceClaim>(value["jwt"].clone()).ok())
            .map(|claim| claim.aud);
        let audience_ok = match audience {
            Some(Audience::One(aud)) => aud == self.audience,
            Some(Audience::Many(auds)) => auds.contains(&self.audience),
            None => false,
        };
        if claims.iss != self.issuer {
            return Err(Rejection::Invalid("wrong issuer"));
        }
        if !audience_ok {
            return Err(Rejection::Invalid("wrong audience"));
        }
        if claims.sub.is_empty() {
            return Err(Rejection::Invalid("empty subject"));
        }
        Ok(claims)
    }
}

impl Verifier {
    pub fn new(
        jwks: JwksCache,
        algorithms: Vec<Algorithm>,
        issuer: &str,
        audience: &str,
        leeway_seconds: u64,
        clock: Clock,
        remote: Option<RemoteValidation>,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::ES256);
        validation.algorithms = algorithms;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_aud = true;
        // Time is checked in `check` against the backend's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        let mut webhook_validation = Validation::new(Algorithm::ES256);
        webhook_validation.algorithms = validation.algorithms.clone();
        webhook_validation.set_required_spec_claims::<&str>(&[]);
        webhook_validation.validate_aud = false;
        webhook_validation.validate_exp = false;
        webhook_validation.validate_nbf = false;
        webhook_validation.leeway = 0;
        Self {
            jwks,
            application_id: audience.to_owned(),
            validation,
            hmac: None,
            webhook_validation,
            leeway: i64::try_from(leeway_seconds).unwrap_or(0),
            clock,
            verified: Mutex::new(HashMap::new()),
            remote,
            webhook_kid: None,
        }
    }

    /// Accepts webhook signatures by the key `kid` only.
    pub fn with_webhook_kid(mut self, kid: String) -> Self {
        self.webhook_kid = Some(kid);
        self
    }

    pub fn jwks(&self) -> &JwksCache {
        &self.jwks
    }

    /// Accepts `HS256` tokens too, verified with FusionAuth's HMAC key `secret`
    /// (`APP_JWT_HMAC_SECRET`); the same issuer, audience and subject checks apply.
    pub fn with_hmac_key(mut self, secret: DecodingKey) -> Self {
        let only_hs256 = |base: &Validation| {
            let mut hs256 = base.clone();
            hs256.algorithms = vec![Algorithm::HS256];
            hs256
        };
        self.hmac = Some(Hmac {
            key: Arc::new(CachedKey {
                decoding: secret,
                algorithm: Some(Algorithm::HS256),
                material: String::new(),
            }),
            validation: only_hs256(&self.validation),
            webhook_validation: only_hs256(&self.webhook_validation),
        });
        self
    }

    /// True when `APP_JWT_HMAC_SECRET` is configured.
    pub fn has_hmac_key(&self) -> bool {
        self.hmac.is_some()
    }

    /// True while `key` may still vouch for a token it verified: the configured HMAC key
    /// always, a published key while it is still the one for `kid`.
    fn is_current(&self, kid: &str, key: &Arc<CachedKey>) -> bool {
        self.hmac
            .as_ref()
            .is_some_and(|hmac| Arc::ptr_eq(&hmac.key, key))
            || self.jwks.is_current(kid, key)
    }

    /// The key `token` must verify with, after the header's algorithm passed the allowlist and
    /// matches the key: the configured HMAC key for `HS256` (when one is), otherwise the
    /// published key the `kid` names. The third value is true for the HMAC key.
    async fn key_for(&self, token: &str) -> Result<(String, Arc<CachedKey>, bool), Rejection> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(Rejection::Invalid("token empty or too long"));
        }
        let header =
            decode_header(token).map_err(|_| Rejection::Invalid("malformed JWT header"))?;
        if header.alg == Algorithm::HS256
            && let Some(hmac) = &self.hmac
        {
            return Ok((header.kid.unwrap_or_default(), Arc::clone(&hmac.key), true));
        }
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(Rejection::Invalid("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(Rejection::Invalid("JWT has no kid"))?;
        let key = self.jwks.key(&kid).await.map_err(|e| match e {
            KeyError::Unknown => Rejection::Invalid("unknown kid"),
            KeyError::Unavailable(error) => Rejection::KeysUnavailable(error),
        })?;
        if key.algorithm.is_some_and(|alg| alg != header.alg)
            || key.decoding.family() != header.alg.family()
        {
            return Err(Rejection::Invalid("algorithm does not match the key"));
        }
        Ok((kid, key, false))
    }

    /// Verifies `token` and tells whether it is still within its lifetime.
    pub async fn check(&self, token: &str) -> Result<Checked, Rejection> {
        let claims = self.verified_claims(token).await?;
        let now = self.clock.now_seconds();
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(self.leeway))
        {
            return Err(Rejection::Invalid("not valid yet"));
        }
        let deadline = claims.exp.saturating_add(self.leeway);
        if now <= deadline {
            Ok(Checked::Fresh(claims))
        } else {
            Ok(Checked::Expired {
                seconds_ago: now - deadline,
                claims,
            })
        }
    }

    /// The claims of `token` once its signature, algorithm, issuer, audience and subject are
    /// good (not its time window), from the cache of verified tokens when it is there.
    async fn verified_claims(&self, token: &str) -> Result<Claims, Rejection> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(Rejection::Invalid("token empty or too long"));
        }
        if let Some(remote) = &self.remote {
            let claims = remote.claims(token).await?;
            claims.ensure_access_token(&self.application_id)?;
            return Ok(claims);
        }
        let mut digest = [0u8; 32];
        digest.copy_from_slice(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref(),
        );
        let remembered = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
            .map(|hit| (hit.kid.clone(), Arc::clone(&hit.key), hit.claims.clone()));
        if let Some((kid, key, claims)) = remembered
            && self.is_current(&kid, &key)
        {
            return Ok(claims);
        }
        let (kid, key, is_hmac) = self.key_for(token).await?;
        let validation = match &self.hmac {
            Some(hmac) if is_hmac => &hmac.validation,
            _ => &self.validation,
        };
        let data = decode::<Claims>(token, &key.decoding, validation).map_err(|e| {
            Rejection::Invalid(match e.kind() {
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                ErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "malformed JWT",
            })
        })?;
        if !is_access_token_type(data.header.typ.as_deref()) {
            return Err(Rejection::Invalid("typ is not an access token's"));
        }
        let claims = data.claims;
        if claims.sub.is_empty() {
            return Err(Rejection::Invalid("empty subject"));
        }
        claims.ensure_access_token(&self.application_id)?;
        let mut verified = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
        if verified.len() >= MAX_VERIFIED {
            verified.clear();
        }
        verified.insert(
            digest,
            Verified {
                kid,
                key,
                claims: claims.clone(),
            },
        );
        Ok(claims)
    }
}

impl Verifier {
    /// Checks FusionAuth's `X-FusionAuth-Signature-JWT`: signed by a published key with an
    /// allowlisted algorithm (the configured webhook `kid`, when there is one), issued
    /// ([`WEBHOOK_MAX_AGE_SECONDS`]) recently, not expired (when it says), and its
    /// `request_body_sha256` is the standard Base64 SHA-256 of exactly `body`.
    pub async fn check_webhook_signature(&self, jwt: &str, body: &[u8]) -> Result<(), Rejection> {
        if let Some(expected) = &self.webhook_kid {
            let header =
                decode_header(jwt).map_err(|_| Rejection::Invalid("malformed JWT header"))?;
            if header.kid.as_ref() != Some(expected) {
                return Err(Rejection::Invalid("webhook signed by another key"));
            }
        }
        let (_, key, is_hmac) = self.key_for(jwt).await?;
        let validation = match &self.hmac {
            Some(hmac) if is_hmac => &hmac.webhook_validation,
            _ => &self.webhook_validation,
        };
        let data = decode::<WebhookClaims>(jwt, &key.decoding, validation).map_err(|e| {
            Rejection::Invalid(match e.kind() {
                ErrorKind::InvalidSignature => "bad webhook signature",
                _ => "malformed webhook signature",
            })
        })?;
        let now = self.clock.now_seconds();
        if data
            .claims
            .exp
            .is_some_and(|exp| exp.saturating_add(self.leeway) < now)
        {
            return Err(Rejection::Invalid("expired webhook signature"));
        }
        match data.claims.iat {
            None => return Err(Rejection::Invalid("webhook signature without iat")),
            Some(iat) if iat < now.saturating_sub(WEBHOOK_MAX_AGE_SECONDS) => {
                return Err(Rejection::Invalid("webhook signature too old"));
            }
            Some(iat) if iat > now.saturating_add(WEBHOOK_MAX_FUTURE_SECONDS) => {
                return Err(Rejection::Invalid("webhook signature from the future"));
            }
            Some(_) => {}
        }
        if data.claims.request_body_sha256 != body_sha256(body) {
            return Err(Rejection::Invalid(
                "webhook body does not match its signature",
            ));
        }
        Ok(())
    }
}

/// Standard Base64 (with padding) of the SHA-256 of `body`, as FusionAuth signs it.
pub(crate) fn body_sha256(body: &[u8]) -> String {
    use base64::Engine as _;
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, body);
    base64::engine::general_purpose::STANDARD.encode(hash.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_access_token_types_are_accepted_in_the_header() {
        for typ in [
            None,
            Some("JWT"),
            Some("jwt"),
            Some("at+jwt"),
            Some("application/at+JWT"),
        ] {
            assert!(is_access_token_type(typ), "{typ:?}");
        }
        for typ in ["dpop+jwt", "logout+jwt", "JOSE", "", "id_token"] {
            assert!(!is_access_token_type(Some(typ)), "{typ}");
        }
    }

    #[test]
    fn body_hashes_are_standard_padded_base64() {
        // SHA-256("") in standard Base64, padding included.
        assert_eq!(
            body_sha256(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
