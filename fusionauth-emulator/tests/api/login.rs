//! `POST /api/login` — <https://fusionauth.io/docs/apis/login>

use serde_json::{Value, json};

use crate::helpers::{
    Sent, decode_part, set_cookies, spawn_emulator, spawn_emulator_with_settings, variable,
};

#[tokio::test]
async fn login_returns_a_token_a_refresh_token_and_the_user_without_password_data() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .login_with(
            &json!({"loginId": emulator.email, "password": emulator.password,
                    "applicationId": emulator.application_id}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    let cookies = set_cookies(&response);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("access_token=") && c.contains("HttpOnly"))
    );
    assert!(cookies.iter().any(|c| c.starts_with("refresh_token=")
        && c.contains("HttpOnly")
        && c.contains("Max-Age=")));
    let body: shared::fusionauth::LoginResponse = response.json().await.expect("LoginResponse");
    assert!(body.token.is_some());
    assert!(body.refresh_token.is_some());
    assert!(body.refresh_token_id.is_some());
    let user = body.user.expect("user");
    assert_eq!(user.id, emulator.user_id);
    assert_eq!(user.email.as_deref(), Some(emulator.email.as_str()));
    assert_eq!(user.registrations[0].roles, vec!["customer".to_owned()]);
    assert!(user.last_login_instant.is_some());
    let without_application = emulator
        .login_with(&json!({"loginId": emulator.email, "password": emulator.password}))
        .await;
    assert_eq!(
        without_application.status(),
        401,
        "without applicationId the tenant decides, and it requires an API key"
    );
}

#[tokio::test]
async fn the_switches_leave_sid_and_the_strict_applications_profile_claims_out_of_login_tokens() {
    let emulator = spawn_emulator_with_settings(|settings| {
        settings.omit_login_sid = true;
        settings.strict_login_claims = true;
    })
    .await;
    let login = emulator.login().await;
    let claims = emulator
        .verified_claims(login["token"].as_str().expect("token"))
        .await;
    for absent in ["sid", "email", "email_verified", "preferred_username"] {
        assert!(claims.get(absent).is_none(), "{absent} in {claims}");
    }
    assert_eq!(claims["sub"], emulator.user_id);
    assert_eq!(claims["aud"], emulator.application_id);
    assert!(
        login["refreshTokenId"].is_string(),
        "the session itself is unchanged"
    );
}

