//! Reading requests: JSON bodies, cookies, and the credentials in the `Authorization` header.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use shared::fusionauth::{ErrorCode, Errors, Rule};

use crate::infra::error::ApiError;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body. An empty body reads as `{}`; the content type is not checked (the
/// Python client sends odd headers); bad JSON is a 400 `Errors`, an oversized body a 413.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|error| {
                if error.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::Validation(Errors::general(
                        ErrorCode::general(Rule::InvalidRequest),
                        "The request body could not be read.",
                    ))
                }
            })?;
            let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &bytes
            };
            let invalid = |error: &dyn std::fmt::Display| {
                ApiError::Validation(Errors::general(
                    ErrorCode::general(Rule::InvalidJson),
                    &format!("Unable to parse the request body as JSON: {error}"),
                ))
            };
            let value: serde_json::Value = serde_json::from_slice(text).map_err(|e| invalid(&e))?;
            if !value.is_object() {
                return Err(invalid(&"the body must be a JSON object"));
            }
            serde_json::from_value(value)
                .map(Json)
                .map_err(|e| invalid(&e))
        })
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, `Path=/`, `SameSite=Lax`, `Secure` on HTTPS; `max_age`
/// `None` makes a session cookie.
pub fn set_cookie(req: &HttpRequest, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", max_age.max(0)));
    }
    if req.connection_info().scheme() == "https" {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The raw `Authorization` header; an empty value counts as absent.
pub fn authorization(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// A JWT from `Authorization: Bearer …` / `JWT …`, else from the `access_token` cookie.
pub fn bearer_jwt(req: &HttpRequest) -> Option<String> {
    if let Some(value) = authorization(req) {
        for scheme in ["Bearer ", "JWT "] {
            if let (Some(prefix), Some(rest)) =
                (value.get(..scheme.len()), value.get(scheme.len()..))
                && prefix.eq_ignore_ascii_case(scheme)
                && !rest.trim().is_empty()
            {
                return Some(rest.trim().to_owned());
            }
        }
    }
    cookie(req, "access_token")
}

/// The client's address: the body's `ipAddress`, else `X-Forwarded-For`, else the peer.
pub fn client_ip(req: &HttpRequest, from_body: Option<&str>) -> String {
    from_body
        .map(str::trim)
        .filter(|ip| !ip.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            req.headers()
                .get("X-Forwarded-For")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|ip| !ip.is_empty())
                .map(str::to_owned)
        })
        .or_else(|| req.peer_addr().map(|addr| addr.ip().to_string()))
        .unwrap_or_default()
}
