//! The HTTP layer's handlers, one module per resource, and what they share: body limits, JSON
//! errors, the `/api` answer headers. The route table that wires them is
//! [`crate::startup::configure`]; handlers reach the services through [`AppState`].

pub(crate) mod account;
pub(crate) mod cart;
pub(crate) mod devices;
pub(crate) mod health;
pub(crate) mod login;
pub(crate) mod passkeys;
pub(crate) mod products;
pub(crate) mod session;
pub(crate) mod static_files;
pub(crate) mod webhooks;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use shared::headers::{DPOP, DPOP_NONCE, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN};

use crate::auth::NewTokens;
use crate::error::Error;
use crate::state::AppState;

/// Largest JSON body the API reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// JSON bodies: at most [`MAX_BODY_BYTES`], errors as [`Error`].
pub(crate) fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|error, _req| json_error(error).into())
}

fn json_error(error: JsonPayloadError) -> Error {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            Error::PayloadTooLarge
        }
        JsonPayloadError::ContentType => Error::InvalidRequest(
            "The body must be JSON (Content-Type: application/json).".to_owned(),
        ),
        JsonPayloadError::Deserialize(e) => Error::InvalidRequest(format!("Invalid body: {e}.")),
        other => Error::InvalidRequest(format!("Unreadable body: {other}.")),
    }
}

/// The whole body, or [`Error::PayloadTooLarge`] past `limit` bytes.
pub(crate) async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, Error> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(error)) => Err(Error::InvalidRequest(format!("Unreadable body: {error}."))),
        Err(_) => Err(Error::PayloadTooLarge),
    }
}

/// The service of a feature that may be off (e.g. without an API key), or, when it is off, 404
/// for `req` as for an unknown route.
pub(crate) fn enabled<'a, T>(req: &HttpRequest, service: Option<&'a T>) -> Result<&'a T, Error> {
    service.ok_or_else(|| Error::no_route(req))
}

/// Unknown `/api` paths (and everything else when no PWA is served).
pub(crate) async fn api_not_found(req: HttpRequest) -> HttpResponse {
    Error::no_route(&req).error_response()
}

/// `GET /app-config.json`: where the PWA finds FusionAuth.
pub(crate) async fn app_config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(&state.app_config)
}

/// On every `/api` answer: `Cache-Control: no-store`, the tokens a refresh produced (also on
/// error answers: a rotated refresh token must never be lost) and, in device-bound mode, a
/// fresh `DPoP-Nonce` on every answer to a request that carried a proof.
pub(crate) async fn api_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let nonce = req
        .headers()
        .contains_key(DPOP)
        .then(|| req.app_data::<web::Data<AppState>>())
        .flatten()
        .and_then(|state| state.device.as_ref().map(|device| device.fresh_nonce()));
    let mut response = next.call(req).await?;
    let new_tokens = response.request().extensions().get::<NewTokens>().cloned();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let mut exposed = Vec::new();
    if let Some(nonce) = nonce.and_then(|nonce| HeaderValue::from_str(&nonce).ok()) {
        headers.insert(HeaderName::from_static("dpop-nonce"), nonce);
        exposed.push(DPOP_NONCE);
    }
    if let Some(tokens) = new_tokens {
        for (name, value) in [
            (NEW_ACCESS_TOKEN, Some(tokens.access_token)),
            (NEW_REFRESH_TOKEN, tokens.refresh_token),
        ] {
            let header_name = HeaderName::from_bytes(name.as_bytes());
            let header_value = value.map(|v| HeaderValue::from_str(&v));
            if let (Ok(header_name), Some(Ok(header_value))) = (header_name, header_value) {
                headers.insert(header_name, header_value);
                exposed.push(name);
            }
        }
    }
    if !exposed.is_empty()
        && let Ok(value) = HeaderValue::from_str(&exposed.join(", "))
    {
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
    Ok(response)
}
