//! Local JWT verification against FusionAuth's published keys.
//!
//! Signature, algorithm allowlist, `iss` and `aud` are checked by `jsonwebtoken`; `nbf` and
//! `exp` are checked here against the backend's [`Clock`] with the configured leeway, so an
//! expired but otherwise genuine token can be told apart from a forged one (only the former is
//! ever refreshed).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use serde::Deserialize;

use super::jwks::{JwksCache, KeyError};
use crate::clock::Clock;

/// Longest token accepted at all; FusionAuth's are well under 2 KiB.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims the backend relies on.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Claims {
    pub sub: String,
    pub iss: String,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
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
    validation: Validation,
    leeway: i64,
    clock: Clock,
}

impl Verifier {
    pub fn new(
        jwks: JwksCache,
        algorithms: Vec<Algorithm>,
        issuer: &str,
        audience: &str,
        leeway_seconds: u64,
        clock: Clock,
    ) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.algorithms = algorithms;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_aud = true;
        // Time is checked in `check` against the backend's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        Self {
            jwks,
            validation,
            leeway: i64::try_from(leeway_seconds).unwrap_or(0),
            clock,
        }
    }

    pub fn jwks(&self) -> &JwksCache {
        &self.jwks
    }

    /// Verifies `token` and tells whether it is still within its lifetime.
    pub async fn check(&self, token: &str) -> Result<Checked, Rejection> {
        if token.is_empty() || token.len() > MAX_TOKEN_LEN {
            return Err(Rejection::Invalid("token empty or too long"));
        }
        let header =
            decode_header(token).map_err(|_| Rejection::Invalid("malformed JWT header"))?;
        if !self.validation.algorithms.contains(&header.alg) {
            return Err(Rejection::Invalid("algorithm not allowed"));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or(Rejection::Invalid("JWT has no kid"))?;
        let key = self.jwks.key(kid).await.map_err(|e| match e {
            KeyError::Unknown => Rejection::Invalid("unknown kid"),
            KeyError::Unavailable(error) => Rejection::KeysUnavailable(error),
        })?;
        if key.algorithm.is_some_and(|alg| alg != header.alg)
            || key.decoding.family() != header.alg.family()
        {
            return Err(Rejection::Invalid("algorithm does not match the key"));
        }
        let data = decode::<Claims>(token, &key.decoding, &self.validation).map_err(|e| {
            Rejection::Invalid(match e.kind() {
                ErrorKind::InvalidSignature => "bad signature",
                ErrorKind::InvalidIssuer => "wrong issuer",
                ErrorKind::InvalidAudience => "wrong audience",
                ErrorKind::InvalidAlgorithm => "algorithm not allowed",
                ErrorKind::MissingRequiredClaim(_) => "missing claim",
                _ => "malformed JWT",
            })
        })?;
        let claims = data.claims;
        if claims.sub.is_empty() {
            return Err(Rejection::Invalid("empty subject"));
        }
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
}
