//! Device-bound sessions (issue #11): the building blocks. A device proves, on every request,
//! that it holds the private half of a non-extractable P-256 key (an RFC 9449 DPoP proof), and
//! the backend keeps the FusionAuth refresh token sealed in its database instead of on the
//! device.
//!
//! - [`proof`]: verifying a proof for a request (`typ`, `alg`, `jwk`, signature, `htm`, `htu`,
//!   `ath`, freshness by nonce or `iat`, replay), giving the key's thumbprint;
//! - [`jwk`]: the device key from a proof's header, and its RFC 7638 thumbprint;
//! - [`htu`]: URL normalisation for `htu`;
//! - [`nonce`]: stateless server nonces every instance sharing the key accepts;
//! - [`replay`]: the `(jkt, jti)` pairs already accepted;
//! - [`key`]: `APP_SESSION_KEY` and the keys derived from it;
//! - [`seal`]: AES-256-GCM sealing of the tokens a session keeps;
//! - [`label`]: a short device label from a `User-Agent`;
//! - [`sessions`]: the service the request path uses (verification, hand-off, refresh, logout,
//!   revocation), on top of the above, `crate::auth` and `crate::store::sessions`;
//! - [`events`]: how instances tell each other a session ended or was refreshed.

pub(crate) mod events;
pub(crate) mod htu;
pub(crate) mod jwk;
pub(crate) mod key;
pub(crate) mod label;
pub(crate) mod nonce;
pub(crate) mod proof;
pub(crate) mod replay;
pub(crate) mod seal;
pub(crate) mod sessions;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub(crate) use key::SessionKey;
pub(crate) use label::device_label;
pub(crate) use nonce::Nonces;
pub(crate) use proof::{ProofError, ProofRequest, ProofVerdict, ProofVerifier};
pub(crate) use replay::ReplayCache;
pub(crate) use seal::{SealError, Sealed, Sealer};
pub(crate) use sessions::{DeviceSessions, DpopRequest, Ending};

/// Base64url (no padding) SHA-256 of a token's ASCII: a proof's `ath` (RFC 9449 §4.2), and how
/// `device_session_tokens` names the JWTs a session handed out without holding them.
pub(crate) fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_hash_is_rfc_9449s_ath() {
        // RFC 9449 §7.1: the example access token and Figure 14's `ath`.
        assert_eq!(
            token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
