//! Two-factor fidelity: the documented secret encoding, `POST /api/two-factor/login`'s
//! authentication, statuses and lifetime, and its attempt limit —
//! <https://fusionauth.io/docs/apis/two-factor>, <https://fusionauth.io/docs/apis/login>

use serde_json::{Value, json};

use crate::helpers::{TestEmulator, spawn_emulator, totp_code};

/// The authenticator key in FusionAuth's documented encoding (standard Base64) and its Base32
/// twin (what an authenticator app shows).
const SECRET: &str = "SGVsbG8h3q2+7w==";
const SECRET_BASE32: &str = "JBSWY3DPEHPK3PXP";
const PASSWORD: &str = "two-factor-pass";

fn user_with(email: &str, method: Value) -> Value {
    json!({"email": email, "password": PASSWORD, "twoFactor": {"methods": [method]}})
}

async fn two_factor_login(emulator: &TestEmulator, two_factor_id: &str, code: &str) -> u16 {
    emulator
        .post_json(
            "/api/two-factor/login",
            &json!({"twoFactorId": two_factor_id, "code": code,
                    "applicationId": emulator.application_id}),
        )
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
                json!({"method": "authenticator", "secret": SECRET_BASE32}),
            ),
            true,
        )
        .await;
    let response = emulator.login_as("ambiguous@example.com", PASSWORD).await;
    assert_eq!(response.status(), 242);
    let body: Value = response.json().await.expect("JSON");
    let code = totp_code(SECRET_BASE32, emulator.now_millis().await / 1000);
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
            json!({"method": "authenticator", "secretBase32Encoded": SECRET_BASE32}),
        ),
        (
            "a Base32 twin of other bytes",
            json!({"method": "authenticator", "secret": SECRET,
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
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 400, "{case}");
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["fieldErrors"]["user.twoFactor.methods"][0]["code"],
            "[invalid]user.twoFactor.methods",
            "{case}"
        );
    }
}
