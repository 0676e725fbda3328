//! The Webhook API (API key): `POST /api/webhook[/{webhookId}]`, `GET /api/webhook[/{webhookId}]`,
//! `DELETE /api/webhook/{webhookId}` — <https://fusionauth.io/docs/apis/webhooks>

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};
use shared::fusionauth::{Errors, Rule, WebhookResponse, WebhooksResponse};

use super::input::{Create, object};
use super::table::Routes;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::{empty_ok, ok_json};
use crate::model::ApiKey;
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/webhook", create)
        .post("/api/webhook/{webhookId}", create)
        .get("/api/webhook/{webhook_id}", retrieve)
        .get("/api/webhook", retrieve_all)
        .delete("/api/webhook/{webhook_id}", delete);
}

/// `POST /api/webhook[/{webhookId}]`: creates a webhook (`url`, `eventsEnabled`, `global` or
/// `tenantIds`, timeouts, `headers`, `signatureConfiguration`).
#[tracing::instrument(skip_all)]
async fn create(state: State, _key: ApiKey, new: Create) -> Result<HttpResponse> {
    let (id, body) = (new.id_or_new(), new.body);
    let request = object(&body, "webhook")?;
    let mut errors = Errors::default();
    let url = request.get("url").and_then(Value::as_str).unwrap_or("");
    if url.trim().is_empty() {
        errors.add_field(
            Rule::Blank,
            "webhook.url",
            "You must specify the [webhook.url] property.",
        );
    } else if reqwest::Url::parse(url)
        .map(|u| !matches!(u.scheme(), "http" | "https"))
        .unwrap_or(true)
    {
        errors.add_field(
            Rule::Invalid,
            "webhook.url",
            "The [webhook.url] must be an http or https URL.",
        );
    }
    for field in ["connectTimeout", "readTimeout"] {
        if let Some(value) = request.get(field)
            && value.as_u64().is_none_or(|n| n == 0)
        {
            let path = format!("webhook.{field}");
            errors.add_field(
                Rule::Invalid,
                &path,
                "Must be a positive number of milliseconds.",
            );
        }
    }
    let mut check_map = |field: &str, valid: fn(&Value) -> bool, message: &str| {
        if let Some(map) = request.get(field)
            && !map.as_object().is_some_and(|map| map.values().all(valid))
        {
            errors.add_field(Rule::Invalid, &format!("webhook.{field}"), message);
        }
    };
    check_map(
        "eventsEnabled",
        Value::is_boolean,
        "Must map event types to true or false.",
    );
    check_map(
        "headers",
        Value::is_string,
        "Must map header names to strings.",
    );
    if let Some(tenant_ids) = request.get("tenantIds") {
        match tenant_ids.as_array() {
            Some(ids) => {
                for tenant_id in ids {
                    let known = match tenant_id.as_str() {
                        Some(tenant_id) => store::tenants::find(&state.pool, tenant_id)
                            .await?
                            .is_some(),
                        None => false,
                    };
                    if !known {
                        errors.add_field(
                            Rule::Invalid,
                            "webhook.tenantIds",
                            "No tenant with this id exists.",
                        );
                        break;
                    }
                }
            }
            None => errors.add_field(
                Rule::Invalid,
                "webhook.tenantIds",
                "Must be a list of tenant ids.",
            ),
        }
    }
    if request
        .get("signatureConfiguration")
        .and_then(|c| c.get("enabled"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        let key_id = request
            .get("signatureConfiguration")
            .and_then(|c| c.get("signingKeyId"))
            .and_then(Value::as_str);
        if key_id.is_none_or(|id| state.key(id).is_none()) {
            errors.add_field(
                Rule::Invalid,
                "webhook.signatureConfiguration.signingKeyId",
                "No key with this id exists.",
            );
        }
    }
    if store::webhooks::find(&state.pool, &id).await?.is_some() {
        errors.add_field(
            Rule::Duplicate,
            "webhookId",
            "A webhook with this id already exists.",
        );
    }
    ApiError::check(errors)?;
    let now = state.clock.now_ms();
    let mut data: Map<String, Value> = request.clone();
    data.insert("id".into(), json!(id));
    data.entry("connectTimeout").or_insert(json!(1000));
    data.entry("readTimeout").or_insert(json!(2000));
    data.entry("global").or_insert(json!(false));
    data.entry("eventsEnabled").or_insert(json!({}));
    data.entry("headers").or_insert(json!({}));
    data.entry("tenantIds").or_insert(json!([]));
    data.entry("signatureConfiguration")
        .or_insert(json!({"enabled": false}));
    data.insert("insertInstant".into(), json!(now));
    data.insert("lastUpdateInstant".into(), json!(now));
    let data = Value::Object(data);
    store::webhooks::insert(&state.pool, &id, &data).await?;
    state.forget_webhooks();
    tracing::info!(webhook_id = id, "webhook created");
    Ok(ok_json(&WebhookResponse { webhook: data }))
}

/// `GET /api/webhook/{webhookId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let webhook = found(store::webhooks::find(&state.pool, &path).await?)?;
    Ok(ok_json(&WebhookResponse { webhook }))
}

/// `GET /api/webhook`.
async fn retrieve_all(state: State, _key: ApiKey) -> Result<HttpResponse> {
    let webhooks = store::webhooks::all(&state.pool).await?;
    Ok(ok_json(&WebhooksResponse { webhooks }))
}

/// `DELETE /api/webhook/{webhookId}`.
async fn delete(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let deleted = store::webhooks::delete(&state.pool, &path).await?;
    state.forget_webhooks();
    if !deleted {
        return Err(ApiError::NotFound);
    }
    Ok(empty_ok())
}
