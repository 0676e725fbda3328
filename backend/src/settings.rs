//! The backend's configuration: one typed [`Settings`], read from flags or `APP_…` environment
//! variables (see the table in `backend/README.md`).

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::Algorithm;
use shared::store::DeviceBinding;

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

/// A secret setting (API key, webhook secret). `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself: only for sending or comparing it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            Err("a secret cannot be empty".to_owned())
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `APP_JWT_HMAC_SECRET`: non-empty standard Base64 (as FusionAuth's Key API returns it).
fn hmac_secret(s: &str) -> Result<Secret, String> {
    use base64::Engine as _;
    let secret = Secret::from_str(s)?;
    match base64::engine::general_purpose::STANDARD.decode(secret.expose()) {
        Ok(bytes) if !bytes.is_empty() => Ok(secret),
        _ => Err(
            "the HMAC secret must be standard Base64, as FusionAuth's Key API returns it"
                .to_owned(),
        ),
    }
}

/// `APP_SESSION_KEY`: 32 bytes of standard Base64.
fn session_key(s: &str) -> Result<Secret, String> {
    crate::device::SessionKey::from_base64(s).map_err(|e| e.to_string())?;
    Ok(Secret(s.trim().to_owned()))
}

/// A secret setting checked by its function. Its errors never repeat the value (clap's own
/// "invalid value '…'" would print the secret).
#[derive(Clone, Copy)]
struct SecretParser(fn(&str) -> Result<Secret, String>);

impl fmt::Debug for SecretParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretParser")
    }
}

impl clap::builder::TypedValueParser for SecretParser {
    type Value = Secret;

    fn parse_ref(
        &self,
        command: &clap::Command,
        argument: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Secret, clap::Error> {
        let name = argument.map_or_else(|| "the secret".to_owned(), ToString::to_string);
        let refuse = |reason: String| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for {name}: {reason}\n"),
            )
            .with_cmd(command)
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("it is not text".to_owned()))?;
        (self.0)(text).map_err(refuse)
    }
}

/// `scheme://host[:port]` (`http` or `https`), normalised: lower case, the scheme's default
/// port dropped. The origin DPoP proofs' `htu` must be on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicOrigin(String);

impl PublicOrigin {
    /// `scheme://host[:port]`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The default for a backend listening on `listen` (`host:port`): `http://host:port`.
    ///
    /// # Errors
    /// When `http://<listen>` is not an origin.
    pub fn for_listen(listen: &str) -> Result<Self, String> {
        format!("http://{listen}").parse()
    }
}

impl FromStr for PublicOrigin {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || {
            format!(
                "expected an origin like https://shop.example or http://127.0.0.1:8080 \
                 (scheme, host, optional port; no path, query or user), got {s:?}"
            )
        };
        if s.contains(['?', '#']) {
            return Err(refuse());
        }
        let url = crate::device::htu::normalise(s).ok_or_else(refuse)?;
        let path = s
            .split_once("://")
            .map_or("", |(_, rest)| rest.find('/').map_or("", |at| &rest[at..]));
        if !matches!(path, "" | "/") {
            return Err(refuse());
        }
        Ok(Self(url.origin))
    }
}

impl fmt::Display for PublicOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A database URL. Its `Debug` and `Display` hide any password it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The full URL, password included: only for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for SQLite in-memory databases, which live only as long as their one connection.
    pub fn is_sqlite_memory(&self) -> bool {
        self.0.starts_with("sqlite")
            && (self.0.contains(":memory:") || self.0.contains("mode=memory"))
    }

    /// The URL with any `user:password@` credentials replaced by `***@`.
    pub fn redacted(&self) -> String {
        match (self.0.find("://"), self.0.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://***{}", &self.0[..scheme_end], &self.0[at..])
            }
            _ => self.0.clone(),
        }
    }
}

