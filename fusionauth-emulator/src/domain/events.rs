//! Webhook events — <https://fusionauth.io/docs/extend/events-and-webhooks/>
//!
//! An event is sent when the tenant enables its type (`eventConfiguration.events.<type>.enabled`)
//! to every webhook that subscribes to it (`eventsEnabled.<type>`) and covers the tenant
//! (`global` or `tenantIds`). The body is `{"event":{id, type, createInstant, tenantId, …}}`,
//! signed in `X-FusionAuth-Signature-JWT` when the webhook says so. With the tenant's
//! `transactionType` other than `None`, delivery happens before the API answers, and a failed
//! transaction makes the caller answer 504 without its effect; with `None` it is best-effort, in
//! the background. Bodies are never logged: they carry tokens.

use std::time::Duration;

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use shared::fusionauth::{Event, EventInfo, EventPayload, EventRequest, WebhookSignatureClaims};

use crate::infra::error::{ApiError, Result};
use crate::model::Tenant;
use crate::state::AppState;

/// The tenant's `transactionType` values.
pub const TRANSACTION_TYPES: &[&str] = &[
    "None",
    "Any",
    "SimpleMajority",
    "SuperMajority",
    "AbsoluteMajority",
];

/// One ready-to-send request.
struct Delivery {
    webhook_id: String,
    client: reqwest::Client,
    url: String,
    total_timeout: Duration,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Delivery {
    /// POSTs the event; true on a 2xx. Failures are logged without the body.
    async fn send(self, event_type: &str) -> bool {
        let mut request = self
            .client
            .post(&self.url)
            .timeout(self.total_timeout)
            .header("Content-Type", "application/json")
            .body(self.body);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match request.send().await {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(webhook_id = self.webhook_id, event_type, "event delivered");
                true
            }
            Ok(response) => {
                tracing::warn!(
                    webhook_id = self.webhook_id,
                    event_type,
                    status = response.status().as_u16(),
                    "webhook refused the event"
                );
                false
            }
            Err(error) => {
                tracing::warn!(
                    webhook_id = self.webhook_id,
                    event_type,
                    timeout = error.is_timeout(),
                    connect = error.is_connect(),
                    "webhook delivery failed"
                );
                false
            }
        }
    }
}

/// The tenant's `transactionType` for `event_type`, or `None` when the event is disabled.
fn transaction_type(tenant: &Tenant, event_type: &str) -> Option<String> {
    let config = tenant
        .data
        .pointer("/eventConfiguration/events")?
        .get(event_type)?;
    if config.get("enabled").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    Some(
        config
            .get("transactionType")
            .and_then(Value::as_str)
            .unwrap_or("None")
            .to_owned(),
    )
}

/// Whether `successes` out of `total` deliveries satisfy `transaction_type`.
fn transaction_succeeded(transaction_type: &str, successes: usize, total: usize) -> bool {
    if total == 0 {
        return true;
    }
    match transaction_type {
        "Any" => successes >= 1,
        "SimpleMajority" => successes * 2 > total,
        "SuperMajority" => successes * 3 >= total * 2,
        "AbsoluteMajority" => successes == total,
        _ => true,
    }
}

/// Sends the event `payload` (with `info`) for `tenant`. Transactional types are delivered
/// before returning, and a failed transaction is `Err(ApiError::WebhookTransactionFailed)`
/// (504): call this *before* making the effect permanent. `None` is delivered in the
/// background and never fails the caller.
pub async fn emit(
    state: &AppState,
    tenant: &Tenant,
    payload: EventPayload,
    info: EventInfo,
) -> Result<()> {
    let event_type = payload.event_type().to_owned();
    let Some(transaction) = transaction_type(tenant, &event_type) else {
        return Ok(());
    };
    let request = EventRequest {
        event: Event {
            id: Some(uuid::Uuid::new_v4().to_string()),
            create_instant: Some(state.clock.now_ms()),
            tenant_id: Some(tenant.id.clone()),
            info,
            payload,
        },
    };
    let deliveries = prepare(state, tenant, &request).await?;
    if transaction == "None" {
        if !deliveries.is_empty() {
            tokio::spawn(async move {
                for delivery in deliveries {
                    delivery.send(&event_type).await;
                }
            });
        }
        return Ok(());
    }
    let total = deliveries.len();
    let mut tasks = Vec::with_capacity(total);
    for delivery in deliveries {
        let event_type = event_type.clone();
        tasks.push(tokio::spawn(
            async move { delivery.send(&event_type).await },
        ));
    }
    let mut successes = 0;
    for task in tasks {
        if task.await.unwrap_or(false) {
            successes += 1;
        }
    }
    if transaction_succeeded(&transaction, successes, total) {
        Ok(())
    } else {
        tracing::warn!(
            event_type,
            transaction,
            successes,
            total,
            "webhook transaction failed"
        );
        Err(ApiError::WebhookTransactionFailed)
    }
}

