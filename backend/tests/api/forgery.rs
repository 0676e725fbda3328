//! Steps 15–18 closed: a JWT that is garbage, forged, or of another issuer or audience is
//! refused with 401 — and the stolen refresh token sent beside it is never used.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::{hmac, signature};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::headers::NEW_ACCESS_TOKEN;
use shared::store::ErrorCode;

use crate::helpers::{
    APPLICATION_ID, DEMO_USER_ID, PAST_JWT_LIFETIME, TENANT_ID, TestApp, error_code, header,
    spawn_app,
};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn part(value: &Value) -> String {
    b64(value.to_string().as_bytes())
}

pub fn decode_part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).expect("a JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

pub fn sign_rs256(key: &KeyPair, header: &Value, claims: &Value) -> String {
    let message = format!("{}.{}", part(header), part(claims));
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        message.as_bytes(),
        &mut signature,
    )
    .expect("signs");
    format!("{message}.{}", b64(&signature))
}

fn sign_hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let message = format!("{}.{}", part(header), part(claims));
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, secret),
        message.as_bytes(),
    );
    format!("{message}.{}", b64(tag.as_ref()))
}

async fn public_key_pem(app: &TestApp, kid: &str) -> String {
    let body: Value = app
        .client
        // A kid is base64url: safe in a query string as it is.
        .get(format!(
            "{}/api/jwt/public-key?kid={kid}",
            app.fusionauth_url
        ))
        .send()
        .await
        .expect("public key request")
        .json()
        .await
        .expect("public key body");
    body["publicKey"].as_str().expect("a PEM").to_owned()
}

/// Sends `jwt` with the victim's (stolen) refresh token and expects a plain 401, no refresh.
async fn assert_refused_without_refresh(app: &TestApp, name: &str, jwt: &str, refresh_token: &str) {
    let response = app.get_cart(jwt, Some(refresh_token)).await;
    assert_eq!(
        header(&response, NEW_ACCESS_TOKEN),
        None,
        "{name} was refreshed"
    );
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED).await,
        ErrorCode::Unauthorized,
        "{name}"
    );
}

#[tokio::test]
async fn step_15_18_forged_tokens_are_refused_and_never_refreshed() {
    let app = spawn_app().await;
    let victim = app.login().await;
    let real_header = decode_part(&victim.jwt, 0);
    let real_claims = decode_part(&victim.jwt, 1);
    let real_kid = real_header["kid"].as_str().expect("a kid").to_owned();
    let real_signature = victim.jwt.rsplit('.').next().expect("signature").to_owned();
    app.advance_time(PAST_JWT_LIFETIME).await; // the victim's JWT now needs a refresh

    let attacker_key = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let pem = public_key_pem(&app, &real_kid).await;
    let mut other_user = real_claims.clone();
    other_user["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let mut longer_life = real_claims.clone();
    longer_life["exp"] = json!(real_claims["exp"].as_i64().expect("exp") + 86_400);

    let cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                part(&json!({"alg": "none", "typ": "JWT", "kid": real_kid})),
                part(&real_claims)
            ),
        ),
        (
            "HS256 signed with the public key",
            sign_hs256(
                pem.as_bytes(),
                &json!({"alg": "HS256", "typ": "JWT", "kid": real_kid}),
                &real_claims,
            ),
        ),
        (
            "unknown kid",
            sign_rs256(
                &attacker_key,
                &json!({"alg": "RS256", "typ": "JWT", "kid": "attacker-key"}),
                &real_claims,
            ),
        ),
        (
            "the real kid, another key",
            sign_rs256(&attacker_key, &real_header, &real_claims),
        ),
        (
            "no kid",
            sign_rs256(
                &attacker_key,
                &json!({"alg": "RS256", "typ": "JWT"}),
                &real_claims,
            ),
        ),
        (
            "tampered subject",
            format!(
                "{}.{}.{real_signature}",
                part(&real_header),
                part(&other_user)
            ),
        ),
        (
            "tampered expiry",
            format!(
                "{}.{}.{real_signature}",
                part(&real_header),
                part(&longer_life)
            ),
        ),
        (
            "two segments",
            format!("{}.{}", part(&real_header), part(&real_claims)),
        ),
        ("four segments", format!("{}.x", victim.jwt)),
        ("not base64", "!!!.???.***".to_owned()),
        ("garbage", "garbage".to_owned()),
    ];
    for (name, jwt) in cases {
        assert_refused_without_refresh(&app, name, &jwt, &victim.refresh_token).await;
    }

    // The stolen refresh token was never spent: the victim's own refresh still works.
    let response = app.get_cart(&victim.jwt, Some(&victim.refresh_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, NEW_ACCESS_TOKEN).is_some());
}

#[tokio::test]
async fn step_16_garbage_jwt_with_stolen_refresh_token_is_refused_without_refresh() {
    let app = spawn_app().await;
    let victim = app.login().await;
    // With FusionAuth unreachable, any refresh attempt would show as 503 instead of 401.
    app.stop_fusionauth();
    assert_refused_without_refresh(
        &app,
        "garbage JWT",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        &victim.refresh_token,
    )
    .await;
    assert_refused_without_refresh(&app, "no JWT at all", "", &victim.refresh_token).await;
}

#[tokio::test]
async fn a_genuine_jwt_for_another_application_is_refused_and_never_refreshed() {
    let app = spawn_app().await;
    let other_app = "6e1e4a5e-2f0b-4b8f-9d0e-0a7c1d9e0b11";
    app.admin(
        Method::POST,
        &format!("/api/application/{other_app}"),
        json!({"application": {"name": "Another app", "loginConfiguration": {
            "requireAuthentication": false, "generateRefreshTokens": true, "allowTokenRefresh": true}}}),
    )
    .await;
    app.admin(
        Method::POST,
        &format!("/api/user/registration/{DEMO_USER_ID}"),
        json!({"registration": {"applicationId": other_app}}),
    )
    .await;
    let session = app.login_to(other_app).await;
    assert_eq!(decode_part(&session.jwt, 1)["aud"], json!(other_app));
    assert_ne!(other_app, APPLICATION_ID);

    assert_refused_without_refresh(
        &app,
        "fresh, wrong aud",
        &session.jwt,
        &session.refresh_token,
    )
    .await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    assert_refused_without_refresh(
        &app,
        "expired, wrong aud",
        &session.jwt,
        &session.refresh_token,
    )
    .await;
}

#[tokio::test]
async fn a_genuine_jwt_of_another_issuer_is_refused_and_never_refreshed() {
    let app = spawn_app().await;
    app.admin(
        Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"issuer": "https://evil.example"}}),
    )
    .await;
    let session = app.login().await;
    assert_eq!(
        decode_part(&session.jwt, 1)["iss"],
        json!("https://evil.example")
    );

    assert_refused_without_refresh(
        &app,
        "fresh, wrong iss",
        &session.jwt,
        &session.refresh_token,
    )
    .await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    assert_refused_without_refresh(
        &app,
        "expired, wrong iss",
        &session.jwt,
        &session.refresh_token,
    )
    .await;
}
