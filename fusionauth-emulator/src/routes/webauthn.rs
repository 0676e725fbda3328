//! The WebAuthn (passkey) API: `POST /api/webauthn/register/start` (API key),
//! `/register/complete`, `POST /api/webauthn/start` (API key), `/login`, `/assert`, and
//! `GET`/`DELETE /api/webauthn/{id}`, `GET`/`DELETE /api/webauthn?userId=` (API key) —
//! <https://fusionauth.io/docs/apis/webauthn>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::fusionauth::{
    Errors, Rule, WebAuthnCredentialResponse, WebAuthnLoginRequest,
    WebAuthnRegisterCompleteRequest, WebAuthnRegisterStartRequest, WebAuthnRegisterStartResponse,
    WebAuthnStartRequest, WebAuthnStartResponse, WebAuthnWorkflow,
};

use crate::domain::login::{self, LoginOptions};
use crate::domain::webauthn;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, client_ip, empty_ok, ok_json};
use crate::model::ApiKey;
use crate::routes::auth::resolve_tenant;
use crate::routes::input::check_not_blank;
use crate::routes::login::respond;
use crate::routes::table::Routes;
use crate::state::{AppState, State};
use crate::store::{self, UserRow};

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/webauthn/register/start", register_start)
        .post("/api/webauthn/register/complete", register_complete)
        .post("/api/webauthn/start", start)
        .post("/api/webauthn/login", login)
        .post("/api/webauthn/assert", assert)
        .get("/api/webauthn/{id}", retrieve)
        .delete("/api/webauthn/{id}", delete)
        .get("/api/webauthn", retrieve_for_user)
        .delete("/api/webauthn", delete_for_user);
}

/// The user `user_id` when the key may see them (a tenant-locked key sees its tenant only).
async fn user_for_key(state: &AppState, key: &ApiKey, user_id: &str) -> Result<Option<UserRow>> {
    let user = store::users::find(&state.pool, user_id).await?;
    Ok(user.filter(|user| key.tenant_id.as_ref().is_none_or(|t| *t == user.tenant_id)))
}

/// `POST /api/webauthn/register/start`: 200 `{options}`; 400 blank fields, unknown user
/// (`[invalid]userId`), WebAuthn or the workflow disabled (`[WebAuthnDisabled]`); 401.
#[tracing::instrument(skip_all)]
async fn register_start(
    state: State,
    key: ApiKey,
    Json(body): Json<WebAuthnRegisterStartRequest>,
) -> Result<HttpResponse> {
    let mut errors = Errors::default();
    check_not_blank(&mut errors, Some(&body.user_id), "userId");
    check_not_blank(&mut errors, Some(&body.display_name), "displayName");
    if body.workflow.is_none() {
        check_not_blank(&mut errors, None, "workflow");
    }
    ApiError::check(errors)?;
    // Present: checked above.
    let workflow = body.workflow.unwrap_or(WebAuthnWorkflow::Bootstrap);
    let user = user_for_key(&state, &key, &body.user_id)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                Rule::Invalid,
                "userId",
                "No user exists with the given [userId].",
            )
        })?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    let options = webauthn::start_registration(&state, &tenant, &user, &body, workflow).await?;
    Ok(ok_json(&WebAuthnRegisterStartResponse { options }))
}

/// `POST /api/webauthn/register/complete` (no authentication; an API key is ignored):
/// 200 `{credential}`; 400.
#[tracing::instrument(skip_all)]
async fn register_complete(
    state: State,
    Json(body): Json<WebAuthnRegisterCompleteRequest>,
) -> Result<HttpResponse> {
    let mut errors = Errors::default();
    check_not_blank(&mut errors, Some(&body.user_id), "userId");
    check_not_blank(&mut errors, Some(&body.credential.id), "credential.id");
    let response = &body.credential.response;
    check_not_blank(
        &mut errors,
        Some(&response.attestation_object),
        "credential.response.attestationObject",
    );
    check_not_blank(
        &mut errors,
        Some(&response.client_data_json),
        "credential.response.clientDataJSON",
    );
    ApiError::check(errors)?;
    let credential = webauthn::complete_registration(&state, &body).await?;
    Ok(ok_json(&WebAuthnCredentialResponse {
        credential: Some(credential),
        credentials: None,
    }))
}

/// `POST /api/webauthn/start`: 200 `{options}`; 400 blank fields, unknown user or application,
/// no passkey, WebAuthn or the workflow disabled; 401.
#[tracing::instrument(skip_all)]
async fn start(
    req: HttpRequest,
    state: State,
    key: ApiKey,
    Json(body): Json<WebAuthnStartRequest>,
) -> Result<HttpResponse> {
    let mut errors = Errors::default();
    check_not_blank(&mut errors, body.application_id.as_deref(), "applicationId");
    if body.user_id.as_deref().is_none_or(str::is_empty) {
        check_not_blank(&mut errors, body.login_id.as_deref(), "loginId");
    }
    if body.workflow.is_none() {
        check_not_blank(&mut errors, None, "workflow");
    }
    ApiError::check(errors)?;
    let workflow = body.workflow.unwrap_or(WebAuthnWorkflow::Bootstrap);
    let tenant = resolve_tenant(&state, &req, Some(&key)).await?;
    let user = match body.user_id.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => user_for_key(&state, &key, id).await?,
        None => {
            let login_id = body.login_id.as_deref().unwrap_or_default();
            store::users::by_login_id(&state.pool, &tenant.id, login_id).await?
        }
    };
    let invalid_user = || {
        let path = if body.user_id.is_some() {
            "userId"
        } else {
            "loginId"
        };
        ApiError::field(
            Rule::Invalid,
            path,
            "No user exists for the given identity.",
        )
    };
    let user = user.ok_or_else(invalid_user)?;
    let application_id = body.application_id.as_deref().unwrap_or_default();
    let application = store::applications::find(&state.pool, application_id)
        .await?
        .filter(|app| app.tenant_id == user.tenant_id)
        .ok_or_else(|| {
            ApiError::field(
                Rule::Invalid,
                "applicationId",
                "No application exists with the given [applicationId].",
            )
        })?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    let options = webauthn::start_assertion(
        &state,
        &tenant,
        &user,
        &application,
        workflow,
        body.credential_id.as_deref(),
        body.state.clone(),
    )
    .await?;
    Ok(ok_json(&WebAuthnStartResponse { options }))
}

