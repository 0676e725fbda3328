//! Access tokens (JWTs) and refresh tokens: issuing, verifying, rotating —
//! <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/tokens>

use shared::fusionauth::{
    Audience, AuthenticationType, JwtClaims, LoginMetaData, RefreshToken, RefreshTokenMetaData,
};

use crate::infra::crypto::{self, hmac_b64, parse_jwt, sha256_b64};
use crate::infra::error::{ApiError, Result};
use crate::model::{Application, JwtConfiguration, Tenant};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow, RegistrationRow, UserRow};

/// What goes into one access token.
#[derive(Debug)]
pub struct JwtRequest<'a> {
    pub tenant: &'a Tenant,
    /// The application and the user's registration to it, when registered.
    pub registered: Option<(&'a Application, &'a RegistrationRow)>,
    pub user: &'a UserRow,
    pub authentication_type: AuthenticationType,
    /// Epoch seconds of the original authentication.
    pub auth_time: i64,
    /// The refresh token id (`sid`), when the session has one.
    pub sid: Option<&'a str>,
}

/// A signed JWT and its expiry (epoch ms).
#[derive(Debug)]
pub struct IssuedJwt {
    pub token: String,
    pub expiration_ms: i64,
}

/// Signs an access token with the key configured for the application (or tenant).
pub fn issue_jwt(state: &AppState, request: &JwtRequest<'_>) -> Result<IssuedJwt> {
    let application = request.registered.map(|(app, _)| app);
    let config = JwtConfiguration::effective(request.tenant, application);
    let key = config
        .access_token_key_id
        .as_deref()
        .and_then(|id| state.key(id))
        .or_else(|| state.keys().into_iter().next())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no signing key is configured")))?;
    let iat = state.clock.now_s();
    let exp = iat.saturating_add(config.time_to_live_in_seconds);
    let (registered_to, roles) = match request.registered {
        Some((app, registration)) => (Some(app.id.clone()), Some(registration.role_names())),
        None => (None, None),
    };
    let user = request.user;
    // Profile claims, unless `--strict-login-claims` applies the application's `Strict` scope
    // handling to these (Login API) tokens, which carry no `email`/`profile` scope.
    let profile =
        !(state.strict_login_claims && application.is_some_and(|a| a.strict_scope_handling()));
    let claims = JwtClaims {
        aud: registered_to.clone().map(Audience::One),
        exp,
        iat: Some(iat),
        iss: Some(request.tenant.issuer()),
        sub: Some(user.id.clone()),
        jti: Some(uuid::Uuid::new_v4().to_string()),
        authentication_type: Some(request.authentication_type.clone()),
        application_id: registered_to,
        roles,
        email: user.email.clone().filter(|_| profile),
        email_verified: user
            .email
            .as_ref()
            .filter(|_| profile)
            .map(|_| user.verified),
        preferred_username: user.username.clone().filter(|_| profile),
        auth_time: Some(request.auth_time),
        tid: Some(request.tenant.id.clone()),
        // Every token here is a Login API one: `--omit-login-sid` leaves `sid` out.
        sid: request
            .sid
            .filter(|_| !state.omit_login_sid)
            .map(str::to_owned),
        other: serde_json::Map::new(),
    };
    let token = key.sign_jwt(&claims)?;
    Ok(IssuedJwt {
        token,
        expiration_ms: exp.saturating_mul(1000),
    })
}

/// Verifies a JWT signed by one of our keys (its `alg` must be the key's) and not expired;
/// returns its claims.
pub fn verify_jwt(state: &AppState, token: &str) -> Option<JwtClaims> {
    let parsed = parse_jwt(token)?;
    let key = state.key_by_kid(parsed.kid.as_deref()?)?;
    if parsed.alg != key.algorithm || !key.verify(parsed.signed_part.as_bytes(), &parsed.signature)
    {
        return None;
    }
    let exp = parsed.claims.get("exp")?.as_i64()?;
    if exp <= state.clock.now_s() {
        return None;
    }
    serde_json::from_value(serde_json::Value::Object(parsed.claims)).ok()
}

/// A new refresh-token value (opaque, base64url).
pub fn new_refresh_value() -> Result<String> {
    Ok(crypto::random_string::<32>()?)
}

/// The value a one-time-use token rotates to from `value`. Derived (HMAC under a per-database
/// secret) rather than random, so the database keeps only hashes and a caller presenting the
/// previous value within the grace period can be given the current one.
pub fn successor_value(state: &AppState, value: &str) -> String {
    hmac_b64(&state.token_secret, value.as_bytes())
}

/// Creates a refresh token (session) and returns its record and cleartext value.
pub async fn create_refresh_token(
    state: &AppState,
    user: &UserRow,
    application: &Application,
    auth_time: i64,
    meta_data: &LoginMetaData,
) -> Result<(RefreshTokenRow, String)> {
    let value = new_refresh_value()?;
    let now = state.clock.now_ms();
    let row = RefreshTokenRow {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user.id.clone(),
        application_id: application.id.clone(),
        tenant_id: user.tenant_id.clone(),
        current_hash: sha256_b64(&value),
        previous_hash: None,
        rotated_instant: None,
        insert_instant: now,
        start_instant: now,
        last_used_instant: now,
        auth_time,
        meta_data: serde_json::to_string(meta_data)?,
    };
    store::refresh_tokens::insert(&state.pool, &row).await?;
    Ok((row, value))
}

/// The public RefreshToken object (without its value: only hashes are stored).
pub fn refresh_token(row: &RefreshTokenRow) -> RefreshToken {
    RefreshToken {
        id: row.id.clone(),
        application_id: row.application_id.clone(),
        user_id: row.user_id.clone(),
        tenant_id: row.tenant_id.clone(),
        token: None,
        insert_instant: row.insert_instant,
        start_instant: row.start_instant,
        meta_data: serde_json::from_str::<RefreshTokenMetaData>(&row.meta_data).unwrap_or_default(),
        data: serde_json::Map::new(),
    }
}

/// The refresh token whose current or previous (rotated-away) value is `value`.
pub async fn by_value(state: &AppState, value: &str) -> Result<Option<RefreshTokenRow>> {
    let hash = sha256_b64(value);
    Ok(
        match store::refresh_tokens::by_hash(&state.pool, &hash).await? {
            Some(token) => Some(token),
            None => store::refresh_tokens::by_previous_hash(&state.pool, &hash).await?,
        },
    )
}
