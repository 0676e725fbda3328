// Over 500 lines: the one harness of the API suite (spawning, requests, webhook receiver, TOTP).
//! Spawns the real emulator (port 0, its own database, the project's Kickstart file).

use std::sync::OnceLock;

use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fusionauth_emulator::{Application, Kickstart, Settings};
use serde_json::{Value, json};

pub const KICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fusionauth/kickstart.json");

/// The Kickstart file's `variables`.
pub fn variable(name: &str) -> String {
    static VARIABLES: OnceLock<Value> = OnceLock::new();
    let variables = VARIABLES.get_or_init(|| {
        let text = std::fs::read_to_string(KICKSTART).expect("kickstart file is readable");
        serde_json::from_str::<Value>(&text).expect("kickstart is JSON")["variables"].clone()
    });
    variables[name]
        .as_str()
        .unwrap_or_else(|| panic!("variable {name} is defined"))
        .to_owned()
}

#[derive(Debug)]
pub struct TestEmulator {
    pub base_url: String,
    pub client: reqwest::Client,
    pub application_id: String,
    pub api_key: String,
    pub email: String,
    pub password: String,
    pub user_id: String,
}

/// Sends a request a test built; not reaching the emulator fails the test.
pub trait Sent {
    fn sent(self) -> impl Future<Output = reqwest::Response>;

    /// Sends the request and asserts the answer's status (a failure names the request's method
    /// and URL); the answer.
    fn expect_status(self, status: u16) -> impl Future<Output = reqwest::Response>;
}

impl Sent for reqwest::RequestBuilder {
    async fn sent(self) -> reqwest::Response {
        self.send().await.expect("sent")
    }

    async fn expect_status(self, status: u16) -> reqwest::Response {
        let (client, request) = self.build_split();
        let request = request.expect("the test builds a valid request");
        let what = format!("{} {}", request.method(), request.url());
        let response = client.execute(request).await.expect("sent");
        assert_eq!(response.status(), status, "{what}");
        response
    }
}

pub async fn spawn_emulator() -> TestEmulator {
    spawn_emulator_on("sqlite::memory:").await
}

pub async fn spawn_emulator_on(database_url: &str) -> TestEmulator {
    spawn_emulator_with(database_url, |_| {}).await
}

/// A SQLite database file (WAL mode, a pool of connections: unlike `sqlite::memory:`) in a
/// directory of its own, removed when dropped.
pub struct DatabaseFile {
    dir: std::path::PathBuf,
    pub url: String,
}

impl DatabaseFile {
    pub fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("fusionauth-emulator-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite:{}?mode=rwc", dir.join("emulator.db").display());
        Self { dir, url }
    }
}

impl Drop for DatabaseFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Spawns the emulator after `adjust` has changed the Kickstart (e.g. its variables).
pub async fn spawn_emulator_with(
    database_url: &str,
    adjust: impl FnOnce(&mut Kickstart),
) -> TestEmulator {
    let mut kickstart = Kickstart::from_path(KICKSTART.as_ref()).expect("kickstart parses");
    adjust(&mut kickstart);
    spawn_emulator_with_kickstart(database_url, kickstart).await
}

/// Spawns the emulator with the project's Kickstart JSON after `edit` changed it.
pub async fn spawn_emulator_with_kickstart_json(edit: impl FnOnce(&mut Value)) -> TestEmulator {
    let text = std::fs::read_to_string(KICKSTART).expect("kickstart file is readable");
    let mut document: Value = serde_json::from_str(&text).expect("kickstart is JSON");
    edit(&mut document);
    let kickstart = Kickstart::from_json(&document.to_string()).expect("kickstart parses");
    spawn_emulator_with_kickstart("sqlite::memory:", kickstart).await
}

async fn spawn_emulator_with_kickstart(database_url: &str, kickstart: Kickstart) -> TestEmulator {
    spawn_emulator_configured(database_url, kickstart, |_| {}).await
}

