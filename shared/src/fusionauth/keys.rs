//! Signing keys: the JWKS (`GET /.well-known/jwks.json`), the OpenID configuration and the Key
//! API —
//! <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/endpoints>,
//! <https://fusionauth.io/docs/apis/keys>

use std::fmt;

use serde::{Deserialize, Serialize};

/// One key of `GET /.well-known/jwks.json` (RFC 7517). RSA keys carry `n` and `e`, EC keys
/// `crv`, `x` and `y`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Jwk {
    pub kty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// `GET /.well-known/jwks.json` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

/// The Key object of the Key API.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Key {
    pub id: String,
    /// `RS256`, `ES256`, `HS256`, …
    pub algorithm: String,
    pub name: String,
    /// The id in JWT headers (not the Key's UUID).
    pub kid: String,
    /// Bits.
    pub length: u32,
    /// `RSA`, `EC` or `HMAC`.
    #[serde(rename = "type")]
    pub key_type: String,
    pub has_private_key: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    /// PEM, for asymmetric keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// The HMAC secret (standard Base64), for HMAC keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The Key API's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyResponse {
    pub key: Key,
}

/// `GET /.well-known/openid-configuration` body (OpenID Connect Discovery; FusionAuth's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OpenIdConfiguration {
    /// The tenant's issuer (FusionAuth's default `acme.com` is not a URL).
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub end_session_endpoint: String,
    pub device_authorization_endpoint: String,
    pub jwks_uri: String,
    pub grant_types_supported: Vec<String>,
    pub id_token_signing_alg_values_supported: Vec<String>,
    pub response_types_supported: Vec<String>,
    pub response_modes_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
    pub subject_types_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub claims_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
}
