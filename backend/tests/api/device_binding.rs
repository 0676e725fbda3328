//! Device-bound sessions (issue #11, `APP_DEVICE_BINDING=required`): the hand-off, every proof
//! rejection, nonces, the modes' refusals, logout and revocation, against the real emulator.
//! Proofs are signed by `testkit::DeviceKey` as the PWA signs them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::headers::{DPOP, DPOP_NONCE};
use shared::store::ErrorCode;
use testkit::DeviceKey;
use testkit::dpop::{ProofClaims, unix_seconds};

use crate::device_client::{Answer, Device, await_answer, send_raw, spawn_bound_app};
use crate::helpers::{APPLICATION_ID, DEMO_USER_ID, Sent, Session, header};

/// Changes good proof members into bad ones.
type Forgery = Box<dyn FnOnce(&mut ProofClaims)>;

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_handed_off_session_reads_the_cart_with_proofs_and_fresh_nonces() {
    let app = spawn_bound_app().await;
    let (mut device, session) = Device::sign_in(&app).await;
    assert_ne!(device.jwt, session.jwt, "the hand-off answers a new JWT");
    let first = device.call(&app, Method::GET, "/api/cart").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.new_access_token, None);
    let first_nonce = first.nonce.expect("a DPoP-Nonce on a 200");
    let second = device.call(&app, Method::GET, "/api/cart").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.nonce.is_some());
    // The login JWT was issued to the session too (until it expires).
    device.jwt = session.jwt.clone();
    assert_eq!(
        device.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );
    assert!(!first_nonce.is_empty());
}

