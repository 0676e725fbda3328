//! A device in device-bound mode, as the PWA is one: its key (`testkit::DeviceKey`), its JWT,
//! the latest `DPoP-Nonce`; proofs for every call, one retry on `use_dpop_nonce`.

use std::sync::Arc;

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use shared::headers::{DPOP, DPOP_NONCE, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN};
use shared::store::{ApiError, DeviceBinding, DeviceSession, ErrorCode};
use testkit::DeviceKey;
use testkit::dpop::{ProofClaims, unix_seconds};

use crate::helpers::{Sent, Session, TestApp, header, spawn_app_with};

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
    Answer::read(request.sent().await).await
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
