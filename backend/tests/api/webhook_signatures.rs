//! Issue #12 item 12: a webhook signature is fresh (`iat` within five minutes, `exp` when
//! present), by the configured key only, and an event id is processed once. FusionAuth's key is
//! the Kickstart's HMAC key here, so the tests can sign deliveries as FusionAuth does.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::store::ErrorCode;

use crate::forgery::{decode_part, sign_hs256};
use crate::helpers::{Sent, Session, TestApp, assert_session_expired, spawn_app_with_kickstart};
use crate::hmac::{SECRET, import_hmac_access_token_key, spawn_hmac_app};
use crate::revocation::{a_later_second_millis, revoke_event};

/// POSTs `event` signed with FusionAuth's HMAC key under `kid` and the given claims (the body
/// hash is added).
async fn deliver_signed(app: &TestApp, event: &Value, kid: &str, mut claims: Value) -> StatusCode {
    let body = serde_json::to_vec(event).expect("JSON");
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
    claims["request_body_sha256"] = json!(STANDARD.encode(hash.as_ref()));
    let signature = sign_hs256(
        SECRET,
        &json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
        &claims,
    );
    app.client
        .post(app.url("/webhooks/fusionauth"))
        .header("content-type", "application/json")
        .header("x-fusionauth-signature-jwt", signature)
        .body(body)
        .sent()
        .await
        .status()
}

fn kid_of(session: &Session) -> String {
    decode_part(&session.jwt, 0)["kid"]
        .as_str()
        .expect("kid")
        .to_owned()
}

async fn assert_accepted(app: &TestApp, session: &Session, name: &str) {
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK,
        "{name}"
    );
}

#[tokio::test]
async fn webhook_signatures_without_a_recent_iat_are_refused_and_change_nothing() {
    let app = spawn_hmac_app(Some(SECRET)).await;
    let session = app.login().await;
    let kid = kid_of(&session);
    let now_millis = a_later_second_millis(&app).await;
    let now = now_millis / 1000;
    let cases = [
        ("no iat", json!({"exp": now + 300})),
        (
            "an iat ten minutes old",
            json!({"iat": now - 600, "exp": now + 300}),
        ),
        (
            "an iat ten minutes ahead",
            json!({"iat": now + 600, "exp": now + 900}),
        ),
        (
            "an expired signature",
            json!({"iat": now - 120, "exp": now - 60}),
        ),
    ];
    for (name, claims) in cases {
        let event = revoke_event(now_millis, json!({"userId": session.user_id}));
        assert_eq!(
            deliver_signed(&app, &event, &kid, claims).await,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
        assert_accepted(&app, &session, name).await;
    }
    // FusionAuth's own shape: a fresh `iat`, `exp` optional.
    let event = revoke_event(now_millis, json!({"userId": session.user_id}));
    assert_eq!(
        deliver_signed(&app, &event, &kid, json!({"iat": now})).await,
        StatusCode::OK
    );
    assert_session_expired(&app, &session.jwt, None).await;
}

#[tokio::test]
async fn a_delivery_whose_event_id_was_already_processed_is_dropped() {
    let app = spawn_hmac_app(Some(SECRET)).await;
    let first = app.login().await;
    let second = app
        .register_and_login("second@example.com", "second-pass-123")
        .await;
    let second = Session::from_login(second);
    let kid = kid_of(&first);
    let now = a_later_second_millis(&app).await;
    let event = revoke_event(now, json!({"userId": first.user_id}));
    let claims = json!({"iat": now / 1000});
    assert_eq!(
        deliver_signed(&app, &event, &kid, claims.clone()).await,
        StatusCode::OK
    );
    assert_session_expired(&app, &first.jwt, None).await;

    // The same event id again, whatever it says, is acknowledged and dropped.
    let mut repeated = revoke_event(now, json!({"userId": second.user_id}));
    repeated["event"]["id"] = event["event"]["id"].clone();
    assert_eq!(
        deliver_signed(&app, &repeated, &kid, claims).await,
        StatusCode::OK
    );
    assert_accepted(&app, &second, "the repeated event's user").await;
}

#[tokio::test]
async fn with_app_fusionauth_webhook_kid_only_that_keys_signatures_are_accepted() {
    let app = spawn_app_with_kickstart(
        |kickstart| {
            import_hmac_access_token_key(kickstart);
            let key = kickstart["requests"]
                .as_array_mut()
                .expect("requests")
                .iter_mut()
                .find(|request| request["url"] == "/api/key/import/#{accessTokenKeyId}")
                .expect("the HMAC import");
            key["body"]["key"]["kid"] = json!("store-access-token-key");
        },
        |settings| {
            settings.jwt_hmac_secret = Some(STANDARD.encode(SECRET).as_str().into());
            settings.fusionauth_webhook_kid = Some("store-webhook-key".to_owned());
        },
    )
    .await;
    let session = app.login().await;
    assert_eq!(kid_of(&session), "store-access-token-key");
    let now = a_later_second_millis(&app).await;
    let claims = json!({"iat": now / 1000});
    let event = revoke_event(now, json!({"userId": session.user_id}));
    assert_eq!(
        deliver_signed(&app, &event, "store-access-token-key", claims.clone()).await,
        StatusCode::UNAUTHORIZED
    );
    assert_accepted(&app, &session, "a signature by another key").await;

    let event = revoke_event(now, json!({"userId": session.user_id}));
    assert_eq!(
        deliver_signed(&app, &event, "store-webhook-key", claims).await,
        StatusCode::OK
    );
    assert_eq!(
        crate::helpers::error_code(
            app.get_cart(&session.jwt, None).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::SessionExpired
    );
}
