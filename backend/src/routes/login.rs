//! `POST /api/login`: the workflow's alternative path, where the app posts the credentials to
//! its backend and the backend to FusionAuth (with the server-side API key, so the application
//! may keep `requireAuthentication`). Only when `APP_FUSIONAUTH_API_KEY` is set (404 otherwise).
//! <https://fusionauth.io/docs/apis/login#authenticate-a-user>
//!
//! FusionAuth's status and body are returned unchanged (an empty body stays empty, without a
//! content type). Attempts are rate-limited per client address. The body — credentials — is
//! never logged.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{Error, Result};
use crate::rate_limit::RateLimiter;
use crate::routes::{MAX_BODY_BYTES, read_body};
use crate::settings::Secret;
use crate::state::AppState;

/// How long FusionAuth may take to answer a login.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The proxy's configuration and per-address limiter.
#[derive(Debug)]
pub struct LoginProxy {
    client: reqwest::Client,
    url: String,
    api_key: Secret,
    limiter: RateLimiter,
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
}

/// `POST /api/login`.
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let Some(proxy) = state.login_proxy.as_ref() else {
        return Err(Error::NotFound(format!(
            "No route for {} {}.",
            req.method(),
            req.path()
        )));
    };
    let client_ip = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    if let Err(wait) = proxy.limiter.check(client_ip) {
        tracing::warn!(%client_ip, "too many login attempts");
        return Err(Error::TooManyRequests {
            retry_after_seconds: wait.as_secs().saturating_add(1),
        });
    }
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    let response = proxy
        .client
        .post(&proxy.url)
        .header(reqwest::header::AUTHORIZATION, proxy.api_key.expose())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", client_ip.to_string())
        .body(body)
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| {
            Error::Unavailable(anyhow::anyhow!("POST {}: {}", proxy.url, e.without_url()))
        })?;
    let status = StatusCode::from_u16(response.status().as_u16())
        .map_err(|e| Error::Unavailable(anyhow::anyhow!("POST {}: {e}", proxy.url)))?;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .cloned();
    let answer = response.bytes().await.map_err(|e| {
        Error::Unavailable(anyhow::anyhow!(
            "POST {}: unreadable answer: {}",
            proxy.url,
            e.without_url()
        ))
    })?;
    tracing::info!(
        status = status.as_u16(),
        "FusionAuth answered a proxied login"
    );
    let mut builder = HttpResponse::build(status);
    if answer.is_empty() {
        return Ok(builder.finish());
    }
    let content_type = content_type
        .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok())
        .unwrap_or(HeaderValue::from_static("application/json"));
    builder.insert_header((header::CONTENT_TYPE, content_type));
    Ok(builder.body(answer))
}