#[tokio::test]
async fn the_jwt_carries_the_documented_claims_and_verifies_with_the_jwks() {
    let emulator = spawn_emulator().await;
    let login = emulator.login().await;
    let token = login["token"].as_str().expect("token");
    let claims = emulator.verified_claims(token).await;
    assert_eq!(claims["iss"], variable("issuer"));
    assert_eq!(claims["aud"], emulator.application_id);
    assert_eq!(claims["applicationId"], emulator.application_id);
    assert_eq!(claims["sub"], emulator.user_id);
    assert_eq!(claims["tid"], variable("defaultTenantId"));
    assert_eq!(claims["roles"], json!(["customer"]));
    assert_eq!(claims["sid"], login["refreshTokenId"]);
    assert_eq!(claims["authenticationType"], "PASSWORD");
    assert_eq!(claims["email"], emulator.email);
    assert_eq!(claims["email_verified"], true);
    let (exp, iat) = (
        claims["exp"].as_i64().expect("exp"),
        claims["iat"].as_i64().expect("iat"),
    );
    assert_eq!(exp - iat, 300, "timeToLiveInSeconds from the Kickstart");
    assert_eq!(claims["auth_time"], claims["iat"]);
    assert!(
        claims["jti"]
            .as_str()
            .is_some_and(|j| uuid::Uuid::parse_str(j).is_ok())
    );
    assert_eq!(login["tokenExpirationInstant"].as_i64(), Some(exp * 1000));
    let header = decode_part(token, 0);
    assert_ne!(
        header["kid"],
        variable("accessTokenKeyId"),
        "kid is the key's kid, not its id"
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_user_gets_404_with_an_empty_body_and_no_content_type() {
    let emulator = spawn_emulator().await;
    for (login_id, password) in [
        (emulator.email.as_str(), "wrong-password"),
        ("nobody@example.com", "store-demo-pass"),
        ("SHOPPER@example.com ", "store-demo-pass"),
    ] {
        let response = emulator
            .login_with(&json!({"loginId": login_id, "password": password,
                        "applicationId": emulator.application_id}))
            .await;
        assert_eq!(response.status(), 404, "{login_id}/{password}");
        assert!(response.headers().get("content-type").is_none());
        assert!(set_cookies(&response).is_empty());
        assert_eq!(response.bytes().await.expect("body").len(), 0);
    }
}

#[tokio::test]
async fn the_email_is_matched_case_insensitively() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .login_with(
            &json!({"loginId": emulator.email.to_uppercase(), "password": emulator.password,
                    "applicationId": emulator.application_id}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn blank_login_id_and_password_get_400_field_errors() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .login_with(
            &json!({"loginId": " ", "password": "", "applicationId": emulator.application_id}),
        )
        .await;
    assert_eq!(response.status(), 400);
    let errors: shared::fusionauth::Errors = response.json().await.expect("Errors");
    assert_eq!(errors.field_errors["loginId"][0].code, "[blank]loginId");
    assert_eq!(errors.field_errors["password"][0].code, "[blank]password");
}

#[tokio::test]
async fn malformed_json_gets_400_and_an_oversized_body_gets_413() {
    let emulator = spawn_emulator().await;
    let post_login = |body: String| {
        emulator
            .client
            .post(emulator.url("/api/login"))
            .header("content-type", "application/json")
            .body(body)
    };
    for body in ["{not json", r#"{"loginId": 5}"#, "[]"] {
        let response = post_login(body.to_owned()).sent().await;
        assert_eq!(response.status(), 400, "{body}");
        let errors: shared::fusionauth::Errors = response.json().await.expect("Errors");
        assert!(!errors.general_errors.is_empty());
    }
    let huge = format!(
        r#"{{"loginId":"{}","password":"x"}}"#,
        "a".repeat(70 * 1024)
    );
    post_login(huge).expect_status(413).await;
}

/// Creates a second application that requires an API key (FusionAuth's default).
async fn create_private_application(emulator: &crate::helpers::TestEmulator) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    emulator
        .admin(reqwest::Method::POST, &format!("/api/application/{id}"))
        .json(&json!({"application": {"name": "Back office", "roles": [{"name": "admin"}]}}))
        .expect_status(200)
        .await;
    id
}

#[tokio::test]
async fn an_application_that_requires_authentication_refuses_logins_without_a_valid_api_key() {
    let emulator = spawn_emulator().await;
    let application_id = create_private_application(&emulator).await;
    let body = json!({"loginId": emulator.email, "password": emulator.password, "applicationId": application_id});
    for key in [None, Some("not-the-key"), Some("Bearer x")] {
        let mut request = emulator.client.post(emulator.url("/api/login")).json(&body);
        if let Some(key) = key {
            request = request.header("Authorization", key);
        }
        let response = request.sent().await;
        assert_eq!(response.status(), 401, "{key:?}");
        assert!(response.headers().get("content-type").is_none());
    }
}

#[tokio::test]
async fn login_to_an_application_the_user_is_not_registered_to_gets_202_without_a_refresh_token() {
    let emulator = spawn_emulator().await;
    let application_id = create_private_application(&emulator).await;
    let response = emulator.admin(reqwest::Method::POST, "/api/login")
        .json(&json!({"loginId": emulator.email, "password": emulator.password, "applicationId": application_id}))
        .expect_status(202).await;
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("refreshToken").is_none());
    assert_eq!(body["user"]["id"], emulator.user_id);
    let claims = decode_part(body["token"].as_str().expect("token"), 1);
    assert!(claims.get("roles").is_none());
    assert!(claims.get("applicationId").is_none());
}

#[tokio::test]
async fn no_jwt_login_returns_the_user_without_tokens_or_cookies() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .login_with(
            &json!({"loginId": emulator.email, "password": emulator.password,
                    "applicationId": emulator.application_id, "noJWT": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(&response).is_empty());
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("token").is_none());
    assert!(body.get("refreshToken").is_none());
    assert_eq!(body["user"]["id"], emulator.user_id);
}

#[tokio::test]
async fn login_metadata_device_is_stored_on_the_refresh_token() {
    let emulator = spawn_emulator().await;
    let login: Value = emulator
        .login_with(
            &json!({"loginId": emulator.email, "password": emulator.password,
                    "applicationId": emulator.application_id,
                    "metaData": {"device": {"name": "Ana's Pixel", "type": "MOBILE"}}}),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let id = login["refreshTokenId"].as_str().expect("id");
    let token: Value = emulator
        .get_json_with_key(&format!("/api/jwt/refresh/{id}"))
        .await;
    assert_eq!(
        token["refreshToken"]["metaData"]["device"]["name"],
        "Ana's Pixel"
    );
    assert_eq!(token["refreshToken"]["userId"], emulator.user_id);
}

#[tokio::test]
async fn a_deactivated_user_gets_423_without_a_body_even_with_the_right_password() {
    let emulator = spawn_emulator().await;
    emulator.admin(reqwest::Method::POST, "/api/user/registration")
        .json(&json!({"user": {"email": "gone@example.com", "password": "long-enough", "active": false},
                      "registration": {"applicationId": emulator.application_id}}))
        .expect_status(200).await;
    for password in ["long-enough", "wrong-password"] {
        let response = emulator
            .login_with(&json!({"loginId": "gone@example.com", "password": password,
                        "applicationId": emulator.application_id}))
            .await;
        assert_eq!(response.status(), 423);
        assert!(response.headers().get("content-type").is_none());
    }
}
