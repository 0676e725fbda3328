//! FusionAuth's Login API (`POST {fusionAuthUrl}/api/login`, workflow steps 2–3), its
//! two-factor step and its Logout API, called cross-origin without an API key and without
//! cookies; and what each answer means for the user ([`LoginStep`], [`LoginFailure`]).
//! <https://fusionauth.io/docs/apis/login>, <https://fusionauth.io/docs/apis/two-factor>

use std::time::Duration;

use leptos::prelude::*;
use shared::store::{AppConfig, DeviceBinding};
use wasm_bindgen::JsValue;

use super::call::Timeout;
use super::client::ApiClient;
use super::device::this_device;
use crate::http::{self, Call, Reply};
use crate::json::{from_str, to_string};
use crate::session::StoredSession;
use crate::wire::fusionauth::{
    ErrorDetail, Errors, LoginPreventedResponse, LoginRequest, LoginResponse, LogoutRequest,
    TwoFactorLoginRequest,
};

/// Shown when FusionAuth cannot be reached during sign-in.
pub const UNREACHABLE_SIGN_IN: &str =
    "Can't reach the sign-in service. Check your connection and try again.";

pub(super) const LOGIN_TIMEOUT: Duration = Duration::from_secs(20);
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where a sign-in attempt got to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// Signed in (200).
    SignedIn(StoredSession),
    /// 242: a code is needed; complete with [`ApiClient::two_factor_login`] and this id.
    TwoFactor(String),
    /// 203: the password must change first; complete with [`ApiClient::change_password`] and
    /// this `changePasswordId`.
    ChangePassword(String),
}

/// Why signing in failed: one variant per answer of `POST /api/login` (and
/// `POST /api/two-factor/login`) the user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// 404: unknown email or wrong password.
    WrongCredentials,
    /// 400 (or checked before sending): validation errors, by field.
    Invalid(std::sync::Arc<Errors>),
    /// 202: the user exists but is not registered for the store application.
    NotRegistered,
    /// 203 without a `changePasswordId`: FusionAuth wants the password changed first.
    PasswordChangeRequired,
    /// 404 from a change-password or verification link: unknown, used or expired.
    LinkExpired,
    /// 212 / 213: email or registration not verified.
    NotVerified,
    /// 421 from the two-factor login: a wrong code.
    WrongCode,
    /// 404 from the two-factor login: the two-factor id expired; start again.
    CodeExpired,
    /// 409: a user action (e.g. lockout after failed attempts) prevents login; until when, in
    /// epoch milliseconds, if the action ends.
    Locked(Option<i64>),
    /// 410: the account has expired.
    Expired,
    /// 423: the account is disabled.
    Disabled,
    /// 401: FusionAuth refused an anonymous login (deployment misconfigured).
    NotAllowed,
    /// 429.
    TooManyAttempts,
    /// Network failure, timeout or 5xx.
    Unreachable,
    /// Any other answer, or a 200 without a token.
    Unexpected,
    /// A passkey sign-in failed in a way of its own (see `passkeys.rs`).
    Passkey(super::PasskeyFailure),
}

impl LoginFailure {
    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            Self::WrongCredentials => "Wrong email or password.".to_owned(),
            Self::Invalid(errors) => errors
                .general_errors
                .first()
                .map(|e| e.message.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Please check the highlighted fields.".to_owned()),
            Self::NotRegistered => "This account is not registered for the store.".to_owned(),
            Self::PasswordChangeRequired => {
                "You need to change your password before you can sign in.".to_owned()
            }
            Self::NotVerified => "Please verify your email address first.".to_owned(),
            Self::LinkExpired => {
                "This link has expired or has already been used. Please ask for a new one."
                    .to_owned()
            }
            Self::WrongCode => "That code isn't right.".to_owned(),
            Self::CodeExpired => "That code has expired. Please sign in again.".to_owned(),
            Self::Locked(Some(until)) => format!(
                "This account is locked until {}. Please try again then or contact support.",
                crate::format::local_time(*until)
            ),
            Self::Locked(None) => {
                "This account is locked. Please try again later or contact support.".to_owned()
            }
            Self::Expired => "This account has expired. Please contact support.".to_owned(),
            Self::Disabled => "This account has been disabled. Please contact support.".to_owned(),
            Self::NotAllowed => {
                "The store is not allowed to sign you in right now. Please try again later."
                    .to_owned()
            }
            Self::TooManyAttempts => {
                "Too many sign-in attempts. Please wait a moment and try again.".to_owned()
            }
            Self::Unreachable => UNREACHABLE_SIGN_IN.to_owned(),
            Self::Unexpected => {
                "Something went wrong while signing in. Please try again.".to_owned()
            }
            Self::Passkey(failure) => failure.message().to_owned(),
        }
    }

    /// The first error for a request field (`loginId`, `password`, `code`).
    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .field_errors
                .get(field)
                .and_then(|list| list.first())
                .map(|e| {
                    if e.message.is_empty() {
                        "This field is required.".to_owned()
                    } else {
                        e.message.clone()
                    }
                }),
            _ => None,
        }
    }

    /// Checks a form before sending it: every named field must be filled in.
    pub fn check_filled(fields: &[(&str, &str, &str)]) -> Result<(), Self> {
        let mut errors = Errors::default();
        for (field, value, message) in fields {
            if value.trim().is_empty() {
                errors.field_errors.insert(
                    (*field).to_owned(),
                    vec![ErrorDetail {
                        message: (*message).to_owned(),
                    }],
                );
            }
        }
        if errors.field_errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Invalid(errors.into()))
        }
    }
}

