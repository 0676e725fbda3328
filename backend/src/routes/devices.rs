//! The signed-in devices (issue #14), for the signed-in user ([`AuthUser`]), in both
//! `APP_DEVICE_BINDING` modes, on FusionAuth's refresh tokens with the server-side API key
//! (404 without `APP_FUSIONAUTH_API_KEY`):
//!
//! - `GET /api/account/sessions` → 200 [`SignedInDevices`]: the user's device-bound sessions
//!   (`required` mode) and their FusionAuth refresh tokens of this application
//!   (`GET /api/jwt/refresh?userId=`), one entry per session, matched by refresh token id;
//!   "this device" is the caller's device-bound session (`required`) or the JWT's `sid` (`off`).
//! - `DELETE /api/account/sessions/{id}` → 204: one of the user's own (404 for any other id,
//!   another user's too; nothing changes then).
//! - `DELETE /api/account/sessions?keep=this` → 204: every other device;
//!   `DELETE /api/account/sessions` → 204: every device, this one too.
//!
//! Ending a session ends both halves, so its device's next request is refused (401): a
//! device-bound session is logged out at FusionAuth with the refresh token it keeps and
//! deleted (every instance drops it, `crate::device`); a refresh token alone is revoked by id
//! (`DELETE /api/jwt/refresh/{tokenId}`) and its `sid` recorded as revoked at once (the webhook
//! that follows changes nothing). No answer carries a token: FusionAuth's retrieve answer does,
//! and [`RetrievedRefreshTokens`] drops the values as it is read.
//! <https://fusionauth.io/docs/apis/jwt#retrieve-refresh-tokens>,
//! <https://fusionauth.io/docs/apis/jwt#revoke-refresh-tokens>

use actix_web::{HttpRequest, HttpResponse, web};
use shared::fusionauth::{RetrievedRefreshToken, RetrievedRefreshTokens};
use shared::store::{Keep, SignOutDevices, SignedInDevice, SignedInDevices};

use super::account::{Accounts, unavailable};
use super::enabled;
use crate::auth::{AuthUser, CallerSession, Revocation};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::StoredDeviceSession;

/// How a session is ended.
enum Half {
    /// A device-bound session (and the refresh token it keeps).
    Device(Box<StoredDeviceSession>),
    /// A FusionAuth refresh token no device-bound session holds: its id.
    RefreshToken(String),
}

/// One listed session and how to end it.
struct Entry {
    device: SignedInDevice,
    half: Half,
}

/// `GET /api/account/sessions`.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn list(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    accounts: web::Data<Option<Accounts>>,
) -> Result<web::Json<SignedInDevices>> {
    let accounts = enabled(&req, accounts.get_ref().as_ref())?;
    let entries = entries(accounts, &state, &user).await?;
    Ok(web::Json(SignedInDevices {
        devices: entries.into_iter().map(|entry| entry.device).collect(),
    }))
}

