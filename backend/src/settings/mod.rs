//! The backend's configuration: one typed [`Settings`], read from flags or `APP_…` environment
//! variables (see the table in `backend/README.md`).

mod values;

use jsonwebtoken::Algorithm;
use shared::store::DeviceBinding;

pub use self::values::{AsymmetricAlgorithm, DatabaseUrl, PublicOrigin, Secret};
use self::values::{SecretParser, hmac_secret, session_key};

/// Address the backend listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// SQLite file in the working directory, created when missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:store.db?mode=rwc";
/// FusionAuth's (or the emulator's) default address.
pub const DEFAULT_FUSIONAUTH_URL: &str = "http://127.0.0.1:9011";
/// The Kickstart file's `applicationId`.
pub const DEFAULT_APPLICATION_ID: &str = "b0029271-d049-43fa-9a64-ade04b85bf15";
/// The Kickstart file's `issuer`.
pub const DEFAULT_ISSUER: &str = "https://auth.store.example";
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const DEFAULT_LEEWAY_SECONDS: u64 = 5;
/// FusionAuth's default refresh-token lifetime (30 days), in minutes.
pub const DEFAULT_MAX_REFRESH_AGE_MINUTES: u64 = 43_200;
/// How often each instance rereads the revocation tables, in seconds.
pub const DEFAULT_REVOCATION_SYNC_SECONDS: u64 = 2;
/// Login attempts per client address and minute through the login proxy.
pub const DEFAULT_LOGIN_ATTEMPTS_PER_MINUTE: u32 = 10;
/// Sign-up and forgot-password attempts per client address and minute.
pub const DEFAULT_ACCOUNT_ATTEMPTS_PER_MINUTE: u32 = 5;
/// Refreshes at FusionAuth per user and minute.
pub const DEFAULT_REFRESH_ATTEMPTS_PER_MINUTE: u32 = 10;
/// How long a DPoP nonce stays valid, in seconds.
pub const DEFAULT_DPOP_NONCE_SECONDS: u64 = 300;

/// Everything the backend needs to run. Build it with [`clap::Parser::parse`] in production or
/// [`Settings::for_fusionauth`] in tests.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "backend",
    version,
    about = "The store API and the PWA's web server"
)]
pub struct Settings {
    /// Address to listen on (`host:port`; port 0 picks a free port).
    #[arg(long, env = "APP_LISTEN", default_value = DEFAULT_LISTEN)]
    pub listen: String,

    /// Database URL: `sqlite:…` (default) or `postgres://…`.
    #[arg(long, env = "APP_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: DatabaseUrl,

    /// Directory of the built PWA, served at `/` (unknown paths fall back to `index.html`).
    #[arg(long, env = "APP_STATIC_DIR")]
    pub static_dir: Option<std::path::PathBuf>,

    /// FusionAuth base URL used by the backend (server to server).
    #[arg(long, env = "APP_FUSIONAUTH_URL", default_value = DEFAULT_FUSIONAUTH_URL)]
    pub fusionauth_url: String,

    /// Accept a plain-`http` FusionAuth URL whose host is not this machine (a private network
    /// you trust); refused at start-up otherwise.
    #[arg(long, env = "APP_ALLOW_INSECURE_FUSIONAUTH_URL")]
    pub allow_insecure_fusionauth_url: bool,

    /// FusionAuth base URL the browser uses (defaults to `APP_FUSIONAUTH_URL`).
    #[arg(long, env = "APP_FUSIONAUTH_PUBLIC_URL")]
    pub fusionauth_public_url: Option<String>,

