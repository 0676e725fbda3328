//! `POST /api/login` and `POST /api/logout` — <https://fusionauth.io/docs/apis/login>

use actix_web::http::StatusCode;
use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::fusionauth::{Errors, LoginMetaData};

use crate::crypto::{sha256_b64, verify_password};
use crate::error::{ApiError, Result};
use crate::http::{ApiKeyStatus, Json, cookie, json_builder, set_cookie};
use crate::model::JwtConfiguration;
use crate::routes::resolve_tenant;
use crate::state::AppState;
use crate::store;
use crate::tokens::{self, JwtRequest};
use crate::webhooks::{self, Event};

/// The client's address: the body's `ipAddress`, else `X-Forwarded-For`, else the peer.
pub fn client_ip(req: &HttpRequest, from_body: Option<&str>) -> String {
    from_body
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            req.headers()
                .get("X-Forwarded-For")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|ip| !ip.is_empty())
                .map(str::to_owned)
        })
        .or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_default()
}

/// The login request body. FusionAuth spells the flag `noJWT`.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginRequest {
    login_id: String,
    password: String,
    application_id: Option<String>,
    ip_address: Option<String>,
    #[serde(rename = "noJWT", alias = "noJwt")]
    no_jwt: Option<bool>,
    meta_data: Option<LoginMetaData>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login_id", &self.login_id)
            .field("application_id", &self.application_id)
            .finish_non_exhaustive()
    }
}