/// Settings of an emulator on a free loopback port with an in-memory database and `kickstart`;
/// no test hooks.
pub fn settings_with(kickstart: Option<Kickstart>) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: "sqlite::memory:".into(),
        kickstart,
        ..Settings::default()
    }
}

/// Spawns the emulator with the project's Kickstart and `configure`d settings.
pub async fn spawn_emulator_with_settings(configure: impl FnOnce(&mut Settings)) -> TestEmulator {
    let kickstart = Kickstart::from_path(KICKSTART.as_ref()).expect("kickstart parses");
    spawn_emulator_configured("sqlite::memory:", kickstart, configure).await
}

async fn spawn_emulator_configured(
    database_url: &str,
    kickstart: Kickstart,
    configure: impl FnOnce(&mut Settings),
) -> TestEmulator {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .try_init();
    }
    let mut settings = Settings {
        database_url: database_url.to_owned(),
        test_hooks: true,
        ..settings_with(Some(kickstart))
    };
    configure(&mut settings);
    let application = Application::build(settings).await.expect("emulator builds");
    let base_url = application.base_url();
    tokio::spawn(application.run_until_stopped());
    TestEmulator {
        base_url,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        application_id: variable("applicationId"),
        api_key: variable("apiKey"),
        email: variable("demoEmail"),
        password: variable("demoPassword"),
        user_id: variable("demoUserId"),
    }
}

impl TestEmulator {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// `GET path`, read as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.read_json(self.client.get(self.url(path))).await
    }

    /// `GET path` with the API key, read as JSON.
    pub async fn get_json_with_key(&self, path: &str) -> Value {
        self.read_json(
            self.client
                .get(self.url(path))
                .header("Authorization", &self.api_key),
        )
        .await
    }

    async fn read_json(&self, request: reqwest::RequestBuilder) -> Value {
        request.sent().await.json().await.expect("JSON")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(body).sent().await
    }

    /// Logs the demo user in to the store application.
    pub async fn login(&self) -> Value {
        let response = self.login_as(&self.email, &self.password).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("login JSON")
    }

    /// Logs the demo user in; the new session's refresh token.
    pub async fn login_refresh_token(&self) -> String {
        let login = self.login().await;
        let refresh_token = login["refreshToken"].as_str().expect("a refresh token");
        refresh_token.to_owned()
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/api/jwt/refresh", &json!({"refreshToken": refresh_token}))
            .await
    }

    /// `POST /api/logout` of the session of `login` (a login answer).
    pub async fn logout(&self, login: &Value) -> reqwest::Response {
        let body = json!({"refreshToken": login["refreshToken"]});
        self.post_json("/api/logout", &body).await
    }

    /// Refreshes with the refresh token of `login` (a login answer).
    pub async fn refresh_login(&self, login: &Value) -> reqwest::Response {
        let refresh_token = login["refreshToken"].as_str().expect("a refresh token");
        self.refresh(refresh_token).await
    }

    /// `POST /api/login` with `body`.
    pub async fn login_with(&self, body: &Value) -> reqwest::Response {
        self.post_json("/api/login", body).await
    }

    /// `POST /api/two-factor/login` with `body`.
    pub async fn two_factor_login(&self, body: &Value) -> reqwest::Response {
        self.post_json("/api/two-factor/login", body).await
    }

    /// Moves the emulator's clock forward.
    pub async fn advance_clock(&self, seconds: i64) {
        let response = self
            .post_json("/_emulator/clock", &json!({"advanceSeconds": seconds}))
            .await;
        assert_eq!(response.status(), 200);
    }

    /// Verifies a JWT's signature against the emulator's JWKS — ES256 (the Kickstart's key:
    /// P-256, point `04 || x || y`) or RS256 (keys a test generates) — and returns its claims.
    pub async fn verified_claims(&self, jwt: &str) -> Value {
        let jwks: Value = self.get_json("/.well-known/jwks.json").await;
        let header = decode_part(jwt, 0);
        assert_eq!(header["typ"], "JWT");
        let kid = header["kid"].as_str().expect("kid");
        let jwk = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == kid)
            .expect("the JWT's kid is in the JWKS");
        assert_eq!(
            header["alg"], jwk["alg"],
            "the JWT names its key's algorithm"
        );
        let b64 = |name: &str| {
            URL_SAFE_NO_PAD
                .decode(jwk[name].as_str().expect("component"))
                .expect("base64url")
        };
        let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
        let signature = URL_SAFE_NO_PAD.decode(signature).expect("signature");
        match header["alg"].as_str().expect("alg") {
            "ES256" => {
                assert_eq!(jwk["kty"], "EC");
                assert_eq!(jwk["crv"], "P-256");
                let (x, y) = (b64("x"), b64("y"));
                assert_eq!((x.len(), y.len()), (32, 32), "P-256 coordinates");
                let point = [&[4u8][..], &x, &y].concat();
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                    .verify(signed.as_bytes(), &signature)
                    .expect("ES256 signature verifies");
            }
            "RS256" => {
                assert_eq!(jwk["kty"], "RSA");
                let (n, e) = (b64("n"), b64("e"));
                RsaPublicKeyComponents { n: &n, e: &e }
                    .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &signature)
                    .expect("RS256 signature verifies");
            }
            other => panic!("a published key signs with {other}"),
        }
        decode_part(jwt, 1)
    }
}

