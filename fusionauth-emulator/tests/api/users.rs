//! The User API's fidelity: usernames unique regardless of case, `PATCH /api/user` with the
//! documented merge, and the revocation policies it triggers —
//! <https://fusionauth.io/docs/apis/users#update-a-user>

use serde_json::{Value, json};

use crate::helpers::{Sent, TestEmulator, spawn_emulator};

async fn patch_user(emulator: &TestEmulator, user_id: &str, user: Value) -> reqwest::Response {
    emulator
        .admin(reqwest::Method::PATCH, &format!("/api/user/{user_id}"))
        .json(&json!({ "user": user }))
        .sent()
        .await
}

#[tokio::test]
async fn usernames_are_unique_and_found_regardless_of_case_and_kept_as_given() {
    let emulator = spawn_emulator().await;
    emulator
        .register_user(
            json!({"username": "Shopper_Two", "password": "username-password"}),
            true,
        )
        .await;
    let response = emulator
        .admin(reqwest::Method::POST, "/api/user/registration")
        .json(
            &json!({"user": {"username": "shopper_TWO", "password": "another-password"},
                      "registration": {"applicationId": emulator.application_id}}),
        )
        .expect_status(400)
        .await;
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["fieldErrors"]["user.username"][0]["code"],
        "[duplicate]user.username"
    );
    let response = emulator.login_as("SHOPPER_two", "username-password").await;
    assert_eq!(response.status(), 200);
    let found = emulator
        .get_json_with_key("/api/user?username=shopper_two")
        .await;
    assert_eq!(found["user"]["username"], "Shopper_Two");
}

#[tokio::test]
async fn patch_applies_login_ids_and_password_removes_nulls_and_appends_arrays() {
    let emulator = spawn_emulator().await;
    let user_id = emulator
        .register_user(
            json!({"email": "patch@example.com", "password": "first-password",
                   "firstName": "Pat", "data": {"tags": ["a"]}}),
            true,
        )
        .await;
    let session: Value = emulator
        .login_body("patch@example.com", "first-password")
        .await;
    let response = patch_user(
        &emulator,
        &user_id,
        json!({"email": "Renamed@Example.com", "username": "Renamed", "password": "second-password",
               "firstName": null, "lastName": "Patched", "data": {"tags": ["b"]}}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let user = &response.json::<Value>().await.expect("JSON")["user"];
    assert_eq!(user["email"], "renamed@example.com");
    assert_eq!(user["username"], "Renamed");
    assert!(user.get("firstName").is_none(), "null removes: {user}");
    assert_eq!(user["lastName"], "Patched");
    assert_eq!(
        user["data"]["tags"],
        json!(["a", "b"]),
        "arrays are appended"
    );

    let old = emulator
        .login_as("renamed@example.com", "first-password")
        .await;
    assert_eq!(old.status(), 404);
    let new = emulator.login_as("renamed", "second-password").await;
    assert_eq!(new.status(), 200);
    let refreshed = emulator.refresh_login(&session).await;
    assert_eq!(
        refreshed.status(),
        400,
        "onPasswordChanged revoked the old session"
    );
}

#[tokio::test]
async fn patch_refuses_bad_login_ids_and_passwords_and_changes_nothing() {
    let emulator = spawn_emulator().await;
    emulator
        .register_user(
            json!({"username": "Taken", "password": "taken-password"}),
            true,
        )
        .await;
    let user_id = emulator
        .register_user(
            json!({"email": "keep@example.com", "password": "keep-password"}),
            true,
        )
        .await;
    let cases = [
        (
            json!({"email": emulator.email.to_uppercase()}),
            "[duplicate]user.email",
            "user.email",
        ),
        (
            json!({"email": "not-an-email"}),
            "[notEmail]user.email",
            "user.email",
        ),
        (
            json!({"username": "tAKEN"}),
            "[duplicate]user.username",
            "user.username",
        ),
        (
            json!({"password": "short"}),
            "[tooShort]user.password",
            "user.password",
        ),
        (json!({"email": null}), "[blank]user.email", "user.email"),
    ];
    for (patch, code, field) in cases {
        let response = patch_user(&emulator, &user_id, patch.clone()).await;
        assert_eq!(response.status(), 400, "{patch}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["fieldErrors"][field][0]["code"], code, "{patch}");
    }
    let user = emulator
        .get_json_with_key(&format!("/api/user/{user_id}"))
        .await;
    assert_eq!(user["user"]["email"], "keep@example.com");
    assert!(user["user"].get("username").is_none());
    let login = emulator.login_as("keep@example.com", "keep-password").await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn a_first_second_factor_revokes_the_sessions_when_on_multi_factor_enable() {
    let emulator = spawn_emulator().await;
    let method = json!({"twoFactor": {"methods": [{"method": "authenticator",
        "secret": "SGVsbG8h3q2+7w==", "secretBase32Encoded": "JBSWY3DPEHPK3PXP"}]}});
    let kept = emulator
        .register_user(
            json!({"email": "kept@example.com", "password": "kept-password"}),
            true,
        )
        .await;
    let session: Value = emulator
        .login_body("kept@example.com", "kept-password")
        .await;
    assert_eq!(
        patch_user(&emulator, &kept, method.clone()).await.status(),
        200
    );
    let token = session["refreshToken"].as_str().expect("rt");
    assert_eq!(
        emulator.refresh(token).await.status(),
        200,
        "off by default"
    );

    emulator
        .patch_default_tenant(json!({"jwtConfiguration": {"refreshTokenRevocationPolicy":
            {"onMultiFactorEnable": true}}}))
        .await;
    let session = emulator.login().await;
    let response = patch_user(&emulator, &emulator.user_id, method).await;
    assert_eq!(response.status(), 200);
    let token = session["refreshToken"].as_str().expect("rt");
    assert_eq!(
        emulator.refresh(token).await.status(),
        400,
        "the first second factor ended the sessions"
    );
}
