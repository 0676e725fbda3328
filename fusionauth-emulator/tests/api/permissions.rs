//! API key permissions — <https://fusionauth.io/docs/apis/api-keys>: a key with
//! `permissions.endpoints` may call only those endpoints and methods; a key without is a super
//! key.

use serde_json::{Value, json};

use crate::helpers::{TestEmulator, spawn_emulator_with_kickstart_json};

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

async fn call(
    emulator: &TestEmulator,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> reqwest::StatusCode {
    let mut request = emulator
        .client
        .request(method, emulator.url(path))
        .header("Authorization", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("sent").status()
}

#[tokio::test]
async fn a_key_limited_to_get_user_may_read_users_and_nothing_else() {
    let emulator = emulator_with_limited_keys().await;
    let user_path = format!("/api/user/{}", emulator.user_id);
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::GET,
            &user_path,
            READ_USERS_KEY,
            None
        )
        .await,
        200
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::GET,
            &format!("/api/user?email={}", emulator.email),
            READ_USERS_KEY,
            None
        )
        .await,
        200
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::PATCH,
            &user_path,
            READ_USERS_KEY,
            Some(json!({"user": {"firstName": "X"}}))
        )
        .await,
        401,
        "PATCH is not among the allowed methods"
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::POST,
            "/api/user/registration",
            READ_USERS_KEY,
            Some(
                json!({"user": {"email": "new@example.com", "password": "long-enough"},
                        "registration": {"applicationId": emulator.application_id}})
            )
        )
        .await,
        401,
        "/api/user/registration is another endpoint"
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::GET,
            &format!("/api/jwt/refresh?userId={}", emulator.user_id),
            READ_USERS_KEY,
            None
        )
        .await,
        401
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::GET,
            &format!("/api/jwt/refresh?userId={}", emulator.user_id),
            &emulator.api_key,
            None
        )
        .await,
        200,
        "a key without permissions is a super key"
    );
}

#[tokio::test]
async fn the_login_api_accepts_only_keys_allowed_to_post_to_it() {
    let emulator = emulator_with_limited_keys().await;
    let body = json!({"loginId": emulator.email, "password": emulator.password});
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::POST,
            "/api/login",
            LOGIN_KEY,
            Some(body.clone())
        )
        .await,
        200
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::POST,
            "/api/login",
            READ_USERS_KEY,
            Some(body)
        )
        .await,
        401
    );
    assert_eq!(
        call(
            &emulator,
            reqwest::Method::GET,
            &format!("/api/user/{}", emulator.user_id),
            LOGIN_KEY,
            None
        )
        .await,
        401
    );
}
