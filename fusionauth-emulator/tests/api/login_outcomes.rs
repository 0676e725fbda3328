//! The Login API's other outcomes — 242 + two-factor login, 409 lockout, 203, 212 —
//! <https://fusionauth.io/docs/apis/login>, <https://fusionauth.io/docs/apis/two-factor>

use serde_json::{Value, json};

use crate::helpers::{
    Sent, TOTP_SECRET, TOTP_SECRET_BASE32, TestEmulator, spawn_emulator,
    spawn_emulator_with_receiver, totp_code,
};

fn two_factor_user(email: &str) -> Value {
    json!({"email": email, "password": "two-factor-pass",
           "twoFactor": {"methods": [{"method": "authenticator", "secret": TOTP_SECRET,
                                      "secretBase32Encoded": TOTP_SECRET_BASE32}]}})
}

/// Registers `user` (verified) and logs in with its password: the user's id and the answer.
async fn first_step(emulator: &TestEmulator, user: Value) -> (String, reqwest::Response) {
    let email = user["email"].as_str().expect("an email").to_owned();
    let password = user["password"].as_str().expect("a password").to_owned();
    let user_id = emulator.register_user(user, true).await;
    (user_id, emulator.login_as(&email, &password).await)
}

/// `POST /api/two-factor/login` for `two_factor_id` with the authenticator's current code.
async fn second_step(emulator: &TestEmulator, two_factor_id: &Value) -> reqwest::Response {
    let code = emulator.totp_now(TOTP_SECRET).await;
    emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": code}))
        .await
}

#[tokio::test]
async fn a_user_with_an_authenticator_gets_242_and_finishes_with_a_totp_code() {
    let emulator = spawn_emulator().await;
    let (user_id, response) = first_step(&emulator, two_factor_user("totp@example.com")).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("token").is_none() && body.get("refreshToken").is_none());
    let two_factor_id = body["twoFactorId"]
        .as_str()
        .expect("twoFactorId")
        .to_owned();
    let method = &body["methods"][0];
    assert_eq!(method["method"], "authenticator");
    assert!(method["id"].is_string());
    assert!(method.get("secret").is_none(), "never the secret");

    let wrong = emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": "000000"}))
        .await;
    let now = emulator.now_millis().await / 1000;
    let wrong_status = wrong.status();
    if totp_code(TOTP_SECRET, now) != "000000" {
        assert_eq!(wrong_status, 421);
    }
    let code = emulator.totp_now(TOTP_SECRET).await;
    let response = emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": code,
                    "applicationId": emulator.application_id}))
        .await;
    assert_eq!(response.status(), 200);
    let login: Value = response.json().await.expect("JSON");
    assert!(login["token"].is_string());
    assert!(login["refreshToken"].is_string());
    assert_eq!(login["user"]["id"], user_id);
    assert!(
        login["user"]["twoFactor"]["methods"][0]
            .get("secret")
            .is_none()
    );

    let again = emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": code}))
        .await;
    assert_eq!(again.status(), 404, "a twoFactorId is used once");
    let unknown = emulator
        .two_factor_login(&json!({"twoFactorId": "no-such-id", "code": code}))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn a_two_factor_id_expires_after_five_minutes_of_the_emulators_clock() {
    let emulator = spawn_emulator().await;
    let (_, response) = first_step(&emulator, two_factor_user("late@example.com")).await;
    let body: Value = response.json().await.expect("JSON");
    emulator.advance_clock(301).await;
    let response = second_step(&emulator, &body["twoFactorId"]).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_user_who_must_change_the_password_gets_203_without_tokens() {
    let emulator = spawn_emulator().await;
    let user = json!({"email": "change@example.com", "password": "change-me-please",
                      "passwordChangeRequired": true});
    let (_, response) = first_step(&emulator, user).await;
    assert_eq!(response.status(), 203);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["changePasswordId"].is_string());
    assert_eq!(body["changePasswordReason"], "Administrative");
    assert!(body.get("token").is_none());
}

#[tokio::test]
async fn the_second_factor_comes_before_the_password_change() {
    let emulator = spawn_emulator().await;
    let mut user = two_factor_user("both@example.com");
    user["passwordChangeRequired"] = json!(true);
    let (_, response) = first_step(&emulator, user).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    let response = second_step(&emulator, &body["twoFactorId"]).await;
    assert_eq!(response.status(), 203);
}

