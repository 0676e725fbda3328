//! The JWT API: refresh, revoke, retrieve, validate, public keys —
//! <https://fusionauth.io/docs/apis/jwt>

use std::sync::Arc;

use actix_web::http::header::{CONTENT_TYPE, SET_COOKIE};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use shared::fusionauth::{
    AuthenticationType, EventInfo, EventPayload, JwtRefreshEvent, PublicKeyResponse,
    RefreshRequest, RefreshResponse, RefreshTokenResponse, RefreshTokensResponse,
    RevokeRefreshTokenRequest, Rule, ValidateResponse,
};

use crate::domain::tokens::{self, JwtRequest, successor_value};
use crate::domain::{events, revocation};
use crate::infra::crypto::sha256_b64;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, cookie, empty_ok, json_builder, ok_json, set_cookie};
use crate::model::{ApiKey, Application, JwtConfiguration, Tenant};
use crate::routes::auth::{Caller, jwt_claims};
use crate::routes::table::Routes;
use crate::state::{AppState, State};
use crate::store::{self, RefreshTokenRow, RegistrationRow, UserRow};

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/jwt/refresh", refresh)
        .delete("/api/jwt/refresh", revoke)
        .delete("/api/jwt/refresh/{token_id}", revoke_by_id)
        .get("/api/jwt/refresh", retrieve_for_user)
        .get("/api/jwt/refresh/{token_id}", retrieve_by_id)
        .get("/api/jwt/validate", validate)
        .get("/api/jwt/public-key", public_key);
}

/// `POST /api/jwt/refresh`: a new access token for a refresh token (cookie wins over body).
#[tracing::instrument(skip_all, fields(refresh_token_id))]
async fn refresh(
    req: HttpRequest,
    state: State,
    Json(body): Json<RefreshRequest>,
) -> Result<HttpResponse> {
    let value = cookie(&req, "refresh_token")
        .or(body.refresh_token)
        .filter(|v| !v.is_empty())
        .ok_or_else(ApiError::invalid_refresh_token)?;
    let hash = sha256_b64(&value);
    // The record as it was before this call rotated it (to undo the rotation on a 504).
    let mut rotated_from = None;
    // The token and its whole session in one read; `None` also when the token's user, tenant or
    // application is gone (then no rotated-away value matches either: refused below).
    let found = state.refresh_sessions.run(hash.clone()).await?;
    let (row, current, session) = match found.map(Arc::unwrap_or_clone) {
        Some((row, rows)) => {
            let session = usable(&state, &row, rows).await?;
            if session.config.one_time_use() {
                let next = successor_value(&state, &value);
                let now = state.clock.now_ms();
                if store::refresh_tokens::rotate(
                    &state.pool,
                    &row.id,
                    &hash,
                    &sha256_b64(&next),
                    now,
                )
                .await?
                {
                    rotated_from = Some(row.clone());
                    (row, next, session)
                } else {
                    // Another caller rotated it first: this value is now the previous one.
                    match store::refresh_tokens::by_previous_hash(&state.pool, &hash).await? {
                        Some(row) => grace(&state, row, &hash, &value).await?,
                        None => return Err(ApiError::invalid_refresh_token()),
                    }
                }
            } else {
                // Only the sliding policies read the last use: a Fixed token costs no write.
                if session.config.refresh_token_expiration_policy != "Fixed" {
                    state
                        .refresh_token_uses
                        .run((row.id.clone(), state.clock.now_ms()))
                        .await?;
                }
                (row, value.clone(), session)
            }
        }
        None => match store::refresh_tokens::by_previous_hash(&state.pool, &hash).await? {
            Some(row) => grace(&state, row, &hash, &value).await?,
            None => return Err(ApiError::invalid_refresh_token()),
        },
    };
    tracing::Span::current().record("refresh_token_id", row.id.as_str());

    let jwt = tokens::issue_jwt(
        &state,
        &JwtRequest {
            tenant: &session.tenant,
            registered: Some((&session.application, &session.registration)),
            user: &session.user,
            authentication_type: AuthenticationType::RefreshToken,
            auth_time: row.auth_time,
            sid: Some(&row.id),
        },
    )?;
    let original = body
        .token
        .filter(|t| !t.is_empty())
        .or_else(|| cookie(&req, "access_token"));
    let event = EventPayload::JwtRefresh(JwtRefreshEvent {
        application_id: row.application_id.clone(),
        user_id: row.user_id.clone(),
        refresh_token: value,
        token: jwt.token.clone(),
        original,
    });
    if let Err(error) = events::emit(&state, &session.tenant, event, EventInfo::default()).await {
        if let Some(before) = rotated_from {
            store::refresh_tokens::unrotate(&state.pool, &before, &sha256_b64(&current)).await?;
        }
        return Err(error);
    }
    let now = state.clock.now_ms();
    let max_age = session
        .config
        .refresh_expiry_ms(row.start_instant, now)
        .saturating_sub(now)
        / 1000;
    let mut builder = HttpResponse::Ok();
    builder
        .append_header((
            SET_COOKIE,
            set_cookie(&req, "access_token", &jwt.token, None),
        ))
        .append_header((
            SET_COOKIE,
            set_cookie(&req, "refresh_token", &current, Some(max_age)),
        ));
    tracing::info!("access token refreshed");
    Ok(json_builder(
        builder,
        &RefreshResponse {
            token: jwt.token,
            refresh_token: Some(current),
            refresh_token_id: Some(row.id),
        },
    ))
}

