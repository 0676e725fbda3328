//! The account API: sign-up through FusionAuth's Registration API (`POST /api/account`) and
//! the forgot-password request (`POST /api/account/forgot-password`), against the real
//! emulator, whose outbox shows the emails.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::store::{ErrorCode, FieldErrors, SignUpResponse};

use crate::helpers::{
    API_KEY, APPLICATION_ID, BACKEND_API_KEY, DEMO_EMAIL, Sent, TENANT_ID, TestApp, assert_error,
    assert_too_many_requests, error_code, header, spawn_app, spawn_app_with,
};

async fn spawn_app_with_accounts() -> TestApp {
    spawn_app_with(|settings| settings.fusionauth_api_key = Some(BACKEND_API_KEY.into())).await
}

async fn post(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client.post(app.url(path)).json(body).sent().await
}

/// The user with this email at FusionAuth (API key), or `None`.
async fn fusionauth_user(app: &TestApp, email: &str) -> Option<Value> {
    let response = app
        .client
        .get(format!("{}/api/user?email={email}", app.fusionauth_url))
        .header("Authorization", API_KEY)
        .sent()
        .await;
    match response.status() {
        StatusCode::OK => Some(response.json().await.expect("JSON")),
        StatusCode::NOT_FOUND => None,
        other => panic!("GET /api/user answered {other}"),
    }
}

