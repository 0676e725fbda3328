//! The account API, on FusionAuth's APIs with the server-side API key (only when
//! `APP_FUSIONAUTH_API_KEY` is set; 404 otherwise):
//!
//! - `POST /api/account` `SignUpRequest` → 201 `SignUpResponse`: FusionAuth's Registration API
//!   (user + registration to the configured application, which the client cannot choose), with
//!   the tenant's password rules and email verification. FusionAuth's field errors come back as
//!   400 `FieldErrors` (messages per field); nothing is stored then.
//! - `POST /api/account/forgot-password` `{email}` → 202, whether or not the address has an
//!   account: FusionAuth's Forgot Password API emails a link to the app's reset page.
//!
//! Each is limited per client address (`APP_ACCOUNT_ATTEMPTS_PER_MINUTE`). Passwords and
//! FusionAuth's answers are never logged. The signed-in devices (`/api/account/sessions`, for
//! a signed-in user) use this service too: `super::devices`.
//! <https://fusionauth.io/docs/apis/registrations>, <https://fusionauth.io/docs/apis/users>

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use shared::fusionauth::{
    self, Errors, NewRegistration, NewUser, RegistrationRequest, RegistrationResponse,
};
use shared::store::{
    ErrorCode, FieldError, FieldErrors, ForgotPasswordRequest, SignUpRequest, SignUpResponse,
};

use super::enabled;
use crate::auth::logout;
use crate::client_address::{self, ClientAddresses};
use crate::error::{Error, Result};
use crate::rate_limit::RateLimiter;
use crate::settings::{Secret, Settings};

/// How long FusionAuth may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The account API's service (app data; present when `APP_FUSIONAUTH_API_KEY` is set).
#[derive(Debug)]
pub struct Accounts {
    pub(super) client: reqwest::Client,
    pub(super) fusionauth_url: String,
    pub(super) application_id: String,
    api_key: Secret,
    sign_ups: RateLimiter,
    resets: RateLimiter,
}

impl Accounts {
    /// `None` without an API key.
    pub fn from_settings(client: reqwest::Client, settings: &Settings) -> Option<Self> {
        let api_key = settings.fusionauth_api_key.clone()?;
        Some(Self {
            client,
            fusionauth_url: settings.fusionauth_url.trim_end_matches('/').to_owned(),
            application_id: settings.application_id.clone(),
            api_key,
            sign_ups: RateLimiter::per_minute(settings.account_attempts_per_minute),
            resets: RateLimiter::per_minute(settings.account_attempts_per_minute),
        })
    }

    /// Sends `request` to FusionAuth with the API key, waiting at most [`TIMEOUT`]; `what`
    /// (`METHOD /path`) names the call when FusionAuth cannot be reached.
    pub(super) async fn send_with_key(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response> {
        request
            .header(reqwest::header::AUTHORIZATION, self.api_key.expose())
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable(what, e.without_url()))
    }
}

pub(super) fn unavailable(what: &str, cause: impl std::fmt::Display) -> Error {
    Error::Unavailable(anyhow::anyhow!("{what}: {cause}"))
}

/// `POST /api/account`.
#[tracing::instrument(skip_all)]
pub async fn sign_up(
    req: HttpRequest,
    accounts: web::Data<Option<Accounts>>,
    addresses: web::Data<ClientAddresses>,
    body: web::Json<SignUpRequest>,
) -> Result<HttpResponse> {
    let accounts = enabled(&req, accounts.get_ref().as_ref())?;
    let client_ip = addresses.of(&req);
    client_address::admit(&accounts.sign_ups, client_ip, "sign-up")?;
    let request = body.into_inner();
    let first_name = request
        .first_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let registration = RegistrationRequest {
        user: Some(NewUser {
            email: Some(request.email.trim().to_owned()),
            password: request.password,
            first_name: first_name.map(str::to_owned),
            ..NewUser::default()
        }),
        registration: NewRegistration {
            application_id: accounts.application_id.clone(),
            ..NewRegistration::default()
        },
        ..RegistrationRequest::default()
    };
    let url = format!("{}/api/user/registration", accounts.fusionauth_url);
    let request = accounts
        .client
        .post(&url)
        .header("x-forwarded-for", client_ip.to_string())
        .json(&registration);
    let response = accounts
        .send_with_key(request, "POST /api/user/registration")
        .await?;
    let status = response.status().as_u16();
    match status {
        200 => {
            let answer: RegistrationResponse = response
                .json()
                .await
                .map_err(|e| unavailable("registration answer", e.without_url()))?;
            // The Registration API signs the new user in although nobody holds that session:
            // end it, so it never shows among the user's devices.
            if let Some(refresh_token) = answer.refresh_token {
                let logout_url = format!("{}/api/logout", accounts.fusionauth_url);
                let context = "the sign-up's unused session lives until it expires";
                logout::log_out(&accounts.client, &logout_url, refresh_token, context).await;
            }
            let user = answer.user.unwrap_or_default();
            tracing::info!(user_id = user.id, "account created");
            Ok(HttpResponse::Created().json(SignUpResponse {
                verification_required: !user.verified,
                email: user.email.unwrap_or_default(),
                user_id: user.id,
            }))
        }
        400 => {
            let errors: Errors = response
                .json()
                .await
                .map_err(|e| unavailable("registration refusal", e.without_url()))?;
            let fields = field_errors(&errors);
            tracing::info!(fields = ?fields.fields.keys().collect::<Vec<_>>(), "sign-up refused");
            Ok(HttpResponse::BadRequest().json(fields))
        }
        401 => Err(Error::Internal(anyhow::anyhow!(
            "FusionAuth refused the API key (APP_FUSIONAUTH_API_KEY) for the Registration API"
        ))),
        other => Err(unavailable(
            "POST /api/user/registration",
            format!("HTTP {other}"),
        )),
    }
}

