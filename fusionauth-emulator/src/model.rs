//! Typed views of the stored configuration objects, with FusionAuth's defaults.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Recursively merges `patch` into `target` (objects key by key; anything else replaces).
pub fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value);
                    }
                    _ => {
                        target.insert(key, value);
                    }
                }
            }
        }
        (target, patch) => *target = patch,
    }
}

/// A new tenant's JSON, with FusionAuth's defaults.
pub fn default_tenant(id: &str, key_id: &str, now_ms: i64) -> Value {
    json!({
        "id": id,
        "name": "Default",
        "issuer": "acme.com",
        "state": "Active",
        "jwtConfiguration": {
            "enabled": true,
            "accessTokenKeyId": key_id,
            "idTokenKeyId": key_id,
            "timeToLiveInSeconds": 3600,
            "refreshTokenTimeToLiveInMinutes": 43200,
            "refreshTokenUsagePolicy": "Reusable",
            "refreshTokenExpirationPolicy": "Fixed",
            "refreshTokenSlidingWindowConfiguration": {"maximumTimeToLiveInMinutes": 43200},
            "refreshTokenOneTimeUseConfiguration": {"gracePeriodInSeconds": 0},
            "refreshTokenRevocationPolicy": {
                "onLoginPrevented": true,
                "onMultiFactorEnable": false,
                "onOneTimeTokenReuse": false,
                "onPasswordChanged": true
            }
        },
        "loginConfiguration": {"requireAuthentication": true},
        "passwordValidationRules": {"minLength": 8, "maxLength": 256},
        "passwordEncryptionConfiguration": {
            "encryptionScheme": crate::crypto::DEFAULT_SCHEME,
            "encryptionSchemeFactor": crate::crypto::DEFAULT_FACTOR
        },
        "insertInstant": now_ms,
        "lastUpdateInstant": now_ms
    })
}

/// A new application's JSON defaults.
pub fn default_application(id: &str, tenant_id: &str, now_ms: i64) -> Value {
    json!({
        "id": id,
        "tenantId": tenant_id,
        "active": true,
        "state": "Active",
        "roles": [],
        "loginConfiguration": {
            "requireAuthentication": true,
            "generateRefreshTokens": false,
            "allowTokenRefresh": false
        },
        "jwtConfiguration": {
            "enabled": false,
            "timeToLiveInSeconds": 3600,
            "refreshTokenTimeToLiveInMinutes": 43200,
            "refreshTokenUsagePolicy": "Reusable",
            "refreshTokenExpirationPolicy": "Fixed",
            "refreshTokenSlidingWindowConfiguration": {"maximumTimeToLiveInMinutes": 43200},
            "refreshTokenOneTimeUseConfiguration": {"gracePeriodInSeconds": 0}
        },
        "oauthConfiguration": {"scopeHandlingPolicy": "Strict"},
        "insertInstant": now_ms,
        "lastUpdateInstant": now_ms
    })
}

/// A stored tenant.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: String,
    pub data: Value,
}

impl Tenant {
    pub fn issuer(&self) -> String {
        self.data
            .get("issuer")
            .and_then(Value::as_str)
            .unwrap_or("acme.com")
            .to_owned()
    }

    pub fn require_authentication(&self) -> bool {
        self.data
            .pointer("/loginConfiguration/requireAuthentication")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// `emailConfiguration.verifyEmail` with `unverified.behavior = "Gated"`: unverified users
    /// get 212 from the Login API.
    pub fn email_verification_gated(&self) -> bool {
        self.data
            .pointer("/emailConfiguration/verifyEmail")
            .and_then(Value::as_bool)
            == Some(true)
            && self
                .data
                .pointer("/emailConfiguration/unverified/behavior")
                .and_then(Value::as_str)
                == Some("Gated")
    }

    /// Whether new users start unverified (email verification is on).
    pub fn verify_email(&self) -> bool {
        self.data
            .pointer("/emailConfiguration/verifyEmail")
            .and_then(Value::as_bool)
            == Some(true)
    }

    pub fn password_min_length(&self) -> usize {
        self.data
            .pointer("/passwordValidationRules/minLength")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(8)
    }

    pub fn password_max_length(&self) -> usize {
        self.data
            .pointer("/passwordValidationRules/maxLength")
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(256)
    }
}

/// A stored application.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: String,
    pub tenant_id: String,
    pub data: Value,
}

impl Application {
    fn login_flag(&self, name: &str, default: bool) -> bool {
        self.data
            .get("loginConfiguration")
            .and_then(|c| c.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    }

    pub fn require_authentication(&self) -> bool {
        self.login_flag("requireAuthentication", true)
    }

    pub fn generate_refresh_tokens(&self) -> bool {
        self.login_flag("generateRefreshTokens", false)
    }

    pub fn allow_token_refresh(&self) -> bool {
        self.login_flag("allowTokenRefresh", false)
    }

    pub fn active(&self) -> bool {
        self.data
            .get("active")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    pub fn role_names(&self) -> Vec<String> {
        self.data
            .get("roles")
            .and_then(Value::as_array)
            .map(|roles| {
                roles
                    .iter()
                    .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

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

/// `systemConfiguration.corsConfiguration`, with FusionAuth's defaults (disabled).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CorsConfiguration {
    pub enabled: bool,
    pub allow_credentials: bool,
    pub allowed_headers: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub exposed_headers: Vec<String>,
    pub preflight_max_age_in_seconds: i64,
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

/// The default system configuration JSON.
pub fn default_system_configuration() -> Value {
    json!({
        "corsConfiguration": CorsConfiguration::default(),
        "reportTimezone": "America/Denver"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_replaces_leaves_and_keeps_siblings() {
        let mut target = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge(&mut target, json!({"a": {"b": 5}, "d": [2, 3]}));
        assert_eq!(target, json!({"a": {"b": 5, "c": 2}, "d": [2, 3]}));
    }

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
