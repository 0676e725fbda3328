//! The typed values of settings that need more than a number or a string: secrets (never
//! shown), the public origin, the database URL (its password never shown), the JWT algorithm.

use std::fmt;
use std::str::FromStr;

use jsonwebtoken::Algorithm;

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
pub(super) fn hmac_secret(s: &str) -> Result<Secret, String> {
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
pub(super) fn session_key(s: &str) -> Result<Secret, String> {
    crate::device::SessionKey::from_base64(s).map_err(|e| e.to_string())?;
    Ok(Secret(s.trim().to_owned()))
}

/// A secret setting checked by its function. Its errors never repeat the value (clap's own
/// "invalid value '…'" would print the secret).
#[derive(Clone, Copy)]
pub(super) struct SecretParser(pub(super) fn(&str) -> Result<Secret, String>);

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
pub struct DatabaseUrl(pub(super) String);

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
