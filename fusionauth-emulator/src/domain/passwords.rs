//! Passwords: the tenant's `passwordValidationRules`, the single-use `changePasswordId`s of the
//! forgot-password and 203 workflows, and setting a new password (which ends the user's
//! sessions per `refreshTokenRevocationPolicy.onPasswordChanged`) —
//! <https://fusionauth.io/docs/apis/users#change-a-users-password>

use serde_json::{Map, Value};
use shared::fusionauth::{Errors, Rule};

use super::{email, revocation};
use crate::infra::crypto;
use crate::infra::error::{ApiError, Result};
use crate::model::Tenant;
use crate::state::AppState;
use crate::store::{self, UserRow, account::ChangePasswordIdRow};

/// `externalIdentifierConfiguration.changePasswordIdTimeToLiveInSeconds`' default.
const CHANGE_PASSWORD_ID_TTL_S: i64 = 600;
/// `externalIdentifierConfiguration.oneTimePasswordTimeToLiveInSeconds`' default.
const ONE_TIME_PASSWORD_TTL_S: i64 = 60;

/// When an id made at `now_ms` expires (epoch ms): the tenant's
/// `externalIdentifierConfiguration.<name>` seconds later, or `default_seconds`.
pub fn expiry_ms(tenant: &Tenant, name: &str, default_seconds: i64, now_ms: i64) -> i64 {
    let ttl = tenant
        .data
        .pointer(&format!("/externalIdentifierConfiguration/{name}"))
        .and_then(Value::as_i64)
        .filter(|ttl| *ttl > 0)
        .unwrap_or(default_seconds);
    now_ms.saturating_add(ttl.saturating_mul(1000))
}

/// Checks `password` against the tenant's rules; each broken rule is an error on `field`
/// (`user.password` when creating a user, `password` when changing it).
pub fn check_rules(tenant: &Tenant, password: &str, field: &str, errors: &mut Errors) {
    let rules = tenant.data.get("passwordValidationRules");
    let flag = |name: &str| {
        rules
            .and_then(|r| r.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let (min, max) = (tenant.password_min_length(), tenant.password_max_length());
    let length = password.chars().count();
    if password.is_empty() {
        errors.add_field(
            Rule::Blank,
            field,
            &format!("You must specify the [{field}] property."),
        );
        return;
    }
    if length < min {
        let message = format!("The [{field}] must be at least {min} characters.");
        errors.add_field(Rule::TooShort, field, &message);
    }
    if length > max {
        let message = format!("The [{field}] must be at most {max} characters.");
        errors.add_field(Rule::TooLong, field, &message);
    }
    let has = |test: fn(&char) -> bool| password.chars().any(|c| test(&c));
    if flag("requireMixedCase") && !(has(|c| c.is_lowercase()) && has(|c| c.is_uppercase())) {
        let message = format!("The [{field}] must contain upper and lower case letters.");
        errors.add_field(Rule::SingleCase, field, &message);
    }
    if flag("requireNonAlpha") && !has(|c| !c.is_alphanumeric()) {
        let message = format!("The [{field}] must contain a character that is not a letter.");
        errors.add_field(Rule::OnlyAlpha, field, &message);
    }
    if flag("requireNumber") && !has(char::is_ascii_digit) {
        let message = format!("The [{field}] must contain a number.");
        errors.add_field(Rule::RequireNumber, field, &message);
    }
}

/// A new `changePasswordId` for `user` (32 random bytes, base64url), valid for the tenant's
/// `changePasswordIdTimeToLiveInSeconds`.
pub async fn new_change_password_id(
    state: &AppState,
    tenant: &Tenant,
    user_id: &str,
    emailed: bool,
    request_state: Option<&Map<String, Value>>,
) -> Result<String> {
    let id = crypto::random_string::<32>()?;
    store_change_password_id(state, tenant, user_id, &id, emailed, request_state).await?;
    Ok(id)
}

/// Stores `id` as a `changePasswordId` of `user`; 400 `[duplicate]changePasswordId` when an
/// outstanding id has that value.
pub async fn store_change_password_id(
    state: &AppState,
    tenant: &Tenant,
    user_id: &str,
    id: &str,
    emailed: bool,
    request_state: Option<&Map<String, Value>>,
) -> Result<()> {
    if store::account::change_password_id(&state.pool, id)
        .await?
        .is_some()
    {
        return Err(ApiError::field(
            Rule::Duplicate,
            "changePasswordId",
            "This change password id is in use.",
        ));
    }
    let expiry = expiry_ms(
        tenant,
        "changePasswordIdTimeToLiveInSeconds",
        CHANGE_PASSWORD_ID_TTL_S,
        state.clock.now_ms(),
    );
    let request_state = request_state.map(|s| Value::Object(s.clone()).to_string());
    store::account::insert_change_password_id(
        &state.pool,
        id,
        user_id,
        expiry,
        emailed,
        request_state.as_deref(),
    )
    .await?;
    Ok(())
}

/// The unexpired change-password id `id`; 404 when it is unknown, used or expired.
pub async fn pending_change(state: &AppState, id: &str) -> Result<ChangePasswordIdRow> {
    let row = store::account::change_password_id(&state.pool, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.expiry <= state.clock.now_ms() {
        store::account::take_change_password_id(&state.pool, id).await?;
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

/// Whether `password` is the user's current password (on the blocking pool).
pub async fn matches(user: &UserRow, password: &str) -> Result<bool> {
    let stored = user.password();
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crypto::verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Sets the user's new (already checked) password: hashes it, clears
/// `passwordChangeRequired`, deletes every outstanding change-password id, and revokes the
/// user's refresh tokens unless the tenant's `onPasswordChanged` is false. Returns a one-time
/// password for `POST /api/login`.
pub async fn set(
    state: &AppState,
    tenant: &Tenant,
    user: &UserRow,
    password: &str,
) -> Result<String> {
    if tenant
        .data
        .pointer("/jwtConfiguration/refreshTokenRevocationPolicy/onPasswordChanged")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        revocation::revoke_user(state, &user.id, None).await?;
    }
    let password = password.to_owned();
    let hashed = tokio::task::spawn_blocking(move || {
        crypto::hash_password(&password, crypto::DEFAULT_FACTOR)
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))??;
    let now = state.clock.now_ms();
    store::account::set_password(&state.pool, &user.id, &hashed, now).await?;
    let one_time_password = crypto::random_string::<32>()?;
    let expiry = expiry_ms(
        tenant,
        "oneTimePasswordTimeToLiveInSeconds",
        ONE_TIME_PASSWORD_TTL_S,
        now,
    );
    store::account::insert_one_time_password(&state.pool, &one_time_password, &user.id, expiry)
        .await?;
    let notify = tenant
        .data
        .pointer("/emailConfiguration/passwordUpdateEmailTemplateId")
        .is_some_and(Value::is_string);
    if notify && user.email.is_some() {
        email::send(state, tenant, user, email::password_update()).await?;
    }
    tracing::info!(user_id = user.id, "password changed");
    Ok(one_time_password)
}

/// The user of the one-time password `value`, which is used up; 404 when it is unknown, used
/// or expired.
pub async fn redeem_one_time_password(state: &AppState, value: &str) -> Result<UserRow> {
    let (user_id, expiry) = store::account::take_one_time_password(&state.pool, value)
        .await?
        .ok_or(ApiError::NotFound)?;
    if expiry <= state.clock.now_ms() {
        return Err(ApiError::NotFound);
    }
    store::users::find(&state.pool, &user_id)
        .await?
        .ok_or(ApiError::NotFound)
}
