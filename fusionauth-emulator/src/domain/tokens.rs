//! Issuing access tokens (JWTs) and refresh tokens, and the User JSON they travel with.

use serde_json::{Map, Value, json};

use crate::infra::crypto::{self, hmac_b64, sha256_b64};
use crate::infra::error::{ApiError, Result};
use crate::model::{Application, JwtConfiguration, Tenant};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow, RegistrationRow, UserRow};

/// `authenticationType` claim values.
pub const PASSWORD: &str = "PASSWORD";
pub const REFRESH_TOKEN: &str = "REFRESH_TOKEN";
pub const REGISTRATION: &str = "REGISTRATION";

/// What goes into one access token.
#[derive(Debug)]
pub struct JwtRequest<'a> {
    pub tenant: &'a Tenant,
    /// The application and the user's registration to it, when registered.
    pub registered: Option<(&'a Application, &'a RegistrationRow)>,
    pub user: &'a UserRow,
    pub authentication_type: &'a str,
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
    let mut claims = Map::new();
    if let Some((app, registration)) = request.registered {
        claims.insert("aud".into(), json!(app.id));
        claims.insert("applicationId".into(), json!(app.id));
        claims.insert("roles".into(), json!(registration.role_names()));
    }
    claims.insert("exp".into(), json!(exp));
    claims.insert("iat".into(), json!(iat));
    claims.insert("iss".into(), json!(request.tenant.issuer()));
    claims.insert("sub".into(), json!(request.user.id));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    claims.insert(
        "authenticationType".into(),
        json!(request.authentication_type),
    );
    if let Some(email) = &request.user.email {
        claims.insert("email".into(), json!(email));
        claims.insert("email_verified".into(), json!(request.user.verified));
    }
    if let Some(username) = &request.user.username {
        claims.insert("preferred_username".into(), json!(username));
    }
    claims.insert("auth_time".into(), json!(request.auth_time));
    claims.insert("tid".into(), json!(request.tenant.id));
    if let Some(sid) = request.sid {
        claims.insert("sid".into(), json!(sid));
    }
    let token = key.sign_jwt(&Value::Object(claims))?;
    Ok(IssuedJwt {
        token,
        expiration_ms: exp.saturating_mul(1000),
    })
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
    meta_data: Value,
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
        meta_data: meta_data.to_string(),
    };
    store::refresh_tokens::insert(&state.pool, &row).await?;
    Ok((row, value))
}

/// FusionAuth's User object (no password material), with registrations.
pub fn user_json(user: &UserRow, registrations: &[RegistrationRow]) -> Value {
    let mut object = match serde_json::from_str::<Value>(&user.data) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut set = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    set("id", json!(user.id));
    set("tenantId", json!(user.tenant_id));
    if let Some(email) = &user.email {
        set("email", json!(email));
    }
    if let Some(username) = &user.username {
        set("username", json!(username));
        set("usernameStatus", json!("ACTIVE"));
    }
    set("active", json!(user.active));
    set("verified", json!(user.verified));
    set("insertInstant", json!(user.insert_instant));
    set("lastUpdateInstant", json!(user.last_update_instant));
    set(
        "passwordLastUpdateInstant",
        json!(user.password_last_update_instant),
    );
    if let Some(last_login) = user.last_login_instant {
        set("lastLoginInstant", json!(last_login));
    }
    object
        .entry("passwordChangeRequired")
        .or_insert(json!(false));
    let methods: Vec<Value> = two_factor_methods(user)
        .iter()
        .map(public_two_factor_method)
        .collect();
    object.insert(
        "twoFactor".into(),
        json!({"methods": methods, "recoveryCodes": 0}),
    );
    let mut set = |key: &str, value: Value| {
        object.insert(key.to_owned(), value);
    };
    let mut identities = Vec::new();
    if let Some(email) = &user.email {
        identities.push(json!({"type": "email", "value": email, "primary": true,
            "verified": user.verified, "insertInstant": user.insert_instant}));
    }
    if let Some(username) = &user.username {
        identities.push(
            json!({"type": "username", "value": username, "primary": user.email.is_none(),
            "verified": false, "insertInstant": user.insert_instant}),
        );
    }
    set("identities", Value::Array(identities));
    if !registrations.is_empty() {
        set(
            "registrations",
            Value::Array(registrations.iter().map(registration_json).collect()),
        );
    }
    Value::Object(object)
}

/// A UserRegistration object.
pub fn registration_json(registration: &RegistrationRow) -> Value {
    let mut object = match serde_json::from_str::<Value>(&registration.data) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    object.insert("id".into(), json!(registration.id));
    object.insert("applicationId".into(), json!(registration.application_id));
    object.insert("roles".into(), json!(registration.role_names()));
    object.insert("verified".into(), json!(registration.verified));
    object.insert("insertInstant".into(), json!(registration.insert_instant));
    if let Some(last_login) = registration.last_login_instant {
        object.insert("lastLoginInstant".into(), json!(last_login));
    }
    Value::Object(object)
}

/// The public RefreshToken object (no value: only hashes are stored).
pub fn refresh_token_json(token: &RefreshTokenRow) -> Value {
    let meta: Value = serde_json::from_str(&token.meta_data).unwrap_or_else(|_| json!({}));
    json!({
        "id": token.id,
        "applicationId": token.application_id,
        "userId": token.user_id,
        "tenantId": token.tenant_id,
        "insertInstant": token.insert_instant,
        "startInstant": token.start_instant,
        "metaData": meta,
        "data": {}
    })
}

/// The user's two-factor methods as stored (with secrets).
pub fn two_factor_methods(user: &UserRow) -> Vec<Value> {
    serde_json::from_str::<Value>(&user.data)
        .ok()
        .and_then(|data| data.pointer("/twoFactor/methods").cloned())
        .and_then(|methods| match methods {
            Value::Array(methods) => Some(methods),
            _ => None,
        })
        .unwrap_or_default()
}

/// A two-factor method without its secret (as in 242 answers and User objects).
pub fn public_two_factor_method(method: &Value) -> Value {
    let mut method = method.clone();
    if let Some(object) = method.as_object_mut() {
        object.remove("secret");
        object.remove("secretBase32Encoded");
    }
    method
}

/// The TOTP key of an `authenticator` method: `secretBase32Encoded`, else `secret` read as
/// Base32 when it is valid Base32, else as standard Base64.
pub fn two_factor_secret(method: &Value) -> Option<Vec<u8>> {
    if method.get("method").and_then(Value::as_str) != Some("authenticator") {
        return None;
    }
    if let Some(secret) = method.get("secretBase32Encoded").and_then(Value::as_str) {
        return crypto::base32_decode(secret);
    }
    let secret = method.get("secret").and_then(Value::as_str)?;
    crypto::base32_decode(secret).or_else(|| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(secret)
            .ok()
    })
}
