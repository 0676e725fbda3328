//! Passwords: `POST /api/user/forgot-password`, `POST /api/user/change-password[/{id}]`,
//! `GET /api/user/change-password[/{id}]` —
//! <https://fusionauth.io/docs/apis/users#start-forgot-password-workflow>,
//! <https://fusionauth.io/docs/apis/users#change-a-users-password>

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::Value;
use shared::fusionauth::{
    ChangePasswordRequest, ChangePasswordResponse, Errors, ForgotPasswordRequest,
    ForgotPasswordResponse, Rule,
};

use super::auth::{ApiKeyStatus, Caller};
use super::input::body_or_path_id;
use super::table::Routes;
use crate::domain::{email, passwords};
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, empty_ok, ok_json};
use crate::model::{Application, Tenant};
use crate::state::{AppState, State};
use crate::store::{self, UserRow};

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/user/forgot-password", forgot)
        .post("/api/user/change-password", change)
        .post("/api/user/change-password/{changePasswordId}", change)
        .get("/api/user/change-password/{changePasswordId}", check)
        .get("/api/user/change-password", check_signed_in);
}

/// The emulator's own address as the request reached it (the links' last-resort base).
pub fn own_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// The application `id` of `tenant`; 400 `[invalid]applicationId` otherwise.
pub async fn application_of(
    state: &AppState,
    tenant: &Tenant,
    id: Option<&str>,
) -> Result<Option<Application>> {
    let Some(id) = id.map(str::trim).filter(|id| !id.is_empty()) else {
        return Ok(None);
    };
    match store::applications::find(&state.pool, id).await? {
        Some(app) if app.tenant_id == tenant.id => Ok(Some(app)),
        _ => Err(ApiError::field(
            Rule::Invalid,
            "applicationId",
            "No application with this id exists in the tenant.",
        )),
    }
}

/// `POST /api/user/forgot-password`: 200 (with an API key `{changePasswordId}`, else empty);
/// 400 `[blank]loginId`; 401; 403 the tenant's `forgotPasswordEmailTemplateId` is null; 404 no
/// such user; 422 the user has no email address.
#[tracing::instrument(skip_all)]
async fn forgot(
    state: State,
    caller: Caller,
    Json(body): Json<ForgotPasswordRequest>,
) -> Result<HttpResponse> {
    let key = caller.api_key.optional()?;
    let tenant = caller.tenant(&state).await?;
    if body.login_id.trim().is_empty() {
        return Err(ApiError::field(
            Rule::Blank,
            "loginId",
            "You must specify the [loginId] property.",
        ));
    }
    let application = application_of(&state, &tenant, body.application_id.as_deref()).await?;
    let user = found(store::users::by_login_id(&state.pool, &tenant.id, &body.login_id).await?)?;
    let send = key.is_none() || body.send_forgot_password_email != Some(false);
    if send {
        let disabled = tenant
            .data
            .pointer("/emailConfiguration/forgotPasswordEmailTemplateId")
            .is_some_and(Value::is_null);
        if disabled {
            return Err(ApiError::Forbidden);
        }
        if email::recipient(&user).is_none() {
            return Err(ApiError::NoEmailAddress);
        }
    }
    let chosen = body
        .change_password_id
        .as_deref()
        .filter(|id| key.is_some() && !id.trim().is_empty());
    let id = match chosen {
        Some(id) => {
            let request_state = body.state.as_ref();
            passwords::store_change_password_id(&state, &tenant, &user.id, id, send, request_state)
                .await?;
            id.to_owned()
        }
        None => {
            passwords::new_change_password_id(&state, &tenant, &user.id, send, body.state.as_ref())
                .await?
        }
    };
    if send {
        let base = email::base_url(&tenant, application.as_ref(), &own_url(caller.request()));
        let rendered = email::forgot_password(
            &base,
            &tenant,
            application.as_ref(),
            &id,
            body.state.as_ref(),
        );
        email::send(&state, &tenant, &user, rendered).await?;
    }
    tracing::info!(
        user_id = user.id,
        emailed = send,
        "forgot-password workflow started"
    );
    Ok(match key {
        Some(_) => ok_json(&ForgotPasswordResponse {
            change_password_id: id,
        }),
        None => empty_ok(),
    })
}

