//! The WebAuthn (passkey) API with a software authenticator written here: a P-256 key, the
//! authenticator data and CBOR it would produce, and the browser's client data.
//! (Over 500 lines: the software authenticator and every ceremony's tests share one file.)

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Sent, TestEmulator, WebhookReceiver, decode_part, spawn_emulator,
    spawn_emulator_with_kickstart_json, variable,
};

const ORIGIN: &str = "http://localhost:8080";
const RP_ID: &str = "localhost";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// CBOR byte string header + bytes.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = match bytes.len() {
        n if n < 24 => vec![0x40 | u8::try_from(n).expect("small")],
        n if n < 256 => vec![0x58, u8::try_from(n).expect("byte")],
        n => vec![0x59, (n >> 8) as u8, n as u8],
    };
    out.extend_from_slice(bytes);
    out
}

fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = vec![0x60 | u8::try_from(text.len()).expect("short")];
    out.extend_from_slice(text.as_bytes());
    out
}

/// A platform authenticator holding one P-256 passkey.
struct Authenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    sign_count: u32,
}

impl Authenticator {
    fn new(seed: u8) -> Self {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("key");
        Self {
            key,
            credential_id: vec![seed; 16],
            sign_count: 0,
        }
    }

    fn client_data(kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": ORIGIN, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn auth_data(&self, flags: u8, attested: bool) -> Vec<u8> {
        let mut data = digest(&SHA256, RP_ID.as_bytes()).as_ref().to_vec();
        data.push(flags);
        data.extend_from_slice(&self.sign_count.to_be_bytes());
        if attested {
            data.extend_from_slice(&[0; 16]);
            let len = u16::try_from(self.credential_id.len()).expect("id length");
            data.extend_from_slice(&len.to_be_bytes());
            data.extend_from_slice(&self.credential_id);
            let point = self.key.public_key().as_ref();
            // COSE_Key {kty: EC2, alg: ES256, crv: P-256, x, y}
            data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
            data.extend(cbor_bytes(&point[1..33]));
            data.push(0x22);
            data.extend(cbor_bytes(&point[33..65]));
        }
        data
    }

    /// `navigator.credentials.create()`'s result for these options, as FusionAuth takes it.
    fn create(&self, options: &Value) -> Value {
        let challenge = options["challenge"].as_str().expect("challenge");
        let client_data = Self::client_data("webauthn.create", challenge);
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&self.auth_data(0x45, true)));
        json!({
            "id": b64(&self.credential_id),
            "type": "public-key",
            "transports": ["internal"],
            "clientExtensionResults": {"credProps": {"rk": true}},
            "response": {"attestationObject": b64(&attestation), "clientDataJSON": b64(&client_data)}
        })
    }

    /// `navigator.credentials.get()`'s result for `challenge`, the counter advanced by `step`.
    fn get(&mut self, challenge: &str, user_id: &str, step: i64) -> Value {
        self.sign_count = u32::try_from(i64::from(self.sign_count) + step).expect("counter");
        let client_data = Self::client_data("webauthn.get", challenge);
        let auth_data = self.auth_data(0x05, false);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(digest(&SHA256, &client_data).as_ref());
        let signature = self.key.sign(&SystemRandom::new(), &signed).expect("signs");
        json!({
            "id": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(user_id.as_bytes())
            }
        })
    }
}

async fn passkey_emulator() -> TestEmulator {
    let emulator = spawn_emulator().await;
    let workflow = json!({"enabled": true, "authenticatorAttachmentPreference": "platform",
        "userVerificationRequirement": "required"});
    emulator
        .patch_default_tenant(json!({"webAuthnConfiguration": {
            "enabled": true, "relyingPartyId": RP_ID, "relyingPartyName": "Store",
            "bootstrapWorkflow": workflow, "reauthenticationWorkflow": workflow}}))
        .await;
    emulator
}