/// Decodes part `index` (0 header, 1 payload) of a JWT without verifying it.
pub fn decode_part(jwt: &str, index: usize) -> Value {
    let part = jwt.split('.').nth(index).expect("JWT part");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

/// All `Set-Cookie` values of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// One request a [`WebhookReceiver`] got.
#[derive(Debug)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

/// A real HTTP server standing in for a webhook consumer: records every request and answers
/// with `status` after `delay_ms`.
#[derive(Debug)]
pub struct WebhookReceiver {
    pub url: String,
    pub status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    pub delay_ms: std::sync::Arc<std::sync::atomic::AtomicU64>,
    received: tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Received>>,
}

impl WebhookReceiver {
    pub async fn start() -> Self {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let status = Arc::new(AtomicU16::new(200));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let (status_in, delay_in) = (status.clone(), delay_ms.clone());
        let server = actix_web::HttpServer::new(move || {
            let (sender, status, delay) = (sender.clone(), status_in.clone(), delay_in.clone());
            actix_web::App::new().default_service(actix_web::web::to(
                move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                    let (sender, status, delay) = (sender.clone(), status.clone(), delay.clone());
                    async move {
                        let mut headers = reqwest::header::HeaderMap::new();
                        for (name, value) in req.headers() {
                            if let (Ok(name), Ok(value)) = (
                                reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
                                reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
                            ) {
                                headers.append(name, value);
                            }
                        }
                        let _ = sender.send(Received {
                            headers,
                            body: body.to_vec(),
                        });
                        let delay = delay.load(Ordering::SeqCst);
                        if delay > 0 {
                            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                        }
                        actix_web::HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status.load(Ordering::SeqCst))
                                .expect("status"),
                        )
                        .finish()
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/webhooks/fusionauth"),
            status,
            delay_ms,
            received: tokio::sync::Mutex::new(receiver),
        }
    }

    /// The next request received (waits up to 10 s).
    pub async fn next(&self) -> Received {
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            self.received.lock().await.recv().await
        })
        .await
        .expect("a webhook request arrives in time")
        .expect("the receiver is running")
    }

    /// The next request whose event has type `event_type` (others are skipped).
    pub async fn next_event(&self, event_type: &str) -> (Received, Value) {
        loop {
            let received = self.next().await;
            let body = received.json();
            if body["event"]["type"] == event_type {
                return (received, body["event"].clone());
            }
        }
    }

    /// Whether a request arrives within `millis`.
    pub async fn nothing_within(&self, millis: u64) -> bool {
        tokio::time::timeout(std::time::Duration::from_millis(millis), async {
            self.received.lock().await.recv().await
        })
        .await
        .is_err()
    }
}

/// The emulator with the Kickstart's webhook pointed at a fresh receiver.
pub async fn spawn_emulator_with_receiver() -> (TestEmulator, WebhookReceiver) {
    let receiver = WebhookReceiver::start().await;
    let url = receiver.url.clone();
    let emulator = spawn_emulator_with("sqlite::memory:", move |kickstart| {
        kickstart.set_variable("storeWebhookUrl", url);
    })
    .await;
    (emulator, receiver)
}

impl TestEmulator {
    /// An API-key request.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Authorization", &self.api_key)
    }

    /// Creates a user registered to the store application (combined registration); returns
    /// the user's id.
    pub async fn register_user(&self, user: Value, skip_verification: bool) -> String {
        let response = self
            .admin(reqwest::Method::POST, "/api/user/registration")
            .json(&json!({"user": user,
                "registration": {"applicationId": self.application_id},
                "skipVerification": skip_verification}))
            .sent()
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        body["user"]["id"].as_str().expect("user id").to_owned()
    }

    /// `PATCH /api/tenant/{default tenant}` with `tenant`; asserts 200.
    pub async fn patch_default_tenant(&self, tenant: Value) {
        let response = self.try_patch_default_tenant(tenant).await;
        assert_eq!(response.status(), 200);
    }

    /// `PATCH /api/tenant/{default tenant}` with `tenant`: the answer, whatever it is.
    pub async fn try_patch_default_tenant(&self, tenant: Value) -> reqwest::Response {
        self.admin(
            reqwest::Method::PATCH,
            &format!("/api/tenant/{}", variable("defaultTenantId")),
        )
        .json(&json!({ "tenant": tenant }))
        .sent()
        .await
    }

    /// The emulator's clock (epoch ms).
    pub async fn now_millis(&self) -> i64 {
        let response = self
            .post_json("/_emulator/clock", &json!({"advanceSeconds": 0}))
            .await;
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.expect("JSON")["nowMillis"]
            .as_i64()
            .expect("ms")
    }

    /// The TOTP code of `base64_secret` at the emulator's clock.
    pub async fn totp_now(&self, base64_secret: &str) -> String {
        totp_code(base64_secret, self.now_millis().await / 1000)
    }

    /// The body of a store-application login's answer, whatever its status.
    pub async fn login_body(&self, login_id: &str, password: &str) -> Value {
        let response = self.login_as(login_id, password).await;
        response.json().await.expect("JSON")
    }

    /// Logs in with a store-application login request.
    pub async fn login_as(&self, login_id: &str, password: &str) -> reqwest::Response {
        let body = json!({"loginId": login_id, "password": password,
                          "applicationId": self.application_id});
        self.login_with(&body).await
    }
}

/// The authenticator key of the two-factor tests, as FusionAuth documents it: `secret` standard
/// Base64, and its Base32 twin `secretBase32Encoded` (what an authenticator app shows).
pub const TOTP_SECRET: &str = "SGVsbG8h3q2+7w==";
pub const TOTP_SECRET_BASE32: &str = "JBSWY3DPEHPK3PXP";

/// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps) at `unix_seconds` for a secret in
/// FusionAuth's documented encoding (`twoFactor.methods[].secret`: standard Base64).
pub fn totp_code(base64_secret: &str, unix_seconds: i64) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(base64_secret)
        .expect("a standard Base64 secret");
    let counter = (unix_seconds / 30) as u64;
    let tag = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &key),
        &counter.to_be_bytes(),
    );
    let mac = tag.as_ref();
    let offset = (mac[19] & 0x0f) as usize;
    let number =
        u32::from_be_bytes(mac[offset..offset + 4].try_into().expect("4 bytes")) & 0x7fff_ffff;
    format!("{:06}", number % 1_000_000)
}
