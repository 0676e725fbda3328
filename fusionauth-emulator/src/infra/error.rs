//! The emulator's one error type, mapped to FusionAuth's statuses and bodies in one place.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared::fusionauth::{Errors, LoginPreventedResponse, Rule};

use crate::infra::http::response::{internal_error, json_response};

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// `value`, or 404 (empty) when there is none.
pub fn found<T>(value: Option<T>) -> Result<T> {
    value.ok_or(ApiError::NotFound)
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a FusionAuth `Errors` body.
    #[error("the request is invalid")]
    Validation(Errors),
    /// 401, empty body: API key (or JWT) missing or invalid.
    #[error("not authorized")]
    Unauthorized,
    /// 403, empty body: the feature is disabled in the tenant (e.g. no forgot-password email).
    #[error("the feature is disabled")]
    Forbidden,
    /// 404, empty body.
    #[error("not found")]
    NotFound,
    /// 410, empty body: the user has expired.
    #[error("the user has expired")]
    Expired,
    /// 409 with `{"actions":[…]}`: a user action prevents login.
    #[error("a user action prevents login")]
    LoginPrevented(LoginPreventedResponse),
    /// 421, empty body: the two-factor code is wrong.
    #[error("the two-factor code is invalid")]
    InvalidTwoFactorCode,
    /// 413, empty body: the request body is over the limit.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 422, empty body: the user has no email address to send to.
    #[error("the user has no email address")]
    NoEmailAddress,
    /// 423, empty body: the user is deactivated.
    #[error("the user is locked")]
    Locked,
    /// 504, empty body: a transactional webhook event was not accepted; nothing was changed.
    #[error("a transactional webhook failed")]
    WebhookTransactionFailed,
    /// 500 with a `[Exception]` general error; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// 400 with one field error, coded `[rule]path`.
    pub fn field(rule: Rule, path: &str, message: &str) -> Self {
        Self::Validation(Errors::field(rule, path, message))
    }

    /// `Ok` when `errors` is empty, else 400 with them.
    pub fn check(errors: Errors) -> Result<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Validation(errors))
        }
    }

    /// 400 `[invalid]refreshToken`.
    pub fn invalid_refresh_token() -> Self {
        Self::field(
            Rule::Invalid,
            "refreshToken",
            "The refresh token is invalid, expired or revoked.",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(error: serde_json::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::NoEmailAddress => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Expired => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Locked => StatusCode::LOCKED,
            Self::WebhookTransactionFailed => StatusCode::GATEWAY_TIMEOUT,
            Self::LoginPrevented(_) => StatusCode::CONFLICT,
            Self::InvalidTwoFactorCode => StatusCode::MISDIRECTED_REQUEST,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Validation(errors) => json_response(StatusCode::BAD_REQUEST, errors),
            Self::LoginPrevented(body) => json_response(StatusCode::CONFLICT, body),
            Self::Internal(cause) => internal_error(cause),
            other => HttpResponse::build(other.status_code()).finish(),
        }
    }
}
