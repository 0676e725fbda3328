//! The backend's one error type and its mapping to HTTP, in one place.
//!
//! Every non-2xx answer carries a [`shared::store::ApiError`] body. 5xx causes are logged here
//! with their whole chain and never sent to the client.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use shared::store::{ApiError, ErrorCode};

/// `Result` with the backend's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `WWW-Authenticate` value for every 401 (RFC 6750 §3).
const INVALID_TOKEN: &str = r#"Bearer error="invalid_token""#;

/// Why a request in device-bound mode (`APP_DEVICE_BINDING=required`) is refused: each is a 401
/// with `WWW-Authenticate: DPoP error="…"` (RFC 9449 §7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DpopRefusal {
    /// `use_dpop_nonce`: retry once with the answer's `DPoP-Nonce`.
    UseNonce,
    /// `invalid_dpop_proof`: a missing, malformed, forged, replayed or misdirected proof.
    InvalidProof,
    /// `invalid_token` (`unauthorized`): a bad JWT, one not bound to the proof's key, or
    /// credentials sent the way this mode does not accept (Bearer, `X-Refresh-Token`).
    InvalidToken,
    /// `invalid_token` (`session_expired`): the session is over; sign in again.
    SessionExpired,
}

impl DpopRefusal {
    fn challenge(self) -> &'static str {
        match self {
            Self::UseNonce => r#"DPoP algs="ES256", error="use_dpop_nonce""#,
            Self::InvalidProof => r#"DPoP algs="ES256", error="invalid_dpop_proof""#,
            Self::InvalidToken | Self::SessionExpired => {
                r#"DPoP algs="ES256", error="invalid_token""#
            }
        }
    }
}

/// Everything that can go wrong while answering a request.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: a malformed body, path or parameter; the message says what.
    #[error("{0}")]
    InvalidRequest(String),
    /// 401 `unauthorized` + `WWW-Authenticate`: no JWT, or one that is garbage, forged, or not
    /// for this application. The reason is logged, never sent.
    #[error("invalid credentials: {0}")]
    Unauthorized(&'static str),
    /// 401 `session_expired` + `WWW-Authenticate`: a genuine JWT that expired and could not be
    /// refreshed (no refresh token, or FusionAuth refused it). The client should log in again.
    #[error("session expired: {0}")]
    SessionExpired(&'static str),
    /// 401 `refresh_required` + `WWW-Authenticate`: a genuine JWT that alone does not do — it
    /// expired (the client's clock may be behind), or it was issued in the second of a
    /// revocation of its user's sessions — sent without a refresh token. The client should
    /// send the request again once, with `X-Refresh-Token`.
    #[error("refresh token required: {0}")]
    RefreshRequired(&'static str),
    /// 401 + `WWW-Authenticate: DPoP …` in device-bound mode. The reason is logged, never sent.
    #[error("device-bound request refused ({0:?}): {1}")]
    Dpop(DpopRefusal, &'static str),
    /// 404: no such product or cart line.
    #[error("{0}")]
    NotFound(String),
    /// 413: the body is larger than the limit.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 429 + `Retry-After`: too many login attempts from this address.
    #[error("too many requests")]
    TooManyRequests { retry_after_seconds: u64 },
    /// 503 + `Retry-After: 5`: FusionAuth or the database cannot be reached right now. The
    /// session is not over; the client should keep its tokens and retry.
    #[error("a dependency is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: a bug or an unexpected database failure.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// 404 for `req`: an unknown route, or a feature that is off (e.g. without an API key).
    pub fn no_route(req: &actix_web::HttpRequest) -> Self {
        Self::NotFound(format!("No route for {} {}.", req.method(), req.path()))
    }

    /// 429 for a caller a rate limiter makes wait `wait`: `Retry-After` is its whole seconds
    /// plus one.
    pub(crate) fn too_many_requests(wait: std::time::Duration) -> Self {
        Self::TooManyRequests {
            retry_after_seconds: wait.as_secs().saturating_add(1),
        }
    }

    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Self::Unauthorized(_) => ErrorCode::Unauthorized,
            Self::SessionExpired(_) | Self::Dpop(DpopRefusal::SessionExpired, _) => {
                ErrorCode::SessionExpired
            }
            Self::RefreshRequired(_) => ErrorCode::RefreshRequired,
            Self::Dpop(DpopRefusal::UseNonce, _) => ErrorCode::UseDpopNonce,
            Self::Dpop(DpopRefusal::InvalidProof, _) => ErrorCode::InvalidDpopProof,
            Self::Dpop(DpopRefusal::InvalidToken, _) => ErrorCode::Unauthorized,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// What the client is told; never a cause, a token or a query.
    fn public_message(&self) -> String {
        match self {
            Self::InvalidRequest(message) | Self::NotFound(message) => message.clone(),
            Self::Unauthorized(_) => "Missing or invalid access token; please log in.".to_owned(),
            Self::SessionExpired(_) | Self::Dpop(DpopRefusal::SessionExpired, _) => {
                "Your session has ended; please log in again.".to_owned()
            }
            Self::RefreshRequired(_) => {
                "The access token alone is not enough; send the request again with the refresh token."
                    .to_owned()
            }
            Self::Dpop(DpopRefusal::UseNonce, _) => {
                "Sign the request again with the DPoP-Nonce of this answer.".to_owned()
            }
            Self::Dpop(DpopRefusal::InvalidProof, _) => "Missing or invalid DPoP proof.".to_owned(),
            Self::Dpop(DpopRefusal::InvalidToken, _) => {
                "Missing or invalid device-bound access token; please log in.".to_owned()
            }
            Self::PayloadTooLarge => "The request body is too large.".to_owned(),
            Self::TooManyRequests { .. } => {
                "Too many attempts; please wait a moment and retry.".to_owned()
            }
            Self::Unavailable(_) => {
                "A service the store depends on is unavailable; please retry shortly.".to_owned()
            }
            Self::Internal(_) => "Something went wrong on our side.".to_owned(),
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(anyhow::Error::new(error).context("database unreachable"))
            }
            other => Self::Internal(anyhow::Error::new(other).context("database query failed")),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_)
            | Self::SessionExpired(_)
            | Self::RefreshRequired(_)
            | Self::Dpop(..) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "answering 503")
            }
            Self::Internal(cause) => tracing::error!(error = format!("{cause:#}"), "answering 500"),
            Self::Unauthorized(reason)
            | Self::SessionExpired(reason)
            | Self::RefreshRequired(reason)
            | Self::Dpop(_, reason) => {
                tracing::info!(reason, "answering 401");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        match self {
            Self::Unauthorized(_) | Self::SessionExpired(_) | Self::RefreshRequired(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(INVALID_TOKEN),
                ));
            }
            Self::Dpop(refusal, _) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(refusal.challenge()),
                ));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            Self::TooManyRequests {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, *retry_after_seconds));
            }
            _ => {}
        }
        response.json(ApiError::new(self.code(), self.public_message()))
    }
}
