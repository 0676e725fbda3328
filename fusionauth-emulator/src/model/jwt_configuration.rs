//! The JWT and refresh-token settings in force for an application.

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Application, Tenant, merge};

/// The JWT and refresh-token settings in force for one application (its own when its
/// `jwtConfiguration.enabled`, else the tenant's); the revocation policy is always the tenant's.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JwtConfiguration {
    pub access_token_key_id: Option<String>,
    pub time_to_live_in_seconds: i64,
    pub refresh_token_time_to_live_in_minutes: i64,
    pub refresh_token_usage_policy: String,
    pub refresh_token_expiration_policy: String,
    pub refresh_token_sliding_window_configuration: SlidingWindow,
    pub refresh_token_one_time_use_configuration: OneTimeUse,
    pub refresh_token_revocation_policy: RevocationPolicy,
}

impl Default for JwtConfiguration {
    fn default() -> Self {
        Self {
            access_token_key_id: None,
            time_to_live_in_seconds: 3600,
            refresh_token_time_to_live_in_minutes: 43200,
            refresh_token_usage_policy: "Reusable".to_owned(),
            refresh_token_expiration_policy: "Fixed".to_owned(),
            refresh_token_sliding_window_configuration: SlidingWindow::default(),
            refresh_token_one_time_use_configuration: OneTimeUse::default(),
            refresh_token_revocation_policy: RevocationPolicy::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SlidingWindow {
    pub maximum_time_to_live_in_minutes: i64,
}

impl Default for SlidingWindow {
    fn default() -> Self {
        Self {
            maximum_time_to_live_in_minutes: 43200,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OneTimeUse {
    pub grace_period_in_seconds: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RevocationPolicy {
    pub on_one_time_token_reuse: bool,
}

impl JwtConfiguration {
    /// The configuration in force for `application` (or the tenant alone).
    pub fn effective(tenant: &Tenant, application: Option<&Application>) -> Self {
        let tenant_config = tenant
            .data
            .get("jwtConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut config = tenant_config.clone();
        if let Some(app_config) = application
            .and_then(|app| app.data.get("jwtConfiguration"))
            .filter(|c| c.get("enabled").and_then(Value::as_bool) == Some(true))
        {
            merge(&mut config, app_config.clone());
            if let (Some(object), Some(policy)) = (
                config.as_object_mut(),
                tenant_config.get("refreshTokenRevocationPolicy"),
            ) {
                object.insert("refreshTokenRevocationPolicy".to_owned(), policy.clone());
            }
        }
        serde_json::from_value(config).unwrap_or_default()
    }

    pub fn one_time_use(&self) -> bool {
        self.refresh_token_usage_policy == "OneTimeUse"
    }

    /// When a refresh token started at `start_ms` and last used at `last_used_ms` expires.
    pub fn refresh_expiry_ms(&self, start_ms: i64, last_used_ms: i64) -> i64 {
        let ttl = self
            .refresh_token_time_to_live_in_minutes
            .saturating_mul(60_000);
        match self.refresh_token_expiration_policy.as_str() {
            "SlidingWindow" => last_used_ms.saturating_add(ttl),
            "SlidingWindowWithMaximumLifetime" => {
                let max = self
                    .refresh_token_sliding_window_configuration
                    .maximum_time_to_live_in_minutes
                    .saturating_mul(60_000);
                last_used_ms
                    .saturating_add(ttl)
                    .min(start_ms.saturating_add(max))
            }
            _ => start_ms.saturating_add(ttl),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_with_maximum_lifetime_is_capped() {
        let config = JwtConfiguration {
            refresh_token_time_to_live_in_minutes: 10,
            refresh_token_expiration_policy: "SlidingWindowWithMaximumLifetime".into(),
            refresh_token_sliding_window_configuration: SlidingWindow {
                maximum_time_to_live_in_minutes: 15,
            },
            ..JwtConfiguration::default()
        };
        assert_eq!(config.refresh_expiry_ms(0, 0), 600_000);
        assert_eq!(config.refresh_expiry_ms(0, 600_000), 900_000);
    }
}
