//! `POST /api/passkeys/registration` (a signed-in user) and `POST /api/passkeys/authentication`
//! (a login id): FusionAuth's two WebAuthn "start" calls, which need the API key, made here with
//! the server-side key so it never reaches a browser. The "complete" calls go from the PWA to
//! FusionAuth directly. `GET /api/passkeys` and `DELETE /api/passkeys/{id}`: the signed-in
//! user's own passkeys, listed and removed with the same key (FusionAuth's `GET /api/webauthn`
//! and `DELETE /api/webauthn/{id}`). Only when `APP_FUSIONAUTH_API_KEY` is set (404 otherwise).
//! <https://fusionauth.io/docs/apis/webauthn>
//!
//! The bodies are FusionAuth's own (`WebAuthnRegisterStartRequest`, `WebAuthnStartRequest`), with
//! the user (registration: the JWT's subject) and the application (the backend's) pinned here;
//! FusionAuth's status and body come back unchanged. Attempts are limited per client address.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use shared::fusionauth::{
    WebAuthnCredential, WebAuthnCredentialResponse, WebAuthnRegisterStartRequest,
    WebAuthnStartRequest, WebAuthnWorkflow,
};
use shared::store::{Passkey, PasskeyList};

use super::enabled;
use crate::auth::AuthUser;
use crate::client_address::{self, ClientAddresses};
use crate::error::{Error, Result};
use crate::forwarded::Forwarded;
use crate::rate_limit::RateLimiter;
use crate::settings::Secret;

/// How long FusionAuth may take to answer a start.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The two start calls' configuration and per-address limiter (app data, present when the
/// API key is set).
#[derive(Debug)]
pub struct PasskeyProxy {
    client: reqwest::Client,
    fusionauth_url: String,
    api_key: Secret,
    application_id: String,
    limiter: RateLimiter,
}

impl PasskeyProxy {
    pub fn new(
        client: reqwest::Client,
        fusionauth_url: &str,
        api_key: Secret,
        application_id: String,
        attempts_per_minute: u32,
    ) -> Self {
        Self {
            client,
            fusionauth_url: fusionauth_url.trim_end_matches('/').to_owned(),
            api_key,
            application_id,
            limiter: RateLimiter::per_minute(attempts_per_minute),
        }
    }

    /// `method path` at FusionAuth with the API key.
    async fn call(&self, method: reqwest::Method, path: &str) -> Result<reqwest::Response> {
        let url = format!("{}{path}", self.fusionauth_url);
        self.client
            .request(method.clone(), &url)
            .header(reqwest::header::AUTHORIZATION, self.api_key.expose())
            .send()
            .await
            .map_err(|e| Error::Unavailable(anyhow::anyhow!("{method} {url}: {}", e.without_url())))
    }

    /// The passkeys FusionAuth holds for `user_id` (`GET /api/webauthn?userId=`).
    async fn credentials_of(&self, user_id: &str) -> Result<Vec<WebAuthnCredential>> {
        let path = format!("/api/webauthn?userId={}", urlencode(user_id));
        let response = self.call(reqwest::Method::GET, &path).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::Unavailable(anyhow::anyhow!(
                "GET /api/webauthn?userId= answered {status}"
            )));
        }
        let body: WebAuthnCredentialResponse = response.json().await.map_err(|e| {
            Error::Unavailable(anyhow::anyhow!(
                "GET /api/webauthn?userId=: unreadable answer: {}",
                e.without_url()
            ))
        })?;
        Ok(body.credentials.unwrap_or_default())
    }

    /// `POST path` at FusionAuth with the API key; its answer, unchanged.
    async fn forward(&self, path: &str, body: &impl serde::Serialize) -> Result<HttpResponse> {
        let request = self
            .client
            .post(format!("{}{path}", self.fusionauth_url))
            .header(reqwest::header::AUTHORIZATION, self.api_key.expose())
            .json(body)
            .timeout(TIMEOUT);
        Ok(Forwarded::fetch(request, &format!("POST {path}"))
            .await?
            .into_response())
    }
}

