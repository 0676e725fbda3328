//! Verifying a DPoP proof (RFC 9449 §4.3) for one request: the compact JWS is split and
//! base64url-decoded here, its ES256 signature verified by aws-lc-rs over the public point of
//! its own `jwk`, then its claims are checked against the request, the access token, the
//! nonce or `iat` window, and the proofs this instance has already accepted.
//!
//! The caller checks the rest: exactly one `DPoP` header, and that the proof's key ([`jkt`])
//! is the key of the session the access token belongs to.
//!
//! [`jkt`]: VerifiedProof::jkt

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use shared::dpop::{MAX_JTI_LENGTH, PROOF_ALGORITHM, PROOF_TYPE};

use super::htu::{HttpUrl, normalise, normalise_path};
use super::jwk::{DeviceJwk, JwkError, JwkMembers};
use super::nonce::Nonces;
use super::replay::{ReplayCache, Seen};
use super::token_hash;
use crate::Clock;
use crate::settings::PublicOrigin;

/// The longest proof read, in bytes (a real one is about 700).
pub(crate) const MAX_PROOF_LENGTH: usize = 4096;
/// How far a proof's `iat` may be from the backend's clock when it carries no nonce, in seconds.
pub(crate) const IAT_WINDOW_SECONDS: i64 = 60;

/// Which check a proof failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ProofError {
    #[error("the proof is longer than {MAX_PROOF_LENGTH} bytes")]
    TooLong,
    #[error("the proof is not a compact JWS of three base64url parts")]
    NotCompactJws,
    #[error("the proof's header is not a JSON object with the members a proof needs")]
    MalformedHeader,
    #[error("typ is not dpop+jwt")]
    WrongType,
    #[error("alg is not ES256")]
    UnsupportedAlgorithm,
    #[error("the header asks for extensions (crit) this backend does not implement")]
    CriticalHeader,
    #[error("jwk is missing or not an EC P-256 public key")]
    InvalidKey,
    #[error("jwk carries a private key")]
    PrivateKey,
    #[error("the signature does not verify with jwk")]
    BadSignature,
    #[error("the proof's claims are not a JSON object with jti, htm, htu and iat")]
    MalformedClaims,
    #[error("jti is empty or longer than {MAX_JTI_LENGTH} bytes")]
    InvalidJti,
    #[error("htm is not the request's method")]
    WrongMethod,
    #[error("htu is not the request's URL")]
    WrongUri,
    #[error("ath is missing or not the hash of the access token")]
    WrongAccessTokenHash,
    #[error("the proof has no nonce and its iat is more than {IAT_WINDOW_SECONDS} s off")]
    StaleIssuedAt,
    #[error("the nonce is expired, from the future or not ours")]
    BadNonce,
    #[error("jti was already used with this key")]
    Replayed,
    #[error("too many recent proofs to remember another")]
    ReplayCacheFull,
}

/// How the client should be answered for a [`ProofError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProofVerdict {
    /// 401, `WWW-Authenticate: DPoP error="use_dpop_nonce"` + `DPoP-Nonce`: retry once with it.
    UseNonce,
    /// 401, `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.
    Invalid,
    /// 503: the instance cannot take more proofs right now; the proof itself was fine so far.
    Overloaded,
}

impl ProofError {
    pub(crate) fn verdict(self) -> ProofVerdict {
        match self {
            Self::StaleIssuedAt | Self::BadNonce => ProofVerdict::UseNonce,
            Self::ReplayCacheFull => ProofVerdict::Overloaded,
            _ => ProofVerdict::Invalid,
        }
    }
}

/// The request a proof must be for.
#[derive(Clone, Copy)]
pub(crate) struct ProofRequest<'a> {
    /// The HTTP method, as received (`GET`, `POST`, …).
    pub method: &'a str,
    /// The request's path as received (percent-encoded; a query is ignored).
    pub path: &'a str,
    /// The access token of the `Authorization: DPoP` header.
    pub access_token: &'a str,
}

shared::debug_fields!(ProofRequest<'_> { method, path });

/// What a verified proof establishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VerifiedProof {
    /// The RFC 7638 thumbprint of the key that signed it.
    pub jkt: String,
    /// Its `iat` (the device's clock, seconds).
    pub issued_at: i64,
    /// True when it was accepted by its nonce rather than by its `iat`.
    pub by_nonce: bool,
}

#[derive(Deserialize)]
struct Header {
    #[serde(default)]
    typ: Option<serde_json::Value>,
    #[serde(default)]
    alg: Option<serde_json::Value>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    jwk: Option<JwkMembers>,
}

#[derive(Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    /// Whole seconds (a fraction makes the claims unreadable).
    iat: i64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// Verifies proofs for one backend instance.
pub(crate) struct ProofVerifier {
    origin: PublicOrigin,
    nonces: Nonces,
    replays: ReplayCache,
    clock: Clock,
}