/// `DELETE /api/account/sessions/{id}`.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn sign_out_one(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    accounts: web::Data<Option<Accounts>>,
    id: web::Path<String>,
) -> Result<HttpResponse> {
    let accounts = enabled(&req, accounts.get_ref().as_ref())?;
    let entry = entries(accounts, &state, &user)
        .await?
        .into_iter()
        .find(|entry| entry.device.id == *id)
        .ok_or_else(|| Error::NotFound("You have no such signed-in device.".to_owned()))?;
    end(accounts, &state, &user, entry).await?;
    tracing::info!("signed one device out");
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /api/account/sessions[?keep=this]`.
#[tracing::instrument(skip_all, fields(subject = %user.subject))]
pub async fn sign_out_many(
    req: HttpRequest,
    user: AuthUser,
    state: web::Data<AppState>,
    accounts: web::Data<Option<Accounts>>,
) -> Result<HttpResponse> {
    let accounts = enabled(&req, accounts.get_ref().as_ref())?;
    let query = web::Query::<SignOutDevices>::from_query(req.query_string())
        .map_err(|_| {
            Error::InvalidRequest(
                "The only parameter is keep=this (or none, to sign out everywhere).".to_owned(),
            )
        })?
        .into_inner();
    let keep_this = query.keep == Some(Keep::This);
    if keep_this && user.session == CallerSession::RefreshTokenId(None) {
        // Without `sid` (off mode) this device cannot be told apart: ending "the others" would
        // end it too.
        return Err(Error::InvalidRequest(
            "This device cannot be told apart from the others (its token names no session): \
             sign out everywhere instead."
                .to_owned(),
        ));
    }
    let mut ended = 0_usize;
    for entry in entries(accounts, &state, &user).await? {
        if keep_this && entry.device.this_device {
            continue;
        }
        end(accounts, &state, &user, entry).await?;
        ended += 1;
    }
    tracing::info!(ended, keep_this, "signed devices out");
    Ok(HttpResponse::NoContent().finish())
}

/// The user's sessions: this device first, then the newest.
async fn entries(accounts: &Accounts, state: &AppState, user: &AuthUser) -> Result<Vec<Entry>> {
    let mut tokens: Vec<RetrievedRefreshToken> = refresh_tokens(accounts, &user.subject)
        .await?
        .into_iter()
        .filter(|token| token.application_id == accounts.application_id)
        .collect();
    let sessions = match &state.device {
        Some(device) => device.of_user(&user.issuer, &user.subject).await?,
        None => Vec::new(),
    };
    let mut entries = Vec::with_capacity(sessions.len() + tokens.len());
    for session in sessions {
        // The refresh token this session keeps is listed once, as the session.
        if let Some(token_id) = &session.refresh_token_id {
            tokens.retain(|token| &token.id != token_id);
        }
        entries.push(Entry {
            device: SignedInDevice {
                id: session
                    .refresh_token_id
                    .clone()
                    .unwrap_or_else(|| session.id.clone()),
                device_label: session.device_label.clone(),
                created_at: session.created_at,
                last_used_at: Some(session.last_used_at),
                this_device: user.session == CallerSession::Device(session.id.clone()),
            },
            half: Half::Device(Box::new(session)),
        });
    }
    for token in tokens {
        let device = token.meta_data.device.unwrap_or_default();
        let device_label = [device.name, device.description]
            .into_iter()
            .flatten()
            .map(|label| label.trim().to_owned())
            .find(|label| !label.is_empty())
            .unwrap_or_else(|| "Unknown device".to_owned());
        entries.push(Entry {
            device: SignedInDevice {
                this_device: user.session == CallerSession::RefreshTokenId(Some(token.id.clone())),
                id: token.id.clone(),
                device_label,
                created_at: token.insert_instant,
                last_used_at: device.last_accessed_instant,
            },
            half: Half::RefreshToken(token.id),
        });
    }
    entries.sort_by(|a, b| {
        (b.device.this_device, b.device.created_at)
            .cmp(&(a.device.this_device, a.device.created_at))
    });
    Ok(entries)
}

/// Ends both halves of one session.
async fn end(accounts: &Accounts, state: &AppState, user: &AuthUser, entry: Entry) -> Result<()> {
    match entry.half {
        Half::Device(session) => {
            let device = state.device.as_ref().ok_or_else(|| {
                Error::Internal(anyhow::anyhow!("a device-bound session in off mode"))
            })?;
            device.sign_out(&session).await
        }
        Half::RefreshToken(token_id) => {
            revoke(accounts, &token_id).await?;
            // Refuse the session's JWTs now, on this instance and (through the database) on the
            // others, rather than when FusionAuth's webhook arrives.
            let now = state.clock.now_millis();
            state
                .auth
                .record_revocation(
                    &Revocation::Session {
                        sid: token_id,
                        subject: Some(user.subject.clone()),
                    },
                    now,
                    None,
                )
                .await
        }
    }
}

/// `GET /api/jwt/refresh?userId=` (API key).
async fn refresh_tokens(accounts: &Accounts, user_id: &str) -> Result<Vec<RetrievedRefreshToken>> {
    let mut url = endpoint(accounts, &["api", "jwt", "refresh"])?;
    url.query_pairs_mut().append_pair("userId", user_id);
    let response = accounts
        .send_with_key(accounts.client.get(url), "GET /api/jwt/refresh")
        .await?;
    match response.status().as_u16() {
        200 => Ok(response
            .json::<RetrievedRefreshTokens>()
            .await
            .map_err(|e| unavailable("refresh tokens answer", e.without_url()))?
            .refresh_tokens),
        // No tokens (an answer without a body, as some versions give).
        404 => Ok(Vec::new()),
        401 => Err(key_refused("GET /api/jwt/refresh")),
        other => Err(unavailable("GET /api/jwt/refresh", format!("HTTP {other}"))),
    }
}

/// `DELETE /api/jwt/refresh/{tokenId}` (API key); an id FusionAuth no longer knows is gone
/// already.
async fn revoke(accounts: &Accounts, token_id: &str) -> Result<()> {
    let url = endpoint(accounts, &["api", "jwt", "refresh", token_id])?;
    let response = accounts
        .send_with_key(accounts.client.delete(url), "DELETE /api/jwt/refresh/{id}")
        .await?;
    match response.status().as_u16() {
        200 | 404 => Ok(()),
        401 => Err(key_refused("DELETE /api/jwt/refresh/{id}")),
        other => Err(unavailable(
            "DELETE /api/jwt/refresh/{id}",
            format!("HTTP {other}"),
        )),
    }
}

/// FusionAuth's URL with these path segments (each percent-encoded).
fn endpoint(accounts: &Accounts, segments: &[&str]) -> Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(&accounts.fusionauth_url)
        .map_err(|e| Error::Internal(anyhow::anyhow!("APP_FUSIONAUTH_URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|()| Error::Internal(anyhow::anyhow!("APP_FUSIONAUTH_URL cannot be a base")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

fn key_refused(what: &str) -> Error {
    Error::Internal(anyhow::anyhow!(
        "FusionAuth refused the API key (APP_FUSIONAUTH_API_KEY) for {what}: give it that \
         endpoint permission"
    ))
}
