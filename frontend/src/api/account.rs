//! The account around the login form (issue #14): sign-up and "forgot password" through the
//! backend (which holds the API key), and, straight at FusionAuth without a key as the Login API
//! is, a new password by `changePasswordId` (the 203 answer, the reset email's link) followed by
//! a sign-in with its `oneTimePassword`, and email verification (the link, "resend").
//! <https://fusionauth.io/docs/apis/users>

use futures::future::LocalBoxFuture;
use shared::store::{
    AppConfig, DeviceBinding, ForgotPasswordRequest, SignUpRequest, SignUpResponse,
};

use super::call::Timeout;
use super::client::ApiClient;
use super::fusionauth::{LOGIN_TIMEOUT, LoginFailure, LoginStep, read_login_answer};
use crate::http::{self, Call, Reply};
use crate::json::{Json, from_str, to_string};
use crate::session::StoredSession;
use crate::wire::fusionauth::{
    ChangePasswordRequest, ChangePasswordResponse, Errors, OneTimePasswordLogin, VerifyEmailRequest,
};

/// What a new password led to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasswordChanged {
    /// Signed in with the change's one-time password.
    SignedIn(StoredSession),
    /// Changed; the user signs in with the new password.
    SignInNeeded,
}

/// Sends one JSON call and waits at most the sign-in timeout for it. Boxed: one copy of the
/// state machine instead of one inside each caller's.
fn send<'a>(
    method: &'a str,
    url: &'a str,
    json: Option<&'a str>,
    cross: bool,
) -> LocalBoxFuture<'a, Result<Reply, LoginFailure>> {
    Box::pin(send_unboxed(method, url, json, cross))
}

async fn send_unboxed(
    method: &str,
    url: &str,
    json: Option<&str>,
    cross: bool,
) -> Result<Reply, LoginFailure> {
    let abort = Timeout::start(LOGIN_TIMEOUT);
    http::send(Call {
        method,
        url,
        json,
        omit_credentials: cross,
        signal: abort.signal().as_ref(),
        ..Call::default()
    })
    .await
    .map_err(|_| LoginFailure::Unreachable)
}

/// The failures every account call shares: 400 field errors (FusionAuth's `fieldErrors`, or the
/// backend's `fields`), 404 (an unknown, used or expired link), 429, 5xx.
pub fn read_failure(status: u16, body: &str) -> LoginFailure {
    match status {
        400 => {
            let json = Json::parse(body);
            let errors = json
                .as_ref()
                .and_then(|j| match j.get("fields").is_absent() {
                    true => j.read::<Errors>(),
                    false => Some(Errors {
                        field_errors: j.get("fields").read().unwrap_or_default(),
                        general_errors: Vec::new(),
                    }),
                });
            LoginFailure::Invalid(errors.unwrap_or_default().into())
        }
        404 => LoginFailure::LinkExpired,
        429 => LoginFailure::TooManyAttempts,
        500..=599 => LoginFailure::Unreachable,
        _ => LoginFailure::Unexpected,
    }
}

impl ApiClient {
    /// `POST /api/account` (the backend): a new account.
    ///
    /// # Errors
    /// Per-field [`LoginFailure::Invalid`] (`email`, `password`, `firstName`), and the rest of
    /// [`read_failure`].
    pub async fn sign_up(&self, request: &SignUpRequest) -> Result<SignUpResponse, LoginFailure> {
        let body = to_string(request).ok_or(LoginFailure::Unexpected)?;
        let reply = send("POST", "/api/account", Some(&body), false).await?;
        match reply.status {
            201 => reply.json().ok_or(LoginFailure::Unexpected),
            // No account API on this deployment (no API key): not a link problem.
            404 => Err(LoginFailure::Unexpected),
            status => Err(read_failure(status, &reply.body)),
        }
    }

    /// `POST /api/account/forgot-password` (the backend): 202 whether or not the address has
    /// an account.
    ///
    /// # Errors
    /// See [`read_failure`].
    pub async fn forgot_password(&self, email: &str) -> Result<(), LoginFailure> {
        let request = ForgotPasswordRequest {
            email: email.trim().to_owned(),
        };
        let body = to_string(&request).ok_or(LoginFailure::Unexpected)?;
        let reply = send("POST", "/api/account/forgot-password", Some(&body), false).await?;
        match reply.status {
            200..=299 => Ok(()),
            404 => Err(LoginFailure::Unexpected),
            status => Err(read_failure(status, &reply.body)),
        }
    }

