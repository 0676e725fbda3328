//! The route table and the endpoint names API-key permissions use, derived from it.

use serde_json::{Map, Value, json};

use super::register;
use super::table::{Routes, endpoint_name};
use crate::model::ApiKey;

/// `path` with every `{…}` segment replaced by a UUID.
fn sample(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "5c4c1f8e-7b7e-4a43-9a3f-0c6bd0d5e0a1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn key_for(endpoints: Value) -> ApiKey {
    ApiKey {
        tenant_id: None,
        endpoints: endpoints.as_object().cloned().filter(|map| !map.is_empty()),
    }
}

#[test]
fn every_registered_api_route_is_governed_by_its_own_endpoint_permission() {
    let mut routes = Routes::recording();
    register(&mut routes, true);
    let endpoints = routes.endpoints();
    let api_routes: Vec<_> = routes
        .paths()
        .iter()
        .filter_map(|(method, path)| Some((method.as_str(), *path, endpoint_name(path)?)))
        .collect();
    assert!(api_routes.len() > 30, "the table lists the API");
    for (method, path, own) in api_routes {
        let request = sample(path);
        let allowed = key_for(json!({ own: [method] }));
        assert!(
            allowed.allows(&request, method, endpoints.names()),
            "a key with {own} [{method}] may call {method} {path}"
        );
        let others: Map<String, Value> = endpoints
            .names()
            .filter(|name| *name != own)
            .map(|name| {
                (
                    name.to_owned(),
                    json!(["GET", "POST", "PATCH", "PUT", "DELETE"]),
                )
            })
            .collect();
        assert!(
            !key_for(Value::Object(others)).allows(&request, method, endpoints.names()),
            "only {own} governs {method} {path}"
        );
        assert!(
            !key_for(json!({ own: ["HEAD"] })).allows(&request, method, endpoints.names()),
            "the method must be listed for {method} {path}"
        );
    }
}

#[test]
fn endpoint_names_are_fusionauths_names_for_the_routes_served() {
    let mut routes = Routes::recording();
    register(&mut routes, true);
    let endpoints = routes.endpoints();
    assert_eq!(
        endpoints.names().collect::<Vec<_>>(),
        [
            "/api/application",
            "/api/jwt/public-key",
            "/api/jwt/refresh",
            "/api/jwt/validate",
            "/api/key",
            "/api/key/generate",
            "/api/key/import",
            "/api/login",
            "/api/logout",
            "/api/system-configuration",
            "/api/tenant",
            "/api/two-factor/login",
            "/api/user",
            "/api/user-action",
            "/api/user/change-password",
            "/api/user/forgot-password",
            "/api/user/registration",
            "/api/user/verify-email",
            "/api/webauthn",
            "/api/webauthn/assert",
            "/api/webauthn/login",
            "/api/webauthn/register/complete",
            "/api/webauthn/register/start",
            "/api/webauthn/start",
            "/api/webhook",
        ]
    );
}

#[test]
fn endpoint_names_stop_at_the_first_path_parameter() {
    let table = [
        (
            "/api/user/registration/{user_id}/{application_id}",
            Some("/api/user/registration"),
        ),
        ("/api/key/generate/{id}", Some("/api/key/generate")),
        ("/api/jwt/refresh", Some("/api/jwt/refresh")),
        ("/.well-known/jwks.json", None),
        ("/{tenant_id}/.well-known/openid-configuration", None),
        ("/_emulator/clock", None),
    ];
    for (path, name) in table {
        assert_eq!(endpoint_name(path), name, "{path}");
    }
}

#[test]
fn test_hooks_are_registered_only_when_enabled() {
    let hooks = |enabled| {
        let mut routes = Routes::recording();
        register(&mut routes, enabled);
        routes
            .paths()
            .iter()
            .filter(|(_, path)| path.starts_with("/_emulator/"))
            .filter(|(_, path)| !path.starts_with("/_emulator/outbox"))
            .count()
    };
    assert_eq!(hooks(false), 0);
    assert_eq!(hooks(true), 2);
    let mut routes = Routes::recording();
    register(&mut routes, false);
    let outbox = routes
        .paths()
        .iter()
        .filter(|(_, path)| path.starts_with("/_emulator/outbox"));
    assert_eq!(
        outbox.count(),
        2,
        "the outbox is served without the test hooks"
    );
}
