//! Device-bound sessions (issue #11, `APP_DEVICE_BINDING=required`): the hand-off, every proof
//! rejection, nonces, the modes' refusals, logout and revocation, against the real emulator.
//! Proofs are signed by `testkit::DeviceKey` as the PWA signs them.

use std::sync::Arc;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use shared::headers::{DPOP, DPOP_NONCE, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN};
use shared::store::{ApiError, DeviceBinding, DeviceSession, ErrorCode};
use testkit::DeviceKey;
use testkit::dpop::{ProofClaims, unix_seconds};

use crate::helpers::{APPLICATION_ID, DEMO_USER_ID, Session, TestApp, header, spawn_app_with};

pub const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

/// A backend in `required` mode (and the emulator).
pub async fn spawn_bound_app() -> TestApp {
    spawn_app_with(|settings| settings.device_binding = DeviceBinding::Required).await
}

/// A signed-in device: its key, its current JWT, the latest nonce it was given.
pub struct Device {
    pub key: Arc<DeviceKey>,
    pub jwt: String,
    pub nonce: Option<String>,
    /// The backend it talks to (`http://127.0.0.1:<port>`).
    pub base: String,
    /// How far the device's clock is off, in seconds (its proofs' `iat`).
    pub clock_offset: i64,
}

/// What the backend answered, read once.
pub struct Answer {
    pub status: StatusCode,
    pub challenge: Option<String>,
    pub nonce: Option<String>,
    pub new_access_token: Option<String>,
    pub new_refresh_token: Option<String>,
    pub body: Value,
}

impl Answer {
    pub async fn read(response: Response) -> Self {
        Self {
            status: response.status(),
            challenge: header(&response, "www-authenticate"),
            nonce: header(&response, DPOP_NONCE),
            new_access_token: header(&response, NEW_ACCESS_TOKEN),
            new_refresh_token: header(&response, NEW_REFRESH_TOKEN),
            body: response.json().await.unwrap_or(Value::Null),
        }
    }

    /// The `ApiError` code of a non-2xx answer.
    pub fn code(&self) -> ErrorCode {
        serde_json::from_value::<ApiError>(self.body.clone())
            .map(|error| error.code)
            .unwrap_or(ErrorCode::Unknown)
    }

    /// Asserts a 401 with `WWW-Authenticate: DPoP … error="<error>"` and `code`.
    #[track_caller]
    pub fn assert_refused(&self, error: &str, code: ErrorCode, case: &str) {
        assert_eq!(
            self.status,
            StatusCode::UNAUTHORIZED,
            "{case}: {:?}",
            self.body
        );
        let challenge = self.challenge.as_deref().unwrap_or_default();
        assert!(
            challenge.starts_with("DPoP ") && challenge.contains(&format!("error=\"{error}\"")),
            "{case}: {challenge}"
        );
        assert_eq!(self.code(), code, "{case}");
        assert!(
            self.nonce.is_some(),
            "{case}: a DPoP answer carries a nonce"
        );
    }
}

/// Sends `method path` with `Authorization: DPoP <jwt>` and `proof`.
pub async fn send_raw(
    app: &TestApp,
    base: &str,
    method: Method,
    path: &str,
    jwt: &str,
    proof: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = app
        .client
        .request(method, format!("{base}{path}"))
        .header("Authorization", format!("DPoP {jwt}"))
        .header(DPOP, proof)
        .header("User-Agent", ANDROID_CHROME);
    if let Some(body) = body {
        request = request.json(&body);
    }
    Answer::read(request.send().await.expect("request")).await
}

impl Device {
    /// A device with a new key presenting `jwt` to `base`.
    pub fn new(base: &str, jwt: &str) -> Self {
        Self {
            key: Arc::new(DeviceKey::new()),
            jwt: jwt.to_owned(),
            nonce: None,
            base: base.to_owned(),
            clock_offset: 0,
        }
    }

    /// The same device (key, JWT, nonce) talking to another backend instance.
    pub fn on(&self, base: &str) -> Self {
        Self {
            key: Arc::clone(&self.key),
            jwt: self.jwt.clone(),
            nonce: self.nonce.clone(),
            base: base.to_owned(),
            clock_offset: self.clock_offset,
        }
    }

