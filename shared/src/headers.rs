//! Header names (and fixed header values) the PWA and the backend agree on for moving tokens
//! (workflow steps 4–9) and for device-bound sessions (RFC 9449 DPoP, issue #11).

/// Request header: the refresh token, sent by the PWA only when its JWT has expired or is about to.
pub const REFRESH_TOKEN: &str = "X-Refresh-Token";
/// Response header: the JWT the backend obtained from FusionAuth; it replaces the PWA's stored JWT.
pub const NEW_ACCESS_TOKEN: &str = "X-New-Access-Token";
/// Response header: the rotated refresh token, present when FusionAuth issued a new value.
pub const NEW_REFRESH_TOKEN: &str = "X-New-Refresh-Token";

/// Request header: the DPoP proof JWT signed with the device key (RFC 9449 §4.1).
pub const DPOP: &str = "DPoP";
/// Response header: a fresh server nonce the client puts in its next proofs (RFC 9449 §8).
pub const DPOP_NONCE: &str = "DPoP-Nonce";
/// The `Authorization` scheme of a device-bound JWT: `Authorization: DPoP <JWT>` (RFC 9449 §7.1).
pub const DPOP_SCHEME: &str = "DPoP";

/// `WWW-Authenticate` `error` value: retry once with the `DPoP-Nonce` of this answer.
pub const ERROR_USE_DPOP_NONCE: &str = "use_dpop_nonce";
/// `WWW-Authenticate` `error` value: the `DPoP` proof is malformed, forged, replayed or for
/// another request.
pub const ERROR_INVALID_DPOP_PROOF: &str = "invalid_dpop_proof";
/// `WWW-Authenticate` `error` value: the JWT is bad, not bound to the proof's key, or was sent
/// the way the backend's mode does not accept (Bearer or `X-Refresh-Token` in `required` mode).
pub const ERROR_INVALID_TOKEN: &str = "invalid_token";
