//! The System Configuration API (API key): `PATCH /api/system-configuration`,
//! `GET /api/system-configuration` — <https://fusionauth.io/docs/apis/system>
//!
//! Only `corsConfiguration` is acted upon; the rest is stored as given.

use actix_web::HttpResponse;
use serde_json::{Value, json};
use shared::fusionauth::{CorsConfiguration, Rule, SystemConfigurationResponse};

use super::input::object;
use super::table::Routes;
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, ok_json};
use crate::model::{self, ApiKey};
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .patch("/api/system-configuration", patch)
        .get("/api/system-configuration", retrieve);
}

/// `PATCH /api/system-configuration`.
#[tracing::instrument(skip_all)]
async fn patch(state: State, _key: ApiKey, Json(body): Json<Value>) -> Result<HttpResponse> {
    let patch = Value::Object(object(&body, "systemConfiguration")?.clone());
    let mut data = store::system_configuration::get(&state.pool)
        .await?
        .unwrap_or_else(model::default_system_configuration);
    model::merge(&mut data, patch);
    let cors: CorsConfiguration = serde_json::from_value(
        data.get("corsConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({})),
    )
    .map_err(|e| {
        ApiError::field(
            Rule::Invalid,
            "systemConfiguration.corsConfiguration",
            &e.to_string(),
        )
    })?;
    if cors.allowed_origins.len() > 1 && cors.allowed_origins.iter().any(|o| o == "*") {
        return Err(ApiError::field(
            Rule::Invalid,
            "systemConfiguration.corsConfiguration.allowedOrigins",
            "[*] cannot be combined with other origins.",
        ));
    }
    store::system_configuration::set(&state.pool, &data).await?;
    state.set_cors(cors);
    tracing::info!("system configuration updated");
    Ok(ok_json(&SystemConfigurationResponse {
        system_configuration: data,
    }))
}

/// `GET /api/system-configuration`.
async fn retrieve(state: State, _key: ApiKey) -> Result<HttpResponse> {
    let data = store::system_configuration::get(&state.pool)
        .await?
        .unwrap_or_else(model::default_system_configuration);
    Ok(ok_json(&SystemConfigurationResponse {
        system_configuration: data,
    }))
}