    /// The FusionAuth application the PWA logs in to; JWTs must name it in `aud`.
    #[arg(long = "fusionauth-application-id", env = "APP_FUSIONAUTH_APPLICATION_ID",
          default_value = DEFAULT_APPLICATION_ID)]
    pub application_id: String,

    /// The `iss` every accepted JWT must carry (the tenant's issuer).
    #[arg(long = "fusionauth-issuer", env = "APP_FUSIONAUTH_ISSUER", default_value = DEFAULT_ISSUER)]
    pub issuer: String,

    /// Clock skew tolerated on `exp` and `nbf`, in seconds (0–5).
    #[arg(long, env = "APP_JWT_LEEWAY_SECONDS", default_value_t = DEFAULT_LEEWAY_SECONDS,
          value_parser = clap::value_parser!(u64).range(0..=5))]
    pub jwt_leeway_seconds: u64,

    /// Accepted JWT signature algorithms, comma-separated (asymmetric only: RS*, PS*, ES*, EdDSA).
    /// The Kickstart's access-token key is ES256; add RS256 for a FusionAuth with an RSA key.
    #[arg(
        long,
        env = "APP_JWT_ALGORITHMS",
        default_value = "ES256",
        value_delimiter = ','
    )]
    pub jwt_algorithms: Vec<AsymmetricAlgorithm>,

    /// Optional: FusionAuth's HMAC signing key secret (standard Base64, as the Key API returns
    /// it). Only when it is set are `HS256` access tokens accepted, verified with this secret
    /// (HMAC keys are never in the JWKS); without it HS* tokens are refused.
    #[arg(long, env = "APP_JWT_HMAC_SECRET", hide_env_values = true, value_parser = SecretParser(hmac_secret))]
    pub jwt_hmac_secret: Option<Secret>,

    /// `local` (the default): verify JWTs here with FusionAuth's JWKS. `fusionauth`: ask
    /// FusionAuth's `GET /api/jwt/validate` on every request instead; slower by design, it exists
    /// so that `cargo xtask bench` can measure what local verification saves. In that mode an
    /// expired JWT is simply refused (FusionAuth's answer does not say why), so nothing is
    /// refreshed.
    #[arg(long, env = "APP_JWT_VERIFICATION", value_enum, default_value_t = JwtVerification::Local)]
    pub jwt_verification: JwtVerification,

    /// A JWT expired longer ago than this (minutes) is never refreshed: no refresh token lives
    /// that long.
    #[arg(long, env = "APP_MAX_REFRESH_AGE_MINUTES", default_value_t = DEFAULT_MAX_REFRESH_AGE_MINUTES)]
    pub max_refresh_age_minutes: u64,

    /// Optional shared secret for `POST /webhooks/fusionauth`: the webhook's `Authorization`
    /// header must equal it. FusionAuth's signature JWT is accepted either way.
    #[arg(long, env = "APP_FUSIONAUTH_WEBHOOK_SECRET", hide_env_values = true)]
    pub fusionauth_webhook_secret: Option<Secret>,

    /// The `kid` of the key FusionAuth signs this webhook with (the webhook's
    /// `signatureConfiguration.signingKeyId`); when set, a signature by any other key is refused.
    #[arg(long, env = "APP_FUSIONAUTH_WEBHOOK_KID")]
    pub fusionauth_webhook_kid: Option<String>,

    /// How often (seconds) this instance rereads the revocations other instances recorded.
    #[arg(long, env = "APP_REVOCATION_SYNC_SECONDS", default_value_t = DEFAULT_REVOCATION_SYNC_SECONDS,
          value_parser = clap::value_parser!(u64).range(1..=60))]
    pub revocation_sync_seconds: u64,

    /// Optional FusionAuth API key: enables the login proxy `POST /api/login` (404 without it).
    #[arg(long, env = "APP_FUSIONAUTH_API_KEY", hide_env_values = true)]
    pub fusionauth_api_key: Option<Secret>,

    /// Login-proxy attempts allowed per client address and minute.
    #[arg(long, env = "APP_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = DEFAULT_LOGIN_ATTEMPTS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub login_attempts_per_minute: u32,

    /// `POST /api/account` (sign-up) and `POST /api/account/forgot-password` attempts allowed
    /// per client address and minute (each its own budget).
    #[arg(long, env = "APP_ACCOUNT_ATTEMPTS_PER_MINUTE", default_value_t = DEFAULT_ACCOUNT_ATTEMPTS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub account_attempts_per_minute: u32,

    /// Addresses of reverse proxies (comma-separated) whose `X-Forwarded-For` is believed for
    /// the login proxy's client address; empty = the connection's peer is the client.
    #[arg(long, env = "APP_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Refreshes at FusionAuth allowed per user and minute (requests sharing one refresh count
    /// once); past it, 429.
    #[arg(long, env = "APP_REFRESH_ATTEMPTS_PER_MINUTE", default_value_t = DEFAULT_REFRESH_ATTEMPTS_PER_MINUTE,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub refresh_attempts_per_minute: u32,

    /// Origins (comma-separated, e.g. `https://shop.example`) allowed to call the API from a
    /// browser; empty = same-origin only.
    #[arg(
        long,
        env = "APP_CORS_ALLOWED_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_allowed_origins: Vec<String>,

    /// `off`: store calls carry `Authorization: Bearer` and, when the JWT expired,
    /// `X-Refresh-Token` (the workflow as FusionAuth describes it). `required`: they carry
    /// `Authorization: DPoP` and a proof of the device's key, and the refresh token stays here,
    /// sealed (needs `APP_SESSION_KEY`).
    #[arg(long, env = "APP_DEVICE_BINDING", default_value = "required")]
    pub device_binding: DeviceBinding,

    /// The backend's origin as browsers reach it (`https://shop.example`); every DPoP proof's
    /// `htu` must be on it. Default: `http://<APP_LISTEN>`.
    #[arg(long, env = "APP_PUBLIC_ORIGIN")]
    pub public_origin: Option<PublicOrigin>,

    /// 32 random bytes, standard Base64 (`openssl rand -base64 32`): seals the refresh tokens
    /// of device-bound sessions and keys their DPoP nonces. Every instance needs the same one.
    #[arg(long, env = "APP_SESSION_KEY", hide_env_values = true, value_parser = SecretParser(session_key))]
    pub session_key: Option<Secret>,

    /// The session key before a rotation: what it sealed still opens (and is sealed again with
    /// the new key at its next refresh), and its nonces are still accepted.
    #[arg(long, env = "APP_SESSION_KEY_PREVIOUS", hide_env_values = true, value_parser = SecretParser(session_key))]
    pub session_key_previous: Option<Secret>,

    /// How long a DPoP nonce stays valid (seconds, 30–3600): a device whose clock is off
    /// proves freshness with one.
    #[arg(long, env = "APP_DPOP_NONCE_SECONDS", default_value_t = DEFAULT_DPOP_NONCE_SECONDS,
          value_parser = clap::value_parser!(u64).range(30..=3600))]
    pub dpop_nonce_seconds: u64,
}

