//! Tokens — the JWT API (refresh, revoke, retrieve refresh tokens, validate, public keys) and
//! the access token's claims — and what verifies and signs them: the JWKS, the OpenID
//! configuration and the Key API: <https://fusionauth.io/docs/apis/jwt>,
//! <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/endpoints>,
//! <https://fusionauth.io/docs/apis/keys>

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::login::DeviceInfo;

/// `POST /api/jwt/refresh` request body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The expired access token; FusionAuth only relays it to the `jwt.refresh` webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

crate::debug_fields!(RefreshRequest {});

/// `POST /api/jwt/refresh` 200 body. Unlike login, it has no `tokenExpirationInstant`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshResponse {
    pub token: String,
    /// The same value that was sent (`Reusable`) or its successor (`OneTimeUse`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<String>,
}

crate::debug_fields!(RefreshResponse { refresh_token_id });

/// `DELETE /api/jwt/refresh` parameters (query string, form or JSON body): one token by value,
/// a user's tokens (of one application), or an application's tokens.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RevokeRefreshTokenRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

crate::debug_fields!(RevokeRefreshTokenRequest {
    user_id,
    application_id
});

/// The RefreshToken object (a session): its `id` is the `refreshTokenId` and the JWTs' `sid`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshToken {
    pub id: String,
    pub application_id: String,
    pub user_id: String,
    pub tenant_id: String,
    /// The value itself: in a revoke event when the caller presented it; the emulator's
    /// retrieve APIs never return it (only hashes are stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Epoch milliseconds.
    pub insert_instant: i64,
    /// The basis of its expiry (epoch ms).
    pub start_instant: i64,
    pub meta_data: RefreshTokenMetaData,
    pub data: Map<String, Value>,
}

crate::debug_fields!(RefreshToken {
    id,
    application_id,
    user_id,
    start_instant,
    meta_data
});

/// `refreshToken.metaData`: the device from the login request's `metaData`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshTokenMetaData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

/// `GET /api/jwt/refresh/{tokenId}` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshTokenResponse {
    pub refresh_token: RefreshToken,
}

/// `GET /api/jwt/refresh?userId=` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshTokensResponse {
    pub refresh_tokens: Vec<RefreshToken>,
}

/// A [`RefreshToken`] as a retrieve answer (`GET /api/jwt/refresh?userId=`) is read by a
/// client that must never hold the value: FusionAuth's answer carries `refreshToken.token`,
/// and this shape has no field for it, so the value is dropped as the answer is read.
#[derive(Clone, Debug, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RetrievedRefreshToken {
    pub id: String,
    pub application_id: String,
    pub user_id: String,
    /// Epoch milliseconds.
    pub insert_instant: i64,
    pub meta_data: RefreshTokenMetaData,
}

/// `GET /api/jwt/refresh?userId=` answer, read without the tokens' values.
#[derive(Clone, Debug, PartialEq, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RetrievedRefreshTokens {
    pub refresh_tokens: Vec<RetrievedRefreshToken>,
}

/// `GET /api/jwt/validate` 200 body: the token's claims.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ValidateResponse {
    pub jwt: JwtClaims,
}

/// The claims of an access token FusionAuth issues (instants in epoch **seconds**) —
/// <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/tokens>
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct JwtClaims {
    /// The application id, when the user is registered to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The tenant's issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(rename = "authenticationType", skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    #[serde(rename = "applicationId", skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// Role names; present only when the user is registered to the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// When the user authenticated (kept across refreshes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// The tenant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// The session (refresh token) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Every other claim, as signed.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `aud`: one audience or several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is (one of) it.
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Self::One(one) => one == audience,
            Self::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

/// How the user authenticated: the JWT's `authenticationType` and the login events' field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthenticationType {
    /// Login API with loginId and password.
    Password,
    /// `POST /api/jwt/refresh`.
    RefreshToken,
    /// The combined user + registration API.
    Registration,
    /// The User API's create.
    UserCreate,
    ApplicationToken,
    OneTimePassword,
    Ping,
    JwtSso,
    /// Any other value FusionAuth documents (identity providers, passwordless, …).
    #[serde(untagged)]
    Other(String),
}

/// `GET /api/jwt/public-key` answer: one key (`?kid=`, `?applicationId=`) or all by `kid`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyResponse {
    /// PEM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// PEM by `kid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_keys: Option<BTreeMap<String, String>>,
}

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

crate::debug_fields!(Key { id, algorithm, kid });

/// The Key API's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct KeyResponse {
    pub key: Key,
}

/// `GET /.well-known/openid-configuration` body (OpenID Connect Discovery; FusionAuth's names).
/// An endpoint a server does not serve, and an empty list, are left out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OpenIdConfiguration {
    /// The tenant's issuer (FusionAuth's default `acme.com` is not a URL).
    pub issuer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    pub jwks_uri: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub grant_types_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub id_token_signing_alg_values_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_types_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_modes_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subject_types_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub claims_supported: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code_challenge_methods_supported: Vec<String>,
}
