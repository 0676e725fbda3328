//! Two-factor fidelity: the documented secret encoding, `POST /api/two-factor/login`'s
//! authentication, statuses and lifetime, and its attempt limit —
//! <https://fusionauth.io/docs/apis/two-factor>, <https://fusionauth.io/docs/apis/login>

use serde_json::{Value, json};

use crate::helpers::{
    Sent, TOTP_SECRET, TOTP_SECRET_BASE32, TestEmulator, spawn_emulator,
    spawn_emulator_with_kickstart_json, totp_code,
};

const PASSWORD: &str = "two-factor-pass";

fn user_with(email: &str, method: Value) -> Value {
    json!({"email": email, "password": PASSWORD, "twoFactor": {"methods": [method]}})
}

/// Registers a two-factor user and starts a login: the `twoFactorId`.
async fn start_two_factor(emulator: &TestEmulator, email: &str) -> String {
    emulator
        .register_user(
            user_with(
                email,
                json!({"method": "authenticator", "secret": TOTP_SECRET,
                       "secretBase32Encoded": TOTP_SECRET_BASE32}),
            ),
            true,
        )
        .await;
    let response = emulator.login_as(email, PASSWORD).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    body["twoFactorId"]
        .as_str()
        .expect("twoFactorId")
        .to_owned()
}

/// A code that is wrong now (and at the steps beside it).
async fn wrong_code(emulator: &TestEmulator) -> String {
    let now = emulator.now_millis().await / 1000;
    let valid: Vec<String> = [-30, 0, 30]
        .iter()
        .map(|delta| totp_code(TOTP_SECRET, now + delta))
        .collect();
    (0..4)
        .map(|n| format!("{n}{n}{n}{n}{n}{n}"))
        .find(|code| !valid.contains(code))
        .expect("one of four codes is wrong")
}

/// Creates a login-preventing user action and makes the tenant apply it after
/// `too_many_attempts` failures; returns the action's id.
async fn configure_lockout(emulator: &TestEmulator, too_many_attempts: i64) -> String {
    let action_id = uuid::Uuid::new_v4().to_string();
    emulator
        .admin(
            reqwest::Method::POST,
            &format!("/api/user-action/{action_id}"),
        )
        .json(&json!({"userAction": {"name": "Locked", "preventLogin": true, "temporal": true}}))
        .expect_status(200)
        .await;
    emulator
        .patch_default_tenant(json!({"failedAuthenticationConfiguration": {
            "tooManyAttempts": too_many_attempts, "resetCountInSeconds": 600,
            "actionDuration": 5, "actionDurationUnit": "MINUTES", "userActionId": action_id}}))
        .await;
    action_id
}

async fn two_factor_login(emulator: &TestEmulator, two_factor_id: &str, code: &str) -> u16 {
    emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": code,
                    "applicationId": emulator.application_id}))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_secret_is_read_as_standard_base64_even_when_it_also_reads_as_base32() {
    let emulator = spawn_emulator().await;
    // "JBSWY3DPEHPK3PXP" is valid Base32 and valid Base64; FusionAuth reads `secret` as Base64.
    emulator
        .register_user(
            user_with(
                "ambiguous@example.com",
                json!({"method": "authenticator", "secret": TOTP_SECRET_BASE32}),
            ),
            true,
        )
        .await;
    let response = emulator.login_as("ambiguous@example.com", PASSWORD).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    let code = emulator.totp_now(TOTP_SECRET_BASE32).await;
    let two_factor_id = body["twoFactorId"].as_str().expect("twoFactorId");
    assert_eq!(two_factor_login(&emulator, two_factor_id, &code).await, 200);
}

#[tokio::test]
async fn two_factor_secrets_outside_the_documented_encoding_are_refused() {
    let emulator = spawn_emulator().await;
    let cases = [
        (
            "not Base64",
            json!({"method": "authenticator", "secret": "not base64!"}),
        ),
        (
            "Base32 only",
            json!({"method": "authenticator", "secretBase32Encoded": TOTP_SECRET_BASE32}),
        ),
        (
            "a Base32 twin of other bytes",
            json!({"method": "authenticator", "secret": TOTP_SECRET,
                   "secretBase32Encoded": "MZXW6YTBOI======"}),
        ),
        ("no secret", json!({"method": "authenticator"})),
    ];
    for (index, (case, method)) in cases.into_iter().enumerate() {
        let response = emulator
            .admin(reqwest::Method::POST, "/api/user/registration")
            .json(&json!({
                "user": user_with(&format!("refused{index}@example.com"), method),
                "registration": {"applicationId": emulator.application_id}}))
            .sent()
            .await;
        assert_eq!(response.status(), 400, "{case}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["fieldErrors"]["user.twoFactor.methods"][0]["code"],
            "[invalid]user.twoFactor.methods",
            "{case}"
        );
    }
}

#[tokio::test]
async fn a_two_factor_id_takes_five_codes_and_then_is_gone() {
    let emulator = spawn_emulator().await;
    configure_lockout(&emulator, 50).await;
    let two_factor_id = start_two_factor(&emulator, "guesser@example.com").await;
    let wrong = wrong_code(&emulator).await;
    for attempt in 1..=5 {
        assert_eq!(
            two_factor_login(&emulator, &two_factor_id, &wrong).await,
            421,
            "attempt {attempt}"
        );
    }
    let right = emulator.totp_now(TOTP_SECRET).await;
    assert_eq!(
        two_factor_login(&emulator, &two_factor_id, &right).await,
        404,
        "even the right code is too late"
    );
}

