//! Validate, public keys, JWKS, OpenID configuration, logout and revocation.

use serde_json::{Value, json};

use crate::helpers::{Sent, set_cookies, spawn_emulator, variable};

#[tokio::test]
async fn validate_returns_the_claims_of_a_good_jwt_and_401_without_a_body_otherwise() {
    let emulator = spawn_emulator().await;
    let login = emulator.login().await;
    let token = login["token"].as_str().expect("token");
    let response = emulator
        .client
        .get(emulator.url("/api/jwt/validate"))
        .bearer_auth(token)
        .expect_status(200)
        .await;
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["jwt"]["sub"], emulator.user_id);
    assert!(body["jwt"]["exp"].is_i64());

    let tampered = format!("{}x", &token[..token.len() - 1]);
    for auth in [
        Some(format!("Bearer {tampered}")),
        Some("Bearer nope".to_owned()),
        None,
    ] {
        let mut request = emulator.client.get(emulator.url("/api/jwt/validate"));
        if let Some(auth) = &auth {
            request = request.header("Authorization", auth);
        }
        let response = request.expect_status(401).await;
        assert!(response.headers().get("content-type").is_none());
    }

    emulator.advance_clock(301).await;
    let expired = emulator
        .client
        .get(emulator.url("/api/jwt/validate"))
        .bearer_auth(token)
        .sent()
        .await;
    assert_eq!(expired.status(), 401, "expired after timeToLiveInSeconds");
}

#[tokio::test]
async fn the_public_key_api_serves_pem_keys_by_kid() {
    let emulator = spawn_emulator().await;
    let all: Value = emulator.get_json("/api/jwt/public-key").await;
    let keys = all["publicKeys"].as_object().expect("map");
    assert!(!keys.is_empty());
    let (kid, pem) = keys.iter().next().expect("one key");
    assert!(
        pem.as_str()
            .expect("pem")
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let one: Value = emulator
        .get_json(&format!("/api/jwt/public-key?kid={kid}"))
        .await;
    assert_eq!(&one["publicKey"], pem);
    emulator
        .client
        .get(emulator.url("/api/jwt/public-key?kid=unknown"))
        .expect_status(404)
        .await;
}

#[tokio::test]
async fn the_openid_configuration_names_the_issuer_and_the_jwks() {
    let emulator = spawn_emulator().await;
    let config: Value = emulator.get_json("/.well-known/openid-configuration").await;
    assert_eq!(config["issuer"], variable("issuer"));
    assert_eq!(config["jwks_uri"], emulator.url("/.well-known/jwks.json"));
}

#[tokio::test]
async fn the_openid_configuration_advertises_only_what_the_emulator_serves() {
    let emulator = spawn_emulator().await;
    let config: Value = emulator.get_json("/.well-known/openid-configuration").await;
    for (name, value) in config.as_object().expect("an object") {
        if name == "issuer" {
            continue;
        }
        if let Some(url) = value.as_str().filter(|v| v.starts_with("http")) {
            let status = emulator.client.get(url).sent().await.status();
            assert_ne!(status, 404, "{name} = {url} is served");
        }
    }
    assert!(
        config.get("authorization_endpoint").is_none() && config.get("token_endpoint").is_none()
    );
    assert!(config.get("grant_types_supported").is_none());
    assert_eq!(
        config["id_token_signing_alg_values_supported"],
        json!(["ES256"]),
        "the algorithm of the Kickstart's signing key"
    );
    assert_eq!(config["code_challenge_methods_supported"], json!(["S256"]));
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_clears_the_cookies() {
    let emulator = spawn_emulator().await;
    let value = emulator.login_refresh_token().await;
    let response = emulator
        .client
        .post(emulator.url(&format!("/api/logout?global=false&refreshToken={value}")))
        .header("Content-Type", "text/plain")
        .expect_status(200)
        .await;
    assert!(response.headers().get("content-type").is_none());
    assert!(
        set_cookies(&response)
            .iter()
            .all(|c| c.contains("Max-Age=0"))
    );
    assert_eq!(emulator.refresh(&value).await.status(), 400);

    let unknown = emulator
        .post_json("/api/logout", &json!({"refreshToken": "unknown"}))
        .await;
    assert_eq!(
        unknown.status(),
        200,
        "logout with an unknown token still succeeds"
    );
}

#[tokio::test]
async fn global_logout_revokes_every_session_of_the_user() {
    let emulator = spawn_emulator().await;
    let first = emulator.login().await;
    let second = emulator.login().await;
    let response = emulator
        .post_json(
            "/api/logout",
            &json!({"global": true, "refreshToken": first["refreshToken"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    for login in [first, second] {
        let value = login["refreshToken"].as_str().expect("value");
        assert_eq!(emulator.refresh(value).await.status(), 400);
    }
}

#[tokio::test]
async fn revoking_by_value_by_id_or_by_user_ends_those_sessions() {
    let emulator = spawn_emulator().await;
    // By value, form-encoded to keep it out of the URL, with the API key.
    let login = emulator.login().await;
    let value = login["refreshToken"].as_str().expect("value");
    let response = emulator
        .admin(reqwest::Method::DELETE, "/api/jwt/refresh")
        .form(&[("token", value)])
        .expect_status(200)
        .await;
    assert!(response.headers().get("content-type").is_none());
    assert_eq!(emulator.refresh(value).await.status(), 400);

    // By id, authenticated with the owner's JWT.
    let login = emulator.login().await;
    let id = login["refreshTokenId"].as_str().expect("id");
    emulator
        .client
        .delete(emulator.url(&format!("/api/jwt/refresh/{id}")))
        .bearer_auth(login["token"].as_str().expect("jwt"))
        .expect_status(200)
        .await;
    assert_eq!(emulator.refresh_login(&login).await.status(), 400);

    // By user and application.
    let login = emulator.login().await;
    emulator
        .admin(
            reqwest::Method::DELETE,
            &format!(
                "/api/jwt/refresh?userId={}&applicationId={}",
                emulator.user_id, emulator.application_id
            ),
        )
        .expect_status(200)
        .await;
    assert_eq!(emulator.refresh_login(&login).await.status(), 400);

    // Without credentials: 401; an unknown id: 404.
    emulator
        .client
        .delete(emulator.url(&format!("/api/jwt/refresh/{}", uuid::Uuid::new_v4())))
        .expect_status(401)
        .await;
    emulator
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/jwt/refresh/{}", uuid::Uuid::new_v4()),
        )
        .expect_status(404)
        .await;
}
