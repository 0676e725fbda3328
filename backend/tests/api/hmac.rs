//! FusionAuth can sign access tokens with an HMAC key, which it never publishes: `HS256` is
//! accepted only when `APP_JWT_HMAC_SECRET` holds that key's secret, and then verified with it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::headers::NEW_ACCESS_TOKEN;
use shared::store::ErrorCode;

use crate::forgery::{decode_part, sign_hs256};
use crate::helpers::{PAST_JWT_LIFETIME, TestApp, error_code, header, spawn_app_with_kickstart};

/// The HMAC secret the Kickstart imports as the access-token key (32 bytes).
pub const SECRET: &[u8; 32] = b"store-hmac-test-secret-32-bytes!";

/// Replaces the Kickstart's access-token key request by an import of `SECRET` as `HS256`.
pub fn import_hmac_access_token_key(kickstart: &mut Value) {
    let requests = kickstart["requests"]
        .as_array_mut()
        .expect("the Kickstart has requests");
    let key_request = requests
        .iter_mut()
        .find(|request| request["url"] == "/api/key/generate/#{accessTokenKeyId}")
        .expect("the Kickstart generates the access-token key");
    *key_request = json!({
        "method": "POST",
        "url": "/api/key/import/#{accessTokenKeyId}",
        "body": {"key": {
            "algorithm": "HS256",
            "name": "Store access-token signing key (HMAC)",
            "secret": STANDARD.encode(SECRET)
        }}
    });
}

pub async fn spawn_hmac_app(secret: Option<&[u8]>) -> TestApp {
    spawn_app_with_kickstart(import_hmac_access_token_key, |settings| {
        settings.jwt_hmac_secret = secret.map(|secret| STANDARD.encode(secret).as_str().into());
    })
    .await
}

#[tokio::test]
async fn an_hs256_access_token_is_accepted_and_refreshed_when_its_secret_is_configured() {
    let app = spawn_hmac_app(Some(SECRET)).await;
    let session = app.login().await;
    assert_eq!(decode_part(&session.jwt, 0)["alg"], "HS256");

    let response = app.get_cart(&session.jwt, None).await;
    assert_eq!(response.status(), StatusCode::OK);

    // Expiry, refresh and the refreshed token follow the same path as for public keys.
    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart_as(&session).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed = header(&response, NEW_ACCESS_TOKEN).expect("a refreshed JWT");
    assert_eq!(decode_part(&refreshed, 0)["alg"], "HS256");
    assert_eq!(
        app.get_cart(&refreshed, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_hs256_access_token_is_refused_without_a_configured_secret_and_never_refreshed() {
    let app = spawn_hmac_app(None).await;
    let session = app.login().await;
    assert_eq!(decode_part(&session.jwt, 0)["alg"], "HS256");

    let response = app.get_cart_as(&session).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), None);
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);
}

#[tokio::test]
async fn an_hs256_token_signed_with_another_secret_is_refused_and_never_refreshed() {
    let app = spawn_hmac_app(Some(SECRET)).await;
    let session = app.login().await;
    let forged = sign_hs256(
        b"an-attacker-secret-of-32-bytes!!",
        &decode_part(&session.jwt, 0),
        &decode_part(&session.jwt, 1),
    );

    let response = app.get_cart(&forged, Some(&session.refresh_token)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), None);
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);
    // The genuine token still works.
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn id_tokens_and_other_jwts_for_the_store_signed_by_fusionauth_are_refused_and_never_refreshed()
 {
    let app = spawn_hmac_app(Some(SECRET)).await;
    let session = app.login().await;
    let header_of_session = decode_part(&session.jwt, 0);
    let claims = decode_part(&session.jwt, 1);
    // FusionAuth's key signs whatever it issues: re-signing the session's own claims is
    // accepted, so each refusal below is for the change alone.
    let resigned = sign_hs256(SECRET, &header_of_session, &claims);
    assert_eq!(app.get_cart(&resigned, None).await.status(), StatusCode::OK);

    let with = |edit: &dyn Fn(&mut Value)| {
        let mut changed = claims.clone();
        edit(&mut changed);
        changed
    };
    let id_token = with(&|c| {
        c.as_object_mut().expect("claims").remove("applicationId");
        c["at_hash"] = json!("x4Pr9YxqGuT1_hBXXzT1nQ");
        c["nonce"] = json!("n-0S6_WzA2Mj");
    });
    let id_token_keeping_application = with(&|c| c["at_hash"] = json!("x4Pr9YxqGuT1_hBXXzT1nQ"));
    let unregistered = with(&|c| {
        c.as_object_mut().expect("claims").remove("applicationId");
    });
    let other_application = with(&|c| {
        c["applicationId"] = json!("3c219e58-ed0e-4b18-ad48-f4f92793ae32");
    });
    let no_authentication_type = with(&|c| {
        c.as_object_mut()
            .expect("claims")
            .remove("authenticationType");
    });
    let mut logout_header = header_of_session.clone();
    logout_header["typ"] = json!("logout+jwt");
    let cases = [
        ("an ID token", &header_of_session, id_token),
        (
            "an ID token that names the application",
            &header_of_session,
            id_token_keeping_application,
        ),
        (
            "a token without applicationId",
            &header_of_session,
            unregistered,
        ),
        (
            "another application's applicationId",
            &header_of_session,
            other_application,
        ),
        (
            "a token without authenticationType",
            &header_of_session,
            no_authentication_type,
        ),
        ("a logout token's typ", &logout_header, claims.clone()),
    ];
    app.advance_time(PAST_JWT_LIFETIME).await;
    for (name, jose_header, claims) in cases {
        for fresh in [true, false] {
            let mut claims = claims.clone();
            if fresh {
                let now = claims["exp"].as_i64().expect("exp") + 1_000;
                claims["exp"] = json!(now);
            }
            let token = sign_hs256(SECRET, jose_header, &claims);
            let response = app.get_cart(&token, Some(&session.refresh_token)).await;
            assert_eq!(header(&response, NEW_ACCESS_TOKEN), None, "{name}");
            assert_eq!(
                error_code(response, StatusCode::UNAUTHORIZED).await,
                ErrorCode::Unauthorized,
                "{name} (fresh: {fresh})"
            );
        }
    }
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);
}