shared::debug_fields!(ProofVerifier { origin, nonces });

fn decode_part(part: &str) -> Result<Vec<u8>, ProofError> {
    URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::NotCompactJws)
}

/// Reads a JSON object (only an object: serde would also read a struct from an array).
fn read_object<T: serde::de::DeserializeOwned>(json: &[u8]) -> Option<T> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' {
        return None;
    }
    serde_json::from_slice(json).ok()
}

impl ProofVerifier {
    /// Proofs for requests to `origin` (`APP_PUBLIC_ORIGIN`), fresh by `nonces` or by `iat` on
    /// `clock`, remembered in `replays`.
    pub(crate) fn new(
        origin: PublicOrigin,
        nonces: Nonces,
        replays: ReplayCache,
        clock: Clock,
    ) -> Self {
        Self {
            origin,
            nonces,
            replays,
            clock,
        }
    }

    /// A nonce for the `DPoP-Nonce` header of an answer.
    pub(crate) fn fresh_nonce(&self) -> String {
        self.nonces.issue()
    }

    /// Verifies `proof` (the `DPoP` header's value) for `request`, and records it so it is
    /// refused if it comes again.
    ///
    /// # Errors
    /// The first [`ProofError`] found, in RFC 9449 §4.3's order; nothing is recorded then.
    pub(crate) fn verify(
        &self,
        proof: &str,
        request: &ProofRequest<'_>,
    ) -> Result<VerifiedProof, ProofError> {
        self.verify_at(proof, request, self.clock.now_seconds())
    }

    /// [`ProofVerifier::verify`] with "now" given (nonces still follow the clock).
    fn verify_at(
        &self,
        proof: &str,
        request: &ProofRequest<'_>,
        now: i64,
    ) -> Result<VerifiedProof, ProofError> {
        if proof.len() > MAX_PROOF_LENGTH {
            return Err(ProofError::TooLong);
        }
        let mut parts = proof.split('.');
        let (Some(header_part), Some(claims_part), Some(signature_part), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ProofError::NotCompactJws);
        };
        let header: Header =
            read_object(&decode_part(header_part)?).ok_or(ProofError::MalformedHeader)?;
        if header.typ.as_ref().and_then(serde_json::Value::as_str) != Some(PROOF_TYPE) {
            return Err(ProofError::WrongType);
        }
        if header.alg.as_ref().and_then(serde_json::Value::as_str) != Some(PROOF_ALGORITHM) {
            return Err(ProofError::UnsupportedAlgorithm);
        }
        if header.crit.is_some() {
            return Err(ProofError::CriticalHeader);
        }
        let jwk = header
            .jwk
            .ok_or(ProofError::InvalidKey)
            .and_then(|members| {
                DeviceJwk::from_members(members).map_err(|error| match error {
                    JwkError::Private => ProofError::PrivateKey,
                    JwkError::NotP256 => ProofError::InvalidKey,
                })
            })?;

        let signature = decode_part(signature_part)?;
        let signed = &proof[..header_part.len() + 1 + claims_part.len()];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, jwk.uncompressed_point())
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| ProofError::BadSignature)?;

        let claims: Claims =
            read_object(&decode_part(claims_part)?).ok_or(ProofError::MalformedClaims)?;
        if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LENGTH {
            return Err(ProofError::InvalidJti);
        }
        if claims.htm != request.method {
            return Err(ProofError::WrongMethod);
        }
        let expected = normalise_path(request.path).map(|path| HttpUrl {
            origin: self.origin.as_str().to_owned(),
            path,
        });
        if expected.is_none() || normalise(&claims.htu) != expected {
            return Err(ProofError::WrongUri);
        }
        if claims.ath.as_deref() != Some(token_hash(request.access_token).as_str()) {
            return Err(ProofError::WrongAccessTokenHash);
        }

        let (acceptable_until, by_nonce) = match claims.nonce.as_deref() {
            Some(nonce) => (
                self.nonces.check(nonce).map_err(|_| ProofError::BadNonce)?,
                true,
            ),
            None if claims.iat.abs_diff(now) <= IAT_WINDOW_SECONDS.unsigned_abs() => {
                (claims.iat.saturating_add(IAT_WINDOW_SECONDS), false)
            }
            None => return Err(ProofError::StaleIssuedAt),
        };

        let jkt = jwk.thumbprint();
        match self
            .replays
            .record(&jkt, &claims.jti, now, acceptable_until)
        {
            Seen::First => Ok(VerifiedProof {
                jkt,
                issued_at: claims.iat,
                by_nonce,
            }),
            Seen::Again => Err(ProofError::Replayed),
            Seen::Full => Err(ProofError::ReplayCacheFull),
        }
    }
}

#[cfg(test)]
mod tests;