/// Everything a refresh token's session needs to mint a JWT.
struct Session {
    tenant: Tenant,
    application: Application,
    user: UserRow,
    registration: RegistrationRow,
    config: JwtConfiguration,
}

/// Checks that `row` may be used now: the application exists, is active and allows refresh, the
/// token has not expired (an expired one is deleted), the user is active and still registered.
async fn check_usable(state: &AppState, row: &RefreshTokenRow) -> Result<Session> {
    let rows = store::sessions::of_token(&state.pool, row)
        .await?
        .ok_or_else(ApiError::invalid_refresh_token)?;
    usable(state, row, rows).await
}

/// [`check_usable`] for a session already read.
async fn usable(
    state: &AppState,
    row: &RefreshTokenRow,
    rows: store::SessionRows,
) -> Result<Session> {
    let store::SessionRows {
        tenant,
        application,
        user,
        registration,
    } = rows;
    if !application.allow_token_refresh() || !application.active() {
        return Err(ApiError::invalid_refresh_token());
    }
    let config = JwtConfiguration::effective(&tenant, Some(&application));
    if config.refresh_expiry_ms(row.start_instant, row.last_used_instant) <= state.clock.now_ms() {
        store::refresh_tokens::delete(&state.pool, &row.id).await?;
        return Err(ApiError::invalid_refresh_token());
    }
    if !user.active {
        return Err(ApiError::invalid_refresh_token());
    }
    let registration = registration.ok_or_else(ApiError::invalid_refresh_token)?;
    Ok(Session {
        tenant,
        application,
        user,
        registration,
        config,
    })
}

/// A rotated-away value was presented: within the grace period the immediately previous value
/// yields the current one (no new rotation); otherwise it is refused, and with
/// `onOneTimeTokenReuse` the whole token is revoked.
async fn grace(
    state: &AppState,
    row: RefreshTokenRow,
    hash: &str,
    value: &str,
) -> Result<(RefreshTokenRow, String, Session)> {
    let session = check_usable(state, &row).await?;
    let config = &session.config;
    let grace_ms = config
        .refresh_token_one_time_use_configuration
        .grace_period_in_seconds
        .clamp(0, 86_400)
        * 1000;
    let now = state.clock.now_ms();
    let within = row.previous_hash.as_deref() == Some(hash)
        && row
            .rotated_instant
            .is_some_and(|rotated| now < rotated.saturating_add(grace_ms));
    if within {
        let current = successor_value(state, value);
        if sha256_b64(&current) == row.current_hash {
            return Ok((row, current, session));
        }
    }
    if config
        .refresh_token_revocation_policy
        .on_one_time_token_reuse
    {
        crate::domain::revocation::revoke_token(state, &row, None).await?;
        tracing::warn!(
            refresh_token_id = row.id,
            "one-time refresh token reused: revoked"
        );
    }
    Err(ApiError::invalid_refresh_token())
}

/// Who may revoke: an API key (anything) or a valid JWT (its owner's tokens only).
enum Revoker {
    Admin,
    Owner(String),
}

fn revoker(state: &AppState, caller: &Caller) -> Result<Revoker> {
    if caller.api_key.valid().is_some() {
        return Ok(Revoker::Admin);
    }
    caller
        .jwt_subject(state)
        .map(Revoker::Owner)
        .ok_or(ApiError::Unauthorized)
}

impl Revoker {
    fn may_revoke(&self, token: &RefreshTokenRow) -> bool {
        match self {
            Self::Admin => true,
            Self::Owner(user_id) => *user_id == token.user_id,
        }
    }
}

