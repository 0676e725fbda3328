//! The Tenant API (API key): `PATCH /api/tenant/{tenantId}`, `GET /api/tenant/{tenantId}` —
//! <https://fusionauth.io/docs/apis/tenants>

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use shared::fusionauth::{Errors, Rule, TenantResponse};

use super::input::{check_booleans, check_not_blank, object, validate_jwt_configuration};
use super::table::Routes;
use crate::domain::{events, lockout};
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{Json, ok_json};
use crate::model::{self, ApiKey};
use crate::state::{AppState, State};
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .patch("/api/tenant/{tenant_id}", patch)
        .get("/api/tenant/{tenant_id}", retrieve);
}

/// `PATCH /api/tenant/{tenantId}`: merges `tenant` into the stored tenant.
#[tracing::instrument(skip_all)]
async fn patch(
    state: State,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let mut tenant = found(store::tenants::find(&state.pool, &path).await?)?;
    let mut patch = Value::Object(object(&body, "tenant")?.clone());
    if let Some(patch) = patch.as_object_mut() {
        patch.remove("id");
    }
    let mut data = tenant.data.clone();
    model::merge(&mut data, patch);
    let mut errors = Errors::default();
    for field in ["accessTokenKeyId", "idTokenKeyId"] {
        if let Some(key_id) = data
            .pointer(&format!("/jwtConfiguration/{field}"))
            .and_then(Value::as_str)
            && state.key(key_id).is_none()
        {
            let path = format!("tenant.jwtConfiguration.{field}");
            errors.add_field(Rule::Invalid, &path, "No key with this id exists.");
        }
    }
    let issuer = data.get("issuer").and_then(Value::as_str);
    check_not_blank(&mut errors, issuer, "tenant.issuer");
    if let Some(config) = data.get("jwtConfiguration") {
        validate_jwt_configuration(config, "tenant.jwtConfiguration", &mut errors);
    }
    validate_event_configuration(&data, &mut errors);
    if let Some(config) = data.get("failedAuthenticationConfiguration") {
        validate_failed_authentication(&state, config, &mut errors).await?;
    }
    ApiError::check(errors)?;
    if let Some(object) = data.as_object_mut() {
        object.insert("lastUpdateInstant".into(), json!(state.clock.now_ms()));
    }
    store::tenants::update(&state.pool, &tenant.id, &data).await?;
    tenant.data = data;
    tracing::info!(tenant_id = tenant.id, "tenant updated");
    Ok(ok_json(&TenantResponse {
        tenant: tenant.data,
    }))
}

/// `GET /api/tenant/{tenantId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let tenant = found(store::tenants::find(&state.pool, &path).await?)?;
    Ok(ok_json(&TenantResponse {
        tenant: tenant.data,
    }))
}

/// Checks `failedAuthenticationConfiguration`: positive numbers, a known unit, an existing
/// user action.
async fn validate_failed_authentication(
    state: &AppState,
    config: &Value,
    errors: &mut Errors,
) -> Result<()> {
    let prefix = "tenant.failedAuthenticationConfiguration";
    for field in ["tooManyAttempts", "resetCountInSeconds", "actionDuration"] {
        if config
            .get(field)
            .is_some_and(|v| v.as_i64().is_none_or(|n| n < 1))
        {
            let path = format!("{prefix}.{field}");
            errors.add_field(Rule::Invalid, &path, "Must be a positive number.");
        }
    }
    if config
        .get("actionDurationUnit")
        .is_some_and(|v| v.as_str().and_then(lockout::unit_ms).is_none())
    {
        let path = format!("{prefix}.actionDurationUnit");
        errors.add_field(
            Rule::Invalid,
            &path,
            "Allowed values: MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS.",
        );
    }
    match config.get("userActionId") {
        None | Some(Value::Null) => {}
        Some(id) => {
            let known = match id.as_str() {
                Some(id) => store::user_actions::find(&state.pool, id).await?.is_some(),
                None => false,
            };
            if !known {
                let path = format!("{prefix}.userActionId");
                errors.add_field(Rule::Invalid, &path, "No user action with this id exists.");
            }
        }
    }
    Ok(())
}

/// Checks `eventConfiguration.events.<type>.{enabled, transactionType}`.
fn validate_event_configuration(tenant: &Value, errors: &mut Errors) {
    let Some(events) = tenant.pointer("/eventConfiguration/events") else {
        return;
    };
    let Some(events) = events.as_object() else {
        errors.add_field(
            Rule::Invalid,
            "tenant.eventConfiguration.events",
            "Must map event types to their configuration.",
        );
        return;
    };
    for (event_type, config) in events {
        let prefix = format!("tenant.eventConfiguration.events['{event_type}']");
        check_booleans(config, &prefix, &["enabled"], errors);
        if let Some(value) = config.get("transactionType")
            && !value
                .as_str()
                .is_some_and(|v| events::TRANSACTION_TYPES.contains(&v))
        {
            let path = format!("{prefix}.transactionType");
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!("Allowed values: {}.", events::TRANSACTION_TYPES.join(", ")),
            );
        }
    }
}
