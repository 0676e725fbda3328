//! The User API: `GET /api/user/{userId}`, `PATCH /api/user/{userId}` (API key), and
//! `GET /api/user?email=|loginId=|username=` (API key) or with a JWT (its owner) —
//! <https://fusionauth.io/docs/apis/users>

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use shared::fusionauth::{Errors, Rule, UserResponse};

use super::auth::Caller;
use super::input::object;
use super::registration::looks_like_email;
use super::table::Routes;
use crate::domain::{revocation, two_factor, users};
use crate::infra::crypto;
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

/// `PATCH /api/user/{userId}`: FusionAuth's merge of a `{"user": {…}}` body — every field
/// optional, `null` removes a value, arrays are appended (the documented limitation), except
/// `twoFactor.methods`, replaced as a whole. `email`, `username` (unique regardless of case) and
/// `password` (the tenant's length rules; revokes the user's refresh tokens when
/// `onPasswordChanged`) are applied too; a first second factor revokes them when
/// `onMultiFactorEnable`. `active`, `verified` and the instants are not changed here.
#[tracing::instrument(skip_all)]
async fn patch(
    state: State,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let user = found(store::users::find(&state.pool, &path).await?)?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    let patch = object(&body, "user")?.clone();
    let mut errors = Errors::default();
    let login_ids = login_ids(&state, &user, &patch, &mut errors).await?;
    let password = new_password(&tenant, &patch, &mut errors);
    let mut patch = users::profile(patch, &mut errors);
    ApiError::check(errors)?;

    let had_second_factor = !two_factor::methods(&user).is_empty();
    let mut data: Value = serde_json::from_str(&user.data).unwrap_or_else(|_| json!({}));
    if let (Some(object), Some(two_factor)) = (data.as_object_mut(), patch.remove("twoFactor")) {
        // Methods are replaced, not appended.
        match two_factor {
            Value::Null => object.remove("twoFactor"),
            two_factor => object.insert("twoFactor".into(), two_factor),
        };
    }
    merge_patch(&mut data, Value::Object(patch));
    let now = state.clock.now_ms();
    store::users::update_data(&state.pool, &user.id, &data, now).await?;
    if let Some((email, username)) = &login_ids {
        store::users::update_login_ids(
            &state.pool,
            &user.id,
            email.as_deref(),
            username.as_deref(),
            now,
        )
        .await?;
    }
    let policy = |name: &str, default: bool| {
        tenant
            .data
            .pointer(&format!(
                "/jwtConfiguration/refreshTokenRevocationPolicy/{name}"
            ))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    if let Some(password) = password {
        let hashed = web::block(move || crypto::hash_password(&password, crypto::DEFAULT_FACTOR))
            .await
            .map_err(|e| ApiError::Internal(e.into()))??;
        store::users::update_password_hash(&state.pool, &user.id, &hashed, now).await?;
        if policy("onPasswordChanged", true) {
            revocation::revoke_user(&state, &user.id, None).await?;
        }
    }
    let user = found(store::users::find(&state.pool, &user.id).await?)?;
    if !had_second_factor
        && !two_factor::methods(&user).is_empty()
        && policy("onMultiFactorEnable", false)
    {
        revocation::revoke_user(&state, &user.id, None).await?;
    }
    tracing::info!(user_id = user.id, "user updated");
    user_response(&state, &user).await
}

/// The `email` and `username` a PATCH leaves the user with, when it changes either (checked:
/// a valid, unused email; an unused username; not both removed).
async fn login_ids(
    state: &AppState,
    user: &UserRow,
    patch: &Map<String, Value>,
    errors: &mut Errors,
) -> Result<Option<(Option<String>, Option<String>)>> {
    if !patch.contains_key("email") && !patch.contains_key("username") {
        return Ok(None);
    }
    let given = |name: &str, current: &Option<String>| match patch.get(name) {
        None => Ok(current.clone()),
        Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Some(_) => Err(()),
    };
    let email = given("email", &user.email).map(|e| e.map(|e| e.to_lowercase()));
    let username = given("username", &user.username);
    let (Ok(email), Ok(username)) = (email, username) else {
        errors.add_field(
            Rule::Invalid,
            "user",
            "[user.email] and [user.username] must be strings or null.",
        );
        return Ok(None);
    };
    if email.is_none() && username.is_none() {
        errors.add_field(
            Rule::Blank,
            "user.email",
            "You must specify either the [user.email] or [user.username] property.",
        );
    }
    if let Some(email) = &email
        && user.email.as_ref() != Some(email)
    {
        let taken = store::users::by_email(&state.pool, &user.tenant_id, email).await?;
        if !looks_like_email(email) {
            errors.add_field(
                Rule::NotEmail,
                "user.email",
                "The [user.email] property is not a valid email address.",
            );
        } else if taken.is_some_and(|other| other.id != user.id) {
            errors.add_field(
                Rule::Duplicate,
                "user.email",
                "A user with this email already exists.",
            );
        }
    }
    if let Some(username) = &username {
        let taken = store::users::by_username(&state.pool, &user.tenant_id, username).await?;
        if taken.is_some_and(|other| other.id != user.id) {
            errors.add_field(
                Rule::Duplicate,
                "user.username",
                "A user with this username already exists.",
            );
        }
    }
    Ok(Some((email, username)))
}

/// A new `password`, checked against the tenant's length rules.
fn new_password(
    tenant: &model::Tenant,
    patch: &Map<String, Value>,
    errors: &mut Errors,
) -> Option<String> {
    let password = match patch.get("password") {
        None | Some(Value::Null) => return None,
        Some(Value::String(password)) => password.clone(),
        Some(_) => String::new(),
    };
    let length = password.chars().count();
    if length == 0 || length < tenant.password_min_length() {
        errors.add_field(
            Rule::TooShort,
            "user.password",
            &format!(
                "The [user.password] must be at least {} characters.",
                tenant.password_min_length()
            ),
        );
    } else if length > tenant.password_max_length() {
        errors.add_field(
            Rule::TooLong,
            "user.password",
            &format!(
                "The [user.password] must be at most {} characters.",
                tenant.password_max_length()
            ),
        );
    }
    Some(password)
}

/// FusionAuth's legacy PATCH merge: objects merged, `null` removes, arrays appended.
fn merge_patch(target: &mut Value, patch: Value) {
    let (Value::Object(target), Value::Object(patch)) = (&mut *target, &patch) else {
        *target = patch;
        return;
    };
    for (key, value) in patch {
        match (target.get_mut(key), value) {
            (_, Value::Null) => {
                target.remove(key);
            }
            (Some(existing @ Value::Object(_)), Value::Object(_)) => {
                merge_patch(existing, value.clone());
            }
            (Some(Value::Array(existing)), Value::Array(items)) => {
                existing.extend(items.iter().cloned());
            }
            _ => {
                target.insert(key.clone(), value.clone());
            }
        }
    }
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
    state: State,
    caller: Caller,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse> {
    if caller.api_key.valid().is_none() {
        let sub = caller.jwt_subject(&state).ok_or(ApiError::Unauthorized)?;
        let user = found(store::users::find(&state.pool, &sub).await?)?;
        return user_response(&state, &user).await;
    }
    let tenant = caller.tenant(&state).await?;
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