/// `GET /api/user/change-password/{changePasswordId}`: 200 empty while the id is usable, else
/// 404. Does not use the id up.
async fn check(state: State, path: web::Path<String>) -> Result<HttpResponse> {
    passwords::pending_change(&state, &path).await?;
    Ok(empty_ok())
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct CheckQuery {
    login_id: Option<String>,
}

/// `GET /api/user/change-password` with a JWT, or an API key and `?loginId=`: 200 empty when
/// the user may change the password without a trust token (always: two-factor step-up is not
/// emulated); 401; 404 no such user.
async fn check_signed_in(
    state: State,
    caller: Caller,
    query: web::Query<CheckQuery>,
) -> Result<HttpResponse> {
    let login_id = query.into_inner().login_id.filter(|l| !l.trim().is_empty());
    if let (Some(_), Some(login_id)) = (caller.api_key.valid(), login_id) {
        let tenant = caller.tenant(&state).await?;
        found(store::users::by_login_id(&state.pool, &tenant.id, &login_id).await?)?;
        return Ok(empty_ok());
    }
    let user_id = caller.jwt_subject(&state).ok_or(ApiError::Unauthorized)?;
    found(store::users::find(&state.pool, &user_id).await?)?;
    Ok(empty_ok())
}

/// `POST /api/user/change-password[/{changePasswordId}]`, by `changePasswordId` (body wins
/// over the path), else by API key and `loginId`, else by JWT (`currentPassword` required).
#[tracing::instrument(skip_all)]
async fn change(
    state: State,
    caller: Caller,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<HttpResponse> {
    let id = body_or_path_id(
        caller.request(),
        body.change_password_id.as_deref(),
        "changePasswordId",
    );
    if let Some(id) = id {
        return by_change_password_id(&state, &id, &body).await;
    }
    let login_id = body.login_id.as_deref().filter(|l| !l.trim().is_empty());
    if let (Some(_), Some(login_id)) = (caller.api_key.valid(), login_id) {
        let tenant = caller.tenant(&state).await?;
        let Some(user) = store::users::by_login_id(&state.pool, &tenant.id, login_id).await? else {
            return Err(ApiError::field(
                Rule::Invalid,
                "loginId",
                "No user with this login id exists.",
            ));
        };
        if let Some(current) = &body.current_password
            && !passwords::matches(&user, current).await?
        {
            return Err(ApiError::field(
                Rule::Invalid,
                "currentPassword",
                "The current password is not correct.",
            ));
        }
        check_new(&tenant, &body.password)?;
        passwords::set(&state, &tenant, &user, &body.password).await?;
        return Ok(empty_ok());
    }
    if let Some(user_id) = caller.jwt_subject(&state) {
        let user = found(store::users::find(&state.pool, &user_id).await?)?;
        let tenant = user_tenant(&state, &user).await?;
        let Some(current) = body.current_password.as_deref().filter(|p| !p.is_empty()) else {
            return Err(ApiError::field(
                Rule::Blank,
                "currentPassword",
                "You must specify the [currentPassword] property.",
            ));
        };
        if !passwords::matches(&user, current).await? {
            return Err(ApiError::NotFound);
        }
        check_new(&tenant, &body.password)?;
        let one_time_password = passwords::set(&state, &tenant, &user, &body.password).await?;
        return Ok(ok_json(&ChangePasswordResponse {
            one_time_password,
            state: None,
        }));
    }
    match caller.api_key {
        ApiKeyStatus::Valid(_) => Err(ApiError::field(
            Rule::Blank,
            "loginId",
            "You must specify the [loginId] property.",
        )),
        _ => Err(ApiError::Unauthorized),
    }
}

async fn by_change_password_id(
    state: &AppState,
    id: &str,
    body: &ChangePasswordRequest,
) -> Result<HttpResponse> {
    let pending = passwords::pending_change(state, id).await?;
    let user = found(store::users::find(&state.pool, &pending.user_id).await?)?;
    let tenant = user_tenant(state, &user).await?;
    if let Some(current) = &body.current_password
        && !passwords::matches(&user, current).await?
    {
        return Err(ApiError::NotFound);
    }
    // The rules first: a weak password does not use the id up.
    check_new(&tenant, &body.password)?;
    if !store::account::take_change_password_id(&state.pool, id).await? {
        return Err(ApiError::NotFound);
    }
    let implicit_verification = tenant
        .data
        .pointer("/emailConfiguration/implicitEmailVerificationAllowed")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if pending.emailed && implicit_verification && !user.verified {
        store::account::mark_verified(&state.pool, &user.id, state.clock.now_ms()).await?;
    }
    let one_time_password = passwords::set(state, &tenant, &user, &body.password).await?;
    let state_object = pending
        .state
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|value| match value {
            Value::Object(map) => Some(map),
            _ => None,
        });
    Ok(ok_json(&ChangePasswordResponse {
        one_time_password,
        state: state_object,
    }))
}

fn check_new(tenant: &Tenant, password: &str) -> Result<()> {
    let mut errors = Errors::default();
    passwords::check_rules(tenant, password, "password", &mut errors);
    ApiError::check(errors)
}

async fn user_tenant(state: &AppState, user: &UserRow) -> Result<Tenant> {
    store::tenants::find(&state.pool, &user.tenant_id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a user names no tenant")))
}