    /// `POST {fusionAuthUrl}/api/user/change-password/{id}`, then, with the answer's
    /// `oneTimePassword`, `POST /api/login` (and in `required` mode the hand-off).
    ///
    /// # Errors
    /// [`LoginFailure::Invalid`] (the password rules, on `password`), [`LoginFailure::LinkExpired`]
    /// (404), and the login's failures.
    pub async fn change_password(
        &self,
        change_password_id: &str,
        password: &str,
    ) -> Result<PasswordChanged, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let body = to_string(&ChangePasswordRequest {
            password,
            current_password: None,
        })
        .ok_or(LoginFailure::Unexpected)?;
        let url = format!(
            "{}/api/user/change-password/{}",
            config.fusion_auth_url,
            encode(change_password_id)
        );
        let reply = send("POST", &url, Some(&body), true).await?;
        if reply.status != 200 {
            return Err(read_failure(reply.status, &reply.body));
        }
        self.sign_in_once(&config, &reply.body).await
    }

    /// Signed in: `POST {fusionAuthUrl}/api/user/change-password` with the JWT and the current
    /// password. The tenant's `onPasswordChanged` policy then revokes every refresh token of
    /// the user, this device's too, so the device signs in again with the change's
    /// `oneTimePassword`.
    ///
    /// # Errors
    /// [`LoginFailure::Invalid`] on `currentPassword` (wrong or blank) or `password` (the rules).
    pub async fn change_own_password(
        &self,
        current: &str,
        password: &str,
    ) -> Result<PasswordChanged, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        // A store call first: it renews an expired JWT (the backend does in `required` mode).
        let _ = self.cart().await;
        let token = self
            .session
            .current()
            .map(|s| s.token)
            .ok_or(LoginFailure::Unexpected)?;
        let body = to_string(&ChangePasswordRequest {
            password,
            current_password: Some(current),
        })
        .ok_or(LoginFailure::Unexpected)?;
        let url = format!("{}/api/user/change-password", config.fusion_auth_url);
        let authorization = format!("Bearer {token}");
        let abort = Timeout::start(LOGIN_TIMEOUT);
        let reply = http::send(Call {
            method: "POST",
            url: &url,
            headers: &[("Authorization", &authorization)],
            json: Some(&body),
            omit_credentials: true,
            signal: abort.signal().as_ref(),
        })
        .await
        .map_err(|_| LoginFailure::Unreachable)?;
        match reply.status {
            200 => self.sign_in_once(&config, &reply.body).await,
            404 => Err(LoginFailure::check_filled(&[(
                "currentPassword",
                "",
                "That isn't your current password.",
            )])
            .err()
            .unwrap_or(LoginFailure::Unexpected)),
            status => Err(read_failure(status, &reply.body)),
        }
    }

    /// Signs in with the `oneTimePassword` of a change's 200 `answer`; the password is changed
    /// whatever happens here, so any trouble leaves the user to sign in with it.
    async fn sign_in_once(
        &self,
        config: &AppConfig,
        answer: &str,
    ) -> Result<PasswordChanged, LoginFailure> {
        let Some(one_time_password) = from_str::<ChangePasswordResponse>(answer)
            .and_then(|r| r.one_time_password)
            .filter(|p| !p.is_empty())
        else {
            return Ok(PasswordChanged::SignInNeeded);
        };
        let body = to_string(&OneTimePasswordLogin {
            one_time_password: &one_time_password,
            application_id: Some(&config.application_id),
        })
        .ok_or(LoginFailure::Unexpected)?;
        if config.device_binding == DeviceBinding::Required {
            self.prepare_key().await?;
        }
        let url = format!("{}/api/login", config.fusion_auth_url);
        let reply = send("POST", &url, Some(&body), true).await?;
        if let Ok(LoginStep::SignedIn(session)) =
            read_login_answer(reply.status, &reply.body, false)
            && let Ok(LoginStep::SignedIn(session)) =
                self.signed_in(config, LoginStep::SignedIn(session)).await
        {
            return Ok(PasswordChanged::SignedIn(session));
        }
        Ok(PasswordChanged::SignInNeeded)
    }

    /// `POST {fusionAuthUrl}/api/user/verify-email`: the email's link.
    ///
    /// # Errors
    /// [`LoginFailure::LinkExpired`] (404), and the rest of [`read_failure`].
    pub async fn verify_email(&self, verification_id: &str) -> Result<(), LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let body =
            to_string(&VerifyEmailRequest { verification_id }).ok_or(LoginFailure::Unexpected)?;
        let url = format!("{}/api/user/verify-email", config.fusion_auth_url);
        let reply = send("POST", &url, Some(&body), true).await?;
        match reply.status {
            200 => Ok(()),
            status => Err(read_failure(status, &reply.body)),
        }
    }

    /// `PUT {fusionAuthUrl}/api/user/verify-email?email=…&applicationId=…` without an API key:
    /// FusionAuth emails a new link (an empty 200).
    ///
    /// # Errors
    /// See [`read_failure`].
    pub async fn resend_verification(&self, email: &str) -> Result<(), LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let url = format!(
            "{}/api/user/verify-email?email={}&applicationId={}",
            config.fusion_auth_url,
            encode(email.trim()),
            encode(&config.application_id)
        );
        let reply = send("PUT", &url, None, true).await?;
        match reply.status {
            200..=299 => Ok(()),
            status => Err(read_failure(status, &reply.body)),
        }
    }
}

/// `encodeURIComponent`.
fn encode(value: &str) -> String {
    String::from(web_sys::js_sys::encode_uri_component(value))
}