async fn outbox(app: &TestApp) -> Vec<Value> {
    let body = app.fusionauth_json("/_emulator/outbox.json").await;
    body["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_new_account_is_registered_to_the_store_and_can_sign_in() {
    let app = spawn_app_with_accounts().await;
    let email = "New.Shopper@Example.com";
    let response = post(
        &app,
        "/api/account",
        &json!({"email": email,
        "password": "a-good-password", "firstName": "Nia"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let created: SignUpResponse = response.json().await.expect("a SignUpResponse");
    assert_eq!(created.email, email.to_lowercase());
    assert!(
        !created.verification_required,
        "the Kickstart tenant does not verify emails"
    );

    let user = fusionauth_user(&app, email)
        .await
        .expect("stored at FusionAuth");
    assert_eq!(user["user"]["id"], created.user_id.as_str());
    assert_eq!(user["user"]["firstName"], "Nia");
    assert_eq!(
        user["user"]["registrations"][0]["applicationId"],
        APPLICATION_ID
    );
    assert_eq!(
        app.refresh_tokens_of(&created.user_id).await,
        json!([]),
        "no session left over from the registration"
    );
    let login = app
        .client
        .post(format!("{}/api/login", app.fusionauth_url))
        .json(&json!({"loginId": email, "password": "a-good-password",
                      "applicationId": APPLICATION_ID}))
        .sent()
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn refused_sign_ups_say_what_is_wrong_per_field_and_store_nothing() {
    let app = spawn_app_with_accounts().await;
    let before = fusionauth_user(&app, DEMO_EMAIL).await.expect("demo user");
    let cases = [
        (
            json!({"email": DEMO_EMAIL.to_uppercase(), "password": "a-good-password"}),
            "email",
            "duplicate",
        ),
        (
            json!({"email": "weak@example.com", "password": "short"}),
            "password",
            "tooShort",
        ),
        (
            json!({"email": "weak@example.com", "password": ""}),
            "password",
            "blank",
        ),
        (
            json!({"email": "not-an-email", "password": "a-good-password"}),
            "email",
            "notEmail",
        ),
    ];
    for (body, field, rule) in cases {
        let response = post(&app, "/api/account", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let errors: FieldErrors = response.json().await.expect("FieldErrors");
        assert_eq!(errors.code, ErrorCode::InvalidRequest);
        let problems = errors
            .fields
            .get(field)
            .unwrap_or_else(|| panic!("{field}: {errors:?}"));
        assert!(
            problems
                .iter()
                .any(|p| p.rule == rule && !p.message.is_empty()),
            "{body}: {errors:?}"
        );
    }
    for email in ["weak@example.com", "not-an-email"] {
        assert!(
            fusionauth_user(&app, email).await.is_none(),
            "{email} not stored"
        );
    }
    let after = fusionauth_user(&app, DEMO_EMAIL).await.expect("demo user");
    assert_eq!(after, before, "the existing user is untouched");
}

#[tokio::test]
async fn the_client_cannot_choose_the_application_or_send_other_fields() {
    let app = spawn_app_with_accounts().await;
    let bad = [
        json!({"email": "x@example.com", "password": "a-good-password",
               "applicationId": "00000000-0000-0000-0000-000000000000"}),
        json!({"email": "x@example.com"}),
        json!({"email": 5, "password": "a-good-password"}),
    ];
    for body in bad {
        let response = post(&app, "/api/account", &body).await;
        assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
    assert!(fusionauth_user(&app, "x@example.com").await.is_none());
}

#[tokio::test]
async fn without_an_api_key_there_is_no_account_api() {
    let app = spawn_app().await;
    let requests = [
        (
            "/api/account",
            json!({"email": "x@example.com", "password": "a-good-password"}),
        ),
        ("/api/account/forgot-password", json!({"email": DEMO_EMAIL})),
    ];
    for (path, body) in requests {
        let response = post(&app, path, &body).await;
        assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    }
}

#[tokio::test]
async fn sign_ups_are_limited_per_address() {
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
        settings.account_attempts_per_minute = 2;
    })
    .await;
    for attempt in 0..2 {
        let body =
            json!({"email": format!("limit{attempt}@example.com"), "password": "a-good-password"});
        assert_eq!(
            post(&app, "/api/account", &body).await.status(),
            StatusCode::CREATED
        );
    }
    let body = json!({"email": "limit2@example.com", "password": "a-good-password"});
    let response = post(&app, "/api/account", &body).await;
    assert_too_many_requests(response, 31).await;
    assert!(
        fusionauth_user(&app, "limit2@example.com").await.is_none(),
        "not passed on"
    );
    let forgot = post(
        &app,
        "/api/account/forgot-password",
        &json!({"email": DEMO_EMAIL}),
    )
    .await;
    assert_eq!(forgot.status(), StatusCode::ACCEPTED, "a budget of its own");
}

#[tokio::test]
async fn forgot_password_answers_the_same_whether_or_not_the_address_has_an_account() {
    let app = spawn_app_with_accounts().await;
    let known = post(
        &app,
        "/api/account/forgot-password",
        &json!({"email": DEMO_EMAIL}),
    )
    .await;
    assert_eq!(known.status(), StatusCode::ACCEPTED);
    assert!(known.bytes().await.expect("body").is_empty());
    let messages = outbox(&app).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], DEMO_EMAIL);
    assert!(
        messages[0]["textBody"]
            .as_str()
            .expect("text")
            .contains("/password/change/")
    );

    let unknown = post(
        &app,
        "/api/account/forgot-password",
        &json!({"email": "nobody@example.com"}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::ACCEPTED);
    assert!(unknown.bytes().await.expect("body").is_empty());
    assert_eq!(
        outbox(&app).await.len(),
        1,
        "no email for an unknown address"
    );

    for body in [
        json!({"email": ""}),
        json!({"email": "no-at-sign"}),
        json!({"mail": DEMO_EMAIL}),
    ] {
        let response = post(&app, "/api/account/forgot-password", &body).await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST).await,
            ErrorCode::InvalidRequest,
            "{body}"
        );
    }
}

#[tokio::test]
async fn with_gated_verification_a_new_account_gets_the_email_and_212_until_verified() {
    let app = spawn_app_with_accounts().await;
    app.admin(
        reqwest::Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"emailConfiguration": {"verifyEmail": true,
            "unverified": {"behavior": "Gated"}}}}),
    )
    .await;
    let email = "gated@example.com";
    let body = json!({"email": email, "password": "a-good-password"});
    let response = post(&app, "/api/account", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: SignUpResponse = response.json().await.expect("a SignUpResponse");
    assert!(created.verification_required);
    let messages = outbox(&app).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], email);
    assert_eq!(messages[0]["template"], "EmailVerification");
    let login = |password: &'static str| {
        app.client
            .post(format!("{}/api/login", app.fusionauth_url))
            .json(&json!({"loginId": email, "password": password,
                          "applicationId": APPLICATION_ID}))
            .send()
    };
    assert_eq!(
        login("a-good-password")
            .await
            .expect("sent")
            .status()
            .as_u16(),
        212
    );
}
