//! Spawns the real emulator (port 0, its own database, the project's Kickstart file).

use std::sync::OnceLock;

use aws_lc_rs::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
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

pub async fn spawn_emulator() -> TestEmulator {
    spawn_emulator_on("sqlite::memory:").await
}

pub async fn spawn_emulator_on(database_url: &str) -> TestEmulator {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .try_init();
    }
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: database_url.to_owned(),
        kickstart: Some(Kickstart::from_path(KICKSTART.as_ref()).expect("kickstart parses")),
        test_hooks: true,
    };
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

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Logs the demo user in to the store application.
    pub async fn login(&self) -> Value {
        let response = self
            .post_json(
                "/api/login",
                &json!({"loginId": self.email, "password": self.password, "applicationId": self.application_id}),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("login JSON")
    }

    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json("/api/jwt/refresh", &json!({"refreshToken": refresh_token}))
            .await
    }

    /// Moves the emulator's clock forward.
    pub async fn advance_clock(&self, seconds: i64) {
        let response = self
            .post_json("/_emulator/clock", &json!({"advanceSeconds": seconds}))
            .await;
        assert_eq!(response.status(), 200);
    }

    /// Verifies a JWT's RS256 signature against the emulator's JWKS; returns its claims.
    pub async fn verified_claims(&self, jwt: &str) -> Value {
        let jwks: Value = self
            .client
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks")
            .json()
            .await
            .expect("jwks JSON");
        let header = decode_part(jwt, 0);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        let kid = header["kid"].as_str().expect("kid");
        let jwk = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"] == kid)
            .expect("the JWT's kid is in the JWKS");
        let b64 = |name: &str| {
            URL_SAFE_NO_PAD
                .decode(jwk[name].as_str().expect("component"))
                .expect("base64url")
        };
        let (n, e) = (b64("n"), b64("e"));
        let (signed, signature) = jwt.rsplit_once('.').expect("three parts");
        RsaPublicKeyComponents { n: &n, e: &e }
            .verify(
                &RSA_PKCS1_2048_8192_SHA256,
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).expect("signature"),
            )
            .expect("signature verifies");
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
