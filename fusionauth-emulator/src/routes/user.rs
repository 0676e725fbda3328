//! The User API: `GET /api/user/{userId}`, `PATCH /api/user/{userId}` (API key), and
//! `GET /api/user?email=|loginId=|username=` (API key) or with a JWT (its owner) —
//! <https://fusionauth.io/docs/apis/users>

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use shared::fusionauth::{Errors, UserResponse};

use super::auth::{ApiKeyStatus, jwt_claims, resolve_tenant};
use super::input::object;
use super::table::Routes;
use crate::domain::users;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, ok_json};
use crate::model::{self, ApiKey};
use crate::state::{AppState, State};
use crate::store::{self, UserRow};

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .get("/api/user/{user_id}", retrieve)
        .patch("/api/user/{user_id}", patch)
        .get("/api/user", search);
}

/// `GET /api/user/{userId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let user = found(store::users::find(&state.pool, &path).await?)?;
    user_response(&state, &user).await
}

/// `PATCH /api/user/{userId}`: merges profile fields (`firstName`, `data`, `twoFactor`,
/// `passwordChangeRequired`, `expiry`, …) into the user. Identity, password and status fields
/// are not changed through this emulator call.
#[tracing::instrument(skip_all)]
async fn patch(
    state: State,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let user = found(store::users::find(&state.pool, &path).await?)?;
    let patch = object(&body, "user")?.clone();
    let mut errors = Errors::default();
    let patch = users::profile(patch, &mut errors);
    ApiError::check(errors)?;
    let mut data: Value = serde_json::from_str(&user.data).unwrap_or_else(|_| json!({}));
    if let (Some(object), Some(two_factor)) = (data.as_object_mut(), patch.get("twoFactor")) {
        // Methods are replaced, not merged index by index.
        object.insert("twoFactor".into(), two_factor.clone());
    }
    model::merge(&mut data, Value::Object(patch));
    store::users::update_data(&state.pool, &user.id, &data, state.clock.now_ms()).await?;
    let user = found(store::users::find(&state.pool, &user.id).await?)?;
    tracing::info!(user_id = user.id, "user updated");
    user_response(&state, &user).await
}

async fn user_response(state: &AppState, user: &UserRow) -> Result<HttpResponse> {
    let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
    Ok(ok_json(&UserResponse {
        user: users::user(user, &registrations),
    }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserQuery {
    email: Option<String>,
    login_id: Option<String>,
    username: Option<String>,
}

/// `GET /api/user?email=|loginId=|username=` (API key), or `GET /api/user` with a JWT: its owner.
async fn search(
    req: HttpRequest,
    state: State,
    api_key: ApiKeyStatus,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse> {
    let key = match api_key {
        ApiKeyStatus::Valid(key) => key,
        _ => {
            let sub = jwt_claims(&state, &req)
                .and_then(|claims| claims.sub)
                .ok_or(ApiError::Unauthorized)?;
            let user = found(store::users::find(&state.pool, &sub).await?)?;
            return user_response(&state, &user).await;
        }
    };
    let tenant = resolve_tenant(&state, &req, Some(&key)).await?;
    let query = query.into_inner();
    let user = if let Some(email) = query.email {
        store::users::by_email(&state.pool, &tenant.id, &email).await?
    } else if let Some(login_id) = query.login_id {
        store::users::by_login_id(&state.pool, &tenant.id, &login_id).await?
    } else if let Some(username) = query.username {
        store::users::by_username(&state.pool, &tenant.id, &username).await?
    } else {
        return Err(ApiError::NotFound);
    };
    let user = user.ok_or(ApiError::NotFound)?;
    user_response(&state, &user).await
}