/// `DELETE /api/jwt/refresh` by `token` (query, form or JSON body), `userId`,
/// `userId`+`applicationId` or `applicationId`. 200 without a body.
#[tracing::instrument(skip_all)]
async fn revoke(state: State, caller: Caller, body: web::Bytes) -> Result<HttpResponse> {
    let who = revoker(&state, &caller)?;
    let req = caller.request();
    let mut params = web::Query::<RevokeRefreshTokenRequest>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    if !body.is_empty() {
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let from_body: RevokeRefreshTokenRequest = if is_form {
            std::str::from_utf8(&body)
                .ok()
                .and_then(|text| web::Query::<RevokeRefreshTokenRequest>::from_query(text).ok())
                .map(web::Query::into_inner)
                .unwrap_or_default()
        } else {
            serde_json::from_slice(&body).unwrap_or_default()
        };
        params.token = params.token.or(from_body.token);
        params.user_id = params.user_id.or(from_body.user_id);
        params.application_id = params.application_id.or(from_body.application_id);
    }
    if let Some(value) = params.token.filter(|t| !t.is_empty()) {
        let token = found(tokens::by_value(&state, &value).await?)?;
        if !who.may_revoke(&token) {
            return Err(ApiError::Unauthorized);
        }
        revocation::revoke_token(&state, &token, Some(value.as_str())).await?;
        return Ok(empty_ok());
    }
    match (params.user_id, params.application_id, who) {
        (Some(user_id), application_id, who) => {
            if let Revoker::Owner(owner) = &who
                && *owner != user_id
            {
                return Err(ApiError::Unauthorized);
            }
            revocation::revoke_user(&state, &user_id, application_id.as_deref()).await?;
            Ok(empty_ok())
        }
        (None, Some(application_id), Revoker::Admin) => {
            revocation::revoke_application(&state, &application_id).await?;
            Ok(empty_ok())
        }
        (None, Some(_), Revoker::Owner(_)) => Err(ApiError::Unauthorized),
        (None, None, _) => Err(ApiError::field(
            Rule::Missing,
            "token",
            "You must specify a token, userId or applicationId.",
        )),
    }
}

/// `DELETE /api/jwt/refresh/{tokenId}`.
#[tracing::instrument(skip_all)]
async fn revoke_by_id(
    state: State,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let who = revoker(&state, &caller)?;
    let token = found(store::refresh_tokens::by_id(&state.pool, &path).await?)?;
    if !who.may_revoke(&token) {
        return Err(ApiError::Unauthorized);
    }
    revocation::revoke_token(&state, &token, None).await?;
    Ok(empty_ok())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserParameter {
    user_id: String,
}

/// `GET /api/jwt/refresh?userId=` (API key).
async fn retrieve_for_user(
    state: State,
    _key: ApiKey,
    query: web::Query<UserParameter>,
) -> Result<HttpResponse> {
    let rows = store::refresh_tokens::of_user(&state.pool, &query.user_id).await?;
    Ok(ok_json(&RefreshTokensResponse {
        refresh_tokens: rows.iter().map(tokens::refresh_token).collect(),
    }))
}

/// `GET /api/jwt/refresh/{tokenId}` (API key).
async fn retrieve_by_id(
    state: State,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let token = found(store::refresh_tokens::by_id(&state.pool, &path).await?)?;
    Ok(ok_json(&RefreshTokenResponse {
        refresh_token: tokens::refresh_token(&token),
    }))
}

/// `GET /api/jwt/validate`: 200 `{"jwt":{claims}}` or 401 without a body.
#[tracing::instrument(skip_all)]
async fn validate(req: HttpRequest, state: State) -> Result<HttpResponse> {
    let claims = jwt_claims(&state, &req).ok_or(ApiError::Unauthorized)?;
    Ok(ok_json(&ValidateResponse { jwt: claims }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct PublicKeyParameters {
    kid: Option<String>,
    key_id: Option<String>,
    application_id: Option<String>,
}

/// `GET /api/jwt/public-key[?kid=|?applicationId=]`.
async fn public_key(state: State, query: web::Query<PublicKeyParameters>) -> Result<HttpResponse> {
    let query = query.into_inner();
    let one = |pem| {
        ok_json(&PublicKeyResponse {
            public_key: Some(pem),
            ..PublicKeyResponse::default()
        })
    };
    if let Some(kid) = query.kid.or(query.key_id) {
        let key = state.key_by_kid(&kid).ok_or(ApiError::NotFound)?;
        let pem = key.public_pem().ok_or(ApiError::NotFound)?;
        return Ok(one(pem.to_owned()));
    }
    if let Some(application_id) = query.application_id {
        let application = found(store::applications::find(&state.pool, &application_id).await?)?;
        let key_id = application
            .data
            .pointer("/jwtConfiguration/accessTokenKeyId")
            .and_then(Value::as_str)
            .filter(|_| {
                application
                    .data
                    .pointer("/jwtConfiguration/enabled")
                    .and_then(Value::as_bool)
                    == Some(true)
            })
            .ok_or(ApiError::NotFound)?;
        let key = state.key(key_id).ok_or(ApiError::NotFound)?;
        let pem = key.public_pem().ok_or(ApiError::NotFound)?;
        return Ok(one(pem.to_owned()));
    }
    let keys = state
        .keys()
        .iter()
        .filter_map(|key| Some((key.kid.clone(), key.public_pem()?.to_owned())))
        .collect();
    Ok(ok_json(&PublicKeyResponse {
        public_keys: Some(keys),
        ..PublicKeyResponse::default()
    }))
}
