//! HTTP plumbing shared by the handlers: JSON bodies and responses, cookies, authentication
//! extractors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::fusionauth::{ErrorCode, Errors, Rule};

use crate::error::ApiError;
use crate::state::AppState;

/// FusionAuth's JSON content type.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON response with FusionAuth's content type.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> HttpResponse {
    json_builder(HttpResponse::build(status), body)
}

/// Finishes `builder` with a JSON body.
pub fn json_builder<T: Serialize + ?Sized>(
    mut builder: HttpResponseBuilder,
    body: &T,
) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => builder
            .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
            .body(bytes),
        Err(error) => actix_web::ResponseError::error_response(&ApiError::Internal(error.into())),
    }
}

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

/// What the request's `Authorization` header says about API keys (a key without permission for
/// the request's endpoint and method counts as invalid).
#[derive(Debug)]
pub enum ApiKeyStatus {
    /// No header, or an empty one.
    Absent,
    /// A known API key.
    Valid(ApiKey),
    /// A non-empty value that is not a known API key (e.g. a `Bearer` JWT).
    Invalid,
}

/// A valid API key.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub tenant_id: Option<String>,
    /// `permissions.endpoints` (`{"/api/user": ["GET"], …}`); `None` = a super key.
    pub endpoints: Option<serde_json::Map<String, serde_json::Value>>,
}

/// FusionAuth's endpoint names for the routes the emulator serves (API key permissions name
/// these); a request belongs to the longest one that prefixes its path.
const KNOWN_ENDPOINTS: &[&str] = &[
    "/api/application",
    "/api/jwt/public-key",
    "/api/jwt/refresh",
    "/api/jwt/validate",
    "/api/key",
    "/api/key/generate",
    "/api/key/import",
    "/api/login",
    "/api/logout",
    "/api/system-configuration",
    "/api/tenant",
    "/api/two-factor/login",
    "/api/user",
    "/api/user-action",
    "/api/user/registration",
    "/api/webhook",
];

impl ApiKey {
    /// Whether this key may call `method path`: super keys may call anything; others only the
    /// endpoints (and methods) their permissions list.
    pub fn allows(&self, path: &str, method: &str) -> bool {
        let Some(endpoints) = &self.endpoints else {
            return true;
        };
        let covers = |endpoint: &str| {
            path == endpoint
                || path
                    .strip_prefix(endpoint)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        let endpoint = KNOWN_ENDPOINTS
            .iter()
            .copied()
            .chain(endpoints.keys().map(String::as_str))
            .filter(|endpoint| covers(endpoint))
            .max_by_key(|endpoint| endpoint.len());
        endpoint
            .and_then(|endpoint| endpoints.get(endpoint))
            .and_then(serde_json::Value::as_array)
            .is_some_and(|methods| {
                methods
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .any(|m| m.eq_ignore_ascii_case(method))
            })
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is not configured")))
}

impl FromRequest for ApiKeyStatus {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let raw = authorization(req);
        let (path, method) = (req.path().to_owned(), req.method().as_str().to_owned());
        Box::pin(async move {
            let state = state?;
            let Some(raw) = raw else {
                return Ok(Self::Absent);
            };
            Ok(match crate::store::find_api_key(&state.pool, &raw).await? {
                Some(key) if key.allows(&path, &method) => Self::Valid(key),
                Some(_) => {
                    tracing::info!(path, method, "API key not permitted for this endpoint");
                    Self::Invalid
                }
                None => Self::Invalid,
            })
        })
    }
}

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let status = ApiKeyStatus::from_request(req, payload);
        Box::pin(async move {
            match status.await? {
                ApiKeyStatus::Valid(key) => Ok(key),
                ApiKeyStatus::Absent | ApiKeyStatus::Invalid => Err(ApiError::Unauthorized),
            }
        })
    }
}

/// An empty-bodied 200 (no content type).
pub fn empty_ok() -> HttpResponse {
    HttpResponse::Ok().finish()
}
