//! CORS as FusionAuth's filter applies it, configured by the Kickstart's system configuration.

use serde_json::json;

use crate::helpers::{Sent, TestEmulator, spawn_emulator, variable};

#[tokio::test]
async fn a_preflight_from_the_store_origin_for_a_json_post_is_allowed() {
    let emulator = spawn_emulator().await;
    for path in ["/api/login", "/api/jwt/refresh", "/api/logout"] {
        let response = emulator
            .client
            .request(reqwest::Method::OPTIONS, emulator.url(path))
            .header("Origin", variable("storeOrigin"))
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .sent()
            .await;
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"],
            variable("storeOrigin").as_str()
        );
        assert!(
            headers["access-control-allow-methods"]
                .to_str()
                .expect("ascii")
                .contains("POST")
        );
        assert!(
            headers["access-control-allow-headers"]
                .to_str()
                .expect("ascii")
                .to_lowercase()
                .contains("content-type")
        );
        assert_eq!(headers["access-control-max-age"], "1800");
    }
}

#[tokio::test]
async fn a_preflight_from_another_origin_or_for_another_method_is_forbidden() {
    let emulator = spawn_emulator().await;
    for (origin, method) in [
        ("http://evil.example".to_owned(), "POST"),
        (variable("storeOrigin"), "PATCH"),
    ] {
        let response = emulator
            .client
            .request(reqwest::Method::OPTIONS, emulator.url("/api/login"))
            .header("Origin", &origin)
            .header("Access-Control-Request-Method", method)
            .sent()
            .await;
        assert_eq!(response.status(), 403, "{origin} {method}");
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
    }
}

/// The demo user's login, sent from the store's origin.
async fn login_from_the_store(emulator: &TestEmulator) -> reqwest::Response {
    emulator
        .client
        .post(emulator.url("/api/login"))
        .header("Origin", variable("storeOrigin"))
        .json(
            &json!({"loginId": emulator.email, "password": emulator.password,
                      "applicationId": emulator.application_id}),
        )
        .sent()
        .await
}

#[tokio::test]
async fn a_cross_origin_login_from_the_store_carries_allow_origin_and_exposed_headers() {
    let emulator = spawn_emulator().await;
    let response = login_from_the_store(&emulator).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        variable("storeOrigin").as_str()
    );
    assert_eq!(headers["vary"], "Origin");
    assert!(headers.get("access-control-expose-headers").is_some());
}

#[tokio::test]
async fn cors_headers_disappear_once_cors_is_disabled() {
    let emulator = spawn_emulator().await;
    emulator
        .admin(reqwest::Method::PATCH, "/api/system-configuration")
        .json(&json!({"systemConfiguration": {"corsConfiguration": {"enabled": false}}}))
        .expect_status(200)
        .await;
    let response = login_from_the_store(&emulator).await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
