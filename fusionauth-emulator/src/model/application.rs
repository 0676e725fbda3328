//! A stored application and FusionAuth's defaults for a new one.

use serde_json::{Value, json};

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

    /// `oauthConfiguration.scopeHandlingPolicy` is `Strict` (FusionAuth's default for new
    /// applications since 1.50).
    pub fn strict_scope_handling(&self) -> bool {
        self.data
            .pointer("/oauthConfiguration/scopeHandlingPolicy")
            .and_then(Value::as_str)
            .is_some_and(|policy| policy == "Strict")
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
