//! The backend's passkey "start" calls: FusionAuth's WebAuthn start APIs with the server-side
//! API key, the user and application pinned here, limited per address; and the signed-in user's
//! own passkeys listed and removed (`GET /api/passkeys`, `DELETE /api/passkeys/{id}`), registered
//! with a software authenticator written here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::store::{ErrorCode, PasskeyList};

use crate::helpers::{
    BACKEND_API_KEY, DEMO_EMAIL, DEMO_USER_ID, Sent, TENANT_ID, TestApp, assert_error, error_code,
    spawn_app, spawn_app_with,
};

async fn spawn_app_with_passkeys(attempts_per_minute: u32) -> TestApp {
    let app = spawn_app_with(|settings| {
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
        settings.login_attempts_per_minute = attempts_per_minute;
    })
    .await;
    let workflow = json!({"enabled": true, "authenticatorAttachmentPreference": "platform",
        "userVerificationRequirement": "required"});
    app.admin(
        Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"webAuthnConfiguration": {"enabled": true, "relyingPartyId": "localhost",
            "bootstrapWorkflow": workflow}}}),
    )
    .await;
    app
}

async fn post(app: &TestApp, path: &str, jwt: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).json(body);
    if let Some(jwt) = jwt {
        request = request.bearer_auth(jwt);
    }
    request.sent().await
}

