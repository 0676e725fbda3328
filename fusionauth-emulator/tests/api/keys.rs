//! Keys — <https://fusionauth.io/docs/apis/keys>: ES256 (the Kickstart's access-token key), RS256
//! and HS256.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::helpers::{Sent, TestEmulator, decode_part, spawn_emulator, variable};

async fn generate(emulator: &TestEmulator, algorithm: &str) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    let response = emulator
        .admin(reqwest::Method::POST, &format!("/api/key/generate/{id}"))
        .json(&json!({"key": {"algorithm": algorithm, "name": format!("{algorithm} key")}}))
        .expect_status(200)
        .await;
    response.json::<Value>().await.expect("JSON")["key"].clone()
}

/// Makes `key` the default tenant's access-token key and logs the demo user in; the login's
/// JWT names the key and `algorithm`.
async fn login_signed_with(emulator: &TestEmulator, key: &Value, algorithm: &str) -> Value {
    emulator
        .patch_default_tenant(json!({"jwtConfiguration": {"accessTokenKeyId": key["id"]}}))
        .await;
    let login = emulator.login().await;
    let header = decode_part(login["token"].as_str().expect("token"), 0);
    assert_eq!(header["alg"], algorithm);
    assert_eq!(header["kid"], key["kid"]);
    login
}

/// Asserts that `jwt` is signed with HMAC-SHA256 under `secret`.
fn assert_hs256_signed(jwt: &str, secret: &[u8]) {
    let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
    aws_lc_rs::hmac::verify(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret),
        signed.as_bytes(),
        &URL_SAFE_NO_PAD.decode(signature).expect("signature"),
    )
    .expect("HMAC-SHA256 with the key's secret");
}

/// The JWT a refresh with the login's refresh token returns.
async fn refreshed_jwt(emulator: &TestEmulator, login: &Value) -> String {
    let refreshed: Value = emulator
        .refresh_login(login)
        .await
        .json()
        .await
        .expect("JSON");
    refreshed["token"].as_str().expect("token").to_owned()
}

async fn jwks(emulator: &TestEmulator) -> Vec<Value> {
    emulator
        .client
        .get(emulator.url("/.well-known/jwks.json"))
        .sent()
        .await
        .json::<Value>()
        .await
        .expect("JSON")["keys"]
        .as_array()
        .expect("keys")
        .clone()
}

async fn validate(emulator: &TestEmulator, jwt: &str) -> reqwest::StatusCode {
    emulator
        .client
        .get(emulator.url("/api/jwt/validate"))
        .bearer_auth(jwt)
        .sent()
        .await
        .status()
}

#[tokio::test]
async fn the_kickstart_signs_access_tokens_with_an_es256_p256_key() {
    let emulator = spawn_emulator().await;
    let key_id = variable("accessTokenKeyId");
    let response = emulator
        .admin(reqwest::Method::GET, &format!("/api/key/{key_id}"))
        .expect_status(200)
        .await;
    let key = response.json::<Value>().await.expect("JSON")["key"].clone();
    assert_eq!(key["algorithm"], "ES256");
    assert_eq!(key["type"], "EC");
    assert_eq!(key["length"], 256);

    let jwt = emulator.login().await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let header = decode_part(&jwt, 0);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], key["kid"]);
    // A fixed-size signature: r || s, 32 bytes each (an RS256-2048 one is 256 bytes).
    let signature = jwt.rsplit('.').next().expect("signature");
    assert_eq!(
        URL_SAFE_NO_PAD.decode(signature).expect("base64url").len(),
        64
    );
    assert_eq!(
        emulator.verified_claims(&jwt).await["sub"],
        emulator.user_id
    );
}

#[tokio::test]
async fn an_rs256_key_signs_tokens_verifiable_with_its_rsa_jwk() {
    let emulator = spawn_emulator().await;
    let key = generate(&emulator, "RS256").await;
    assert_eq!(key["type"], "RSA");
    assert_eq!(key["length"], 2048);
    let login = login_signed_with(&emulator, &key, "RS256").await;
    let jwt = login["token"].as_str().expect("token");
    assert_eq!(emulator.verified_claims(jwt).await["sub"], emulator.user_id);
    assert_eq!(validate(&emulator, jwt).await, 200);
    let refreshed = refreshed_jwt(&emulator, &login).await;
    assert_eq!(decode_part(&refreshed, 0)["alg"], "RS256");
    emulator.verified_claims(&refreshed).await;
}

#[tokio::test]
async fn an_es256_key_signs_tokens_verifiable_with_its_p256_jwk() {
    let emulator = spawn_emulator().await;
    let key = generate(&emulator, "ES256").await;
    assert_eq!(key["type"], "EC");
    let login = login_signed_with(&emulator, &key, "ES256").await;
    let jwt = login["token"].as_str().expect("token");
    let jwk = jwks(&emulator)
        .await
        .into_iter()
        .find(|k| k["kid"] == key["kid"])
        .expect("the EC key is published");
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    let coordinate = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("coordinate"))
            .expect("base64url")
    };
    let mut point = vec![4u8];
    point.extend(coordinate("x"));
    point.extend(coordinate("y"));
    let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(
            signed.as_bytes(),
            &URL_SAFE_NO_PAD.decode(signature).expect("signature"),
        )
        .expect("the ES256 signature verifies with the JWK");
    assert_eq!(validate(&emulator, jwt).await, 200);
    let refreshed = refreshed_jwt(&emulator, &login).await;
    assert_eq!(decode_part(&refreshed, 0)["alg"], "ES256");
}

