//! The fixed parts of a DPoP proof (RFC 9449 §4.2) as the PWA makes them and the backend checks
//! them: one definition for both sides.

/// The proof's `typ` header.
pub const PROOF_TYPE: &str = "dpop+jwt";
/// The proof's `alg` header: ECDSA P-256 with SHA-256, the only algorithm accepted.
pub const PROOF_ALGORITHM: &str = "ES256";
/// The device key's JWK `kty`.
pub const KEY_TYPE: &str = "EC";
/// The device key's JWK `crv`.
pub const KEY_CURVE: &str = "P-256";
/// The longest `jti` accepted, in bytes. The PWA sends 22 characters (128 random bits).
pub const MAX_JTI_LENGTH: usize = 64;