#[tokio::test]
async fn a_signed_in_user_gets_fusionauths_registration_options_for_themselves() {
    let app = spawn_app_with_passkeys(10).await;
    let session = app.login().await;
    let response = post(
        &app,
        "/api/passkeys/registration",
        Some(&session.jwt),
        &json!({"displayName": "Phone", "userId": "someone-else"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["options"]["user"]["id"],
        URL_SAFE_NO_PAD.encode(DEMO_USER_ID),
        "the user is the JWT's, not the body's"
    );
    assert_eq!(body["options"]["user"]["name"], DEMO_EMAIL);
    assert!(body["options"]["challenge"].is_string());
}

#[tokio::test]
async fn registration_options_need_a_signed_in_user() {
    let app = spawn_app_with_passkeys(10).await;
    let response = post(
        &app,
        "/api/passkeys/registration",
        None,
        &json!({"displayName": "Phone"}),
    )
    .await;
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn authentication_options_pass_on_fusionauths_answer_for_the_login_id() {
    let app = spawn_app_with_passkeys(10).await;
    let cases = [
        ("nobody@example.com", "[invalid]loginId"),
        (DEMO_EMAIL, "[invalid]userId"),
    ];
    for (login_id, code) in cases {
        let response = post(
            &app,
            "/api/passkeys/authentication",
            None,
            &json!({"loginId": login_id, "applicationId": "not-this-app"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{login_id}");
        let body: Value = response.json().await.expect("FusionAuth's errors");
        let codes: Vec<&Value> = body["fieldErrors"]
            .as_object()
            .expect("field errors")
            .values()
            .flat_map(|errors| errors.as_array().into_iter().flatten())
            .map(|error| &error["code"])
            .collect();
        assert_eq!(codes, [code], "{login_id}: {body}");
    }
}

#[tokio::test]
async fn passkey_starts_are_limited_per_address() {
    let app = spawn_app_with_passkeys(2).await;
    let body = json!({"loginId": DEMO_EMAIL});
    for _ in 0..2 {
        let response = post(&app, "/api/passkeys/authentication", None, &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
    let response = post(&app, "/api/passkeys/authentication", None, &body).await;
    assert_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyRequests,
    )
    .await;
}

#[tokio::test]
async fn without_the_api_key_the_passkey_starts_are_not_offered() {
    let app = spawn_app().await;
    let response = post(
        &app,
        "/api/passkeys/authentication",
        None,
        &json!({"loginId": DEMO_EMAIL}),
    )
    .await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

/// Where the software authenticator's ceremonies happen (the tenant's relying party id is
/// `localhost`, see [`spawn_app_with_passkeys`]).
const ORIGIN: &str = "http://localhost:8080";

/// A CBOR byte string (header + bytes), short ones only.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let len = u8::try_from(bytes.len()).expect("under 256 bytes");
    let mut out = if len < 24 {
        vec![0x40 | len]
    } else {
        vec![0x58, len]
    };
    out.extend_from_slice(bytes);
    out
}

/// A CBOR text string, short ones only.
fn cbor_text(text: &str) -> Vec<u8> {
    let mut out = vec![0x60 | u8::try_from(text.len()).expect("under 24 bytes")];
    out.extend_from_slice(text.as_bytes());
    out
}

/// What a platform authenticator with a new P-256 key answers to `navigator.credentials.create`
/// for these creation options (attestation `none`, user present and verified).
fn create_credential(options: &Value, credential_id: &[u8]) -> Value {
    use aws_lc_rs::digest::{SHA256, digest};
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a key");
    let challenge = options["challenge"].as_str().expect("a challenge");
    let client_data = json!({"type": "webauthn.create", "challenge": challenge,
        "origin": ORIGIN, "crossOrigin": false})
    .to_string();
    let mut auth_data = digest(&SHA256, b"localhost").as_ref().to_vec();
    auth_data.push(0x45); // user present, user verified, attested credential data
    auth_data.extend_from_slice(&[0; 4 + 16]); // sign count, AAGUID
    auth_data.extend_from_slice(
        &u16::try_from(credential_id.len())
            .expect("short")
            .to_be_bytes(),
    );
    auth_data.extend_from_slice(credential_id);
    let point = key.public_key().as_ref();
    // COSE_Key {kty: EC2, alg: ES256, crv: P-256, x, y}
    auth_data.extend_from_slice(&[0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]);
    auth_data.extend(cbor_bytes(&point[1..33]));
    auth_data.push(0x22);
    auth_data.extend(cbor_bytes(&point[33..65]));
    let mut attestation = vec![0xa3];
    for (name, value) in [("fmt", cbor_text("none")), ("attStmt", vec![0xa0])] {
        attestation.extend(cbor_text(name));
        attestation.extend(value);
    }
    attestation.extend(cbor_text("authData"));
    attestation.extend(cbor_bytes(&auth_data));
    json!({
        "id": URL_SAFE_NO_PAD.encode(credential_id),
        "type": "public-key",
        "response": {
            "attestationObject": URL_SAFE_NO_PAD.encode(&attestation),
            "clientDataJSON": URL_SAFE_NO_PAD.encode(client_data),
        }
    })
}

/// Registers a passkey named `name` for the user of `jwt` as the PWA does: options from the
/// backend, the credential straight to FusionAuth. Returns FusionAuth's id of the passkey.
async fn register_passkey(app: &TestApp, jwt: &str, name: &str, seed: u8) -> String {
    let response = post(
        app,
        "/api/passkeys/registration",
        Some(jwt),
        &json!({"displayName": name}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let start: Value = response.json().await.expect("options");
    let user_handle = start["options"]["user"]["id"].as_str().expect("user id");
    let user_id =
        String::from_utf8(URL_SAFE_NO_PAD.decode(user_handle).expect("base64url")).expect("text");
    let response = app
        .client
        .post(format!(
            "{}/api/webauthn/register/complete",
            app.fusionauth_url
        ))
        .json(&json!({"userId": user_id,
            "credential": create_credential(&start["options"], &[seed; 16])}))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("credential");
    body["credential"]["id"].as_str().expect("an id").to_owned()
}

async fn send(app: &TestApp, method: Method, path: &str, jwt: Option<&str>) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    if let Some(jwt) = jwt {
        request = request.bearer_auth(jwt);
    }
    request.sent().await
}

async fn passkeys_of(app: &TestApp, jwt: &str) -> PasskeyList {
    let response = send(app, Method::GET, "/api/passkeys", Some(jwt)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("a passkey list")
}

/// `DELETE /api/passkeys/{id}` as the owner of `jwt`.
async fn remove_passkey(app: &TestApp, jwt: &str, id: &str) -> reqwest::Response {
    let path = format!("/api/passkeys/{id}");
    send(app, Method::DELETE, &path, Some(jwt)).await
}

/// FusionAuth's own record of a user's passkeys (ids), read with the admin key.
async fn stored_passkeys(app: &TestApp, user_id: &str) -> Vec<String> {
    let body = app
        .admin_get(&format!("/api/webauthn?userId={user_id}"))
        .await;
    body["credentials"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|c| c["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_signed_in_user_sees_only_their_own_passkeys_with_name_and_dates() {
    let app = spawn_app_with_passkeys(10).await;
    let demo = app.login().await;
    assert_eq!(passkeys_of(&app, &demo.jwt).await, PasskeyList::default());
    let phone = register_passkey(&app, &demo.jwt, "Chrome on Android", 1).await;
    let other = app
        .register_and_login("other@example.com", "another-long-pass")
        .await;
    let other_jwt = other.token.expect("a JWT");
    register_passkey(&app, &other_jwt, "Their phone", 2).await;

    let list = passkeys_of(&app, &demo.jwt).await;
    assert_eq!(list.passkeys.len(), 1, "{list:?}");
    let passkey = &list.passkeys[0];
    assert_eq!(
        (passkey.id.as_str(), passkey.display_name.as_str()),
        (phone.as_str(), "Chrome on Android")
    );
    assert!(passkey.created_at > 0 && passkey.last_used_at >= passkey.created_at);
    assert_eq!(
        passkeys_of(&app, &other_jwt).await.passkeys[0].display_name,
        "Their phone"
    );
}

#[tokio::test]
async fn a_user_removes_their_passkey_but_not_anyone_elses() {
    let app = spawn_app_with_passkeys(10).await;
    let demo = app.login().await;
    let mine = register_passkey(&app, &demo.jwt, "Phone", 1).await;
    let other = app
        .register_and_login("other@example.com", "another-long-pass")
        .await;
    let other_id = other.user.as_ref().expect("a user").id.clone();
    let theirs = register_passkey(&app, &other.token.expect("a JWT"), "Theirs", 2).await;

    let refused = [
        ("another user's passkey", theirs.clone()),
        (
            "an unknown id",
            "2d7c6d1e-0d4b-4a36-9d0e-7d3c5b2a1f00".to_owned(),
        ),
        ("not an id at all", "..%2F..%2Fapi%2Fuser".to_owned()),
    ];
    for (what, id) in refused {
        let response = remove_passkey(&app, &demo.jwt, &id).await;
        assert_eq!(
            error_code(response, StatusCode::NOT_FOUND).await,
            ErrorCode::NotFound,
            "{what}"
        );
    }
    assert_eq!(
        stored_passkeys(&app, &other_id).await,
        std::slice::from_ref(&theirs)
    );
    assert_eq!(
        stored_passkeys(&app, DEMO_USER_ID).await,
        std::slice::from_ref(&mine)
    );

    let response = remove_passkey(&app, &demo.jwt, &mine).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(stored_passkeys(&app, DEMO_USER_ID).await.is_empty());
    assert_eq!(passkeys_of(&app, &demo.jwt).await, PasskeyList::default());
    assert_eq!(stored_passkeys(&app, &other_id).await, [theirs]);
}

#[tokio::test]
async fn listing_and_removing_passkeys_need_a_signed_in_user_and_the_api_key() {
    let app = spawn_app_with_passkeys(10).await;
    let calls = [
        (Method::GET, "/api/passkeys"),
        (
            Method::DELETE,
            "/api/passkeys/2d7c6d1e-0d4b-4a36-9d0e-7d3c5b2a1f00",
        ),
    ];
    for (method, path) in calls.clone() {
        let response = send(&app, method.clone(), path, None).await;
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::Unauthorized,
            "{method} {path}"
        );
    }
    let without_key = spawn_app().await;
    let session = without_key.login().await;
    for (method, path) in calls {
        let response = send(&without_key, method.clone(), path, Some(&session.jwt)).await;
        assert_eq!(
            error_code(response, StatusCode::NOT_FOUND).await,
            ErrorCode::NotFound,
            "{method} {path}"
        );
    }
}