#[post("/api/login")]
#[tracing::instrument(skip_all, fields(application_id))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    api_key: ApiKeyStatus,
    Json(body): Json<LoginRequest>,
) -> Result<HttpResponse> {
    let key = match &api_key {
        ApiKeyStatus::Valid(key) => Some(key),
        _ => None,
    };
    let tenant = resolve_tenant(&state, &req, key).await?;
    let application_id = body.application_id.as_deref().filter(|id| !id.is_empty());
    tracing::Span::current().record("application_id", application_id);
    let application = match application_id {
        Some(id) => store::application(&state.pool, id).await?,
        None => None,
    };
    let require_key = match &application {
        Some(app) => app.require_authentication(),
        None => tenant.require_authentication(),
    };
    match api_key {
        ApiKeyStatus::Invalid => return Err(ApiError::Unauthorized),
        ApiKeyStatus::Absent if require_key => return Err(ApiError::Unauthorized),
        _ => {}
    }

    let mut errors = Errors::default();
    if body.login_id.trim().is_empty() {
        errors.add_field(
            "loginId",
            "[blank]loginId",
            "You must specify the [loginId] property.",
        );
    }
    if body.password.is_empty() {
        errors.add_field(
            "password",
            "[blank]password",
            "You must specify the [password] property.",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let user = store::user_by_login_id(&state.pool, &tenant.id, &body.login_id).await?;
    if user.as_ref().is_some_and(|user| !user.active) {
        return Err(ApiError::Locked);
    }
    let stored = user
        .as_ref()
        .map(store::UserRow::password)
        .unwrap_or_else(|| state.dummy_password.clone());
    let password = body.password.clone();
    let matches = web::block(move || verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let ip_address = client_ip(&req, body.ip_address.as_deref());
    let user = match user {
        Some(user) if matches => user,
        Some(user) => {
            let registrations = store::registrations(&state.pool, &user.id).await?;
            let mut event = Event::new(webhooks::LOGIN_FAILED)
                .with("authenticationType", json!(tokens::PASSWORD))
                .with("ipAddress", json!(ip_address))
                .with("info", json!({"ipAddress": ip_address}))
                .with("reason", json!({"code": "CredentialsMismatch"}))
                .with("user", tokens::user_json(&user, &registrations));
            if let Some(id) = application_id {
                event = event.with("applicationId", json!(id));
            }
            webhooks::emit(&state, &tenant, event).await?;
            return Err(ApiError::NotFound);
        }
        None => return Err(ApiError::NotFound),
    };
    let now_ms = state.clock.now_ms();
    if user.expiry().is_some_and(|expiry| expiry <= now_ms) {
        return Err(ApiError::Expired);
    }

    let registration = match &application {
        Some(app) => store::registration(&state.pool, &user.id, &app.id).await?,
        None => None,
    };
    let registered_app = application.as_ref().filter(|_| registration.is_some());
    store::record_login(
        &state.pool,
        &user.id,
        registered_app.map(|a| a.id.as_str()),
        now_ms,
    )
    .await?;
    let user = store::user(&state.pool, &user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let registrations = store::registrations(&state.pool, &user.id).await?;
    let registration =
        registered_app.and_then(|app| registrations.iter().find(|r| r.application_id == app.id));
    let status = if application_id.is_some() && registration.is_none() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };

    let mut event = Event::new(webhooks::LOGIN_SUCCESS)
        .with("authenticationType", json!(tokens::PASSWORD))
        .with("ipAddress", json!(ip_address))
        .with("info", json!({"ipAddress": ip_address}))
        .with("user", tokens::user_json(&user, &registrations));
    if let Some(id) = application_id {
        event = event.with("applicationId", json!(id));
    }
    webhooks::emit(&state, &tenant, event).await?;

    let mut response = serde_json::Map::new();
    let mut builder = HttpResponse::build(status);
    let no_jwt = body.no_jwt.unwrap_or(false);
    if !no_jwt {
        let auth_time = state.clock.now_s();
        let mut sid = None;
        let mut refresh_cookie = None;
        if let (Some(app), Some(_)) = (registered_app, registration)
            && app.generate_refresh_tokens()
        {
            let meta = match &body.meta_data {
                Some(meta) => serde_json::to_value(meta)?,
                None => json!({}),
            };
            let (row, value) =
                tokens::create_refresh_token(&state, &user, app, auth_time, meta).await?;
            let config = JwtConfiguration::effective(&tenant, Some(app));
            let max_age = config
                .refresh_expiry_ms(row.start_instant, row.last_used_instant)
                .saturating_sub(now_ms)
                / 1000;
            refresh_cookie = Some(set_cookie(&req, "refresh_token", &value, Some(max_age)));
            response.insert("refreshToken".into(), json!(value));
            response.insert("refreshTokenId".into(), json!(row.id));
            sid = Some(row.id);
        }
        let jwt = tokens::issue_jwt(
            &state,
            &JwtRequest {
                tenant: &tenant,
                registered: registered_app.zip(registration),
                user: &user,
                authentication_type: tokens::PASSWORD,
                auth_time,
                sid: sid.as_deref(),
            },
        )?;
        builder.append_header((
            SET_COOKIE,
            set_cookie(&req, "access_token", &jwt.token, None),
        ));
        if let Some(cookie) = refresh_cookie {
            builder.append_header((SET_COOKIE, cookie));
        }
        response.insert("token".into(), json!(jwt.token));
        response.insert("tokenExpirationInstant".into(), json!(jwt.expiration_ms));
    }
    response.insert("user".into(), tokens::user_json(&user, &registrations));
    tracing::info!(status = status.as_u16(), "login succeeded");
    Ok(json_builder(builder, &Value::Object(response)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct LogoutParameters {
    global: Option<bool>,
    refresh_token: Option<String>,
}

/// Logout: revokes the given refresh token (all of its owner's with `global`) and clears the
/// cookies. Always 200 without a body.
#[post("/api/logout")]
#[tracing::instrument(skip_all)]
pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse> {
    let query = web::Query::<LogoutParameters>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let body: LogoutParameters = serde_json::from_slice(&body).unwrap_or_default();
    let global = query.global.or(body.global).unwrap_or(false);
    let value = query
        .refresh_token
        .or(body.refresh_token)
        .filter(|v| !v.is_empty())
        .or_else(|| cookie(&req, "refresh_token"));
    if let Some(value) = value {
        let hash = sha256_b64(&value);
        let token = match store::refresh_token_by_hash(&state.pool, &hash).await? {
            Some(token) => Some(token),
            None => store::refresh_token_by_old_hash(&state.pool, &hash).await?,
        };
        if let Some(token) = token {
            if global {
                crate::revocation::revoke_user(&state, &token.user_id, None).await?;
            } else {
                crate::revocation::revoke_token(&state, &token, Some(value.as_str())).await?;
            }
            tracing::info!(global, "logged out");
        }
    }
    Ok(HttpResponse::Ok()
        .append_header((SET_COOKIE, set_cookie(&req, "access_token", "", Some(0))))
        .append_header((SET_COOKIE, set_cookie(&req, "refresh_token", "", Some(0))))
        .finish())
}
