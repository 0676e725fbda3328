//! Steps 15–18 closed: a JWT that is garbage, forged, or of another issuer or audience is
//! refused with 401 — and the stolen refresh token sent beside it is never used.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use aws_lc_rs::{hmac, signature};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::headers::NEW_ACCESS_TOKEN;
use shared::store::ErrorCode;

use crate::helpers::{
    APPLICATION_ID, DEMO_USER_ID, PAST_JWT_LIFETIME, Sent, Session, TENANT_ID, TestApp,
    assert_unavailable_for_now, error_code, header, spawn_app, spawn_app_with,
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

/// A fresh P-256 key of the attacker's own.
pub fn attacker_p256_key() -> EcdsaKeyPair {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .expect("P-256 key");
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).expect("parses")
}

/// An ES256 JWT (fixed-size `r || s` signature, as JWS requires).
pub fn sign_es256(key: &EcdsaKeyPair, header: &Value, claims: &Value) -> String {
    let message = format!("{}.{}", part(header), part(claims));
    let signature = key
        .sign(&SystemRandom::new(), message.as_bytes())
        .expect("signs");
    format!("{message}.{}", b64(signature.as_ref()))
}

pub fn sign_hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
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
        .sent()
        .await
        .json()
        .await
        .expect("public key body");
    body["publicKey"].as_str().expect("a PEM").to_owned()
}

/// A fixed-size ES256 signature (base64url `r || s`) re-encoded as an ASN.1 DER
/// `SEQUENCE { INTEGER r, INTEGER s }`: the same signature in the form JWS forbids.
fn der_signature(fixed_b64: &str) -> Vec<u8> {
    let fixed = URL_SAFE_NO_PAD.decode(fixed_b64).expect("base64url");
    assert_eq!(fixed.len(), 64, "an ES256 signature is r || s");
    let integer = |bytes: &[u8]| {
        let trimmed = match bytes.iter().position(|&b| b != 0) {
            Some(start) => &bytes[start..],
            None => &[0u8][..],
        };
        let mut value = Vec::with_capacity(trimmed.len() + 1);
        if trimmed[0] & 0x80 != 0 {
            value.push(0);
        }
        value.extend_from_slice(trimmed);
        let mut encoded = vec![0x02, u8::try_from(value.len()).expect("short")];
        encoded.extend(value);
        encoded
    };
    let body = [integer(&fixed[..32]), integer(&fixed[32..])].concat();
    let mut der = vec![0x30, u8::try_from(body.len()).expect("short")];
    der.extend(body);
    der
}

