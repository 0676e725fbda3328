//! The backend's passkey "start" calls: FusionAuth's WebAuthn start APIs with the server-side
//! API key, the user and application pinned here, limited per address.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::store::ErrorCode;

use crate::helpers::{
    BACKEND_API_KEY, DEMO_EMAIL, DEMO_USER_ID, TENANT_ID, TestApp, error_code, spawn_app,
    spawn_app_with,
};

async fn spawn_app_with_passkeys(attempts_per_minute: u32) -> TestApp {
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
        settings.login_attempts_per_minute = attempts_per_minute;
    })
    .await;
    let workflow = json!({"enabled": true, "authenticatorAttachmentPreference": "platform",
        "userVerificationRequirement": "required"});
    app.admin(
        Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"webAuthnConfiguration": {"enabled": true, "relyingPartyId": "localhost",
            "bootstrapWorkflow": workflow}}}),
    )
    .await;
    app
}

async fn post(app: &TestApp, path: &str, jwt: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).json(body);
    if let Some(jwt) = jwt {
        request = request.bearer_auth(jwt);
    }
    request.send().await.expect("sent")
}

#[tokio::test]
async fn a_signed_in_user_gets_fusionauths_registration_options_for_themselves() {
    let app = spawn_app_with_passkeys(10).await;
    let session = app.login().await;
    let response = post(
        &app,
        "/api/passkeys/registration",
        Some(&session.jwt),
        &json!({"displayName": "Phone", "userId": "someone-else"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["options"]["user"]["id"],
        URL_SAFE_NO_PAD.encode(DEMO_USER_ID),
        "the user is the JWT's, not the body's"
    );
    assert_eq!(body["options"]["user"]["name"], DEMO_EMAIL);
    assert!(body["options"]["challenge"].is_string());
}

#[tokio::test]
async fn registration_options_need_a_signed_in_user() {
    let app = spawn_app_with_passkeys(10).await;
    let response = post(
        &app,
        "/api/passkeys/registration",
        None,
        &json!({"displayName": "Phone"}),
    )
    .await;
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED).await,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn authentication_options_pass_on_fusionauths_answer_for_the_login_id() {
    let app = spawn_app_with_passkeys(10).await;
    let cases = [
        ("nobody@example.com", "[invalid]loginId"),
        (DEMO_EMAIL, "[invalid]userId"),
    ];
    for (login_id, code) in cases {
        let response = post(
            &app,
            "/api/passkeys/authentication",
            None,
            &json!({"loginId": login_id, "applicationId": "not-this-app"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{login_id}");
        let body: Value = response.json().await.expect("FusionAuth's errors");
        let codes: Vec<&Value> = body["fieldErrors"]
            .as_object()
            .expect("field errors")
            .values()
            .flat_map(|errors| errors.as_array().into_iter().flatten())
            .map(|error| &error["code"])
            .collect();
        assert_eq!(codes, [code], "{login_id}: {body}");
    }
}

#[tokio::test]
async fn passkey_starts_are_limited_per_address() {
    let app = spawn_app_with_passkeys(2).await;
    let body = json!({"loginId": DEMO_EMAIL});
    for _ in 0..2 {
        let response = post(&app, "/api/passkeys/authentication", None, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let response = post(&app, "/api/passkeys/authentication", None, &body).await;
    assert_eq!(
        error_code(response, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::TooManyRequests
    );
}

#[tokio::test]
async fn without_the_api_key_the_passkey_starts_are_not_offered() {
    let app = spawn_app().await;
    let response = post(
        &app,
        "/api/passkeys/authentication",
        None,
        &json!({"loginId": DEMO_EMAIL}),
    )
    .await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
}