/// Where access tokens are verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum JwtVerification {
    /// Locally, with FusionAuth's public keys (JWKS).
    Local,
    /// By FusionAuth's `GET /api/jwt/validate`, on every request (for the benchmark only).
    Fusionauth,
}

impl Settings {
    /// Settings for a FusionAuth at `fusionauth_url`; every other field at its default.
    pub fn for_fusionauth(
        fusionauth_url: String,
        application_id: String,
        issuer: String,
        database_url: String,
    ) -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            database_url: DatabaseUrl(database_url),
            static_dir: None,
            fusionauth_url,
            allow_insecure_fusionauth_url: false,
            fusionauth_public_url: None,
            application_id,
            issuer,
            jwt_leeway_seconds: DEFAULT_LEEWAY_SECONDS,
            jwt_verification: JwtVerification::Local,
            jwt_algorithms: vec![AsymmetricAlgorithm(Algorithm::ES256)],
            jwt_hmac_secret: None,
            max_refresh_age_minutes: DEFAULT_MAX_REFRESH_AGE_MINUTES,
            fusionauth_webhook_secret: None,
            fusionauth_webhook_kid: None,
            revocation_sync_seconds: DEFAULT_REVOCATION_SYNC_SECONDS,
            fusionauth_api_key: None,
            login_attempts_per_minute: DEFAULT_LOGIN_ATTEMPTS_PER_MINUTE,
            account_attempts_per_minute: DEFAULT_ACCOUNT_ATTEMPTS_PER_MINUTE,
            trusted_proxies: Vec::new(),
            refresh_attempts_per_minute: DEFAULT_REFRESH_ATTEMPTS_PER_MINUTE,
            cors_allowed_origins: Vec::new(),
            device_binding: DeviceBinding::Off,
            public_origin: None,
            session_key: None,
            session_key_previous: None,
            dpop_nonce_seconds: DEFAULT_DPOP_NONCE_SECONDS,
        }
    }

    /// Refuses a plain-`http` FusionAuth URL (backend or public) whose host is not a loopback
    /// address or `localhost`, unless `APP_ALLOW_INSECURE_FUSIONAUTH_URL` is set: passwords,
    /// refresh tokens and the API key travel on that connection.
    ///
    /// # Errors
    /// Which setting is refused and how to fix it.
    pub fn check_transport(&self) -> Result<(), String> {
        if self.allow_insecure_fusionauth_url {
            return Ok(());
        }
        let urls = [
            ("APP_FUSIONAUTH_URL", Some(self.fusionauth_url.as_str())),
            (
                "APP_FUSIONAUTH_PUBLIC_URL",
                self.fusionauth_public_url.as_deref(),
            ),
        ];
        for (name, url) in urls {
            let Some(url) = url else { continue };
            let parsed = reqwest::Url::parse(url)
                .map_err(|e| format!("{name} is not a URL ({e}): {url:?}"))?;
            let host = parsed.host_str().unwrap_or_default();
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|address| address.is_loopback());
            match parsed.scheme() {
                "https" => {}
                "http" if loopback => {}
                "http" => {
                    return Err(format!(
                        "{name} is plain http to a host that is not this machine ({url}): use \
                         https, or set APP_ALLOW_INSECURE_FUSIONAUTH_URL=true for a private \
                         network you trust"
                    ));
                }
                other => return Err(format!("{name} must be http or https, not {other}: {url}")),
            }
        }
        Ok(())
    }

    /// FusionAuth's base URL as the browser sees it, without a trailing slash.
    pub fn public_fusionauth_url(&self) -> String {
        self.fusionauth_public_url
            .as_deref()
            .unwrap_or(&self.fusionauth_url)
            .trim_end_matches('/')
            .to_owned()
    }
}

#[cfg(test)]
mod tests;
