//! Typed views of the stored configuration objects (tenants, applications, API keys), with
//! FusionAuth's defaults. Plain data: no storage, no HTTP.

mod api_key;
mod application;
mod jwt_configuration;
mod tenant;

pub use api_key::ApiKey;
pub use application::{Application, default_application};
pub use jwt_configuration::JwtConfiguration;
pub use tenant::{Tenant, default_tenant};

use serde_json::{Value, json};
use shared::fusionauth::CorsConfiguration;

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
}