/// Reads an answer of `POST /api/login`, or of `POST /api/two-factor/login` when `two_factor`
/// (FusionAuth docs, response codes; the contract's §1.4).
pub fn read_login_answer(
    status: u16,
    body: &str,
    two_factor: bool,
) -> Result<LoginStep, LoginFailure> {
    let answer = || from_str::<LoginResponse>(body);
    match status {
        200 => answer()
            .and_then(StoredSession::from_login)
            .map(LoginStep::SignedIn)
            .ok_or(LoginFailure::Unexpected),
        202 => Err(LoginFailure::NotRegistered),
        203 => answer()
            .and_then(|a| a.change_password_id)
            .filter(|id| !id.is_empty())
            .map(LoginStep::ChangePassword)
            .ok_or(LoginFailure::PasswordChangeRequired),
        212 | 213 => Err(LoginFailure::NotVerified),
        242 => answer()
            .and_then(|a| a.two_factor_id)
            .filter(|id| !id.is_empty())
            .map(LoginStep::TwoFactor)
            .ok_or(LoginFailure::Unexpected),
        400 => Err(LoginFailure::Invalid(
            from_str::<Errors>(body).unwrap_or_default().into(),
        )),
        401 => Err(LoginFailure::NotAllowed),
        404 if two_factor => Err(LoginFailure::CodeExpired),
        404 => Err(LoginFailure::WrongCredentials),
        409 => Err(LoginFailure::Locked(
            from_str::<LoginPreventedResponse>(body)
                .and_then(|a| a.actions.first().and_then(|action| action.expiry)),
        )),
        410 => Err(LoginFailure::Expired),
        421 => Err(LoginFailure::WrongCode),
        423 => Err(LoginFailure::Disabled),
        429 => Err(LoginFailure::TooManyAttempts),
        500..=599 => Err(LoginFailure::Unreachable),
        _ => Err(LoginFailure::Unexpected),
    }
}

impl ApiClient {
    /// `POST {fusionAuthUrl}/api/login` with the user's credentials (workflow steps 2–3).
    ///
    /// # Errors
    /// A [`LoginFailure`] for every answer other than a 200 with a JWT or a 242.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginStep, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let device = this_device();
        let body = to_string(&LoginRequest {
            login_id: email.trim(),
            password,
            application_id: Some(&config.application_id),
            device_name: device.name.as_deref(),
            device_type: device.device_type.as_deref(),
        })
        .ok_or(LoginFailure::Unexpected)?;
        if config.device_binding == DeviceBinding::Required {
            self.prepare_key().await?;
        }
        let step = post_login(
            &format!("{}/api/login", config.fusion_auth_url),
            body,
            false,
        )
        .await?;
        self.signed_in(&config, step).await
    }

    /// In `required` mode a 200 is complete only once the refresh token is handed to the
    /// backend (see [`Self::hand_off`]).
    pub(super) async fn signed_in(
        &self,
        config: &AppConfig,
        step: LoginStep,
    ) -> Result<LoginStep, LoginFailure> {
        match step {
            LoginStep::SignedIn(session) if config.device_binding == DeviceBinding::Required => {
                Ok(LoginStep::SignedIn(self.hand_off(session).await?))
            }
            other => Ok(other),
        }
    }

    /// `POST {fusionAuthUrl}/api/two-factor/login`: completes a login that answered 242.
    ///
    /// # Errors
    /// [`LoginFailure::WrongCode`] (421), [`LoginFailure::CodeExpired`] (404), and the rest as
    /// for [`Self::login`].
    pub async fn two_factor_login(
        &self,
        two_factor_id: &str,
        code: &str,
    ) -> Result<LoginStep, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let body = to_string(&TwoFactorLoginRequest {
            two_factor_id,
            code: code.trim(),
            application_id: Some(&config.application_id),
        })
        .ok_or(LoginFailure::Unexpected)?;
        let url = format!("{}/api/two-factor/login", config.fusion_auth_url);
        let step = post_login(&url, body, true).await?;
        self.signed_in(&config, step).await
    }

    /// Best-effort `POST {fusionAuthUrl}/api/logout` revoking the refresh token (a device-bound
    /// session: `DELETE /api/session` at the backend, which holds it); failures are ignored.
    /// Then forgets the session (and the device key).
    pub async fn logout(&self) {
        let current = self.session.current();
        if let Some(bound) = current.as_ref().filter(|s| s.jkt.is_some()) {
            self.end_bound_session(bound, &Timeout::start(LOGOUT_TIMEOUT))
                .await;
        }
        let refresh_token = current.and_then(|s| s.refresh_token);
        if let (Some(refresh_token), Ok(config)) = (refresh_token, self.config().await) {
            let body = to_string(&LogoutRequest {
                refresh_token: Some(&refresh_token),
            });
            if let Some(body) = body {
                let url = format!("{}/api/logout", config.fusion_auth_url);
                let _ = post_to_fusionauth(&url, &body, LOGOUT_TIMEOUT).await;
            }
        }
        self.session.end();
        self.notice.set(None);
    }
}