/// FusionAuth's field errors as messages per field of [`SignUpRequest`].
fn field_errors(errors: &Errors) -> FieldErrors {
    let mut fields: BTreeMap<String, Vec<FieldError>> = BTreeMap::new();
    for details in errors.field_errors.values() {
        for detail in details {
            let (field, message) = explain(&detail.code.path, detail.code.rule.as_str());
            fields
                .entry(field.to_owned())
                .or_default()
                .push(FieldError {
                    rule: detail.code.rule.as_str().to_owned(),
                    message: message.to_owned(),
                });
        }
    }
    if fields.is_empty() {
        fields
            .entry("form".to_owned())
            .or_default()
            .push(FieldError {
                rule: "invalid".to_owned(),
                message: "The account could not be created; please check the form.".to_owned(),
            });
    }
    FieldErrors {
        code: ErrorCode::InvalidRequest,
        message: "Some fields need another value.".to_owned(),
        fields,
    }
}

/// The request field a FusionAuth error path is about, and what to tell the user.
fn explain(path: &str, rule: &str) -> (&'static str, &'static str) {
    match (path, rule) {
        ("user.email", "duplicate") => (
            "email",
            "An account with this email address already exists.",
        ),
        ("user.email", "notEmail") => ("email", "Enter a valid email address."),
        ("user.email", "blank") => ("email", "Enter your email address."),
        ("user.email", "blocked") => ("email", "Email addresses of this domain are not accepted."),
        ("user.email", _) => ("email", "This email address is not accepted."),
        ("user.password", "blank") => ("password", "Enter a password."),
        ("user.password", "tooShort") => ("password", "The password is too short."),
        ("user.password", "tooLong") => ("password", "The password is too long."),
        ("user.password", "singleCase") => {
            ("password", "Use both upper-case and lower-case letters.")
        }
        ("user.password", "onlyAlpha") => (
            "password",
            "Add a character that is not a letter or a digit.",
        ),
        ("user.password", "requireNumber") => ("password", "Add a digit."),
        ("user.password", rule) if rule.starts_with("breached") => (
            "password",
            "This password appears in known data breaches; choose another.",
        ),
        ("user.password", _) => ("password", "Choose another password."),
        ("user.firstName", _) => ("firstName", "This name is not accepted."),
        _ => (
            "form",
            "The account could not be created; please check the form.",
        ),
    }
}

/// `POST /api/account/forgot-password`: 202 with no body whether or not the address has an
/// account (FusionAuth's 404 and 422 are not passed on).
#[tracing::instrument(skip_all)]
pub async fn forgot_password(
    req: HttpRequest,
    accounts: web::Data<Option<Accounts>>,
    addresses: web::Data<ClientAddresses>,
    body: web::Json<ForgotPasswordRequest>,
) -> Result<HttpResponse> {
    let accounts = enabled(&req, accounts.get_ref().as_ref())?;
    let client_ip = addresses.of(&req);
    client_address::admit(&accounts.resets, client_ip, "forgot-password")?;
    let email = body.into_inner().email.trim().to_owned();
    if email.is_empty() || !email.contains('@') {
        return Err(Error::InvalidRequest(
            "Enter your email address.".to_owned(),
        ));
    }
    let url = format!("{}/api/user/forgot-password", accounts.fusionauth_url);
    // Without the API key: FusionAuth then sends the email and answers with no body, so the
    // change-password id never reaches this process.
    let response = accounts
        .client
        .post(&url)
        .header("x-forwarded-for", client_ip.to_string())
        .json(&fusionauth::ForgotPasswordRequest {
            login_id: email,
            application_id: Some(accounts.application_id.clone()),
            ..fusionauth::ForgotPasswordRequest::default()
        })
        .timeout(TIMEOUT)
        .send()
        .await
        .map_err(|e| unavailable("POST /api/user/forgot-password", e.without_url()))?;
    match response.status().as_u16() {
        200 | 404 | 422 => {
            tracing::info!("forgot-password request passed on");
            Ok(HttpResponse::Accepted().finish())
        }
        other => Err(unavailable(
            "POST /api/user/forgot-password",
            format!("HTTP {other}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use shared::fusionauth::Rule;

    use super::*;

    #[test]
    fn fusionauth_field_errors_become_messages_on_the_requests_fields() {
        let mut errors = Errors::default();
        errors.add_field(
            Rule::Duplicate,
            "user.email",
            "A user with this email already exists.",
        );
        errors.add_field(Rule::TooShort, "user.password", "too short");
        errors.add_field(Rule::SingleCase, "user.password", "single case");
        errors.add_field(Rule::Invalid, "registration.applicationId", "x");
        let answer = field_errors(&errors);
        assert_eq!(answer.code, ErrorCode::InvalidRequest);
        let rules = |field: &str| -> Vec<String> {
            answer.fields[field]
                .iter()
                .map(|e| e.rule.clone())
                .collect()
        };
        assert_eq!(rules("email"), ["duplicate"]);
        assert_eq!(rules("password"), ["tooShort", "singleCase"]);
        assert_eq!(rules("form"), ["invalid"]);
        assert!(answer.fields["email"][0].message.contains("already exists"));
    }
}
