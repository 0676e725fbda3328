//! Steps 2–3 through the backend (the workflow's alternative path): `POST /api/login` forwards
//! the credentials to FusionAuth with the server-side API key and returns its answer unchanged.

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::fusionauth::LoginResponse;
use shared::store::ErrorCode;

use crate::helpers::{
    APPLICATION_ID, BACKEND_API_KEY, DEMO_EMAIL, DEMO_PASSWORD, DEMO_USER_ID, Sent, TENANT_ID,
    TestApp, assert_error, assert_too_many_requests, header, spawn_app, spawn_app_with,
};

async fn spawn_app_with_login_proxy() -> TestApp {
    spawn_app_with(|settings| settings.fusionauth_api_key = Some(BACKEND_API_KEY.into())).await
}

async fn proxied_login(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .json(body)
        .sent()
        .await
}

fn credentials(password: &str) -> Value {
    json!({"loginId": DEMO_EMAIL, "password": password, "applicationId": APPLICATION_ID})
}

#[tokio::test]
async fn step_02_03_login_through_the_backend_returns_fusionauths_answer_unchanged() {
    let app = spawn_app_with_login_proxy().await;

    let response = proxied_login(&app, &credentials("wrong-password")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        header(&response, "content-type"),
        None,
        "an empty body has no type"
    );
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(response.bytes().await.expect("body").is_empty());

    let response = proxied_login(&app, &credentials(DEMO_PASSWORD)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert!(header(&response, "content-type").is_some_and(|t| t.starts_with("application/json")));
    assert_eq!(
        header(&response, "set-cookie"),
        None,
        "FusionAuth's cookies stay there"
    );
    let body: LoginResponse = response.json().await.expect("a LoginResponse");
    let jwt = body.token.expect("a JWT");
    assert!(body.refresh_token.is_some());
    assert_eq!(app.get_cart(&jwt, None).await.status(), StatusCode::OK);

    // FusionAuth's validation errors come back as they are.
    let response = proxied_login(&app, &json!({"password": "x"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let errors: Value = response.json().await.expect("FusionAuth Errors");
    assert!(errors["fieldErrors"]["loginId"].is_array(), "{errors}");
}

#[tokio::test]
async fn the_eleventh_login_attempt_in_a_minute_is_429_with_retry_after() {
    let app = spawn_app_with_login_proxy().await;
    for attempt in 1..=10 {
        let response = proxied_login(&app, &credentials("guess")).await;
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "attempt {attempt}"
        );
    }
    let response = proxied_login(&app, &credentials(DEMO_PASSWORD)).await;
    assert_too_many_requests(response, 7).await;
}

#[tokio::test]
async fn the_login_proxy_refuses_oversize_bodies_and_answers_503_when_fusionauth_is_down() {
    let app = spawn_app_with_login_proxy().await;
    let huge = json!({"loginId": DEMO_EMAIL, "password": "a".repeat(17 * 1024)});
    let response = proxied_login(&app, &huge).await;
    assert_error(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
    )
    .await;
    app.stop_fusionauth();
    let response = proxied_login(&app, &credentials(DEMO_PASSWORD)).await;
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;
}

#[tokio::test]
async fn without_an_api_key_there_is_no_login_proxy() {
    let app = spawn_app().await;
    let response = proxied_login(&app, &credentials(DEMO_PASSWORD)).await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn the_proxy_pins_the_application_and_ignores_a_client_chosen_no_jwt() {
    let app = spawn_app_with_login_proxy().await;
    let response = proxied_login(
        &app,
        &json!({"loginId": DEMO_EMAIL, "password": DEMO_PASSWORD,
                "applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32", "noJWT": true,
                "ipAddress": "198.51.100.1"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: LoginResponse = response.json().await.expect("a LoginResponse");
    let jwt = body.token.expect("a JWT despite noJWT");
    assert_eq!(
        crate::forgery::decode_part(&jwt, 1)["applicationId"],
        APPLICATION_ID
    );
    assert_eq!(app.get_cart(&jwt, None).await.status(), StatusCode::OK);

    let response = proxied_login(&app, &json!(["not", "an", "object"])).await;
    assert_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
}

async fn login_from(app: &TestApp, forwarded_for: &str) -> StatusCode {
    app.client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", forwarded_for)
        .json(&credentials(DEMO_PASSWORD))
        .sent()
        .await
        .status()
}

#[tokio::test]
async fn x_forwarded_for_counts_toward_the_limit_only_from_a_trusted_proxy() {
    // Untrusted: every attempt is the peer's, whatever the header claims.
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
        settings.login_attempts_per_minute = 2;
    })
    .await;
    assert_eq!(login_from(&app, "203.0.113.1").await, StatusCode::OK);
    assert_eq!(login_from(&app, "203.0.113.2").await, StatusCode::OK);
    assert_eq!(
        login_from(&app, "203.0.113.3").await,
        StatusCode::TOO_MANY_REQUESTS
    );

    // Trusted (the tests connect from 127.0.0.1): each forwarded client has its own budget.
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
        settings.login_attempts_per_minute = 2;
        settings.trusted_proxies = vec!["127.0.0.1".parse().expect("address")];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(login_from(&app, "203.0.113.1").await, StatusCode::OK);
    }
    assert_eq!(
        login_from(&app, "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(login_from(&app, "203.0.113.2").await, StatusCode::OK);
}

#[tokio::test]
async fn the_kickstarts_least_privilege_key_runs_the_login_proxy_and_no_user_administration() {
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
    })
    .await;
    let response = proxied_login(&app, &credentials(DEMO_PASSWORD)).await;
    assert_eq!(response.status(), StatusCode::OK);

    // The same key at FusionAuth, for what the backend never does.
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/user/{DEMO_USER_ID}")),
        (reqwest::Method::PATCH, format!("/api/user/{DEMO_USER_ID}")),
        (
            reqwest::Method::GET,
            format!("/api/user?email={DEMO_EMAIL}"),
        ),
        (reqwest::Method::GET, format!("/api/tenant/{TENANT_ID}")),
    ] {
        let response = app
            .client
            .request(method.clone(), format!("{}{path}", app.fusionauth_url))
            .header("authorization", BACKEND_API_KEY)
            .sent()
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
}