/// `POST /api/passkeys/registration` `{displayName, name?, userAgent?, workflow?}`: FusionAuth's
/// registration options for the signed-in user (`workflow` defaults to `bootstrap`).
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn registration(
    req: HttpRequest,
    user: AuthUser,
    passkeys: Option<web::Data<PasskeyProxy>>,
    addresses: web::Data<ClientAddresses>,
    web::Json(body): web::Json<WebAuthnRegisterStartRequest>,
) -> Result<HttpResponse> {
    let passkeys = enabled(&req, passkeys.as_deref())?;
    client_address::admit(&passkeys.limiter, addresses.of(&req), "passkey")?;
    if body.display_name.trim().is_empty() {
        return Err(Error::InvalidRequest("displayName is required.".to_owned()));
    }
    let request = WebAuthnRegisterStartRequest {
        user_id: user.subject.clone(),
        workflow: Some(body.workflow.unwrap_or(WebAuthnWorkflow::Bootstrap)),
        ..body
    };
    passkeys
        .forward("/api/webauthn/register/start", &request)
        .await
}

/// `POST /api/passkeys/authentication` `{loginId, workflow?, credentialId?}`: FusionAuth's
/// request options for that login id, for this application (`workflow` defaults to
/// `bootstrap`).
#[tracing::instrument(skip_all)]
pub async fn authentication(
    req: HttpRequest,
    passkeys: Option<web::Data<PasskeyProxy>>,
    addresses: web::Data<ClientAddresses>,
    web::Json(body): web::Json<WebAuthnStartRequest>,
) -> Result<HttpResponse> {
    let passkeys = enabled(&req, passkeys.as_deref())?;
    client_address::admit(&passkeys.limiter, addresses.of(&req), "passkey")?;
    let Some(login_id) = body.login_id.filter(|id| !id.trim().is_empty()) else {
        return Err(Error::InvalidRequest("loginId is required.".to_owned()));
    };
    let request = WebAuthnStartRequest {
        application_id: Some(passkeys.application_id.clone()),
        credential_id: body.credential_id,
        login_id: Some(login_id),
        login_id_types: None,
        state: None,
        user_id: None,
        workflow: Some(body.workflow.unwrap_or(WebAuthnWorkflow::Bootstrap)),
    };
    passkeys.forward("/api/webauthn/start", &request).await
}

/// A user id as a query value (FusionAuth's ids are UUIDs; anything else is escaped).
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /api/passkeys`: the signed-in user's passkeys (name, created, last used), newest first.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn list(
    req: HttpRequest,
    user: AuthUser,
    passkeys: Option<web::Data<PasskeyProxy>>,
) -> Result<HttpResponse> {
    let passkeys = enabled(&req, passkeys.as_deref())?;
    let mut list: Vec<Passkey> = passkeys
        .credentials_of(&user.subject)
        .await?
        .into_iter()
        // FusionAuth's answer is the user's; checked again, as for a removal.
        .filter(|credential| credential.user_id == user.subject)
        .map(|credential| Passkey {
            id: credential.id,
            display_name: credential.display_name,
            created_at: credential.insert_instant,
            last_used_at: credential.last_use_instant,
        })
        .collect();
    list.sort_by_key(|p| std::cmp::Reverse(p.created_at));
    Ok(HttpResponse::Ok().json(PasskeyList { passkeys: list }))
}

/// `DELETE /api/passkeys/{id}`: removes one of the signed-in user's passkeys at FusionAuth
/// (204). An id that is not one of theirs (another user's included) is a 404 and changes
/// nothing: only ids from the user's own list are ever sent to FusionAuth.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn remove(
    req: HttpRequest,
    user: AuthUser,
    passkeys: Option<web::Data<PasskeyProxy>>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let passkeys = enabled(&req, passkeys.as_deref())?;
    let not_found = || Error::NotFound("No such passkey.".to_owned());
    let credential = passkeys
        .credentials_of(&user.subject)
        .await?
        .into_iter()
        .find(|credential| credential.id == *id && credential.user_id == user.subject)
        .ok_or_else(not_found)?;
    let response = passkeys
        .call(
            reqwest::Method::DELETE,
            &format!("/api/webauthn/{}", urlencode(&credential.id)),
        )
        .await?;
    match response.status().as_u16() {
        200..=299 => {
            tracing::info!("passkey removed");
            Ok(HttpResponse::NoContent().finish())
        }
        // Removed meanwhile (e.g. from another device).
        404 => Err(not_found()),
        status => Err(Error::Unavailable(anyhow::anyhow!(
            "DELETE /api/webauthn/{{id}} answered {status}"
        ))),
    }
}
