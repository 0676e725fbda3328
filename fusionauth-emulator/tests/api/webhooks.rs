//! Webhooks and events — <https://fusionauth.io/docs/extend/events-and-webhooks/>

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::helpers::{
    Sent, TestEmulator, WebhookReceiver, decode_part, spawn_emulator_with_receiver, variable,
};

async fn create_webhook(emulator: &TestEmulator, webhook: Value) -> reqwest::Response {
    emulator
        .admin(reqwest::Method::POST, "/api/webhook")
        .json(&json!({ "webhook": webhook }))
        .sent()
        .await
}

async fn revoke_by_id(emulator: &TestEmulator, token_id: &str) -> reqwest::Response {
    emulator
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/jwt/refresh/{token_id}"),
        )
        .sent()
        .await
}

async fn set_revoke_transaction(emulator: &TestEmulator, transaction_type: &str) {
    let response = emulator
        .try_patch_default_tenant(
            json!({"eventConfiguration": {"events": {"jwt.refresh-token.revoke":
            {"enabled": true, "transactionType": transaction_type}}}}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn logout_sends_a_signed_refresh_token_revoke_event_to_the_kickstart_webhook() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    let login = emulator.login().await;
    let refresh_token_id = login["refreshTokenId"].as_str().expect("id").to_owned();
    let sid = decode_part(login["token"].as_str().expect("token"), 1)["sid"].clone();
    assert_eq!(sid, refresh_token_id);

    let response = emulator.logout(&login).await;
    assert_eq!(response.status(), 200);

    let (received, event) = receiver.next_event("jwt.refresh-token.revoke").await;
    assert!(
        received
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json"))
    );
    let signature = received
        .header("x-fusionauth-signature-jwt")
        .expect("the webhook is signed");
    let claims = emulator.verified_claims(&signature).await;
    assert_eq!(
        decode_part(&signature, 0)["kid"],
        decode_part(login["token"].as_str().expect("token"), 0)["kid"],
        "signed with the access-token key named in the Kickstart"
    );
    assert_eq!(decode_part(&signature, 0)["alg"], "ES256");
    let digest = STANDARD.encode(digest::digest(&digest::SHA256, &received.body));
    assert_eq!(claims["request_body_sha256"], digest);

    assert!(uuid::Uuid::parse_str(event["id"].as_str().expect("id")).is_ok());
    assert_eq!(event["tenantId"], variable("defaultTenantId"));
    assert!(event["createInstant"].as_i64().expect("ms") > 1_600_000_000_000);
    assert_eq!(event["applicationId"], emulator.application_id);
    assert_eq!(event["userId"], emulator.user_id);
    assert_eq!(event["user"]["id"], emulator.user_id);
    assert_eq!(event["refreshToken"]["id"], refresh_token_id);
    assert_eq!(
        event["linkedObjectId"], refresh_token_id,
        "the single-token form names the revoked token"
    );
    assert_eq!(
        event["applicationTimeToLiveInSeconds"][&emulator.application_id],
        300
    );
    assert_eq!(emulator.refresh_login(&login).await.status(), 400);
}

/// Logs the demo user in, then revokes the refresh tokens `query` selects
/// (`DELETE /api/jwt/refresh?…`); the revoke event it sends.
async fn revoke_after_a_login(
    emulator: &TestEmulator,
    receiver: &WebhookReceiver,
    query: &str,
) -> Value {
    emulator.login().await;
    emulator
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/jwt/refresh?{query}"),
        )
        .expect_status(200)
        .await;
    let (_, event) = receiver.next_event("jwt.refresh-token.revoke").await;
    event
}

#[tokio::test]
async fn revoking_all_of_a_users_tokens_or_an_applications_sends_the_matching_event() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    let query = format!("userId={}", emulator.user_id);
    let event = revoke_after_a_login(&emulator, &receiver, &query).await;
    assert_eq!(event["userId"], emulator.user_id);
    assert_eq!(event["user"]["email"], emulator.email);
    assert!(event.get("refreshToken").is_none());
    assert_eq!(
        event["applicationTimeToLiveInSeconds"][&emulator.application_id],
        300
    );

    let query = format!("applicationId={}", emulator.application_id);
    let event = revoke_after_a_login(&emulator, &receiver, &query).await;
    assert_eq!(event["applicationId"], emulator.application_id);
    assert!(event.get("userId").is_none());
}