#[tokio::test]
async fn wrong_codes_count_toward_the_lockout_and_a_locked_user_gets_409_at_the_second_step() {
    let emulator = spawn_emulator().await;
    let action_id = configure_lockout(&emulator, 3).await;
    let two_factor_id = start_two_factor(&emulator, "locked@example.com").await;
    let wrong = wrong_code(&emulator).await;
    for _ in 0..3 {
        assert_eq!(
            two_factor_login(&emulator, &two_factor_id, &wrong).await,
            421
        );
    }
    let right = emulator.totp_now(TOTP_SECRET).await;
    let response = emulator
        .two_factor_login(&json!({"twoFactorId": two_factor_id, "code": right}))
        .await;
    assert_eq!(
        response.status(),
        409,
        "the lockout holds at the second step"
    );
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["actions"][0]["actionId"], action_id);
    let response = emulator.login_as("locked@example.com", PASSWORD).await;
    assert_eq!(response.status(), 409, "and at the first");
}

#[tokio::test]
async fn a_correct_password_does_not_reset_the_count_of_wrong_codes() {
    let emulator = spawn_emulator().await;
    configure_lockout(&emulator, 3).await;
    let first = start_two_factor(&emulator, "again@example.com").await;
    let wrong = wrong_code(&emulator).await;
    for _ in 0..2 {
        assert_eq!(two_factor_login(&emulator, &first, &wrong).await, 421);
    }
    let response = emulator.login_as("again@example.com", PASSWORD).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    let second = body["twoFactorId"].as_str().expect("twoFactorId");
    assert_eq!(two_factor_login(&emulator, second, &wrong).await, 421);
    let response = emulator.login_as("again@example.com", PASSWORD).await;
    assert_eq!(
        response.status(),
        409,
        "the third wrong code locked the user"
    );
}

#[tokio::test]
async fn the_two_factor_login_needs_no_api_key_even_where_the_login_does() {
    let emulator = spawn_emulator_with_kickstart_json(|kickstart| {
        for request in kickstart["requests"].as_array_mut().expect("requests") {
            if let Some(login) = request.pointer_mut("/body/application/loginConfiguration") {
                login["requireAuthentication"] = json!(true);
            }
        }
    })
    .await;
    emulator
        .register_user(
            user_with(
                "keyless@example.com",
                json!({"method": "authenticator", "secret": TOTP_SECRET}),
            ),
            true,
        )
        .await;
    let anonymous = emulator.login_as("keyless@example.com", PASSWORD).await;
    assert_eq!(anonymous.status(), 401, "the login itself needs the key");
    let cases = [("no key", None), ("a wrong key", Some("not-an-api-key"))];
    for (case, key) in cases {
        let response = emulator
            .admin(reqwest::Method::POST, "/api/login")
            .json(
                &json!({"loginId": "keyless@example.com", "password": PASSWORD,
                          "applicationId": emulator.application_id}),
            )
            .expect_status(242)
            .await;
        let body: Value = response.json().await.expect("JSON");
        let code = emulator.totp_now(TOTP_SECRET).await;
        let mut request = emulator
            .client
            .post(emulator.url("/api/two-factor/login"))
            .json(&json!({"twoFactorId": body["twoFactorId"], "code": code,
                          "applicationId": emulator.application_id}));
        if let Some(key) = key {
            request = request.header("Authorization", key);
        }
        let response = request.sent().await;
        assert_eq!(response.status(), 200, "{case}");
    }
}

#[tokio::test]
async fn a_two_factor_id_lives_as_long_as_the_tenant_says() {
    let emulator = spawn_emulator().await;
    emulator
        .patch_default_tenant(json!({"externalIdentifierConfiguration":
            {"twoFactorIdTimeToLiveInSeconds": 60}}))
        .await;
    let two_factor_id = start_two_factor(&emulator, "brief@example.com").await;
    emulator.advance_clock(61).await;
    let code = emulator.totp_now(TOTP_SECRET).await;
    assert_eq!(
        two_factor_login(&emulator, &two_factor_id, &code).await,
        404
    );
}

#[tokio::test]
async fn a_user_who_expired_between_the_two_steps_gets_410() {
    let emulator = spawn_emulator().await;
    let two_factor_id = start_two_factor(&emulator, "expiring@example.com").await;
    let user = emulator
        .get_json_with_key("/api/user?email=expiring@example.com")
        .await;
    let user_id = user["user"]["id"].as_str().expect("user id");
    let expiry = emulator.now_millis().await + 1_000;
    emulator
        .admin(reqwest::Method::PATCH, &format!("/api/user/{user_id}"))
        .json(&json!({"user": {"expiry": expiry}}))
        .expect_status(200)
        .await;
    emulator.advance_clock(2).await;
    let code = emulator.totp_now(TOTP_SECRET).await;
    assert_eq!(
        two_factor_login(&emulator, &two_factor_id, &code).await,
        410
    );
}
