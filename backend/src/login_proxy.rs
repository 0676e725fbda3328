//! The login proxy service behind `POST /api/login` (the workflow's alternative path): forwards
//! a login to FusionAuth with the server-side API key and limits attempts per client address.
//! <https://fusionauth.io/docs/apis/login#authenticate-a-user>
//!
//! The body — credentials — is never logged. The handler is [`crate::routes::login`].

use std::net::IpAddr;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;

use crate::error::{Error, Result};
use crate::rate_limit::RateLimiter;
use crate::settings::Secret;

/// How long FusionAuth may take to answer a login.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The proxy's configuration and per-address limiter (present when `APP_FUSIONAUTH_API_KEY`
/// is set).
#[derive(Debug)]
pub struct LoginProxy {
    client: reqwest::Client,
    url: String,
    api_key: Secret,
    limiter: RateLimiter,
}

/// FusionAuth's answer, to be passed on unchanged.
#[derive(Debug)]
pub struct Forwarded {
    pub status: StatusCode,
    /// FusionAuth's `Content-Type`, when it sent a usable one.
    pub content_type: Option<HeaderValue>,
    pub body: Bytes,
}

impl LoginProxy {
    pub fn new(
        client: reqwest::Client,
        fusionauth_url: &str,
        api_key: Secret,
        attempts_per_minute: u32,
    ) -> Self {
        Self {
            client,
            url: format!("{}/api/login", fusionauth_url.trim_end_matches('/')),
            api_key,
            limiter: RateLimiter::per_minute(attempts_per_minute),
        }
    }

    /// Counts an attempt from `client_ip`.
    ///
    /// # Errors
    /// [`Error::TooManyRequests`] past the per-address limit.
    pub fn admit(&self, client_ip: IpAddr) -> Result<()> {
        self.limiter.check(client_ip).map_err(|wait| {
            tracing::warn!(%client_ip, "too many login attempts");
            Error::TooManyRequests {
                retry_after_seconds: wait.as_secs().saturating_add(1),
            }
        })
    }

    /// Sends `body` to FusionAuth's `POST /api/login` on behalf of `client_ip`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when FusionAuth cannot be reached or its answer cannot be read.
    pub async fn forward(&self, client_ip: IpAddr, body: Bytes) -> Result<Forwarded> {
        let unavailable =
            |cause: String| Error::Unavailable(anyhow::anyhow!("POST {}: {cause}", self.url));
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, self.api_key.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", client_ip.to_string())
            .body(body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let status = StatusCode::from_u16(response.status().as_u16())
            .map_err(|e| unavailable(e.to_string()))?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(format!("unreadable answer: {}", e.without_url())))?;
        tracing::info!(
            status = status.as_u16(),
            "FusionAuth answered a proxied login"
        );
        Ok(Forwarded {
            status,
            content_type,
            body,
        })
    }
}