#[tokio::test]
async fn reuse_of_a_rotated_one_time_token_revokes_it_with_an_event() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    let login = emulator.login().await;
    let first = login["refreshToken"].as_str().expect("rt");
    assert_eq!(emulator.refresh(first).await.status(), 200);
    emulator.advance_clock(60).await;
    assert_eq!(emulator.refresh(first).await.status(), 400);
    let (_, event) = receiver.next_event("jwt.refresh-token.revoke").await;
    assert_eq!(event["refreshToken"]["id"], login["refreshTokenId"]);
}

#[tokio::test]
async fn a_failing_transactional_webhook_makes_revocation_answer_504_and_keeps_the_token() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    set_revoke_transaction(&emulator, "Any").await;
    let login = emulator.login().await;
    let id = login["refreshTokenId"].as_str().expect("id");

    receiver
        .status
        .store(500, std::sync::atomic::Ordering::SeqCst);
    let response = revoke_by_id(&emulator, id).await;
    assert_eq!(response.status(), 504);
    receiver.next_event("jwt.refresh-token.revoke").await;
    let refreshed = emulator.refresh_login(&login).await;
    assert_eq!(refreshed.status(), 200, "the token was not revoked");

    receiver
        .status
        .store(200, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(revoke_by_id(&emulator, id).await.status(), 200);
    emulator
        .admin(reqwest::Method::GET, &format!("/api/jwt/refresh/{id}"))
        .expect_status(404)
        .await;
}