    /// A good proof for `method path` by this device's clock.
    pub fn proof(&self, method: &str, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        let mut proof = self
            .key
            .claims(method, &url, &self.jwt, self.nonce.as_deref());
        proof.claims["iat"] = json!(unix_seconds() + self.clock_offset);
        self.key.sign(&proof)
    }

    /// Signs in the demo user at FusionAuth and hands the session off to the backend.
    pub async fn sign_in(app: &TestApp) -> (Self, Session) {
        let session = app.login().await;
        let device = Self::hand_off(app, &app.address, &session).await;
        (device, session)
    }

    /// `POST /api/session` with a new key; asserts 201 and keeps the new JWT.
    pub async fn hand_off(app: &TestApp, base: &str, session: &Session) -> Self {
        let mut device = Self::new(base, &session.jwt);
        let answer = device
            .call_with_body(
                app,
                Method::POST,
                "/api/session",
                Some(json!({"refreshToken": session.refresh_token})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        let bound: DeviceSession =
            serde_json::from_value(answer.body.clone()).expect("a DeviceSession");
        assert_eq!(bound.device_label, "Chrome on Android");
        assert_eq!(answer.new_refresh_token, None);
        device.jwt = answer.new_access_token.expect("X-New-Access-Token");
        device
    }

    /// One call as the PWA makes it: a fresh proof with the latest nonce; on `use_dpop_nonce`
    /// one retry with the answer's nonce. Keeps the answer's nonce and new JWT.
    pub async fn call(&mut self, app: &TestApp, method: Method, path: &str) -> Answer {
        self.call_with_body(app, method, path, None).await
    }

    pub async fn call_with_body(
        &mut self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut retried = false;
        loop {
            let proof = self.proof(method.as_str(), path);
            let answer = send_raw(
                app,
                &self.base,
                method.clone(),
                path,
                &self.jwt,
                &proof,
                body.clone(),
            )
            .await;
            if let Some(nonce) = &answer.nonce {
                self.nonce = Some(nonce.clone());
            }
            if answer.code() == ErrorCode::UseDpopNonce && !retried {
                retried = true;
                continue;
            }
            if let Some(jwt) = &answer.new_access_token {
                self.jwt = jwt.clone();
            }
            return answer;
        }
    }

    /// Sends a forged proof (`edit` changes good members) for `GET /api/cart`.
    pub async fn forged_cart_call(
        &self,
        app: &TestApp,
        signer: &DeviceKey,
        edit: impl FnOnce(&mut ProofClaims),
    ) -> Answer {
        let url = format!("{}/api/cart", self.base);
        let mut proof = self
            .key
            .claims("GET", &url, &self.jwt, self.nonce.as_deref());
        edit(&mut proof);
        let signed = signer.sign(&proof);
        send_raw(
            app,
            &self.base,
            Method::GET,
            "/api/cart",
            &self.jwt,
            &signed,
            None,
        )
        .await
    }
}

/// Changes good proof members into bad ones.
type Forgery = Box<dyn FnOnce(&mut ProofClaims)>;

fn b64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_handed_off_session_reads_the_cart_with_proofs_and_fresh_nonces() {
    let app = spawn_bound_app().await;
    let (mut device, session) = Device::sign_in(&app).await;
    assert_ne!(device.jwt, session.jwt, "the hand-off answers a new JWT");
    let first = device.call(&app, Method::GET, "/api/cart").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.new_access_token, None);
    let first_nonce = first.nonce.expect("a DPoP-Nonce on a 200");
    let second = device.call(&app, Method::GET, "/api/cart").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.nonce.is_some());
    // The login JWT was issued to the session too (until it expires).
    device.jwt = session.jwt.clone();
    assert_eq!(
        device.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );
    assert!(!first_nonce.is_empty());
}