#[tokio::test]
async fn an_hs256_key_is_never_published_but_its_tokens_still_validate() {
    let emulator = spawn_emulator().await;
    let key = generate(&emulator, "HS256").await;
    assert_eq!(key["type"], "HMAC");
    let secret = STANDARD
        .decode(
            key["secret"]
                .as_str()
                .expect("the Key API returns the secret"),
        )
        .expect("base64");
    let login = login_signed_with(&emulator, &key, "HS256").await;
    let jwt = login["token"].as_str().expect("token");
    assert_hs256_signed(jwt, &secret);
    assert!(jwks(&emulator).await.iter().all(|k| k["kid"] != key["kid"]));
    emulator
        .client
        .get(emulator.url(&format!(
            "/api/jwt/public-key?kid={}",
            key["kid"].as_str().expect("kid")
        )))
        .expect_status(404)
        .await;
    assert_eq!(validate(&emulator, jwt).await, 200);
    let mut forged = jwt.to_owned();
    forged.push('A');
    assert_eq!(validate(&emulator, &forged).await, 401);
}

#[tokio::test]
async fn an_unsupported_algorithm_or_length_is_refused() {
    let emulator = spawn_emulator().await;
    for key in [
        json!({"algorithm": "PS512", "name": "x"}),
        json!({"algorithm": "ES256", "name": "x", "length": 384}),
    ] {
        emulator
            .admin(
                reqwest::Method::POST,
                &format!("/api/key/generate/{}", uuid::Uuid::new_v4()),
            )
            .json(&json!({ "key": key }))
            .expect_status(400)
            .await;
    }
}

#[tokio::test]
async fn an_imported_hs256_secret_signs_the_access_tokens_it_is_assigned_to() {
    let emulator = spawn_emulator().await;
    let secret = [7u8; 32];
    let id = uuid::Uuid::new_v4().to_string();
    let response = emulator
        .admin(reqwest::Method::POST, &format!("/api/key/import/{id}"))
        .json(&json!({"key": {
            "algorithm": "HS256",
            "name": "Imported HMAC key",
            "secret": STANDARD.encode(secret)
        }}))
        .expect_status(200)
        .await;
    let key = response.json::<Value>().await.expect("JSON")["key"].clone();
    assert_eq!(key["id"], id);
    assert_eq!(key["type"], "HMAC");
    assert_eq!(key["length"], 256);
    assert_eq!(key["secret"], STANDARD.encode(secret));
    let login = login_signed_with(&emulator, &key, "HS256").await;
    let jwt = login["token"].as_str().expect("token");
    assert_hs256_signed(jwt, &secret);
    assert!(jwks(&emulator).await.iter().all(|k| k["kid"] != key["kid"]));
    assert_eq!(validate(&emulator, jwt).await, 200);
}

#[tokio::test]
async fn key_import_refuses_rsa_ec_and_bad_secrets_and_takes_a_new_id_without_one() {
    let emulator = spawn_emulator().await;
    for (key, code) in [
        (
            json!({"algorithm": "RS256", "name": "x", "publicKey": "-----BEGIN PUBLIC KEY-----"}),
            "[invalid]key.algorithm",
        ),
        (
            json!({"algorithm": "ES256", "name": "x"}),
            "[invalid]key.algorithm",
        ),
        (
            json!({"algorithm": "HS256", "name": "x"}),
            "[blank]key.secret",
        ),
        (
            json!({"algorithm": "HS256", "name": "x", "secret": "not base64!"}),
            "[invalid]key.secret",
        ),
        (
            json!({"algorithm": "HS256", "name": "x", "secret": STANDARD.encode([1u8; 16])}),
            "[invalid]key.secret",
        ),
        (
            json!({"algorithm": "HS256", "secret": STANDARD.encode([1u8; 32])}),
            "[blank]key.name",
        ),
    ] {
        let response = emulator
            .admin(reqwest::Method::POST, "/api/key/import")
            .json(&json!({ "key": key }))
            .sent()
            .await;
        assert_eq!(response.status(), 400, "{key}");
        let body = response.json::<Value>().await.expect("JSON");
        assert!(body.to_string().contains(code), "{key}: {body}");
    }
    let response = emulator
        .admin(reqwest::Method::POST, "/api/key/import")
        .json(&json!({"key": {"algorithm": "HS256", "name": "x", "secret": STANDARD.encode([1u8; 32])}}))
        .sent().await;
    assert_eq!(response.status(), 200);
    let key = response.json::<Value>().await.expect("JSON")["key"].clone();
    assert!(uuid::Uuid::parse_str(key["id"].as_str().expect("id")).is_ok());
}