/// `POST /api/webauthn/login` (no authentication): as `POST /api/login` (200 with tokens,
/// 202, 203, 212, 409, 410, 423), for the application `/api/webauthn/start` named; 400 blank
/// fields; 404 an assertion that does not verify.
#[tracing::instrument(skip_all)]
async fn login(
    req: HttpRequest,
    state: State,
    Json(body): Json<WebAuthnLoginRequest>,
) -> Result<HttpResponse> {
    let assertion = webauthn::verify_assertion(&state, &body).await?;
    let application_id = assertion.data.application_id.clone();
    let application = match &application_id {
        Some(id) => store::applications::find(&state.pool, id).await?,
        None => None,
    };
    let options = LoginOptions {
        application_id,
        no_jwt: body.no_jwt.unwrap_or(false),
        meta_data: body.meta_data.clone(),
        ip_address: client_ip(&req, body.ip_address.as_deref()),
    };
    let outcome = login::with_passkey(
        &state,
        &assertion.tenant,
        assertion.user,
        application,
        options,
    )
    .await?;
    Ok(respond(&req, &state, outcome))
}

/// `POST /api/webauthn/assert` (no authentication): 200 `{credential}` without signing anyone
/// in; 400 blank fields; 404 an assertion that does not verify.
#[tracing::instrument(skip_all)]
async fn assert(state: State, Json(body): Json<WebAuthnLoginRequest>) -> Result<HttpResponse> {
    let assertion = webauthn::verify_assertion(&state, &body).await?;
    Ok(ok_json(&WebAuthnCredentialResponse {
        credential: Some(assertion.credential),
        credentials: None,
    }))
}

/// The passkey `id` when the key may see it.
async fn credential_for_key(
    state: &AppState,
    key: &ApiKey,
    id: &str,
) -> Result<store::webauthn::CredentialRow> {
    let row = found(store::webauthn::find(&state.pool, id).await?)?;
    if key
        .tenant_id
        .as_ref()
        .is_some_and(|t| *t != row.credential.tenant_id)
    {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

/// `GET /api/webauthn/{id}`: 200 `{credential}`; 401; 404.
async fn retrieve(state: State, key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let row = credential_for_key(&state, &key, &path).await?;
    Ok(ok_json(&WebAuthnCredentialResponse {
        credential: Some(row.credential),
        credentials: None,
    }))
}

/// `DELETE /api/webauthn/{id}`: 200 empty; 401; 404.
#[tracing::instrument(skip_all)]
async fn delete(state: State, key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let row = credential_for_key(&state, &key, &path).await?;
    if !store::webauthn::delete(&state.pool, &row.credential.id).await? {
        return Err(ApiError::NotFound);
    }
    tracing::info!(
        user_id = row.credential.user_id,
        "WebAuthn credential deleted"
    );
    Ok(empty_ok())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserQuery {
    user_id: Option<String>,
}

fn user_query(req: &HttpRequest) -> Result<String> {
    web::Query::<UserQuery>::from_query(req.query_string())
        .ok()
        .and_then(|query| query.into_inner().user_id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| {
            ApiError::field(
                Rule::Blank,
                "userId",
                "You must specify the [userId] parameter.",
            )
        })
}

/// `GET /api/webauthn?userId=`: 200 `{credentials}` (empty for an unknown user); 400; 401.
async fn retrieve_for_user(req: HttpRequest, state: State, key: ApiKey) -> Result<HttpResponse> {
    let user_id = user_query(&req)?;
    let credentials = match user_for_key(&state, &key, &user_id).await? {
        Some(user) => store::webauthn::of_user(&state.pool, &user.id)
            .await?
            .into_iter()
            .map(|row| row.credential)
            .collect(),
        None => Vec::new(),
    };
    Ok(ok_json(&WebAuthnCredentialResponse {
        credential: None,
        credentials: Some(credentials),
    }))
}

/// `DELETE /api/webauthn?userId=`: 200 empty; 400; 401; 404 unknown user.
#[tracing::instrument(skip_all)]
async fn delete_for_user(req: HttpRequest, state: State, key: ApiKey) -> Result<HttpResponse> {
    let user_id = user_query(&req)?;
    let user = found(user_for_key(&state, &key, &user_id).await?)?;
    let deleted = store::webauthn::delete_of_user(&state.pool, &user.id).await?;
    tracing::info!(user_id = user.id, deleted, "WebAuthn credentials deleted");
    Ok(empty_ok())
}
