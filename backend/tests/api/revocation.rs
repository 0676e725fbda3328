// Over 500 lines: every kind of revocation event and its storage, with the helpers others reuse.
//! Steps 19–20 bounded: FusionAuth's `jwt.refresh-token.revoke` webhook makes a stolen JWT
//! useless at once when its session (or all of its user's, or the application's) is revoked.
//!
//! These tests deliver the event with the shared secret (`APP_FUSIONAUTH_WEBHOOK_SECRET`); the
//! signed deliveries of the emulator itself are in `webhook_e2e.rs`.

use std::time::Duration;

use aws_lc_rs::rsa::{KeyPair, KeySize};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::store::ErrorCode;

use crate::forgery::{attacker_p256_key, decode_part, sign_es256, sign_rs256};
use crate::helpers::{
    API_KEY, APPLICATION_ID, PAST_JWT_LIFETIME, Sent, Session, TENANT_ID, TestApp, assert_error,
    assert_revoked_session_refused, assert_session_expired, error_code, sid_omitted,
    spawn_app_with,
};

pub const WEBHOOK_SECRET: &str = "test-webhook-secret-7f3a";

pub fn webhook_settings(settings: &mut backend::Settings) {
    settings.fusionauth_webhook_secret = Some(WEBHOOK_SECRET.into());
    settings.revocation_sync_seconds = 1;
}

pub async fn spawn_app_with_webhook_secret() -> TestApp {
    spawn_app_with(webhook_settings).await
}

/// A `jwt.refresh-token.revoke` event as FusionAuth sends it; `fields` are merged in.
pub fn revoke_event(created_millis: i64, fields: Value) -> Value {
    let mut event = json!({
        "type": "jwt.refresh-token.revoke",
        "id": uuid::Uuid::new_v4().to_string(),
        "createInstant": created_millis,
        "tenantId": TENANT_ID,
        "applicationTimeToLiveInSeconds": {APPLICATION_ID: 300},
    });
    if let (Some(event), Value::Object(fields)) = (event.as_object_mut(), fields) {
        event.extend(fields);
    }
    json!({ "event": event })
}

/// The emulator's "now", in milliseconds (the instant its events carry).
pub async fn fusionauth_now_millis(app: &TestApp) -> i64 {
    let body: Value = app
        .client
        .post(format!("{}/_emulator/clock", app.fusionauth_url))
        .json(&json!({"advanceSeconds": 0}))
        .sent()
        .await
        .json()
        .await
        .expect("clock body");
    body["nowMillis"].as_i64().expect("nowMillis")
}

/// The instant of a revocation made a second after everything so far: both clocks move on
/// first, so every JWT issued until now is plainly before it (a JWT of the revocation's own
/// second needs a live refresh token; see `a_jwt_issued_in_a_revocations_second_…`).
pub async fn a_later_second_millis(app: &TestApp) -> i64 {
    app.advance_time(Duration::from_secs(1)).await;
    fusionauth_now_millis(app).await
}

pub async fn deliver(app: &TestApp, event: &Value, authorization: Option<&str>) -> StatusCode {
    deliver_to(app, &app.address, event, authorization).await
}

/// Delivers `event` with the shared secret and asserts the backend accepted it (200).
pub async fn deliver_accepted(app: &TestApp, event: &Value) {
    assert_eq!(
        deliver(app, event, Some(WEBHOOK_SECRET)).await,
        StatusCode::OK
    );
}