#[tokio::test]
async fn every_bad_proof_is_refused_with_invalid_dpop_proof() {
    let app = spawn_bound_app().await;
    let (device, _) = Device::sign_in(&app).await;
    let other = DeviceKey::new();
    let none_proof = |p: &mut ProofClaims| p.header["alg"] = json!("none");
    let cases: Vec<(&str, Forgery, &DeviceKey)> = vec![
        ("a signature by another key", Box::new(|_| {}), &other),
        ("alg none", Box::new(none_proof), &device.key),
        (
            "alg HS256",
            Box::new(|p| p.header["alg"] = json!("HS256")),
            &device.key,
        ),
        (
            "typ JWT",
            Box::new(|p| p.header["typ"] = json!("JWT")),
            &device.key,
        ),
        (
            "htm POST for a GET",
            Box::new(|p| p.claims["htm"] = json!("POST")),
            &device.key,
        ),
        (
            "htu of another path",
            Box::new(|p| {
                let htu = p.claims["htu"]
                    .as_str()
                    .unwrap_or_default()
                    .replace("cart", "products");
                p.claims["htu"] = json!(htu);
            }),
            &device.key,
        ),
        (
            "htu of another origin",
            Box::new(|p| p.claims["htu"] = json!("https://evil.example/api/cart")),
            &device.key,
        ),
        (
            "ath of another token",
            Box::new(|p| p.claims["ath"] = json!(b64("x"))),
            &device.key,
        ),
        (
            "no ath",
            Box::new(|p| drop(p.claims.as_object_mut().map(|c| c.remove("ath")))),
            &device.key,
        ),
        (
            "a private key in jwk",
            Box::new(|p| p.header["jwk"]["d"] = json!(b64("secret-scalar-0123456789abcdef0"))),
            &device.key,
        ),
    ];
    for (case, edit, signer) in cases {
        let answer = device.forged_cart_call(&app, signer, edit).await;
        answer.assert_refused("invalid_dpop_proof", ErrorCode::InvalidDpopProof, case);
    }
    // Not a JWS at all, and a missing header.
    let garbage = send_raw(
        &app,
        &device.base,
        Method::GET,
        "/api/cart",
        &device.jwt,
        "x.y",
        None,
    )
    .await;
    garbage.assert_refused("invalid_dpop_proof", ErrorCode::InvalidDpopProof, "garbage");
    let missing = app
        .client
        .get(app.url("/api/cart"))
        .header("Authorization", format!("DPoP {}", device.jwt))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let app = spawn_bound_app().await;
    let (device, _) = Device::sign_in(&app).await;
    let url = app.url("/api/cart");
    let proof = device.key.proof("GET", &url, &device.jwt, None);
    let first = send_raw(
        &app,
        &device.base,
        Method::GET,
        "/api/cart",
        &device.jwt,
        &proof,
        None,
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    let again = send_raw(
        &app,
        &device.base,
        Method::GET,
        "/api/cart",
        &device.jwt,
        &proof,
        None,
    )
    .await;
    again.assert_refused(
        "invalid_dpop_proof",
        ErrorCode::InvalidDpopProof,
        "replayed jti",
    );
}

#[tokio::test]
async fn a_stale_or_future_iat_without_nonce_gets_a_nonce_challenge_and_the_retry_works() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    for offset in [-600_i64, -61, 61, 600] {
        device.nonce = None;
        let answer = device
            .forged_cart_call(&app, &device.key, |p| {
                p.claims["iat"] = json!(unix_seconds() + offset);
            })
            .await;
        answer.assert_refused(
            "use_dpop_nonce",
            ErrorCode::UseDpopNonce,
            &format!("iat {offset:+} s"),
        );
        // The retry: same clock error, with the nonce.
        device.nonce = answer.nonce.clone();
        let retry = device
            .forged_cart_call(&app, &device.key, |p| {
                p.claims["iat"] = json!(unix_seconds() + offset);
            })
            .await;
        assert_eq!(
            retry.status,
            StatusCode::OK,
            "iat {offset:+} s with a nonce"
        );
    }
    // A nonce that is not the backend's is challenged the same way.
    device.nonce = Some(b64("not a nonce of ours, 24 b"));
    let answer = device.forged_cart_call(&app, &device.key, |_| {}).await;
    answer.assert_refused("use_dpop_nonce", ErrorCode::UseDpopNonce, "foreign nonce");
}

