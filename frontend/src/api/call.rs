//! What every call shares: a deadline for requests that must not hang (sign-in, logout), and the
//! store API's errors decoded into [`ApiFailure`].

use std::time::Duration;

use leptos::prelude::set_timeout;
use shared::store::{ApiError, ErrorCode};

use crate::http::Reply;
use crate::json::Read;

/// Shown while the store API cannot be reached; the session is kept.
pub const UNREACHABLE_STORE: &str =
    "Can't reach the store right now. You're still signed in — try again in a moment.";

/// Why a store API call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// No one is signed in, so there is no token to send.
    SignedOut,
    /// The request never got an answer (offline, DNS, CORS, aborted).
    Unreachable,
    /// A non-2xx answer and its decoded body.
    Api { status: u16, error: ApiError },
    /// A 2xx answer whose body was not what the endpoint documents.
    BadResponse,
}

impl ApiFailure {
    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            Self::SignedOut => "Please sign in to continue.".to_owned(),
            Self::Unreachable => UNREACHABLE_STORE.to_owned(),
            Self::BadResponse => {
                "The store sent an answer this app could not read. Please try again.".to_owned()
            }
            Self::Api { error, .. } => match error.code {
                ErrorCode::Unauthorized | ErrorCode::SessionExpired => {
                    crate::session::SESSION_EXPIRED_NOTICE.to_owned()
                }
                ErrorCode::Unavailable => UNREACHABLE_STORE.to_owned(),
                ErrorCode::TooManyRequests => {
                    "Too many requests. Please wait a moment and try again.".to_owned()
                }
                ErrorCode::NotFound => "That product is no longer available.".to_owned(),
                ErrorCode::InvalidRequest if !error.message.is_empty() => error.message.clone(),
                _ => "Something went wrong on our side. Please try again.".to_owned(),
            },
        }
    }

    /// True when there is no session (any more): the app is on its way to the login page, so the
    /// cart badge must not be written to.
    pub fn signs_out(&self) -> bool {
        matches!(self, Self::SignedOut | Self::Api { status: 401, .. })
    }

    /// True when trying again later may succeed and the session must be kept.
    pub fn is_temporary(&self) -> bool {
        match self {
            Self::Unreachable => true,
            Self::Api { status, error } => {
                error.code == ErrorCode::Unavailable || matches!(status, 502..=504)
            }
            _ => false,
        }
    }
}

/// A non-2xx answer's [`ApiError`]: its body, or one made from its status when the body is
/// missing or another one.
pub(super) fn decode_error(reply: &Reply) -> ApiError {
    reply
        .json::<ApiError>()
        .unwrap_or_else(|| fallback_error(reply.status))
}

/// The body a non-2xx answer should have had, when it had none or another one.
fn fallback_error(status: u16) -> ApiError {
    let code = match status {
        400 | 422 => ErrorCode::InvalidRequest,
        401 => ErrorCode::Unauthorized,
        404 => ErrorCode::NotFound,
        413 => ErrorCode::PayloadTooLarge,
        429 => ErrorCode::TooManyRequests,
        502..=504 => ErrorCode::Unavailable,
        500..=599 => ErrorCode::Internal,
        _ => ErrorCode::Unknown,
    };
    ApiError::new(code, "")
}

/// A 2xx answer's body as the endpoint documents it.
pub(super) fn read_json<T: Read>(reply: &Reply) -> Result<T, ApiFailure> {
    reply.json().ok_or(ApiFailure::BadResponse)
}

/// Aborts a request that takes longer than a deadline.
pub(super) struct Timeout {
    controller: Option<web_sys::AbortController>,
}

impl Timeout {
    pub(super) fn start(after: Duration) -> Self {
        let controller = web_sys::AbortController::new().ok();
        if let Some(controller) = controller.clone() {
            set_timeout(move || controller.abort(), after);
        }
        Self { controller }
    }

    pub(super) fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.controller
            .as_ref()
            .map(web_sys::AbortController::signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn store_errors_without_a_body_get_a_code_from_their_status() {
        assert_eq!(fallback_error(503).code, ErrorCode::Unavailable);
        assert_eq!(fallback_error(401).code, ErrorCode::Unauthorized);
        let busy = ApiFailure::Api {
            status: 503,
            error: fallback_error(503),
        };
        assert!(busy.is_temporary());
        assert!(ApiFailure::Unreachable.is_temporary());
        let gone = ApiFailure::Api {
            status: 401,
            error: ApiError::new(ErrorCode::SessionExpired, "x"),
        };
        assert!(!gone.is_temporary());
    }
}