#[tokio::test]
async fn every_bad_proof_is_refused_with_invalid_dpop_proof() {
    let app = spawn_bound_app().await;
    let (device, _) = Device::sign_in(&app).await;
    let other = DeviceKey::new();
    let none_proof = |p: &mut ProofClaims| p.header["alg"] = json!("none");
    let cases: Vec<(&str, Forgery, &DeviceKey)> = vec![
        ("a signature by another key", Box::new(|_| {}), &other),
        ("alg none", Box::new(none_proof), &device.key),
        (
            "alg HS256",
            Box::new(|p| p.header["alg"] = json!("HS256")),
            &device.key,
        ),
        (
            "typ JWT",
            Box::new(|p| p.header["typ"] = json!("JWT")),
            &device.key,
        ),
        (
            "htm POST for a GET",
            Box::new(|p| p.claims["htm"] = json!("POST")),
            &device.key,
        ),
        (
            "htu of another path",
            Box::new(|p| {
                let htu = p.claims["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("cart", "products");
                p.claims["htu"] = json!(htu);
            }),
            &device.key,
        ),
        (
            "htu of another origin",
            Box::new(|p| p.claims["htu"] = json!("https://evil.example/api/cart")),
            &device.key,
        ),
        (
            "ath of another token",
            Box::new(|p| p.claims["ath"] = json!(b64("x"))),
            &device.key,
        ),
        (
            "no ath",
            Box::new(|p| drop(p.claims.as_object_mut().map(|c| c.remove("ath")))),
            &device.key,
        ),
        (
            "a private key in jwk",
            Box::new(|p| p.header["jwk"]["d"] = json!(b64("secret-scalar-0123456789abcdef0"))),
            &device.key,
        ),
    ];
    for (case, edit, signer) in cases {
        let answer = device.forged_cart_call(&app, signer, edit).await;
        answer.assert_refused("invalid_dpop_proof", ErrorCode::InvalidDpopProof, case);
    }
    // Not a JWS at all, and a missing header.
    let garbage = send_raw(
        &app,
        &device.base,
        Method::GET,
        "/api/cart",
        &device.jwt,
        "x.y",
        None,
    )
    .await;
    garbage.assert_refused("invalid_dpop_proof", ErrorCode::InvalidDpopProof, "garbage");
    let missing = app
        .client
        .get(app.url("/api/cart"))
        .header("Authorization", format!("DPoP {}", device.jwt))
        .sent()
        .await;
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let app = spawn_bound_app().await;
    let (device, _) = Device::sign_in(&app).await;
    let url = app.url("/api/cart");
    let proof = device.key.proof("GET", &url, &device.jwt, None);
    let send = || {
        let base = &device.base;
        send_raw(
            &app,
            base,
            Method::GET,
            "/api/cart",
            &device.jwt,
            &proof,
            None,
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::OK);
    let again = send().await;
    again.assert_refused(
        "invalid_dpop_proof",
        ErrorCode::InvalidDpopProof,
        "replayed jti",
    );
}

#[tokio::test]
async fn a_stale_or_future_iat_without_nonce_gets_a_nonce_challenge_and_the_retry_works() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    for offset in [-600_i64, -61, 61, 600] {
        device.nonce = None;
        let answer = device
            .forged_cart_call(&app, &device.key, |p| {
                p.claims["iat"] = json!(unix_seconds() + offset);
            })
            .await;
        answer.assert_refused(
            "use_dpop_nonce",
            ErrorCode::UseDpopNonce,
            &format!("iat {offset:+} s"),
        );
        // The retry: same clock error, with the nonce.
        device.nonce = answer.nonce.clone();
        let retry = device
            .forged_cart_call(&app, &device.key, |p| {
                p.claims["iat"] = json!(unix_seconds() + offset);
            })
            .await;
        assert_eq!(
            retry.status,
            StatusCode::OK,
            "iat {offset:+} s with a nonce"
        );
    }
    // A nonce that is not the backend's is challenged the same way.
    device.nonce = Some(b64("not a nonce of ours, 24 b"));
    let answer = device.forged_cart_call(&app, &device.key, |_| {}).await;
    answer.assert_refused("use_dpop_nonce", ErrorCode::UseDpopNonce, "foreign nonce");
}

#[tokio::test]
async fn a_device_whose_clock_is_ten_minutes_off_signs_in_through_the_nonce() {
    let app = spawn_bound_app().await;
    let session = app.login().await;
    let key = DeviceKey::new();
    let url = app.url("/api/session");
    let skewed = |nonce: Option<&str>| {
        let mut proof = key.claims("POST", &url, &session.jwt, nonce);
        proof.claims["iat"] = json!(unix_seconds() - 600);
        key.sign(&proof)
    };
    let body = Some(json!({"refreshToken": session.refresh_token}));
    let first = send_raw(
        &app,
        &app.address,
        Method::POST,
        "/api/session",
        &session.jwt,
        &skewed(None),
        body.clone(),
    )
    .await;
    first.assert_refused(
        "use_dpop_nonce",
        ErrorCode::UseDpopNonce,
        "hand-off without nonce",
    );
    let nonce = first.nonce.expect("a nonce");
    let second = send_raw(
        &app,
        &app.address,
        Method::POST,
        "/api/session",
        &session.jwt,
        &skewed(Some(&nonce)),
        body,
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
}

#[tokio::test]
async fn bearer_tokens_and_refresh_token_headers_are_refused_in_required_mode() {
    let app = spawn_bound_app().await;
    let (device, session) = Device::sign_in(&app).await;
    let bearer = Answer::read(app.get_cart(&device.jwt, None).await).await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bearer.challenge.as_deref(),
        Some(r#"DPoP algs="ES256", error="invalid_token""#)
    );
    assert_eq!(bearer.code(), ErrorCode::Unauthorized);
    let with_refresh = Answer::read(app.get_cart_as(&session).await).await;
    assert_eq!(with_refresh.status, StatusCode::UNAUTHORIZED);
    // Even beside a good proof.
    let url = app.url("/api/cart");
    let response = app
        .client
        .get(&url)
        .header("Authorization", format!("DPoP {}", device.jwt))
        .header(DPOP, device.key.proof("GET", &url, &device.jwt, None))
        .header(shared::headers::REFRESH_TOKEN, &session.refresh_token)
        .sent()
        .await;
    Answer::read(response).await.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "X-Refresh-Token",
    );
}

#[tokio::test]
async fn a_key_that_is_not_the_sessions_is_refused() {
    let app = spawn_bound_app().await;
    let (victim, _) = Device::sign_in(&app).await;
    // A thief with the victim's JWT and a key of their own.
    let thief = Device::new(&victim.base, &victim.jwt);
    let own_key = thief.forged_cart_call(&app, &thief.key, |_| {}).await;
    own_key.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "the thief's own key",
    );

    // Another user's bound key with the victim's JWT.
    let other = app
        .register_and_login("other@example.com", "other-pass-123")
        .await;
    let other_session = Session::from_login(other);
    let other_device = Device::hand_off(&app, &app.address, &other_session).await;
    let mut crossed = other_device.on(&victim.base);
    crossed.jwt = victim.jwt.clone();
    let answer = crossed.forged_cart_call(&app, &crossed.key, |_| {}).await;
    answer.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "another user's key",
    );
}