#[tokio::test]
async fn a_transactional_webhook_slower_than_its_read_timeout_fails_the_call() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    set_revoke_transaction(&emulator, "AbsoluteMajority").await;
    let slow = WebhookReceiver::start().await;
    slow.delay_ms
        .store(3000, std::sync::atomic::Ordering::SeqCst);
    let response = create_webhook(
        &emulator,
        json!({"url": slow.url, "global": true, "connectTimeout": 200, "readTimeout": 300,
               "eventsEnabled": {"jwt.refresh-token.revoke": true}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let login = emulator.login().await;
    let started = std::time::Instant::now();
    let response = revoke_by_id(&emulator, login["refreshTokenId"].as_str().expect("id")).await;
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() < std::time::Duration::from_millis(2500));
    receiver.next_event("jwt.refresh-token.revoke").await;
}

#[tokio::test]
async fn with_transaction_type_none_an_unreachable_webhook_never_changes_the_answer() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    drop(receiver);
    let unreachable = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/nobody-listens",
        unreachable.local_addr().expect("address")
    );
    drop(unreachable);
    let response = create_webhook(
        &emulator,
        json!({"url": url, "global": true,
               "eventsEnabled": {"jwt.refresh-token.revoke": true}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let login = emulator.login().await;
    let response = emulator.logout(&login).await;
    assert_eq!(response.status(), 200);
    assert_eq!(emulator.refresh_login(&login).await.status(), 400);
}

#[tokio::test]
async fn login_and_refresh_events_are_sent_with_custom_headers_when_enabled() {
    let (emulator, _kickstart_receiver) = spawn_emulator_with_receiver().await;
    let receiver = WebhookReceiver::start().await;
    let response = create_webhook(
        &emulator,
        json!({"url": receiver.url, "tenantIds": [variable("defaultTenantId")],
               "headers": {"X-Store-Secret": "s3cret"},
               "eventsEnabled": {"user.login.success": true, "user.login.failed": true,
                                 "jwt.refresh": true}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let webhook_id = response.json::<Value>().await.expect("JSON")["webhook"]["id"].clone();
    assert!(webhook_id.is_string());
    emulator.login().await;
    assert!(
        receiver.nothing_within(300).await,
        "events are off until the tenant enables them"
    );
    let response = emulator
        .try_patch_default_tenant(json!({"eventConfiguration": {"events": {
            "user.login.success": {"enabled": true, "transactionType": "None"},
            "user.login.failed": {"enabled": true, "transactionType": "None"},
            "jwt.refresh": {"enabled": true, "transactionType": "None"}}}}))
        .await;
    assert_eq!(response.status(), 200);

    let login = emulator.login().await;
    let (received, event) = receiver.next_event("user.login.success").await;
    assert_eq!(received.header("x-store-secret").as_deref(), Some("s3cret"));
    assert!(received.header("x-fusionauth-signature-jwt").is_none());
    assert_eq!(event["applicationId"], emulator.application_id);
    assert_eq!(event["authenticationType"], "PASSWORD");
    assert_eq!(event["user"]["id"], emulator.user_id);

    let old_jwt = login["token"].as_str().expect("token");
    let response = emulator
        .post_json(
            "/api/jwt/refresh",
            &json!({"refreshToken": login["refreshToken"], "token": old_jwt}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.expect("JSON");
    let (_, event) = receiver.next_event("jwt.refresh").await;
    assert_eq!(event["refreshToken"], login["refreshToken"]);
    assert_eq!(event["token"], refreshed["token"]);
    assert_eq!(event["original"], old_jwt);
    assert_eq!(event["userId"], emulator.user_id);

    let response = emulator
        .login_with(
            &json!({"loginId": emulator.email, "password": "wrong-password",
                    "applicationId": emulator.application_id}),
        )
        .await;
    assert_eq!(response.status(), 404);
    let (_, event) = receiver.next_event("user.login.failed").await;
    assert_eq!(event["user"]["id"], emulator.user_id);
    assert_eq!(event["reason"]["code"], "credentials", "as documented");
    assert_eq!(event["applicationId"], emulator.application_id);

    let elsewhere = uuid::Uuid::new_v4().to_string();
    emulator
        .admin(
            reqwest::Method::POST,
            &format!("/api/application/{elsewhere}"),
        )
        .json(&json!({"application": {"name": "Another application"}}))
        .expect_status(200)
        .await;
    emulator
        .admin(reqwest::Method::POST, "/api/login")
        .json(
            &json!({"loginId": emulator.email, "password": "wrong-password",
                      "applicationId": elsewhere}),
        )
        .expect_status(404)
        .await;
    let (_, event) = receiver.next_event("user.login.failed").await;
    assert!(
        event.get("applicationId").is_none(),
        "no applicationId for an application the user is not registered to: {event}"
    );
}

#[tokio::test]
async fn a_failing_transactional_refresh_event_answers_504_and_does_not_rotate() {
    let (emulator, _kickstart_receiver) = spawn_emulator_with_receiver().await;
    let receiver = WebhookReceiver::start().await;
    receiver
        .status
        .store(503, std::sync::atomic::Ordering::SeqCst);
    let response = create_webhook(
        &emulator,
        json!({"url": receiver.url, "global": true, "eventsEnabled": {"jwt.refresh": true}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = emulator
        .try_patch_default_tenant(json!({"eventConfiguration": {"events": {
            "jwt.refresh": {"enabled": true, "transactionType": "Any"}}}}))
        .await;
    assert_eq!(response.status(), 200);
    let token = emulator.login_refresh_token().await;
    assert_eq!(emulator.refresh(&token).await.status(), 504);
    receiver
        .status
        .store(200, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        emulator.refresh(&token).await.status(),
        200,
        "the presented value is still the current one"
    );
}

#[tokio::test]
async fn webhook_and_event_configuration_are_validated() {
    let (emulator, _receiver) = spawn_emulator_with_receiver().await;
    let response = create_webhook(&emulator, json!({"global": true})).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["fieldErrors"]["webhook.url"][0]["code"],
        "[blank]webhook.url"
    );
    let response = create_webhook(
        &emulator,
        json!({"url": "http://127.0.0.1:1/x", "signatureConfiguration":
               {"enabled": true, "signingKeyId": uuid::Uuid::new_v4().to_string()}}),
    )
    .await;
    assert_eq!(response.status(), 400);
    let response = emulator
        .try_patch_default_tenant(json!({"eventConfiguration": {"events": {"jwt.refresh":
            {"enabled": true, "transactionType": "Most"}}}}))
        .await;
    assert_eq!(response.status(), 400);
    let response = emulator
        .try_patch_default_tenant(json!({"eventConfiguration": {"events": {"jwt.refresh":
            {"enabled": "yes"}}}}))
        .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    let path = "tenant.eventConfiguration.events['jwt.refresh'].enabled";
    assert_eq!(
        body["fieldErrors"][path][0]["code"],
        format!("[invalid]{path}"),
        "{body}"
    );
    let response = emulator
        .admin(
            reqwest::Method::GET,
            &format!("/api/webhook/{}", variable("webhookId")),
        )
        .expect_status(200)
        .await;
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["webhook"]["eventsEnabled"]["jwt.refresh-token.revoke"],
        true
    );
}