#[tokio::test]
async fn a_device_whose_clock_is_ten_minutes_off_signs_in_through_the_nonce() {
    let app = spawn_bound_app().await;
    let session = app.login().await;
    let key = DeviceKey::new();
    let url = app.url("/api/session");
    let skewed = |nonce: Option<&str>| {
        let mut proof = key.claims("POST", &url, &session.jwt, nonce);
        proof.claims["iat"] = json!(unix_seconds() - 600);
        key.sign(&proof)
    };
    let body = Some(json!({"refreshToken": session.refresh_token}));
    let first = send_raw(
        &app,
        &app.address,
        Method::POST,
        "/api/session",
        &session.jwt,
        &skewed(None),
        body.clone(),
    )
    .await;
    first.assert_refused(
        "use_dpop_nonce",
        ErrorCode::UseDpopNonce,
        "hand-off without nonce",
    );
    let nonce = first.nonce.expect("a nonce");
    let second = send_raw(
        &app,
        &app.address,
        Method::POST,
        "/api/session",
        &session.jwt,
        &skewed(Some(&nonce)),
        body,
    )
    .await;
    assert_eq!(second.status, StatusCode::CREATED, "{:?}", second.body);
}

#[tokio::test]
async fn bearer_tokens_and_refresh_token_headers_are_refused_in_required_mode() {
    let app = spawn_bound_app().await;
    let (device, session) = Device::sign_in(&app).await;
    let bearer = Answer::read(app.get_cart(&device.jwt, None).await).await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bearer.challenge.as_deref(),
        Some(r#"DPoP algs="ES256", error="invalid_token""#)
    );
    assert_eq!(bearer.code(), ErrorCode::Unauthorized);
    let with_refresh = Answer::read(
        app.get_cart(&session.jwt, Some(&session.refresh_token))
            .await,
    )
    .await;
    assert_eq!(with_refresh.status, StatusCode::UNAUTHORIZED);
    // Even beside a good proof.
    let url = app.url("/api/cart");
    let response = app
        .client
        .get(&url)
        .header("Authorization", format!("DPoP {}", device.jwt))
        .header(DPOP, device.key.proof("GET", &url, &device.jwt, None))
        .header(shared::headers::REFRESH_TOKEN, &session.refresh_token)
        .send()
        .await
        .expect("request");
    Answer::read(response).await.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "X-Refresh-Token",
    );
}

#[tokio::test]
async fn a_key_that_is_not_the_sessions_is_refused() {
    let app = spawn_bound_app().await;
    let (victim, _) = Device::sign_in(&app).await;
    // A thief with the victim's JWT and a key of their own.
    let thief = Device::new(&victim.base, &victim.jwt);
    let own_key = thief.forged_cart_call(&app, &thief.key, |_| {}).await;
    own_key.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "the thief's own key",
    );

    // Another user's bound key with the victim's JWT.
    let other = app
        .register_and_login("other@example.com", "other-pass-123")
        .await;
    let other_session = Session {
        jwt: other.token.expect("a JWT"),
        refresh_token: other.refresh_token.expect("a refresh token"),
        user_id: other.user.expect("a user").id,
    };
    let other_device = Device::hand_off(&app, &app.address, &other_session).await;
    let mut crossed = other_device.on(&victim.base);
    crossed.jwt = victim.jwt.clone();
    let answer = crossed.forged_cart_call(&app, &crossed.key, |_| {}).await;
    answer.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "another user's key",
    );
}