/// The JWK FusionAuth publishes for `kid`.
async fn published_jwk(app: &TestApp, kid: &str) -> Value {
    let body = app.fusionauth_json("/.well-known/jwks.json").await;
    body["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|jwk| jwk["kid"] == kid)
        .expect("the JWT's key is published")
        .clone()
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

/// A genuine session's JWT that this backend must not trust (`why`) is refused, fresh and once
/// expired, and its refresh token is never used.
async fn assert_refused_fresh_and_expired(app: &TestApp, why: &str, session: &Session) {
    let (jwt, refresh_token) = (&session.jwt, &session.refresh_token);
    assert_refused_without_refresh(app, &format!("fresh, {why}"), jwt, refresh_token).await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    assert_refused_without_refresh(app, &format!("expired, {why}"), jwt, refresh_token).await;
}

#[tokio::test]
async fn step_15_18_forged_tokens_are_refused_and_never_refreshed() {
    forged_tokens_are_refused_and_never_refreshed(spawn_app().await).await;
}

/// With an HMAC secret configured, HS256 tokens are verified with that secret: one signed with
/// any public form of the ES256 key still fails.
#[tokio::test]
async fn step_15_18_forged_tokens_are_refused_even_with_an_hmac_secret_configured() {
    let app = spawn_app_with(|settings| {
        settings.jwt_hmac_secret =
            Some(STANDARD.encode(b"an unrelated HMAC secret").as_str().into());
    })
    .await;
    forged_tokens_are_refused_and_never_refreshed(app).await;
}

async fn forged_tokens_are_refused_and_never_refreshed(app: TestApp) {
    let victim = app.login().await;
    let real_header = decode_part(&victim.jwt, 0);
    let real_claims = decode_part(&victim.jwt, 1);
    let real_kid = real_header["kid"].as_str().expect("a kid").to_owned();
    let (real_signed, real_signature) = victim.jwt.rsplit_once('.').expect("a signature");
    app.advance_time(PAST_JWT_LIFETIME).await; // the victim's JWT now needs a refresh

    // The Kickstart's access-token key is ES256 (P-256); the attacker knows all of its public
    // forms and tries each as an HMAC secret.
    assert_eq!(real_header["alg"], "ES256");
    let pem = public_key_pem(&app, &real_kid).await;
    let jwk = published_jwk(&app, &real_kid).await;
    assert_eq!((&jwk["kty"], &jwk["crv"]), (&json!("EC"), &json!("P-256")));
    let coordinate = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("a coordinate"))
            .expect("base64url")
    };
    let point = [vec![4u8], coordinate("x"), coordinate("y")].concat();
    let attacker_rsa = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    let attacker_ec = attacker_p256_key();
    let hs256_header = json!({"alg": "HS256", "typ": "JWT", "kid": real_kid});
    let es256_header = |kid: Option<&str>| match kid {
        Some(kid) => json!({"alg": "ES256", "typ": "JWT", "kid": kid}),
        None => json!({"alg": "ES256", "typ": "JWT"}),
    };
    let mut other_user = real_claims.clone();
    other_user["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let mut longer_life = real_claims.clone();
    longer_life["exp"] = json!(real_claims["exp"].as_i64().expect("exp") + 86_400);
    // The genuine signature, re-encoded as DER: still a valid ECDSA signature by the real key
    // over the real token, in the form JWS forbids.
    let der = der_signature(real_signature);
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &point)
        .verify(real_signed.as_bytes(), &der)
        .expect("the DER form verifies as plain ECDSA");

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
            "HS256 signed with the published PEM",
            sign_hs256(pem.as_bytes(), &hs256_header, &real_claims),
        ),
        (
            "HS256 signed with the published EC point (04 || x || y)",
            sign_hs256(&point, &hs256_header, &real_claims),
        ),
        (
            "HS256 signed with the published JWK",
            sign_hs256(jwk.to_string().as_bytes(), &hs256_header, &real_claims),
        ),
        (
            "ES256 signature from the attacker's own P-256 key with the real kid",
            sign_es256(&attacker_ec, &real_header, &real_claims),
        ),
        (
            "ES256 with an all-zero signature (r = s = 0)",
            format!("{real_signed}.{}", b64(&[0u8; 64])),
        ),
        (
            "the real signature, DER-encoded",
            format!("{real_signed}.{}", b64(&der)),
        ),
        (
            "RS256 signature from the attacker's RSA key with the real kid",
            sign_rs256(
                &attacker_rsa,
                &json!({"alg": "RS256", "typ": "JWT", "kid": real_kid}),
                &real_claims,
            ),
        ),
        (
            "no kid",
            sign_es256(&attacker_ec, &es256_header(None), &real_claims),
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
        ("no signature", format!("{real_signed}.")),
        ("not base64", "!!!.???.***".to_owned()),
        ("garbage", "garbage".to_owned()),
    ];
    for (name, jwt) in cases {
        assert_refused_without_refresh(&app, name, &jwt, &victim.refresh_token).await;
    }
    // A kid FusionAuth may have published since the backend's fetch moments ago: "retry later"
    // until a refetch is allowed (then 401 if it is still unknown), and never refreshed.
    let unknown_kid = sign_es256(
        &attacker_ec,
        &es256_header(Some("attacker-key")),
        &real_claims,
    );
    let response = app
        .get_cart(&unknown_kid, Some(&victim.refresh_token))
        .await;
    assert_unavailable_for_now(response).await;

    // The stolen refresh token was never spent: the victim's own refresh still works.
    app.assert_the_refresh_works(&victim).await;
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
        "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
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

    assert_refused_fresh_and_expired(&app, "wrong aud", &session).await;
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

    assert_refused_fresh_and_expired(&app, "wrong iss", &session).await;
}