async fn send(emulator: &TestEmulator, path: &str, body: &Value) -> (u16, Value) {
    let response = emulator.admin(Method::POST, path).json(body).sent().await;
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `POST /api/webauthn/register/start` for a bootstrap passkey named "Phone" of `user_id`.
async fn start_registration(emulator: &TestEmulator, user_id: &str) -> (u16, Value) {
    let body = json!({"userId": user_id, "displayName": "Phone", "workflow": "bootstrap"});
    send(emulator, "/api/webauthn/register/start", &body).await
}

/// `POST /api/webauthn/register/complete` with `credential` for `user_id`.
async fn complete_registration(
    emulator: &TestEmulator,
    user_id: &str,
    credential: &Value,
) -> (u16, Value) {
    let body = json!({"userId": user_id, "credential": credential});
    send(emulator, "/api/webauthn/register/complete", &body).await
}

/// `POST /api/webauthn/login` with `assertion` (no API key).
async fn passkey_login(emulator: &TestEmulator, assertion: &Value) -> reqwest::Response {
    let body = json!({"credential": assertion});
    emulator.post_json("/api/webauthn/login", &body).await
}

/// `POST /api/webauthn/assert` with `assertion` (no API key).
async fn passkey_assert(emulator: &TestEmulator, assertion: &Value) -> reqwest::Response {
    let body = json!({"credential": assertion});
    emulator.post_json("/api/webauthn/assert", &body).await
}

/// Registers the authenticator's passkey for `user_id`; returns the stored credential.
async fn register(emulator: &TestEmulator, authenticator: &Authenticator, user_id: &str) -> Value {
    let (status, start) = start_registration(emulator, user_id).await;
    assert_eq!(status, 200, "{start}");
    let credential = authenticator.create(&start["options"]);
    let (status, body) = complete_registration(emulator, user_id, &credential).await;
    assert_eq!(status, 200, "{body}");
    body["credential"].clone()
}

async fn start_login(emulator: &TestEmulator, user_id: &str) -> String {
    let (status, body) = send(
        emulator,
        "/api/webauthn/start",
        &json!({"applicationId": emulator.application_id, "userId": user_id, "workflow": "bootstrap"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["options"]["challenge"]
        .as_str()
        .expect("challenge")
        .to_owned()
}

async fn stored(emulator: &TestEmulator, id: &str) -> Value {
    emulator
        .get_json_with_key(&format!("/api/webauthn/{id}"))
        .await["credential"]
        .clone()
}

#[tokio::test]
async fn a_passkey_registered_after_start_signs_the_user_in_like_a_password_login() {
    let emulator = passkey_emulator().await;
    let mut phone = Authenticator::new(7);
    let (status, start) = start_registration(&emulator, &emulator.user_id).await;
    assert_eq!(status, 200);
    let options = &start["options"];
    assert_eq!(options["rp"], json!({"id": RP_ID, "name": "Store"}));
    assert_eq!(options["user"]["id"], b64(emulator.user_id.as_bytes()));
    assert_eq!(options["user"]["name"], emulator.email);
    assert_eq!(options["attestation"], "none");
    assert_eq!(
        options["authenticatorSelection"]["authenticatorAttachment"],
        "platform"
    );
    assert_eq!(options["timeout"], 180_000);

    let credential = register(&emulator, &phone, &emulator.user_id).await;
    assert_eq!(credential["credentialId"], b64(&phone.credential_id));
    assert_eq!(credential["algorithm"], -7);
    assert_eq!(credential["displayName"], "Phone");
    assert_eq!(credential["discoverable"], true);
    assert_eq!(credential["relyingPartyId"], RP_ID);
    assert_eq!(credential["userId"], emulator.user_id);
    assert!(
        credential["publicKey"]
            .as_str()
            .expect("PEM")
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );

    let challenge = start_login(&emulator, &emulator.user_id).await;
    let assertion = phone.get(&challenge, &emulator.user_id, 1);
    let response = passkey_login(&emulator, &assertion).await;
    assert_eq!(response.status(), 200);
    let login: Value = response.json().await.expect("JSON");
    assert!(login["refreshToken"].is_string());
    assert_eq!(login["user"]["id"], emulator.user_id);
    let claims = decode_part(login["token"].as_str().expect("token"), 1);
    assert_eq!(claims["authenticationType"], "WebAuthn");
    assert_eq!(claims["applicationId"], emulator.application_id);

    let listed = emulator
        .get_json_with_key(&format!("/api/webauthn?userId={}", emulator.user_id))
        .await;
    assert_eq!(listed["credentials"][0]["signCount"], 1);
}

#[tokio::test]
async fn the_start_calls_need_an_api_key_and_complete_calls_do_not() {
    let emulator = passkey_emulator().await;
    for path in ["/api/webauthn/register/start", "/api/webauthn/start"] {
        let response = emulator.post_json(path, &json!({})).await;
        assert_eq!(response.status(), 401, "{path}");
    }
    let response = emulator
        .post_json("/api/webauthn/login", &json!({"credential": {}}))
        .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_registration_with_an_unknown_or_expired_challenge_is_refused_and_stores_nothing() {
    let emulator = passkey_emulator().await;
    let phone = Authenticator::new(9);
    let forged = phone.create(&json!({"challenge": b64(&[1; 32])}));
    let (status, body) = complete_registration(&emulator, &emulator.user_id, &forged).await;
    assert_eq!(status, 400);
    assert_eq!(body["generalErrors"][0]["code"], "[WebAuthnFailed]");

    let (_, start) = start_registration(&emulator, &emulator.user_id).await;
    emulator.advance_clock(181).await;
    let late = phone.create(&start["options"]);
    let (status, _) = complete_registration(&emulator, &emulator.user_id, &late).await;
    assert_eq!(status, 400);
    let listed = emulator
        .get_json_with_key(&format!("/api/webauthn?userId={}", emulator.user_id))
        .await;
    assert_eq!(listed["credentials"], json!([]));
}

#[derive(Debug, Clone, Copy)]
enum BadAssertion {
    UnknownChallenge,
    ExpiredChallenge,
    OtherUsersCredential,
    Replayed,
    CounterWentBackwards,
}

#[tokio::test]
async fn each_bad_assertion_gets_404_and_changes_nothing() {
    for case in [
        BadAssertion::UnknownChallenge,
        BadAssertion::ExpiredChallenge,
        BadAssertion::OtherUsersCredential,
        BadAssertion::Replayed,
        BadAssertion::CounterWentBackwards,
    ] {
        let emulator = passkey_emulator().await;
        let mut phone = Authenticator::new(3);
        let mine = register(&emulator, &phone, &emulator.user_id).await;
        let id = mine["id"].as_str().expect("id").to_owned();
        let user_id = emulator.user_id.clone();
        let body = match case {
            BadAssertion::UnknownChallenge => phone.get(&b64(&[2; 32]), &user_id, 1),
            BadAssertion::ExpiredChallenge => {
                let challenge = start_login(&emulator, &user_id).await;
                emulator.advance_clock(181).await;
                phone.get(&challenge, &user_id, 1)
            }
            BadAssertion::OtherUsersCredential => {
                let other_id = emulator
                    .register_user(
                        json!({"email": "other@example.com", "password": "other-password-1"}),
                        true,
                    )
                    .await;
                let mut other = Authenticator::new(4);
                register(&emulator, &other, &other_id).await;
                let challenge = start_login(&emulator, &user_id).await;
                other.get(&challenge, &other_id, 1)
            }
            BadAssertion::Replayed => {
                let challenge = start_login(&emulator, &user_id).await;
                let assertion = phone.get(&challenge, &user_id, 1);
                let first = passkey_login(&emulator, &assertion).await;
                assert_eq!(first.status(), 200);
                assertion
            }
            BadAssertion::CounterWentBackwards => {
                let challenge = start_login(&emulator, &user_id).await;
                let first = phone.get(&challenge, &user_id, 5);
                let ok = passkey_assert(&emulator, &first).await;
                assert_eq!(ok.status(), 200);
                let challenge = start_login(&emulator, &user_id).await;
                phone.get(&challenge, &user_id, -2)
            }
        };
        let before = stored(&emulator, &id).await;
        let response = passkey_login(&emulator, &body).await;
        assert_eq!(response.status(), 404, "{case:?}");
        assert!(response.bytes().await.expect("body").is_empty(), "{case:?}");
        assert_eq!(stored(&emulator, &id).await, before, "{case:?}");
    }
}

#[tokio::test]
async fn a_removed_passkey_no_longer_signs_the_user_in() {
    let emulator = passkey_emulator().await;
    let mut phone = Authenticator::new(5);
    register(&emulator, &phone, &emulator.user_id).await;
    let challenge = start_login(&emulator, &emulator.user_id).await;
    emulator
        .admin(
            Method::DELETE,
            &format!("/api/webauthn?userId={}", emulator.user_id),
        )
        .expect_status(200)
        .await;
    let assertion = phone.get(&challenge, &emulator.user_id, 1);
    let response = passkey_login(&emulator, &assertion).await;
    assert_eq!(
        response.status(),
        404,
        "a removed passkey no longer signs in"
    );
}

#[tokio::test]
async fn webauthn_off_for_the_tenant_or_the_workflow_is_refused_with_webauthn_disabled() {
    let emulator = spawn_emulator().await;
    let register =
        json!({"userId": emulator.user_id, "displayName": "Phone", "workflow": "bootstrap"});
    let (status, body) = send(&emulator, "/api/webauthn/register/start", &register).await;
    assert_eq!(status, 400, "WebAuthn is off by default");
    assert_eq!(body["generalErrors"][0]["code"], "[WebAuthnDisabled]");

    emulator
        .patch_default_tenant(json!({"webAuthnConfiguration": {"enabled": true,
            "bootstrapWorkflow": {"enabled": false}}}))
        .await;
    let (status, body) = send(&emulator, "/api/webauthn/register/start", &register).await;
    assert_eq!(status, 400, "the bootstrap workflow is off");
    assert_eq!(body["generalErrors"][0]["code"], "[WebAuthnDisabled]");
    let general =
        json!({"userId": emulator.user_id, "displayName": "Phone", "workflow": "general"});
    let (status, body) = send(&emulator, "/api/webauthn/register/start", &general).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["options"]["rp"].get("id").is_none(),
        "no relying party id configured"
    );
    assert!(
        body["options"]["authenticatorSelection"]
            .get("authenticatorAttachment")
            .is_none()
    );
}

#[tokio::test]
async fn a_passkey_login_fires_user_login_success_with_authentication_type_webauthn() {
    let emulator = passkey_emulator().await;
    let receiver = WebhookReceiver::start().await;
    emulator
        .admin(Method::POST, "/api/webhook")
        .json(
            &json!({"webhook": {"url": receiver.url, "tenantIds": [variable("defaultTenantId")],
            "eventsEnabled": {"user.login.success": true}}}),
        )
        .expect_status(200)
        .await;
    emulator
        .patch_default_tenant(json!({"eventConfiguration": {"events": {
            "user.login.success": {"enabled": true, "transactionType": "None"}}}}))
        .await;
    let mut phone = Authenticator::new(6);
    register(&emulator, &phone, &emulator.user_id).await;
    let challenge = start_login(&emulator, &emulator.user_id).await;
    let assertion = phone.get(&challenge, &emulator.user_id, 1);
    let response = passkey_login(&emulator, &assertion).await;
    assert_eq!(response.status(), 200);
    let (_, event) = receiver.next_event("user.login.success").await;
    assert_eq!(event["authenticationType"], "WebAuthn");
    assert_eq!(event["applicationId"], emulator.application_id);
    assert_eq!(event["user"]["id"], emulator.user_id);
}

#[tokio::test]
async fn an_expired_user_gets_410_from_a_passkey_login_as_from_a_password_login() {
    let emulator = passkey_emulator().await;
    let mut phone = Authenticator::new(8);
    register(&emulator, &phone, &emulator.user_id).await;
    let now = emulator.now_millis().await;
    emulator
        .admin(Method::PATCH, &format!("/api/user/{}", emulator.user_id))
        .json(&json!({"user": {"expiry": now - 1000}}))
        .expect_status(200)
        .await;
    let password = emulator.login_as(&emulator.email, &emulator.password).await;
    assert_eq!(password.status(), 410);
    let challenge = start_login(&emulator, &emulator.user_id).await;
    let assertion = phone.get(&challenge, &emulator.user_id, 1);
    let response = passkey_login(&emulator, &assertion).await;
    assert_eq!(response.status(), 410);
    assert!(response.bytes().await.expect("body").is_empty());
}

const START_ONLY_KEY: &str = "webauthn-start-only-key-0123456789abcdefghijklmnopqrstuvwxyz";

#[tokio::test]
async fn a_kickstart_enables_webauthn_and_a_key_limited_to_the_starts_can_only_start() {
    let emulator = spawn_emulator_with_kickstart_json(|document| {
        document["apiKeys"].as_array_mut().expect("apiKeys").push(
            json!({"key": START_ONLY_KEY, "description": "passkey starts",
                "permissions": {"endpoints": {"/api/webauthn/start": ["POST"],
                    "/api/webauthn/register/start": ["POST"]}}}),
        );
        document["requests"].as_array_mut().expect("requests").push(
            json!({"method": "PATCH", "url": "/api/tenant/#{defaultTenantId}",
                "body": {"tenant": {"webAuthnConfiguration": {"enabled": true,
                    "relyingPartyId": RP_ID, "bootstrapWorkflow": {"enabled": true}}}}}),
        );
    })
    .await;
    let start = |path: &'static str, body: Value| {
        emulator
            .client
            .post(emulator.url(path))
            .header("Authorization", START_ONLY_KEY)
            .json(&body)
            .send()
    };
    let response = start(
        "/api/webauthn/register/start",
        json!({"userId": emulator.user_id, "displayName": "Phone", "workflow": "bootstrap"}),
    )
    .await
    .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["options"]["rp"]["id"], RP_ID);
    emulator
        .client
        .get(emulator.url(&format!("/api/webauthn?userId={}", emulator.user_id)))
        .header("Authorization", START_ONLY_KEY)
        .expect_status(401)
        .await;
}