#[tokio::test]
async fn a_hand_off_with_someone_elses_refresh_token_is_refused_and_stores_nothing() {
    let app = spawn_bound_app().await;
    let victim = app
        .register_and_login("victim@example.com", "victim-pass-123")
        .await;
    let attacker = app.login().await;
    let mut device = Device::new(&app.address, &attacker.jwt);
    let refused = device
        .call_with_body(
            &app,
            Method::POST,
            "/api/session",
            Some(json!({"refreshToken": victim.refresh_token.expect("a refresh token")})),
        )
        .await;
    refused.assert_refused(
        "invalid_token",
        ErrorCode::Unauthorized,
        "someone else's token",
    );
    assert_eq!(refused.new_access_token, None);
    // Nothing was bound: the attacker's JWT and key are not a session…
    let cart = device.call(&app, Method::GET, "/api/cart").await;
    cart.assert_refused("invalid_token", ErrorCode::Unauthorized, "not bound");
    // …and the same key can still be bound with the attacker's own token.
    let own = device
        .call_with_body(
            &app,
            Method::POST,
            "/api/session",
            Some(json!({"refreshToken": attacker.refresh_token})),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED, "{:?}", own.body);
}

#[tokio::test]
async fn the_sign_in_refresh_token_is_worthless_after_the_hand_off_and_its_reuse_ends_the_session()
{
    let app = spawn_bound_app().await;
    let (mut device, session) = Device::sign_in(&app).await;
    // FusionAuth's one-time-use grace period (the Kickstart's: 10 s) passes.
    app.advance_time(std::time::Duration::from_secs(11)).await;
    let stolen = app
        .client
        .post(format!("{}/api/jwt/refresh", app.fusionauth_url))
        .json(&json!({"refreshToken": session.refresh_token}))
        .send()
        .await
        .expect("refresh at FusionAuth");
    assert_eq!(
        stolen.status(),
        StatusCode::BAD_REQUEST,
        "the spent token yields nothing"
    );
    // Reuse revokes the token family; FusionAuth's webhook ends the session here.
    let ended = await_answer(&app, &mut device, |a| a.status == StatusCode::UNAUTHORIZED).await;
    assert_eq!(ended.code(), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn logout_revokes_at_fusionauth_and_ends_the_session() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    let before = app
        .admin(
            Method::GET,
            &format!("/api/jwt/refresh?userId={DEMO_USER_ID}"),
            Value::Null,
        )
        .await;
    let live = |tokens: &Value| tokens["refreshTokens"].as_array().map_or(0, Vec::len);
    assert!(live(&before) >= 1);
    let answer = device.call(&app, Method::DELETE, "/api/session").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.nonce.is_some());
    let after = app
        .admin(
            Method::GET,
            &format!("/api/jwt/refresh?userId={DEMO_USER_ID}"),
            Value::Null,
        )
        .await;
    assert_eq!(
        live(&after),
        live(&before) - 1,
        "FusionAuth revoked the session's token"
    );
    let cart = device.call(&app, Method::GET, "/api/cart").await;
    cart.assert_refused("invalid_token", ErrorCode::Unauthorized, "after logout");
    let again = device.call(&app, Method::DELETE, "/api/session").await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn fusionauths_revocation_webhook_ends_the_users_sessions() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    assert_eq!(
        device.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );
    app.admin(
        Method::DELETE,
        &format!("/api/jwt/refresh?userId={DEMO_USER_ID}&applicationId={APPLICATION_ID}"),
        Value::Null,
    )
    .await;
    let ended = await_answer(&app, &mut device, |a| a.status == StatusCode::UNAUTHORIZED).await;
    ended.assert_refused("invalid_token", ErrorCode::Unauthorized, "after revocation");
}

#[tokio::test]
async fn session_routes_do_not_exist_when_binding_is_off() {
    let app = crate::helpers::spawn_app().await;
    let session = app.login().await;
    let response = app
        .client
        .post(app.url("/api/session"))
        .header("Authorization", format!("DPoP {}", session.jwt))
        .json(&json!({"refreshToken": session.refresh_token}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&response, DPOP_NONCE), None);
}

/// Calls `GET /api/cart` until `done` holds for the answer (FusionAuth's webhook is delivered
/// asynchronously), for at most 10 s.
pub async fn await_answer(
    app: &TestApp,
    device: &mut Device,
    done: impl Fn(&Answer) -> bool,
) -> Answer {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = device.call(app, Method::GET, "/api/cart").await;
        if done(&answer) {
            return answer;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never happened: {:?}",
            answer.body
        );
        tokio::task::yield_now().await;
    }
}