/// Builds one request per subscribed webhook.
async fn prepare(
    state: &AppState,
    tenant: &Tenant,
    request: &EventRequest,
) -> Result<Vec<Delivery>> {
    let event_type = request.event.payload.event_type();
    let webhooks = state.webhooks().await?;
    let subscribed: Vec<&Value> = webhooks
        .iter()
        .filter(|hook| {
            hook.pointer("/eventsEnabled")
                .and_then(|events| events.get(event_type))
                .and_then(Value::as_bool)
                == Some(true)
        })
        .filter(|hook| {
            hook.get("global").and_then(Value::as_bool) == Some(true)
                || hook
                    .get("tenantIds")
                    .and_then(Value::as_array)
                    .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(&tenant.id)))
        })
        .collect();
    if subscribed.is_empty() {
        return Ok(Vec::new());
    }
    let body = serde_json::to_vec(request)?;
    let body_sha256 = STANDARD.encode(digest::digest(&digest::SHA256, &body));

    let mut deliveries = Vec::with_capacity(subscribed.len());
    for hook in subscribed {
        let number = |name: &str, default: u64| {
            hook.get(name)
                .and_then(Value::as_u64)
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let connect = number("connectTimeout", 1000);
        let read = number("readTimeout", 2000);
        let mut headers: Vec<(String, String)> = hook
            .get("headers")
            .and_then(Value::as_object)
            .map(|headers| {
                headers
                    .iter()
                    .filter_map(|(name, value)| {
                        value.as_str().map(|v| (name.clone(), v.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if hook
            .pointer("/signatureConfiguration/enabled")
            .and_then(Value::as_bool)
            == Some(true)
        {
            let key = hook
                .pointer("/signatureConfiguration/signingKeyId")
                .and_then(Value::as_str)
                .and_then(|id| state.key(id))
                .ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("a webhook's signing key is missing"))
                })?;
            let now = state.clock.now_s();
            let signature = key.sign_jwt(&WebhookSignatureClaims {
                request_body_sha256: body_sha256.clone(),
                iat: Some(now),
                exp: Some(now.saturating_add(300)),
            })?;
            headers.push(("X-FusionAuth-Signature-JWT".to_owned(), signature));
        }
        deliveries.push(Delivery {
            webhook_id: hook
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            client: state.webhook_clients.get(connect)?,
            url: hook
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            total_timeout: Duration::from_millis(connect.saturating_add(read)),
            headers,
            body: body.clone(),
        });
    }
    Ok(deliveries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majorities_are_counted_as_documented() {
        assert!(transaction_succeeded("Any", 1, 3));
        assert!(!transaction_succeeded("Any", 0, 3));
        assert!(transaction_succeeded("SimpleMajority", 2, 3));
        assert!(!transaction_succeeded("SimpleMajority", 1, 2));
        assert!(transaction_succeeded("SuperMajority", 2, 3));
        assert!(!transaction_succeeded("SuperMajority", 1, 2));
        assert!(transaction_succeeded("AbsoluteMajority", 3, 3));
        assert!(!transaction_succeeded("AbsoluteMajority", 2, 3));
        assert!(transaction_succeeded("AbsoluteMajority", 0, 0));
    }
}
