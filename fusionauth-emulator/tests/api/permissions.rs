//! API key permissions — <https://fusionauth.io/docs/apis/api-keys>: a key with
//! `permissions.endpoints` may call only those endpoints and methods; a key without is a super
//! key.

use serde_json::{Value, json};

use crate::helpers::{Sent, TestEmulator, spawn_emulator_with_kickstart_json};

const READ_USERS_KEY: &str = "read-users-only-key-0123456789abcdefghijklmnopqrstuvwxyz";
const LOGIN_KEY: &str = "login-only-key-0123456789abcdefghijklmnopqrstuvwxyz012345";

async fn emulator_with_limited_keys() -> TestEmulator {
    spawn_emulator_with_kickstart_json(|document| {
        let keys = document["apiKeys"].as_array_mut().expect("apiKeys");
        keys.push(json!({"key": READ_USERS_KEY, "description": "read users",
                         "permissions": {"endpoints": {"/api/user": ["GET"]}}}));
        keys.push(json!({"key": LOGIN_KEY, "description": "login",
                         "permissions": {"endpoints": {"/api/login": ["POST"]}}}));
    })
    .await
}

/// One call with `key`: method, path, body, the expected status, and why.
type Case<'a> = (
    reqwest::Method,
    String,
    Option<Value>,
    &'a str,
    u16,
    &'a str,
);

/// Sends every case and checks its status.
async fn expect_statuses(emulator: &TestEmulator, cases: Vec<Case<'_>>) {
    for (method, path, body, key, expected, why) in cases {
        let mut request = emulator
            .client
            .request(method.clone(), emulator.url(&path))
            .header("Authorization", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let status = request.sent().await.status();
        assert_eq!(status, expected, "{method} {path}: {why}");
    }
}

#[tokio::test]
async fn a_key_limited_to_get_user_may_read_users_and_nothing_else() {
    use reqwest::Method;
    let emulator = emulator_with_limited_keys().await;
    let user_path = format!("/api/user/{}", emulator.user_id);
    let tokens_path = format!("/api/jwt/refresh?userId={}", emulator.user_id);
    let new_user = json!({
        "user": {"email": "new@example.com", "password": "long-enough"},
        "registration": {"applicationId": emulator.application_id},
    });
    let cases = vec![
        (
            Method::GET,
            user_path.clone(),
            None,
            READ_USERS_KEY,
            200,
            "allowed",
        ),
        (
            Method::GET,
            format!("/api/user?email={}", emulator.email),
            None,
            READ_USERS_KEY,
            200,
            "the same endpoint, another form",
        ),
        (
            Method::PATCH,
            user_path,
            Some(json!({"user": {"firstName": "X"}})),
            READ_USERS_KEY,
            401,
            "PATCH is not among the allowed methods",
        ),
        (
            Method::POST,
            "/api/user/registration".to_owned(),
            Some(new_user),
            READ_USERS_KEY,
            401,
            "/api/user/registration is another endpoint",
        ),
        (
            Method::GET,
            tokens_path.clone(),
            None,
            READ_USERS_KEY,
            401,
            "another endpoint",
        ),
        (
            Method::GET,
            tokens_path,
            None,
            &emulator.api_key,
            200,
            "a key without permissions is a super key",
        ),
    ];
    expect_statuses(&emulator, cases).await;
}

#[tokio::test]
async fn the_login_api_accepts_only_keys_allowed_to_post_to_it() {
    use reqwest::Method;
    let emulator = emulator_with_limited_keys().await;
    let body = json!({"loginId": emulator.email, "password": emulator.password});
    let login = "/api/login".to_owned();
    let cases = vec![
        (
            Method::POST,
            login.clone(),
            Some(body.clone()),
            LOGIN_KEY,
            200,
            "allowed",
        ),
        (
            Method::POST,
            login,
            Some(body),
            READ_USERS_KEY,
            401,
            "not allowed to log in",
        ),
        (
            Method::GET,
            format!("/api/user/{}", emulator.user_id),
            None,
            LOGIN_KEY,
            401,
            "allowed to log in only",
        ),
    ];
    expect_statuses(&emulator, cases).await;
}
