//! Revoking refresh tokens, with the `jwt.refresh-token.revoke` event. The event goes out
//! *before* the tokens are deleted, so a failed transactional webhook (504) leaves them alive.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::domain::events::{self, Event, REFRESH_TOKEN_REVOKE};
use crate::domain::tokens;
use crate::infra::error::{ApiError, Result};
use crate::model::JwtConfiguration;
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow};

/// `{applicationId: access-token TTL in seconds}` for each application.
async fn ttl_map(
    state: &AppState,
    tenant: &crate::model::Tenant,
    application_ids: &BTreeSet<String>,
) -> Result<Value> {
    let mut map = Map::new();
    for id in application_ids {
        let application = store::applications::find(&state.pool, id).await?;
        let config = JwtConfiguration::effective(tenant, application.as_ref());
        map.insert(id.clone(), json!(config.time_to_live_in_seconds));
    }
    Ok(Value::Object(map))
}

async fn user_json(state: &AppState, user_id: &str) -> Result<Option<Value>> {
    let Some(user) = store::users::find(&state.pool, user_id).await? else {
        return Ok(None);
    };
    let registrations = store::registrations::of_user(&state.pool, user_id).await?;
    Ok(Some(tokens::user_json(&user, &registrations)))
}

async fn tenant(state: &AppState, id: &str) -> Result<crate::model::Tenant> {
    store::tenants::find(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a refresh token names no tenant")))
}

/// Revokes one refresh token (a session). `value` is the cleartext the caller presented, if any:
/// it is put in the event's `refreshToken.token`.
pub async fn revoke_token(
    state: &AppState,
    token: &RefreshTokenRow,
    value: Option<&str>,
) -> Result<()> {
    let tenant = tenant(state, &token.tenant_id).await?;
    let mut refresh_token = tokens::refresh_token_json(token);
    if let (Some(value), Some(object)) = (value, refresh_token.as_object_mut()) {
        object.insert("token".into(), json!(value));
    }
    let mut event = Event::new(REFRESH_TOKEN_REVOKE)
        .with("applicationId", json!(token.application_id))
        .with("userId", json!(token.user_id))
        .with("refreshToken", refresh_token)
        .with(
            "applicationTimeToLiveInSeconds",
            ttl_map(
                state,
                &tenant,
                &BTreeSet::from([token.application_id.clone()]),
            )
            .await?,
        );
    if let Some(user) = user_json(state, &token.user_id).await? {
        event = event.with("user", user);
    }
    events::emit(state, &tenant, event).await?;
    store::refresh_tokens::delete(&state.pool, &token.id).await?;
    tracing::info!(refresh_token_id = token.id, "refresh token revoked");
    Ok(())
}

/// Revokes all of a user's refresh tokens (of one application, when given). No event when there
/// was nothing to revoke. Returns how many were revoked.
pub async fn revoke_user(
    state: &AppState,
    user_id: &str,
    application_id: Option<&str>,
) -> Result<u64> {
    let tokens: Vec<RefreshTokenRow> = store::refresh_tokens::of_user(&state.pool, user_id)
        .await?
        .into_iter()
        .filter(|t| application_id.is_none_or(|app| t.application_id == app))
        .collect();
    let Some(first) = tokens.first() else {
        return Ok(0);
    };
    let tenant = tenant(state, &first.tenant_id).await?;
    let applications: BTreeSet<String> = tokens.iter().map(|t| t.application_id.clone()).collect();
    let mut event = Event::new(REFRESH_TOKEN_REVOKE)
        .with("userId", json!(user_id))
        .with(
            "applicationTimeToLiveInSeconds",
            ttl_map(state, &tenant, &applications).await?,
        );
    if let Some(application_id) = application_id {
        event = event.with("applicationId", json!(application_id));
    }
    if let Some(user) = user_json(state, user_id).await? {
        event = event.with("user", user);
    }
    events::emit(state, &tenant, event).await?;
    let count = store::refresh_tokens::delete_of_user(&state.pool, user_id, application_id).await?;
    tracing::info!(count, "refresh tokens of a user revoked");
    Ok(count)
}

/// Revokes every refresh token of an application. No event when there was nothing to revoke.
pub async fn revoke_application(state: &AppState, application_id: &str) -> Result<u64> {
    let Some(application) = store::applications::find(&state.pool, application_id).await? else {
        return Ok(
            store::refresh_tokens::delete_of_application(&state.pool, application_id).await?,
        );
    };
    if !store::refresh_tokens::exist_for_application(&state.pool, application_id).await? {
        return Ok(0);
    }
    let tenant = tenant(state, &application.tenant_id).await?;
    let event = Event::new(REFRESH_TOKEN_REVOKE)
        .with("applicationId", json!(application_id))
        .with(
            "applicationTimeToLiveInSeconds",
            ttl_map(state, &tenant, &BTreeSet::from([application_id.to_owned()])).await?,
        );
    events::emit(state, &tenant, event).await?;
    let count = store::refresh_tokens::delete_of_application(&state.pool, application_id).await?;
    tracing::info!(count, "refresh tokens of an application revoked");
    Ok(count)
}