#[tokio::test]
async fn a_hand_off_with_someone_elses_refresh_token_is_refused_and_stores_nothing() {
    let app = spawn_bound_app().await;
    let victim = app
        .register_and_login("victim@example.com", "victim-pass-123")
        .await;
    let attacker = app.login().await;
    let mut device = Device::new(&app.address, &attacker.jwt);
    let refused = device
        .call_with_body(
            &app,
            Method::POST,
            "/api/session",
            Some(json!({"refreshToken": victim.refresh_token.expect("a refresh token")})),
        )
        .await;
    refused.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "someone else's token",
    );
    assert_eq!(refused.new_access_token, None);
    // Nothing was bound: the attacker's JWT and key are not a session…
    let cart = device.call(&app, Method::GET, "/api/cart").await;
    cart.assert_refused("invalid_token", ErrorCode::Unauthorized, "not bound");
    // …and the same key can still be bound with the attacker's own token.
    let own = device
        .call_with_body(
            &app,
            Method::POST,
            "/api/session",
            Some(json!({"refreshToken": attacker.refresh_token})),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
}

#[tokio::test]
async fn the_sign_in_refresh_token_is_worthless_after_the_hand_off_and_its_reuse_ends_the_session()
{
    let app = spawn_bound_app().await;
    let (mut device, session) = Device::sign_in(&app).await;
    // FusionAuth's one-time-use grace period (the Kickstart's: 10 s) passes.
    app.advance_time(std::time::Duration::from_secs(11)).await;
    let stolen = app
        .client
        .post(format!("{}/api/jwt/refresh", app.fusionauth_url))
        .json(&json!({"refreshToken": session.refresh_token}))
        .sent()
        .await;
    assert_eq!(
        stolen.status(),
        StatusCode::BAD_REQUEST,
        "the spent token yields nothing"
    );
    // Reuse revokes the token family; FusionAuth's webhook ends the session here.
    let ended = await_answer(&app, &mut device, |a| a.status == StatusCode::UNAUTHORIZED).await;
    assert_eq!(ended.code(), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn logout_revokes_at_fusionauth_and_ends_the_session() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    let before = app.refresh_tokens_of(DEMO_USER_ID).await;
    let live = |tokens: &Value| tokens.as_array().map_or(0, Vec::len);
    assert!(live(&before) >= 1);
    let answer = device.call(&app, Method::DELETE, "/api/session").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.nonce.is_some());
    let after = app.refresh_tokens_of(DEMO_USER_ID).await;
    assert_eq!(
        live(&after),
        live(&before) - 1,
        "FusionAuth revoked the session's token"
    );
    let cart = device.call(&app, Method::GET, "/api/cart").await;
    cart.assert_refused("invalid_token", ErrorCode::Unauthorized, "after logout");
    let again = device.call(&app, Method::DELETE, "/api/session").await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn fusionauths_revocation_webhook_ends_the_users_sessions() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    assert_eq!(
        device.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );
    app.admin(
        Method::DELETE,
        &format!("/api/jwt/refresh?userId={DEMO_USER_ID}&applicationId={APPLICATION_ID}"),
        Value::Null,
    )
    .await;
    let ended = await_answer(&app, &mut device, |a| a.status == StatusCode::UNAUTHORIZED).await;
    ended.assert_refused("invalid_token", ErrorCode::Unauthorized, "after revocation");
}

#[tokio::test]
async fn session_routes_do_not_exist_when_binding_is_off() {
    let app = crate::helpers::spawn_app().await;
    let session = app.login().await;
    let response = app
        .client
        .post(app.url("/api/session"))
        .header("Authorization", format!("DPoP {}", session.jwt))
        .json(&json!({"refreshToken": session.refresh_token}))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&response, DPOP_NONCE), None);
}
