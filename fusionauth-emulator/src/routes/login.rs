//! `POST /api/login` and `POST /api/logout` — <https://fusionauth.io/docs/apis/login>

use actix_web::http::StatusCode;
use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::fusionauth::{Errors, LoginMetaData, Rule};

use crate::domain::events::{self, Event};
use crate::domain::lockout;
use crate::domain::tokens::{self, JwtRequest};
use crate::infra::crypto::{sha256_b64, verify_password};
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, cookie, json_builder, json_response, set_cookie};
use crate::model::{Application, JwtConfiguration, Tenant};
use crate::routes::auth::ApiKeyStatus;
use crate::routes::auth::resolve_tenant;
use crate::state::AppState;
use crate::store;

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
        Some(id) => store::applications::find(&state.pool, id).await?,
        None => None,
    };
    check_api_key(&api_key, application.as_ref(), &tenant)?;

    let mut errors = Errors::default();
    if body.login_id.trim().is_empty() {
        errors.add_field(
            Rule::Blank,
            "loginId",
            "You must specify the [loginId] property.",
        );
    }
    if body.password.is_empty() {
        errors.add_field(
            Rule::Blank,
            "password",
            "You must specify the [password] property.",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let user = store::users::by_login_id(&state.pool, &tenant.id, &body.login_id).await?;
    if let Some(user) = &user {
        if !user.active {
            return Err(ApiError::Locked);
        }
        if let Some(actions) = lockout::login_prevented(&state, &user.id).await? {
            return Err(ApiError::LoginPrevented(actions));
        }
    }
    let stored = user
        .as_ref()
        .map(store::UserRow::password)
        .unwrap_or_else(|| state.dummy_password.clone());
    let password = body.password.clone();
    let matches = web::block(move || verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let options = LoginOptions {
        application_id: application_id.map(str::to_owned),
        no_jwt: body.no_jwt.unwrap_or(false),
        meta_data: match &body.meta_data {
            Some(meta) => Some(serde_json::to_value(meta)?),
            None => None,
        },
        ip_address: client_ip(&req, body.ip_address.as_deref()),
    };
    let user = match user {
        Some(user) if matches => user,
        Some(user) => {
            let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
            let mut event = Event::new(events::LOGIN_FAILED)
                .with("authenticationType", json!(tokens::PASSWORD))
                .with("ipAddress", json!(options.ip_address))
                .with("info", json!({"ipAddress": options.ip_address}))
                .with("reason", json!({"code": "CredentialsMismatch"}))
                .with("user", tokens::user_json(&user, &registrations));
            if let Some(id) = application_id {
                event = event.with("applicationId", json!(id));
            }
            events::emit(&state, &tenant, event).await?;
            lockout::record_failure(&state, &tenant, &user).await?;
            return Err(ApiError::NotFound);
        }
        None => return Err(ApiError::NotFound),
    };
    if user
        .expiry()
        .is_some_and(|expiry| expiry <= state.clock.now_ms())
    {
        return Err(ApiError::Expired);
    }
    store::failed_logins::clear(&state.pool, &user.id).await?;

    let methods = tokens::two_factor_methods(&user);
    if !methods.is_empty() {
        let two_factor_id = crate::infra::crypto::random_string::<32>()?;
        store::two_factor::insert_challenge(
            &state.pool,
            &two_factor_id,
            &user.id,
            state.clock.now_ms(),
            &json!({
                "applicationId": options.application_id,
                "noJWT": options.no_jwt,
                "metaData": options.meta_data,
            }),
        )
        .await?;
        let methods: Vec<Value> = methods
            .iter()
            .map(tokens::public_two_factor_method)
            .collect();
        tracing::info!("login needs a second factor");
        return Ok(json_response(
            two_factor_status(),
            &json!({"twoFactorId": two_factor_id, "methods": methods}),
        ));
    }
    complete_login(&req, &state, &tenant, user, application, &options).await
}

fn two_factor_status() -> StatusCode {
    StatusCode::from_u16(242).unwrap_or(StatusCode::OK)
}

/// 401 when an API key is required (by the application, else the tenant) and missing, or when
/// an invalid one is sent.
fn check_api_key(
    api_key: &ApiKeyStatus,
    application: Option<&Application>,
    tenant: &Tenant,
) -> Result<()> {
    let require_key = match application {
        Some(app) => app.require_authentication(),
        None => tenant.require_authentication(),
    };
    match api_key {
        ApiKeyStatus::Invalid => Err(ApiError::Unauthorized),
        ApiKeyStatus::Absent if require_key => Err(ApiError::Unauthorized),
        _ => Ok(()),
    }
}

/// What the original login asked for, carried through a two-factor challenge.
#[derive(Debug)]
struct LoginOptions {
    application_id: Option<String>,
    no_jwt: bool,
    meta_data: Option<Value>,
    ip_address: String,
}

/// The end of a login once the credentials (and second factor) are good: 203 when a password
/// change is required, 212 when the tenant gates unverified emails, else 200/202 with tokens.
async fn complete_login(
    req: &HttpRequest,
    state: &AppState,
    tenant: &Tenant,
    user: store::UserRow,
    application: Option<Application>,
    options: &LoginOptions,
) -> Result<HttpResponse> {
    if user.password_change_required() {
        tracing::info!("login needs a password change");
        return Ok(json_response(
            StatusCode::from_u16(203).unwrap_or(StatusCode::OK),
            &json!({
                "changePasswordId": crate::infra::crypto::random_string::<32>()?,
                "changePasswordReason": "Administrative",
            }),
        ));
    }
    if tenant.email_verification_gated() && !user.verified {
        let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
        tracing::info!("login gated: email not verified");
        return Ok(json_response(
            StatusCode::from_u16(212).unwrap_or(StatusCode::OK),
            &json!({"user": tokens::user_json(&user, &registrations)}),
        ));
    }
    let application_id = options.application_id.as_deref();
    let now_ms = state.clock.now_ms();
    let registration = match &application {
        Some(app) => store::registrations::find(&state.pool, &user.id, &app.id).await?,
        None => None,
    };
    let registered_app = application.as_ref().filter(|_| registration.is_some());
    store::users::record_login(
        &state.pool,
        &user.id,
        registered_app.map(|a| a.id.as_str()),
        now_ms,
    )
    .await?;
    let user = store::users::find(&state.pool, &user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
    let registration =
        registered_app.and_then(|app| registrations.iter().find(|r| r.application_id == app.id));
    let status = if application_id.is_some() && registration.is_none() {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };

    let mut event = Event::new(events::LOGIN_SUCCESS)
        .with("authenticationType", json!(tokens::PASSWORD))
        .with("ipAddress", json!(options.ip_address))
        .with("info", json!({"ipAddress": options.ip_address}))
        .with("user", tokens::user_json(&user, &registrations));
    if let Some(id) = application_id {
        event = event.with("applicationId", json!(id));
    }
    events::emit(state, tenant, event).await?;

    let mut response = serde_json::Map::new();
    let mut builder = HttpResponse::build(status);
    if !options.no_jwt {
        let auth_time = state.clock.now_s();
        let mut sid = None;
        let mut refresh_cookie = None;
        if let (Some(app), Some(_)) = (registered_app, registration)
            && app.generate_refresh_tokens()
        {
            let meta = options.meta_data.clone().unwrap_or_else(|| json!({}));
            let (row, value) =
                tokens::create_refresh_token(state, &user, app, auth_time, meta).await?;
            let config = JwtConfiguration::effective(tenant, Some(app));
            let max_age = config
                .refresh_expiry_ms(row.start_instant, row.last_used_instant)
                .saturating_sub(now_ms)
                / 1000;
            refresh_cookie = Some(set_cookie(req, "refresh_token", &value, Some(max_age)));
            response.insert("refreshToken".into(), json!(value));
            response.insert("refreshTokenId".into(), json!(row.id));
            sid = Some(row.id);
        }
        let jwt = tokens::issue_jwt(
            state,
            &JwtRequest {
                tenant,
                registered: registered_app.zip(registration),
                user: &user,
                authentication_type: tokens::PASSWORD,
                auth_time,
                sid: sid.as_deref(),
            },
        )?;
        builder.append_header((
            SET_COOKIE,
            set_cookie(req, "access_token", &jwt.token, None),
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

/// The two-factor login request body.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TwoFactorLoginRequest {
    two_factor_id: String,
    code: String,
    application_id: Option<String>,
    ip_address: Option<String>,
    meta_data: Option<LoginMetaData>,
}

impl std::fmt::Debug for TwoFactorLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorLoginRequest")
            .field("application_id", &self.application_id)
            .finish_non_exhaustive()
    }
}

/// How long a `twoFactorId` stays valid.
const TWO_FACTOR_TTL_MS: i64 = 300_000;

/// `POST /api/two-factor/login`: completes a login that answered 242.
#[post("/api/two-factor/login")]
#[tracing::instrument(skip_all)]
pub async fn two_factor_login(
    req: HttpRequest,
    state: web::Data<AppState>,
    api_key: ApiKeyStatus,
    Json(body): Json<TwoFactorLoginRequest>,
) -> Result<HttpResponse> {
    let mut errors = Errors::default();
    if body.two_factor_id.trim().is_empty() {
        errors.add_field(
            Rule::Blank,
            "twoFactorId",
            "You must specify the [twoFactorId] property.",
        );
    }
    if body.code.trim().is_empty() {
        errors.add_field(Rule::Blank, "code", "You must specify the [code] property.");
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (user_id, created, data) = store::two_factor::challenge(&state.pool, &body.two_factor_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if created.saturating_add(TWO_FACTOR_TTL_MS) <= state.clock.now_ms() {
        store::two_factor::delete_challenge(&state.pool, &body.two_factor_id).await?;
        return Err(ApiError::NotFound);
    }
    let user = store::users::find(&state.pool, &user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let tenant = store::tenants::find(&state.pool, &user.tenant_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let application_id = body
        .application_id
        .clone()
        .filter(|id| !id.is_empty())
        .or_else(|| {
            data.get("applicationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    let application = match &application_id {
        Some(id) => store::applications::find(&state.pool, id).await?,
        None => None,
    };
    check_api_key(&api_key, application.as_ref(), &tenant)?;
    if !user.active {
        return Err(ApiError::Locked);
    }
    let now_s = state.clock.now_s();
    let valid = tokens::two_factor_methods(&user).iter().any(|method| {
        tokens::two_factor_secret(method)
            .is_some_and(|secret| crate::infra::crypto::verify_totp(&secret, &body.code, now_s))
    });
    if !valid {
        return Err(ApiError::InvalidTwoFactorCode);
    }
    if !store::two_factor::delete_challenge(&state.pool, &body.two_factor_id).await? {
        return Err(ApiError::NotFound);
    }
    let options = LoginOptions {
        application_id,
        no_jwt: data.get("noJWT").and_then(Value::as_bool).unwrap_or(false),
        meta_data: match &body.meta_data {
            Some(meta) => Some(serde_json::to_value(meta)?),
            None => data.get("metaData").filter(|m| !m.is_null()).cloned(),
        },
        ip_address: client_ip(&req, body.ip_address.as_deref()),
    };
    complete_login(&req, &state, &tenant, user, application, &options).await
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
        let token = match store::refresh_tokens::by_hash(&state.pool, &hash).await? {
            Some(token) => Some(token),
            None => store::refresh_tokens::by_previous_hash(&state.pool, &hash).await?,
        };
        if let Some(token) = token {
            if global {
                crate::domain::revocation::revoke_user(&state, &token.user_id, None).await?;
            } else {
                crate::domain::revocation::revoke_token(&state, &token, Some(value.as_str()))
                    .await?;
            }
            tracing::info!(global, "logged out");
        }
    }
    Ok(HttpResponse::Ok()
        .append_header((SET_COOKIE, set_cookie(&req, "access_token", "", Some(0))))
        .append_header((SET_COOKIE, set_cookie(&req, "refresh_token", "", Some(0))))
        .finish())
}
