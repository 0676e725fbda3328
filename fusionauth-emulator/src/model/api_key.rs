//! An API key and its endpoint permissions —
//! <https://fusionauth.io/docs/apis/authentication#api-key-permissions>

use serde_json::{Map, Value};

/// A known API key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    /// A tenant-locked key selects its tenant.
    pub tenant_id: Option<String>,
    /// `permissions.endpoints` (`{"/api/user": ["GET"], …}`); `None` = a super key.
    pub endpoints: Option<Map<String, Value>>,
}

impl ApiKey {
    /// Whether this key may call `method path`: super keys may call anything; others only the
    /// endpoints (and methods) their permissions list. A request belongs to the longest endpoint
    /// name that prefixes its path on a `/` boundary, among `known_endpoints` (FusionAuth's
    /// names for the routes served) and the key's own names.
    pub fn allows<'a>(
        &'a self,
        path: &str,
        method: &str,
        known_endpoints: impl Iterator<Item = &'a str>,
    ) -> bool {
        let Some(endpoints) = &self.endpoints else {
            return true;
        };
        let endpoint = known_endpoints
            .chain(endpoints.keys().map(String::as_str))
            .filter(|endpoint| covers(endpoint, path))
            .max_by_key(|endpoint| endpoint.len());
        endpoint
            .and_then(|endpoint| endpoints.get(endpoint))
            .and_then(Value::as_array)
            .is_some_and(|methods| {
                methods
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|m| m.eq_ignore_ascii_case(method))
            })
    }
}

/// Whether endpoint name `endpoint` covers request path `path` (equal, or a prefix on a `/`
/// boundary).
pub fn covers(endpoint: &str, path: &str) -> bool {
    path == endpoint
        || path
            .strip_prefix(endpoint)
            .is_some_and(|rest| rest.starts_with('/'))
}
