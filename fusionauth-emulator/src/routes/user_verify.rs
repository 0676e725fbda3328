//! Email verification: `POST /api/user/verify-email[/{verificationId}]` (verify) and
//! `PUT /api/user/verify-email?email=` (send the email again / a new id) —
//! <https://fusionauth.io/docs/apis/users#verify-a-users-email>

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::fusionauth::{Rule, VerifyEmailRequest, VerifyEmailResponse};

use super::auth::{ApiKeyStatus, Caller};
use super::input::body_or_path_id;
use super::table::Routes;
use super::user_password::{application_of, own_url};
use crate::domain::verification;
use crate::infra::crypto::sha256_b64;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, empty_ok, ok_json};
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/user/verify-email", verify)
        .post("/api/user/verify-email/{verificationId}", verify)
        .put("/api/user/verify-email", resend);
}

/// `POST /api/user/verify-email`: `{verificationId, oneTimeCode?}` (anonymous), or with an API
/// key `{userId}`. 200 empty; 400 `[blank]verificationId`, `[blank]oneTimeCode`,
/// `[invalid]oneTimeCode`; 401; 403 (by id) the tenant no longer verifies emails; 404 unknown,
/// used or expired id (or user).
#[tracing::instrument(skip_all)]
async fn verify(
    state: State,
    caller: Caller,
    Json(body): Json<VerifyEmailRequest>,
) -> Result<HttpResponse> {
    let now = state.clock.now_ms();
    let id = body_or_path_id(
        caller.request(),
        body.verification_id.as_deref(),
        "verificationId",
    );
    if let Some(id) = id {
        let row = found(store::account::verification_id(&state.pool, &id).await?)?;
        if row.expiry <= now {
            return Err(ApiError::NotFound);
        }
        let user = found(store::users::find(&state.pool, &row.user_id).await?)?;
        let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
        if !tenant.verify_email() {
            return Err(ApiError::Forbidden);
        }
        if let Some(code_hash) = &row.code_hash {
            let Some(code) = body.one_time_code.as_deref().filter(|c| !c.is_empty()) else {
                return Err(ApiError::field(
                    Rule::Blank,
                    "oneTimeCode",
                    "You must specify the [oneTimeCode] property.",
                ));
            };
            if sha256_b64(&code.trim().to_uppercase()) != *code_hash {
                return Err(ApiError::field(
                    Rule::Invalid,
                    "oneTimeCode",
                    "The code is not correct.",
                ));
            }
        }
        store::account::mark_verified(&state.pool, &row.user_id, now).await?;
        tracing::info!(user_id = row.user_id, "email verified");
        return Ok(empty_ok());
    }
    match (caller.api_key, body.user_id) {
        (ApiKeyStatus::Invalid, _) => Err(ApiError::Unauthorized),
        (ApiKeyStatus::Valid(_), Some(user_id)) => {
            let user = found(store::users::find(&state.pool, &user_id).await?)?;
            store::account::mark_verified(&state.pool, &user.id, now).await?;
            tracing::info!(user_id = user.id, "email marked verified");
            Ok(empty_ok())
        }
        _ => Err(ApiError::field(
            Rule::Blank,
            "verificationId",
            "You must specify the [verificationId] property.",
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ResendQuery {
    email: Option<String>,
    application_id: Option<String>,
    send_verify_email: Option<bool>,
}

/// `PUT /api/user/verify-email?email=&applicationId=`: a new verification id, emailed (with an
/// API key `sendVerifyEmail=false` only creates it). 200 (with an API key
/// `{verificationId, verificationOneTimeCode?}`, else empty); 400 `[blank]email`; 401; 403 the
/// tenant does not verify emails; 404 no such user.
#[tracing::instrument(skip_all)]
async fn resend(
    state: State,
    caller: Caller,
    query: web::Query<ResendQuery>,
) -> Result<HttpResponse> {
    let key = caller.api_key.optional()?;
    let tenant = caller.tenant(&state).await?;
    let query = query.into_inner();
    let Some(email) = query.email.filter(|e| !e.trim().is_empty()) else {
        return Err(ApiError::field(
            Rule::Blank,
            "email",
            "You must specify the [email] parameter.",
        ));
    };
    let application = application_of(&state, &tenant, query.application_id.as_deref()).await?;
    let user = found(store::users::by_email(&state.pool, &tenant.id, &email).await?)?;
    if !tenant.verify_email() {
        return Err(ApiError::Forbidden);
    }
    let send = key.is_none() || query.send_verify_email != Some(false);
    let (id, code) = verification::start(
        &state,
        &tenant,
        application.as_ref(),
        &user,
        &own_url(caller.request()),
        send,
    )
    .await?;
    tracing::info!(
        user_id = user.id,
        emailed = send,
        "email verification started"
    );
    Ok(match key {
        Some(_) => ok_json(&VerifyEmailResponse {
            verification_id: id,
            verification_one_time_code: code.clone(),
            one_time_code: code,
        }),
        None => empty_ok(),
    })
}
