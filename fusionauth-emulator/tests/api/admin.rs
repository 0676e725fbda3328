//! The API-key APIs: users and registrations.

use serde_json::{Value, json};

use crate::helpers::{Sent, spawn_emulator};

#[tokio::test]
async fn the_user_api_needs_an_api_key_and_finds_users_by_id_and_email() {
    let emulator = spawn_emulator().await;
    let path = format!("/api/user/{}", emulator.user_id);
    let response = emulator
        .client
        .get(emulator.url(&path))
        .expect_status(401)
        .await;
    assert!(response.headers().get("content-type").is_none());
    for path in [
        path.clone(),
        format!("/api/user?email={}", emulator.email.replace('@', "%40")),
    ] {
        let response = emulator.admin(reqwest::Method::GET, &path).sent().await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["user"]["id"], emulator.user_id);
        assert!(body["user"].get("password").is_none());
        assert!(body["user"].get("salt").is_none());
    }
    emulator
        .admin(reqwest::Method::GET, "/api/user?email=nobody%40example.com")
        .expect_status(404)
        .await;
}

#[tokio::test]
async fn registration_validates_email_and_password_then_the_new_user_can_log_in() {
    let emulator = spawn_emulator().await;
    let register = |body: Value| {
        emulator
            .admin(reqwest::Method::POST, "/api/user/registration")
            .json(&body)
            .send()
    };
    let registration = json!({"applicationId": emulator.application_id});
    for (user, field, code) in [
        (
            json!({"password": "long-enough"}),
            "user.email",
            "[blank]user.email",
        ),
        (
            json!({"email": emulator.email, "password": "long-enough"}),
            "user.email",
            "[duplicate]user.email",
        ),
        (
            json!({"email": "new@example.com", "password": "short"}),
            "user.password",
            "[tooShort]user.password",
        ),
    ] {
        let response = register(json!({"user": user, "registration": registration}))
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{code}");
        let errors: shared::fusionauth::Errors = response.json().await.expect("Errors");
        assert_eq!(errors.field_errors[field][0].code, code);
    }
    let response = register(
        json!({"user": {"email": "New@Example.com", "password": "long-enough"},
                                   "registration": registration}),
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["user"]["email"], "new@example.com");
    assert_eq!(
        body["registration"]["roles"],
        json!(["customer"]),
        "the default role"
    );
    let login = emulator
        .login_with(
            &json!({"loginId": "new@example.com", "password": "long-enough",
                    "applicationId": emulator.application_id}),
        )
        .await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn typos_in_tenant_and_application_settings_are_refused_with_400() {
    let emulator = spawn_emulator().await;
    let tenant_path = format!(
        "/api/tenant/{}",
        crate::helpers::variable("defaultTenantId")
    );
    for (patch, field) in [
        (
            json!({"refreshTokenUsagePolicy": "OneTime"}),
            "tenant.jwtConfiguration.refreshTokenUsagePolicy",
        ),
        (
            json!({"refreshTokenOneTimeUseConfiguration": {"gracePeriodInSeconds": 100000}}),
            "tenant.jwtConfiguration.refreshTokenOneTimeUseConfiguration.gracePeriodInSeconds",
        ),
        (
            json!({"accessTokenKeyId": uuid::Uuid::new_v4()}),
            "tenant.jwtConfiguration.accessTokenKeyId",
        ),
    ] {
        let response = emulator
            .admin(reqwest::Method::PATCH, &tenant_path)
            .json(&json!({"tenant": {"jwtConfiguration": patch}}))
            .sent()
            .await;
        assert_eq!(response.status(), 400, "{field}");
        let errors: shared::fusionauth::Errors = response.json().await.expect("Errors");
        assert!(errors.field_errors.contains_key(field), "{errors:?}");
    }
    emulator.admin(reqwest::Method::POST, "/api/application")
        .json(&json!({"application": {"name": "x", "loginConfiguration": {"allowTokenRefresh": "yes"}}}))
        .expect_status(400).await;
    // Nothing was changed: the Kickstart's policy still applies.
    let login = emulator.login().await;
    let refreshed: Value = emulator
        .refresh_login(&login)
        .await
        .json()
        .await
        .expect("JSON");
    assert_ne!(
        refreshed["refreshToken"], login["refreshToken"],
        "still OneTimeUse"
    );
}
