//! Revoking refresh tokens, with the `jwt.refresh-token.revoke` event. The event goes out
//! *before* the tokens are deleted, so a failed transactional webhook (504) leaves them alive.

use std::collections::{BTreeMap, BTreeSet};

use shared::fusionauth::{EventInfo, EventPayload, RefreshTokenRevokeEvent, User};

use crate::domain::{events, tokens, users};
use crate::infra::error::{ApiError, Result};
use crate::model::{JwtConfiguration, Tenant};
use crate::state::AppState;
use crate::store::{self, RefreshTokenRow};

/// `{applicationId: access-token TTL in seconds}` for each application.
async fn ttl_map(
    state: &AppState,
    tenant: &Tenant,
    application_ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, i64>> {
    let mut map = BTreeMap::new();
    for id in application_ids {
        let application = store::applications::find(&state.pool, id).await?;
        let config = JwtConfiguration::effective(tenant, application.as_ref());
        map.insert(id.clone(), config.time_to_live_in_seconds);
    }
    Ok(map)
}

/// The User object of `user_id`, if the user still exists.
async fn user(state: &AppState, user_id: &str) -> Result<Option<User>> {
    let Some(user) = store::users::find(&state.pool, user_id).await? else {
        return Ok(None);
    };
    let registrations = store::registrations::of_user(&state.pool, user_id).await?;
    Ok(Some(users::user(&user, &registrations)))
}

/// Sends the revoke event (before the caller deletes anything).
async fn announce(state: &AppState, tenant: &Tenant, event: RefreshTokenRevokeEvent) -> Result<()> {
    let payload = EventPayload::RefreshTokenRevoke(Box::new(event));
    events::emit(state, tenant, payload, EventInfo::default()).await
}

async fn tenant(state: &AppState, id: &str) -> Result<Tenant> {
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
    let mut refresh_token = tokens::refresh_token(token);
    refresh_token.token = value.map(str::to_owned);
    let application_ids = BTreeSet::from([token.application_id.clone()]);
    let event = RefreshTokenRevokeEvent {
        application_id: Some(token.application_id.clone()),
        user_id: Some(token.user_id.clone()),
        user: user(state, &token.user_id).await?,
        refresh_token: Some(refresh_token),
        linked_object_id: Some(token.id.clone()),
        application_time_to_live_in_seconds: ttl_map(state, &tenant, &application_ids).await?,
    };
    announce(state, &tenant, event).await?;
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
    let event = RefreshTokenRevokeEvent {
        application_id: application_id.map(str::to_owned),
        user_id: Some(user_id.to_owned()),
        user: user(state, user_id).await?,
        refresh_token: None,
        linked_object_id: None,
        application_time_to_live_in_seconds: ttl_map(state, &tenant, &applications).await?,
    };
    announce(state, &tenant, event).await?;
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
    let applications = BTreeSet::from([application_id.to_owned()]);
    let event = RefreshTokenRevokeEvent {
        application_id: Some(application_id.to_owned()),
        application_time_to_live_in_seconds: ttl_map(state, &tenant, &applications).await?,
        ..RefreshTokenRevokeEvent::default()
    };
    announce(state, &tenant, event).await?;
    let count = store::refresh_tokens::delete_of_application(&state.pool, application_id).await?;
    tracing::info!(count, "refresh tokens of an application revoked");
    Ok(count)
}
