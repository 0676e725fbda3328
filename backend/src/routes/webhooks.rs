//! `POST /webhooks/fusionauth`: FusionAuth's `jwt.refresh-token.revoke` event, so that a stolen
//! JWT stops working when its session is revoked, not at its expiry (attack steps 19–20).
//! <https://fusionauth.io/docs/extend/events-and-webhooks/events/jwt-refresh-token-revoke>
//!
//! Authenticated by FusionAuth's `X-FusionAuth-Signature-JWT` (signed with a key from its
//! JWKS, `request_body_sha256` = the Base64 SHA-256 of the exact body) or, when
//! `APP_FUSIONAUTH_WEBHOOK_SECRET` is set, an `Authorization` header equal to it. The body is
//! read as `shared::fusionauth::EventRequest`. Other event types are acknowledged and ignored;
//! a delivery whose event id was already processed (here or on another instance) is
//! acknowledged and dropped.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::digest::{SHA256, digest};
use shared::fusionauth::{EventPayload, EventRequest};

use crate::auth::Revocation;
use crate::device::Ending;
use crate::error::{Error, Result};
use crate::routes::read_body;
use crate::state::AppState;
use crate::store;

/// FusionAuth's signature header.
pub const SIGNATURE_HEADER: &str = "x-fusionauth-signature-jwt";
/// Largest event accepted (events carry the user object).
const MAX_EVENT_BYTES: usize = 64 * 1024;

/// `POST /webhooks/fusionauth`.
#[tracing::instrument(skip_all)]
pub async fn fusionauth(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let body = read_body(payload, MAX_EVENT_BYTES).await?;
    authenticate(&req, &body, &state).await?;
    let request: EventRequest = serde_json::from_slice(&body)
        .map_err(|e| Error::InvalidRequest(format!("Not a FusionAuth event: {e}.")))?;
    let event = request.event;
    let event_id = event.id.as_deref().unwrap_or("-");
    if let Some(id) = event.id.as_deref().filter(|id| !id.is_empty()) {
        let now = state.clock.now_millis();
        let keep = 2 * crate::auth::WEBHOOK_MAX_AGE_SECONDS * 1000;
        if !store::claim_webhook_event(&state.pool, id, now, now.saturating_add(keep)).await? {
            tracing::info!(event_id, "dropping a repeated FusionAuth event");
            return Ok(HttpResponse::Ok().finish());
        }
    }
    let EventPayload::RefreshTokenRevoke(revoke) = event.payload else {
        let event_type = event.payload.event_type();
        tracing::info!(event_type, event_id, "ignoring a FusionAuth event");
        return Ok(HttpResponse::Ok().finish());
    };
    let now = state.clock.now_millis();
    let at = event.create_instant.unwrap_or(now);
    let ours = &state.app_config.application_id;
    let ttl = revoke
        .application_time_to_live_in_seconds
        .get(ours)
        .copied();
    let session = revoke
        .refresh_token
        .map(|token| token.id)
        .filter(|id| !id.is_empty());
    let revocation = match (session, revoke.user_id, revoke.application_id.as_deref()) {
        (Some(sid), subject, _) => Some(Revocation::Session { sid, subject }),
        (None, Some(subject), None) => Some(Revocation::User {
            subject,
            before_millis: at,
        }),
        (None, Some(subject), Some(app)) if app == ours => Some(Revocation::User {
            subject,
            before_millis: at,
        }),
        (None, None, Some(app)) if app == ours => {
            Some(Revocation::Application { before_millis: at })
        }
        _ => None,
    };
    match revocation {
        Some(revocation) => {
            if let Err(error) = state.auth.record_revocation(&revocation, at, ttl).await {
                // Let a new delivery of this event be processed.
                if let Some(id) = event.id.as_deref() {
                    let _ = store::release_webhook_event(&state.pool, id).await;
                }
                return Err(error);
            }
            tracing::info!(event_id, ?revocation, "recorded a FusionAuth revocation");
            if let Some(device) = &state.device {
                let ended = device
                    .end_sessions(device_ending(&revocation, &state))
                    .await?;
                tracing::info!(event_id, ended, "ended device-bound sessions");
            }
        }
        None => tracing::info!(event_id, "ignoring a revocation for another application"),
    }
    Ok(HttpResponse::Ok().finish())
}

/// The device-bound sessions a revocation ends: by FusionAuth's refresh token id (what the
/// single-token event names), of a user, or of this application.
fn device_ending<'a>(revocation: &'a Revocation, state: &'a AppState) -> Ending<'a> {
    match revocation {
        Revocation::Session { sid, .. } => Ending::RefreshTokenId(sid),
        Revocation::User { subject, .. } => Ending::User { subject },
        Revocation::Application { .. } => Ending::Application(&state.app_config.application_id),
    }
}

/// The shared secret (when configured) or FusionAuth's signature; anything else is 401.
async fn authenticate(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<()> {
    if let (Some(secret), Some(given)) = (
        state.webhook_secret.as_ref(),
        req.headers().get(header::AUTHORIZATION),
    ) {
        // Compare digests, so neither the length nor the content leaks through timing.
        let expected = digest(&SHA256, secret.expose().as_bytes());
        let given = digest(&SHA256, given.as_bytes());
        if verify_slices_are_equal(expected.as_ref(), given.as_ref()).is_ok() {
            return Ok(());
        }
    }
    match req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        Some(jwt) => state.auth.check_webhook_signature(jwt.trim(), body).await,
        None => Err(Error::Unauthorized(
            "webhook without a valid signature or secret",
        )),
    }
}
