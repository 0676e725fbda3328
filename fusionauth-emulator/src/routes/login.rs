//! The Login API: `POST /api/login` and `POST /api/logout` — <https://fusionauth.io/docs/apis/login>

use actix_web::http::StatusCode;
use actix_web::http::header::SET_COOKIE;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::fusionauth::{Errors, LoginRequest, LogoutRequest, Rule};

use crate::domain::login::{LoginOptions, LoginOutcome, with_one_time_password, with_password};
use crate::domain::{revocation, tokens};
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, client_ip, cookie, json_builder, set_cookie};
use crate::routes::auth::{Caller, check_api_key};
use crate::routes::table::Routes;
use crate::state::{AppState, State};
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes.post("/api/login", login).post("/api/logout", logout);
}

/// `POST /api/login`: 200/202/203/212/242, or 400/401/404/409/410/423 (see [`LoginStatus`]).
///
/// [`LoginStatus`]: shared::fusionauth::LoginStatus
#[tracing::instrument(skip_all, fields(application_id))]
async fn login(
    state: State,
    caller: Caller,
    Json(body): Json<LoginRequest>,
) -> Result<HttpResponse> {
    let req = caller.request();
    let tenant = caller.tenant(&state).await?;
    let application_id = body.application_id.as_deref().filter(|id| !id.is_empty());
    tracing::Span::current().record("application_id", application_id);
    let application = match application_id {
        Some(id) => store::applications::find(&state.pool, id).await?,
        None => None,
    };
    check_api_key(&caller.api_key, application.as_ref(), &tenant)?;
    if let Some(one_time_password) = body.one_time_password.as_deref().filter(|p| !p.is_empty()) {
        let options = LoginOptions {
            application_id: application_id.map(str::to_owned),
            no_jwt: body.no_jwt.unwrap_or(false),
            meta_data: body.meta_data,
            ip_address: client_ip(req, body.ip_address.as_deref()),
        };
        let outcome =
            with_one_time_password(&state, &tenant, application, one_time_password, options)
                .await?;
        return Ok(respond(req, &state, outcome));
    }

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
    ApiError::check(errors)?;
    let options = LoginOptions {
        application_id: application_id.map(str::to_owned),
        no_jwt: body.no_jwt.unwrap_or(false),
        meta_data: body.meta_data,
        ip_address: client_ip(req, body.ip_address.as_deref()),
    };
    let outcome = with_password(
        &state,
        &tenant,
        application,
        &body.login_id,
        &body.password,
        options,
    )
    .await?;
    Ok(respond(req, &state, outcome))
}

/// A login's 2xx answer, with the `access_token` and `refresh_token` cookies when it issued
/// tokens (also for `POST /api/two-factor/login`).
pub(super) fn respond(req: &HttpRequest, state: &AppState, outcome: LoginOutcome) -> HttpResponse {
    let status = StatusCode::from_u16(outcome.status.code()).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    if let Some(token) = &outcome.body.token {
        builder.append_header((SET_COOKIE, set_cookie(req, "access_token", token, None)));
    }
    if let (Some(value), Some(expires_ms)) = (
        &outcome.body.refresh_token,
        outcome.refresh_token_expires_ms,
    ) {
        let max_age = expires_ms.saturating_sub(state.clock.now_ms()) / 1000;
        builder.append_header((
            SET_COOKIE,
            set_cookie(req, "refresh_token", value, Some(max_age)),
        ));
    }
    json_builder(builder, &outcome.body)
}

/// Logout: revokes the given refresh token (all of its owner's with `global`) and clears the
/// cookies. Always 200 without a body.
#[tracing::instrument(skip_all)]
async fn logout(req: HttpRequest, state: State, body: web::Bytes) -> Result<HttpResponse> {
    let query = web::Query::<LogoutRequest>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let body: LogoutRequest = serde_json::from_slice(&body).unwrap_or_default();
    let global = query.global.or(body.global).unwrap_or(false);
    let value = query
        .refresh_token
        .or(body.refresh_token)
        .filter(|v| !v.is_empty())
        .or_else(|| cookie(&req, "refresh_token"));
    if let Some(value) = value
        && let Some(token) = tokens::by_value(&state, &value).await?
    {
        if global {
            revocation::revoke_user(&state, &token.user_id, None).await?;
        } else {
            revocation::revoke_token(&state, &token, Some(value.as_str())).await?;
        }
        tracing::info!(global, "logged out");
    }
    Ok(HttpResponse::Ok()
        .append_header((SET_COOKIE, set_cookie(&req, "access_token", "", Some(0))))
        .append_header((SET_COOKIE, set_cookie(&req, "refresh_token", "", Some(0))))
        .finish())
}