/// Revokes every refresh token of `user_id` at FusionAuth (`DELETE /api/jwt/refresh?userId=`
/// with the API key), as an administrator does; asserts FusionAuth's 200.
pub async fn revoke_at_fusionauth(app: &TestApp, user_id: &str) {
    let response = app
        .client
        .delete(format!(
            "{}/api/jwt/refresh?userId={user_id}",
            app.fusionauth_url
        ))
        .header("authorization", API_KEY)
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn deliver_to(
    app: &TestApp,
    address: &str,
    event: &Value,
    authorization: Option<&str>,
) -> StatusCode {
    let mut request = app
        .client
        .post(format!("{address}/webhooks/fusionauth"))
        .json(event);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.sent().await.status()
}

#[tokio::test]
async fn step_19_20_a_revoked_session_refuses_its_stolen_jwt_at_once() {
    check_session_revocation(&spawn_app_with_webhook_secret().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_session_revocation(app: &TestApp) {
    let victim = app.login().await;
    let other_device = app.login().await;
    assert_eq!(
        app.get_cart(&victim.jwt, None).await.status(),
        StatusCode::OK
    );
    // FusionAuth revokes the session (and delivers its own event too).
    let response = app
        .client
        .delete(format!(
            "{}/api/jwt/refresh/{}",
            app.fusionauth_url,
            victim.sid()
        ))
        .header("authorization", API_KEY)
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let event = revoke_event(
        fusionauth_now_millis(app).await,
        json!({
            "userId": victim.user_id,
            "applicationId": APPLICATION_ID,
            "refreshToken": {"id": victim.sid(), "userId": victim.user_id, "applicationId": APPLICATION_ID},
        }),
    );
    deliver_accepted(app, &event).await;
    // A second delivery of the same event is harmless.
    deliver_accepted(app, &event).await;

    // The stolen JWT is refused long before its expiry...
    assert_revoked_session_refused(app, &victim.jwt).await;
    assert_session_expired(app, &victim.jwt, Some(&victim.refresh_token)).await;
    // ...and, when its `sid` names the session, never refreshed: with FusionAuth down, an
    // attempt would answer 503. (Without `sid`, only FusionAuth can tell.)
    if !sid_omitted() {
        app.stop_fusionauth();
        app.advance_time(PAST_JWT_LIFETIME).await;
        assert_session_expired(app, &victim.jwt, Some(&victim.refresh_token)).await;
        app.start_fusionauth();
    }

    // The same user's other session is unaffected (without `sid`, its refresh token proves it).
    let response = app.get_cart_as(&other_device).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn step_19_20_revoking_all_of_a_users_sessions_refuses_every_earlier_jwt() {
    let app = spawn_app_with_webhook_secret().await;
    let first = app.login().await;
    let second = app.login().await;

    let event = revoke_event(
        a_later_second_millis(&app).await,
        json!({"userId": first.user_id}),
    );
    deliver_accepted(&app, &event).await;
    assert_session_expired(&app, &first.jwt, None).await;
    assert_session_expired(&app, &second.jwt, None).await;

    // A JWT issued after the revocation (a new login) works.
    app.assert_a_later_login_is_accepted().await;
}

/// The JWT's `iat` (whole seconds).
fn issued_second(session: &Session) -> i64 {
    crate::forgery::decode_part(&session.jwt, 1)["iat"]
        .as_i64()
        .expect("an iat claim")
}

#[tokio::test]
async fn a_jwt_issued_in_a_revocations_second_after_it_works_with_its_live_refresh_token() {
    // Signing in right after a password change: FusionAuth revoked every refresh token of
    // the user at 0.5 s into a second, and this sign-in's tokens are of the same second.
    let app = spawn_app_with_webhook_secret().await;
    let after = app.login().await;
    let cut = issued_second(&after) * 1000 + 500;
    let event = revoke_event(cut, json!({"userId": after.user_id}));
    deliver_accepted(&app, &event).await;

    // Alone, the JWT could be from before the cut: the client is asked for its refresh token.
    // FusionAuth honours the refresh token, so it was issued after the cut: accepted.
    app.assert_refresh_required_then_works(&after).await;
}

#[tokio::test]
async fn a_jwt_issued_in_a_revocations_second_before_it_stays_refused() {
    // Signed in at 0.x s, every refresh token of the user revoked later in the same second.
    let app = spawn_app_with_webhook_secret().await;
    let before = app.login().await;
    revoke_at_fusionauth(&app, &before.user_id).await;
    let cut = issued_second(&before) * 1000 + 999;
    let event = revoke_event(cut, json!({"userId": before.user_id}));
    deliver_accepted(&app, &event).await;

    // (The emulator's own event may name a later second: then it is refused outright.)
    let response = app.get_cart(&before.jwt, None).await;
    let code = error_code(response, StatusCode::UNAUTHORIZED).await;
    assert!(
        matches!(code, ErrorCode::RefreshRequired | ErrorCode::SessionExpired),
        "{code:?}"
    );
    assert_session_expired(&app, &before.jwt, Some(&before.refresh_token)).await;
}

#[tokio::test]
async fn step_19_20_revoking_the_applications_sessions_refuses_every_earlier_jwt() {
    let app = spawn_app_with_webhook_secret().await;
    let session = app.login().await;

    // Other applications' revocations change nothing here.
    for fields in [
        json!({"applicationId": "00000000-0000-0000-0000-000000000001"}),
        json!({"userId": session.user_id, "applicationId": "00000000-0000-0000-0000-000000000001"}),
    ] {
        let event = revoke_event(fusionauth_now_millis(&app).await, fields);
        deliver_accepted(&app, &event).await;
    }
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );

    let event = revoke_event(
        a_later_second_millis(&app).await,
        json!({"applicationId": APPLICATION_ID}),
    );
    deliver_accepted(&app, &event).await;
    assert_session_expired(&app, &session.jwt, None).await;
}

#[tokio::test]
async fn step_19_20_other_backend_instances_learn_a_revocation_from_the_database() {
    check_revocation_reaches_other_instances(&spawn_app_with_webhook_secret().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_revocation_reaches_other_instances(app: &TestApp) {
    let (other, _) = app.another_instance().await;
    let victim = app.login().await;
    let jwt = victim.jwt.as_str();
    let cart = |address: String| async move { app.get_cart_at(&address, jwt).await.status() };
    assert_eq!(cart(other.clone()).await, StatusCode::OK);

    let event = revoke_event(
        fusionauth_now_millis(app).await,
        json!({"userId": victim.user_id, "refreshToken": {"id": victim.sid()}}),
    );
    deliver_accepted(app, &event).await;
    assert_eq!(cart(app.address.clone()).await, StatusCode::UNAUTHORIZED);
    // The other instance rereads the revocations every second.
    let learnt = tokio::time::timeout(Duration::from_secs(10), async {
        while cart(other.clone()).await != StatusCode::UNAUTHORIZED {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(learnt.is_ok(), "the other instance never refused the JWT");
}

#[tokio::test]
async fn webhooks_without_the_secret_or_a_valid_signature_are_refused_and_change_nothing() {
    let app = spawn_app_with_webhook_secret().await;
    let session = app.login().await;
    let event = revoke_event(
        fusionauth_now_millis(&app).await,
        json!({"userId": session.user_id}),
    );
    let body = serde_json::to_vec(&event).expect("JSON");
    let body_hash = {
        use base64::Engine as _;
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
        base64::engine::general_purpose::STANDARD.encode(hash.as_ref())
    };
    let kid = decode_part(&session.jwt, 0)["kid"]
        .as_str()
        .expect("kid")
        .to_owned();
    // The webhook signing key is the Kickstart's ES256 access-token key.
    assert_eq!(decode_part(&session.jwt, 0)["alg"], "ES256");
    let own_ec_key = attacker_p256_key();
    let own_rsa_key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let claims = json!({"request_body_sha256": body_hash});
    let forged = sign_es256(
        &own_ec_key,
        &json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
        &claims,
    );
    let forged_rsa = sign_rs256(
        &own_rsa_key,
        &json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
        &claims,
    );
    let unknown_kid = sign_es256(
        &own_ec_key,
        &json!({"alg": "ES256", "typ": "JWT", "kid": "not-published"}),
        &claims,
    );
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no credentials", vec![]),
        (
            "a wrong secret",
            vec![("authorization", "wrong-secret".to_owned())],
        ),
        (
            "a secret prefix",
            vec![("authorization", WEBHOOK_SECRET[..8].to_owned())],
        ),
        (
            "a Bearer secret",
            vec![("authorization", format!("Bearer {WEBHOOK_SECRET}"))],
        ),
        (
            "a garbage signature",
            vec![("x-fusionauth-signature-jwt", "a.b.c".to_owned())],
        ),
        (
            "a signature by another key",
            vec![("x-fusionauth-signature-jwt", forged)],
        ),
        (
            "an RS256 signature by another key",
            vec![("x-fusionauth-signature-jwt", forged_rsa)],
        ),
        (
            // Genuinely signed by FusionAuth, but not over this body.
            "an access token as signature",
            vec![("x-fusionauth-signature-jwt", session.jwt.clone())],
        ),
    ];
    for (name, headers) in cases {
        let mut request = app
            .client
            .post(app.url("/webhooks/fusionauth"))
            .header("content-type", "application/json")
            .body(body.clone());
        for (header_name, value) in headers {
            request = request.header(header_name, value);
        }
        let response = request.sent().await;
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::Unauthorized,
            "{name}"
        );
    }
    // A kid FusionAuth may have published since the backend's fetch moments ago: "retry later"
    // until a refetch is allowed (issue #12 item 10; `APP_FUSIONAUTH_WEBHOOK_KID` makes it 401).
    let response = app
        .client
        .post(app.url("/webhooks/fusionauth"))
        .header("content-type", "application/json")
        .header("x-fusionauth-signature-jwt", unknown_kid)
        .body(body.clone())
        .sent()
        .await;
    assert_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;
    // Nothing was recorded.
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn webhooks_are_refused_when_no_secret_is_configured_and_unsigned() {
    let app = spawn_app_with(|_| {}).await;
    let session = app.login().await;
    let event = revoke_event(
        fusionauth_now_millis(&app).await,
        json!({"userId": session.user_id}),
    );
    for authorization in [None, Some(""), Some(WEBHOOK_SECRET)] {
        assert_eq!(
            deliver(&app, &event, authorization).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn other_event_types_are_acknowledged_and_ignored_and_bad_events_are_400() {
    let app = spawn_app_with_webhook_secret().await;
    let session = app.login().await;
    let other = json!({"event": {
        "type": "user.login.success", "id": "e1", "createInstant": 1,
        "userId": session.user_id, "applicationId": APPLICATION_ID,
    }});
    deliver_accepted(&app, &other).await;
    for bad in [
        json!({"nope": 1}),
        json!([1, 2]),
        json!({"event": {"id": "x"}}),
    ] {
        assert_eq!(
            deliver(&app, &bad, Some(WEBHOOK_SECRET)).await,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let huge = json!({"event": {"type": "x", "padding": "a".repeat(70 * 1024)}});
    assert_eq!(
        deliver(&app, &huge, Some(WEBHOOK_SECRET)).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn step_19_20_user_and_application_revocations_survive_in_the_database() {
    check_user_and_application_revocations_are_stored(&spawn_app_with_webhook_secret().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`: every upsert and the reload of each table.
pub async fn check_user_and_application_revocations_are_stored(app: &TestApp) {
    let user = app.login().await;
    let now = a_later_second_millis(app).await;
    // Each event twice, the second older: the later instant is kept.
    for created in [now, now - 60_000] {
        for fields in [
            json!({"userId": user.user_id}),
            json!({"applicationId": APPLICATION_ID}),
            json!({"userId": user.user_id, "refreshToken": {"id": user.sid()}}),
        ] {
            let event = revoke_event(created, fields);
            deliver_accepted(app, &event).await;
        }
    }
    // A fresh instance knows only what the database says.
    let (other, _) = app.another_instance().await;
    let response = app.get_cart_at(&other, &user.jwt).await;
    assert_error(
        response,
        StatusCode::UNAUTHORIZED,
        ErrorCode::SessionExpired,
    )
    .await;
    // A JWT issued after the revocations (two seconds later) is accepted there.
    app.advance_time(Duration::from_secs(2)).await;
    let again = app.login().await;
    let (other, clock) = app.another_instance().await;
    clock.advance(Duration::from_secs(2));
    let response = app.get_cart_at(&other, &again.jwt).await;
    assert_eq!(response.status(), StatusCode::OK);
}