/// Sends a login request to FusionAuth (cross-origin, no cookies) and reads the answer.
async fn post_login(url: &str, body: String, two_factor: bool) -> Result<LoginStep, LoginFailure> {
    let reply = post_to_fusionauth(url, &body, LOGIN_TIMEOUT)
        .await
        .map_err(|_| LoginFailure::Unreachable)?;
    let (status, body) = (reply.status, reply.body);
    read_login_answer(status, &body, two_factor)
}

/// `POST`s a JSON `body` to FusionAuth: cross-origin, without cookies, given up after
/// `timeout`.
pub(super) async fn post_to_fusionauth(
    url: &str,
    body: &str,
    timeout: Duration,
) -> Result<Reply, JsValue> {
    let abort = Timeout::start(timeout);
    http::send(Call {
        method: "POST",
        url,
        json: Some(body),
        omit_credentials: true,
        signal: abort.signal().as_ref(),
        ..Call::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn login_statuses_map_to_what_the_user_can_do() {
        let cases = [
            (202, LoginFailure::NotRegistered),
            (203, LoginFailure::PasswordChangeRequired),
            (212, LoginFailure::NotVerified),
            (242, LoginFailure::Unexpected),
            (401, LoginFailure::NotAllowed),
            (404, LoginFailure::WrongCredentials),
            (409, LoginFailure::Locked(None)),
            (410, LoginFailure::Expired),
            (423, LoginFailure::Disabled),
            (500, LoginFailure::Unreachable),
            (503, LoginFailure::Unreachable),
            (302, LoginFailure::Unexpected),
        ];
        for (status, expected) in cases {
            assert_eq!(
                read_login_answer(status, "", false),
                Err(expected),
                "{status}"
            );
        }
        assert_eq!(
            LoginFailure::WrongCredentials.message(),
            "Wrong email or password."
        );
        assert_eq!(
            LoginFailure::NotVerified.message(),
            "Please verify your email address first."
        );
        assert_eq!(LoginFailure::Unreachable.message(), UNREACHABLE_SIGN_IN);
    }

    #[test]
    fn two_factor_answers_have_their_own_meaning() {
        let cases = [
            (
                203,
                r#"{"changePasswordId":"cp1","changePasswordReason":"Administrative"}"#,
                false,
                Ok(LoginStep::ChangePassword("cp1".to_owned())),
            ),
            (
                242,
                r#"{"twoFactorId":"tf1","methods":[]}"#,
                false,
                Ok(LoginStep::TwoFactor("tf1".to_owned())),
            ),
            (421, "", true, Err(LoginFailure::WrongCode)),
            (404, "", true, Err(LoginFailure::CodeExpired)),
            (
                409,
                r#"{"actions":[{"expiry":1764400000000}]}"#,
                false,
                Err(LoginFailure::Locked(Some(1_764_400_000_000))),
            ),
        ];
        for (status, body, two_factor, expected) in cases {
            assert_eq!(
                read_login_answer(status, body, two_factor),
                expected,
                "{status}"
            );
        }
        assert_eq!(LoginFailure::WrongCode.message(), "That code isn't right.");
        assert_eq!(
            LoginFailure::CodeExpired.message(),
            "That code has expired. Please sign in again."
        );
    }

    #[test]
    fn a_200_login_needs_a_token() {
        for body in ["{}", "oops"] {
            assert_eq!(
                read_login_answer(200, body, false),
                Err(LoginFailure::Unexpected),
                "{body}"
            );
        }
        let ok = read_login_answer(200, r#"{"token":"a.b.c","refreshToken":"r"}"#, false);
        let Ok(LoginStep::SignedIn(session)) = ok else {
            panic!("signed in: {ok:?}");
        };
        assert_eq!(session.refresh_token.as_deref(), Some("r"));
    }

    #[test]
    fn validation_errors_are_shown_per_field() {
        let body =
            r#"{"fieldErrors":{"password":[{"code":"[blank]password","message":"Required"}]}}"#;
        let failure = read_login_answer(400, body, false).expect_err("400 fails");
        assert_eq!(failure.field_error("password").as_deref(), Some("Required"));
        assert_eq!(failure.field_error("loginId"), None);
        assert_eq!(failure.message(), "Please check the highlighted fields.");
        let bare = read_login_answer(400, "", false).expect_err("400 fails");
        assert_eq!(bare, LoginFailure::Invalid(Errors::default().into()));
        let unfilled = LoginFailure::check_filled(&[
            ("loginId", " ", "Enter your email."),
            ("password", "x", "Enter your password."),
        ])
        .expect_err("email missing");
        assert_eq!(
            unfilled.field_error("loginId").as_deref(),
            Some("Enter your email.")
        );
        assert_eq!(unfilled.field_error("password"), None);
    }
}