#[tokio::test]
async fn an_unverified_user_gets_212_when_the_tenant_gates_unverified_emails() {
    let emulator = spawn_emulator().await;
    emulator
        .patch_default_tenant(json!({"emailConfiguration":
            {"verifyEmail": true, "unverified": {"behavior": "Gated"}}}))
        .await;
    let user_id = emulator
        .register_user(
            json!({"email": "unverified@example.com", "password": "not-yet-verified"}),
            false,
        )
        .await;
    let response = emulator
        .login_as("unverified@example.com", "not-yet-verified")
        .await;
    assert_eq!(response.status(), 212);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["user"]["id"], user_id);
    assert_eq!(body["user"]["verified"], false);
    assert!(body.get("token").is_none());
    let demo = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(demo.status(), 200, "verified users are not gated");
}

/// `times` logins of the demo user with a wrong password, each answered 404.
async fn wrong_passwords(emulator: &TestEmulator, times: u32) {
    for attempt in 1..=times {
        let response = emulator.login_as(&emulator.email, "wrong-password").await;
        assert_eq!(response.status(), 404, "attempt {attempt}");
    }
}

async fn configure_lockout(emulator: &crate::helpers::TestEmulator) -> String {
    let action_id = uuid::Uuid::new_v4().to_string();
    emulator
        .admin(
            reqwest::Method::POST,
            &format!("/api/user-action/{action_id}"),
        )
        .json(&json!({"userAction": {"name": "Too many failed logins",
                                     "preventLogin": true, "temporal": true}}))
        .expect_status(200)
        .await;
    emulator
        .patch_default_tenant(json!({"failedAuthenticationConfiguration": {
            "tooManyAttempts": 3, "resetCountInSeconds": 60, "actionDuration": 5,
            "actionDurationUnit": "MINUTES", "userActionId": action_id}}))
        .await;
    action_id
}

#[tokio::test]
async fn too_many_failed_logins_lock_the_user_with_409_and_revoke_the_sessions() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    let action_id = configure_lockout(&emulator).await;
    let session = emulator.login().await;
    wrong_passwords(&emulator, 3).await;
    let response = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(response.status(), 409, "even the right password is refused");
    let body: Value = response.json().await.expect("JSON");
    let action = &body["actions"][0];
    assert_eq!(action["actionId"], action_id);
    assert_eq!(action["name"], "Too many failed logins");
    assert_eq!(action["localizedName"], "Too many failed logins");
    let expiry = action["expiry"].as_i64().expect("expiry ms");
    let now = emulator.now_millis().await;
    assert!(expiry > now && expiry <= now + 5 * 60_000);

    let (_, event) = receiver.next_event("jwt.refresh-token.revoke").await;
    assert_eq!(event["userId"], emulator.user_id);
    assert_eq!(
        emulator.refresh_login(&session).await.status(),
        400,
        "onLoginPrevented revoked the session"
    );

    emulator.advance_clock(5 * 60 + 1).await;
    let response = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(response.status(), 200, "the action expired");
}

#[tokio::test]
async fn failures_further_apart_than_the_reset_window_do_not_lock() {
    let emulator = spawn_emulator().await;
    configure_lockout(&emulator).await;
    wrong_passwords(&emulator, 2).await;
    emulator.advance_clock(61).await;
    wrong_passwords(&emulator, 2).await;
    let response = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_lockout_naming_an_unknown_user_action_is_refused() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .try_patch_default_tenant(json!({"failedAuthenticationConfiguration":
            {"userActionId": uuid::Uuid::new_v4().to_string()}}))
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_user_action_whose_flags_are_not_true_or_false_is_refused() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .admin(reqwest::Method::POST, "/api/user-action")
        .json(&json!({"userAction": {"name": "Hold", "preventLogin": "yes", "temporal": 1}}))
        .expect_status(400)
        .await;
    let body: Value = response.json().await.expect("JSON");
    for path in ["userAction.preventLogin", "userAction.temporal"] {
        assert_eq!(
            body["fieldErrors"][path][0]["code"],
            format!("[invalid]{path}"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_kickstart_alone_locks_an_account_after_ten_failed_logins_in_a_minute() {
    let emulator = spawn_emulator().await;
    wrong_passwords(&emulator, 10).await;
    let response = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(response.status(), 409, "the Kickstart's lockout action");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["actions"][0]["actionId"],
        crate::helpers::variable("lockoutActionId")
    );
    emulator.advance_clock(3 * 60 + 1).await;
    let response = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(response.status(), 200, "for three minutes");
}
