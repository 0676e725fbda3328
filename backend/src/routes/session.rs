//! `/api/session`: device-bound sessions (`APP_DEVICE_BINDING=required`; 404 in `off` mode).
//!
//! - `POST` (the hand-off, right after FusionAuth's Login API answered 200):
//!   `Authorization: DPoP <login JWT>`, a `DPoP` proof of the new device key, body
//!   [`SessionHandOff`]. The backend exchanges the refresh token at FusionAuth at once, keeps
//!   the rotated one sealed, and answers 201 with a [`shared::store::DeviceSession`] and the
//!   new JWT in `X-New-Access-Token`. No refresh token is ever in an answer.
//! - `DELETE` (logout): proof required; logs the refresh token out at FusionAuth, deletes the
//!   session, 204.
//!
//! The service is [`crate::device::DeviceSessions`].

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use shared::store::SessionHandOff;

use crate::auth::NewTokens;
use crate::device::DeviceSessions;
use crate::error::{Error, Result};
use crate::extractor::dpop_request;
use crate::state::AppState;

fn device<'a>(req: &HttpRequest, state: &'a AppState) -> Result<&'a DeviceSessions> {
    state.device.as_ref().ok_or_else(|| {
        Error::NotFound(format!(
            "No route for {} {} (device binding is off).",
            req.method(),
            req.path()
        ))
    })
}

/// `POST /api/session`.
#[tracing::instrument(skip_all)]
pub async fn hand_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<SessionHandOff>,
) -> Result<HttpResponse> {
    let device = device(&req, &state)?;
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok());
    let (session, access_token) = device
        .hand_off(&state.auth, &dpop_request(&req)?, &body, user_agent)
        .await?;
    req.extensions_mut().insert(NewTokens {
        access_token,
        refresh_token: None,
    });
    Ok(HttpResponse::Created().json(session))
}

/// `DELETE /api/session`.
#[tracing::instrument(skip_all)]
pub async fn log_out(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse> {
    let device = device(&req, &state)?;
    device.log_out(&state.auth, &dpop_request(&req)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