impl FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("sqlite:")
            || s.starts_with("postgres://")
            || s.starts_with("postgresql://")
        {
            Ok(Self(s.to_owned()))
        } else {
            Err("expected a sqlite: or postgres:// URL".to_owned())
        }
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        Self(url)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A JWT signature algorithm whose key JWKS can publish (never HMAC: FusionAuth does not publish
/// HMAC secrets, and accepting HS* next to public keys invites algorithm confusion).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsymmetricAlgorithm(pub Algorithm);

impl FromStr for AsymmetricAlgorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let algorithm =
            Algorithm::from_str(s.trim()).map_err(|_| format!("unknown algorithm {s:?}"))?;
        match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Err(format!(
                "{s} is symmetric; only public-key algorithms are accepted"
            )),
            other => Ok(Self(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn defaults_match_the_kickstart_file() {
        let settings = Settings::try_parse_from(["backend"]).expect("defaults parse");
        assert_eq!(settings.application_id, DEFAULT_APPLICATION_ID);
        assert_eq!(
            settings.jwt_algorithms,
            [AsymmetricAlgorithm(Algorithm::ES256)]
        );
        assert_eq!(settings.public_fusionauth_url(), DEFAULT_FUSIONAUTH_URL);
    }

    #[test]
    fn leeway_above_five_seconds_is_refused() {
        assert!(Settings::try_parse_from(["backend", "--jwt-leeway-seconds", "6"]).is_err());
        assert!(Settings::try_parse_from(["backend", "--jwt-leeway-seconds", "5"]).is_ok());
    }

    #[test]
    fn algorithms_are_a_comma_separated_asymmetric_allowlist() {
        let settings = Settings::try_parse_from(["backend", "--jwt-algorithms", "RS256,ES256"])
            .expect("parses");
        assert_eq!(
            settings.jwt_algorithms,
            [
                AsymmetricAlgorithm(Algorithm::RS256),
                AsymmetricAlgorithm(Algorithm::ES256)
            ]
        );
        assert!(Settings::try_parse_from(["backend", "--jwt-algorithms", "RS256,HS256"]).is_err());
        assert!(Settings::try_parse_from(["backend", "--jwt-algorithms", "none"]).is_err());
    }

    #[test]
    fn secrets_never_show_and_cors_origins_are_a_list() {
        let settings = Settings::try_parse_from([
            "backend",
            "--fusionauth-api-key",
            "k3y",
            "--fusionauth-webhook-secret",
            "w3bhook",
            "--cors-allowed-origins",
            "https://a.example,https://b.example",
            "--jwt-hmac-secret",
            "aG1hYy1zM2NyZXQ=",
        ])
        .expect("parses");
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("k3y") && !shown.contains("w3bhook") && !shown.contains("aG1hYy1z"),
            "{shown}"
        );
        assert_eq!(
            settings.cors_allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        let defaults = Settings::try_parse_from(["backend"]).expect("defaults parse");
        assert!(defaults.fusionauth_api_key.is_none());
        assert!(defaults.jwt_hmac_secret.is_none());
        let refused =
            Settings::try_parse_from(["backend", "--jwt-hmac-secret", "n0t-base64-s3cret!"])
                .expect_err("not Base64")
                .to_string();
        assert!(refused.contains("standard Base64"), "{refused}");
        assert!(
            !refused.contains("s3cret"),
            "the value is never echoed: {refused}"
        );
        assert!(defaults.cors_allowed_origins.iter().all(String::is_empty));
    }

    /// `openssl rand -base64 32`, once.
    const SESSION_KEY: &str = "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E=";

    #[test]
    fn device_binding_is_required_by_default_and_reads_required_or_off() {
        let defaults = Settings::try_parse_from(["backend"]).expect("defaults parse");
        assert_eq!(defaults.device_binding, DeviceBinding::Required);
        assert_eq!(defaults.public_origin, None);
        assert!(defaults.session_key.is_none() && defaults.session_key_previous.is_none());
        assert_eq!(defaults.dpop_nonce_seconds, DEFAULT_DPOP_NONCE_SECONDS);
        let off = Settings::try_parse_from(["backend", "--device-binding", "off"]).expect("parses");
        assert_eq!(off.device_binding, DeviceBinding::Off);
        for bad in ["Required", "on", "dpop", ""] {
            assert!(
                Settings::try_parse_from(["backend", "--device-binding", bad]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_dpop_nonce_lifetime_is_thirty_seconds_to_an_hour() {
        for (value, ok) in [("29", false), ("30", true), ("3600", true), ("3601", false)] {
            assert_eq!(
                Settings::try_parse_from(["backend", "--dpop-nonce-seconds", value]).is_ok(),
                ok,
                "{value}"
            );
        }
    }

    #[test]
    fn session_keys_are_checked_at_start_up_and_never_shown() {
        let settings = Settings::try_parse_from([
            "backend",
            "--session-key",
            SESSION_KEY,
            "--session-key-previous",
            SESSION_KEY,
        ])
        .expect("parses");
        assert_eq!(
            settings.session_key.as_ref().map(Secret::expose),
            Some(SESSION_KEY)
        );
        assert!(!format!("{settings:?}").contains(&SESSION_KEY[..12]));
        for bad in [
            "c2hvcnQ=",
            "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E",
            "not base64 at all",
        ] {
            for flag in ["--session-key", "--session-key-previous"] {
                let error = Settings::try_parse_from(["backend", flag, bad])
                    .expect_err("refused")
                    .to_string();
                assert!(error.contains("openssl rand -base64 32"), "{error}");
                assert!(
                    !error.contains(bad),
                    "the refusal repeats the value: {error}"
                );
            }
        }
    }

    #[test]
    fn plain_http_fusionauth_urls_are_refused_unless_loopback_or_allowed() {
        let with = |url: &str, public: Option<&str>, allow: bool| {
            let mut settings = Settings::try_parse_from(["backend"]).expect("defaults parse");
            settings.fusionauth_url = url.to_owned();
            settings.fusionauth_public_url = public.map(str::to_owned);
            settings.allow_insecure_fusionauth_url = allow;
            settings.check_transport()
        };
        for url in [
            "http://127.0.0.1:9011",
            "http://127.8.9.1:9011",
            "http://localhost:9011",
            "http://LOCALHOST",
            "http://[::1]:9011",
            "https://auth.example",
            "https://10.0.0.5",
        ] {
            assert!(with(url, None, false).is_ok(), "{url}");
        }
        for url in [
            "http://auth.example",
            "http://10.0.0.5:9011",
            "http://localhost.evil.example",
            "http://[2001:db8::1]",
            "ftp://auth.example",
            "not a url",
        ] {
            assert!(with(url, None, false).is_err(), "{url}");
        }
        assert!(with("http://127.0.0.1:9011", Some("http://auth.example"), false).is_err());
        assert!(with("http://auth.example", Some("http://auth.example"), true).is_ok());
        assert!(
            Settings::try_parse_from(["backend", "--allow-insecure-fusionauth-url"])
                .expect("parses")
                .allow_insecure_fusionauth_url
        );
    }

    #[test]
    fn the_public_origin_is_a_normalised_origin_without_a_path() {
        for (text, origin) in [
            ("https://shop.example", "https://shop.example"),
            ("https://Shop.Example:443/", "https://shop.example"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:8080", "http://[::1]:8080"),
        ] {
            let parsed: PublicOrigin = text.parse().expect("an origin");
            assert_eq!(parsed.as_str(), origin, "{text}");
        }
        for bad in [
            "shop.example",
            "https://shop.example/shop",
            "https://shop.example/?x",
            "https://shop.example#top",
            "https://user@shop.example",
            "ftp://shop.example",
            "",
        ] {
            assert!(bad.parse::<PublicOrigin>().is_err(), "{bad:?}");
        }
        let settings =
            Settings::try_parse_from(["backend", "--public-origin", "https://SHOP.example:443"])
                .expect("parses");
        assert_eq!(
            settings.public_origin.as_ref().map(PublicOrigin::as_str),
            Some("https://shop.example")
        );
        assert_eq!(
            PublicOrigin::for_listen("127.0.0.1:8080").map(|o| o.to_string()),
            Ok("http://127.0.0.1:8080".to_owned())
        );
    }

    #[test]
    fn database_passwords_never_show() {
        let url = DatabaseUrl::from("postgres://store:s3cret@db:5432/store".to_owned());
        assert_eq!(url.to_string(), "postgres://***@db:5432/store");
        assert!(!format!("{url:?}").contains("s3cret"));
    }
}
