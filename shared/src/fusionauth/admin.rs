//! The configuration APIs a Kickstart file calls (API key): tenants, applications, webhooks,
//! user actions and the system configuration —
//! <https://fusionauth.io/docs/apis/tenants>, <https://fusionauth.io/docs/apis/applications>,
//! <https://fusionauth.io/docs/apis/webhooks>, <https://fusionauth.io/docs/apis/user-actions>,
//! <https://fusionauth.io/docs/apis/system>
//!
//! These objects are configuration documents of hundreds of fields, stored as given and
//! returned whole, so they are JSON objects here; the parts this project acts on are read
//! through typed views ([`CorsConfiguration`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"tenant": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantResponse {
    pub tenant: Value,
}

/// `{"application": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationResponse {
    pub application: Value,
}

/// `{"webhook": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhookResponse {
    pub webhook: Value,
}

/// `{"webhooks": […]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct WebhooksResponse {
    pub webhooks: Vec<Value>,
}

/// `{"userAction": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserActionResponse {
    pub user_action: Value,
}

/// `{"systemConfiguration": {…}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SystemConfigurationResponse {
    pub system_configuration: Value,
}

/// `systemConfiguration.corsConfiguration`, with FusionAuth's defaults (disabled; `GET` and
/// `OPTIONS` only) — <https://fusionauth.io/docs/operate/secure-and-monitor/cors>
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorsConfiguration {
    pub enabled: bool,
    pub allow_credentials: bool,
    pub allowed_headers: Vec<String>,
    pub allowed_methods: Vec<String>,
    /// `*` alone, or explicit origins.
    pub allowed_origins: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub preflight_max_age_in_seconds: i64,
    /// Log why a CORS request was refused.
    pub debug: bool,
}

impl Default for CorsConfiguration {
    fn default() -> Self {
        let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        Self {
            enabled: false,
            allow_credentials: false,
            allowed_headers: strings(&[
                "Accept",
                "Access-Control-Request-Headers",
                "Access-Control-Request-Method",
                "Authorization",
                "Content-Type",
                "Last-Modified",
                "Origin",
                "X-FusionAuth-TenantId",
                "X-Requested-With",
            ]),
            allowed_methods: strings(&["GET", "OPTIONS"]),
            allowed_origins: Vec::new(),
            exposed_headers: strings(&[
                "Access-Control-Allow-Origin",
                "Access-Control-Allow-Credentials",
            ]),
            preflight_max_age_in_seconds: 1800,
            debug: false,
        }
    }
}
