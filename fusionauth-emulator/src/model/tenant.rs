//! A stored tenant and FusionAuth's defaults for a new one.

use serde_json::{Value, json};

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
            "encryptionScheme": crate::infra::crypto::DEFAULT_SCHEME,
            "encryptionSchemeFactor": crate::infra::crypto::DEFAULT_FACTOR
        },
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
        self.password_rule("minLength", 8)
    }

    pub fn password_max_length(&self) -> usize {
        self.password_rule("maxLength", 256)
    }

    /// `passwordValidationRules.<name>`, or `default`.
    fn password_rule(&self, name: &str, default: usize) -> usize {
        self.data
            .pointer(&format!("/passwordValidationRules/{name}"))
            .and_then(Value::as_u64)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(default)
    }
}
