//! FusionAuth's Login API bodies as the PWA reads and writes them with [`crate::json`].
//! <https://fusionauth.io/docs/apis/login>
//!
//! Each slice is named after the `shared::fusionauth` type it mirrors and keeps just the fields
//! the app reads (everything else, free-form `data` maps included, is skipped) or sends (the
//! requests borrow their values: nothing is copied to be written).

use std::collections::BTreeMap;

use wasm_bindgen::JsValue;

use crate::json::{Json, Read, Write, object, opt};

/// `shared::fusionauth::LoginResponse`: the body of a 2xx answer of `POST /api/login` or
/// `POST /api/two-factor/login`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoginResponse {
    pub token: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_token_id: Option<String>,
    pub user: Option<User>,
    /// 242: completes the login through `POST /api/two-factor/login`.
    pub two_factor_id: Option<String>,
    /// 203: the password must change first, through `POST /api/user/change-password/{id}`.
    pub change_password_id: Option<String>,
}

/// `shared::fusionauth::User`: the user's names, to greet them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct User {
    pub email: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
}

/// `shared::fusionauth::LoginPreventedResponse`: the body of a 409 — the user actions
/// preventing the login.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginPreventedResponse {
    pub actions: Vec<LoginPreventedAction>,
}

/// `shared::fusionauth::LoginPreventedAction`: one action preventing a login.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginPreventedAction {
    /// When the action ends, epoch milliseconds; absent for an open-ended action.
    pub expiry: Option<i64>,
}

/// `shared::fusionauth::Errors`: a 400 answer's errors, by request field and general.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Errors {
    pub field_errors: BTreeMap<String, Vec<ErrorDetail>>,
    pub general_errors: Vec<ErrorDetail>,
}

/// `shared::fusionauth::ErrorDetail`: one validation error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    pub message: String,
}

/// `shared::fusionauth::LoginRequest`: the body of `POST /api/login`, with the device it
/// describes in `metaData.device`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginRequest<'a> {
    pub login_id: &'a str,
    pub password: &'a str,
    pub application_id: Option<&'a str>,
    /// `metaData.device.name`.
    pub device_name: Option<&'a str>,
    /// `metaData.device.type`.
    pub device_type: Option<&'a str>,
}

/// `shared::fusionauth::TwoFactorLoginRequest`: the body of `POST /api/two-factor/login`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct TwoFactorLoginRequest<'a> {
    pub two_factor_id: &'a str,
    pub code: &'a str,
    pub application_id: Option<&'a str>,
}

/// `shared::fusionauth::LogoutRequest`: the body of `POST /api/logout` revoking one refresh
/// token.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct LogoutRequest<'a> {
    pub refresh_token: Option<&'a str>,
}

/// `shared::fusionauth::LoginRequest` with a `oneTimePassword` (from a password change) instead
/// of credentials.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct OneTimePasswordLogin<'a> {
    pub one_time_password: &'a str,
    pub application_id: Option<&'a str>,
}

/// `shared::fusionauth::ChangePasswordRequest`: the body of
/// `POST /api/user/change-password/{changePasswordId}`, or (signed in, with the JWT) of
/// `POST /api/user/change-password` with the current password.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangePasswordRequest<'a> {
    pub password: &'a str,
    pub current_password: Option<&'a str>,
}

/// `shared::fusionauth::ChangePasswordResponse`: a 200 of a password change.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChangePasswordResponse {
    /// Signs the user in once through `POST /api/login`.
    pub one_time_password: Option<String>,
}

/// `shared::fusionauth::VerifyEmailRequest`: the body of `POST /api/user/verify-email`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyEmailRequest<'a> {
    pub verification_id: &'a str,
}

// `Debug` shows only the type's name: these bodies carry passwords, codes and tokens.
shared::debug_fields!(LoginResponse {});
shared::debug_fields!(LoginRequest<'_> {});
shared::debug_fields!(TwoFactorLoginRequest<'_> {});
shared::debug_fields!(LogoutRequest<'_> {});
shared::debug_fields!(OneTimePasswordLogin<'_> {});
shared::debug_fields!(ChangePasswordRequest<'_> {});
shared::debug_fields!(ChangePasswordResponse {});
shared::debug_fields!(VerifyEmailRequest<'_> {});

impl Write for VerifyEmailRequest<'_> {
    fn write(&self) -> JsValue {
        object(&[("verificationId", JsValue::from_str(self.verification_id))])
    }
}

impl Read for ChangePasswordResponse {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            one_time_password: json.get("oneTimePassword").str(),
        })
    }
}

impl Write for OneTimePasswordLogin<'_> {
    fn write(&self) -> JsValue {
        object(&[
            ("oneTimePassword", JsValue::from_str(self.one_time_password)),
            ("applicationId", opt(self.application_id)),
        ])
    }
}

impl Write for ChangePasswordRequest<'_> {
    fn write(&self) -> JsValue {
        object(&[
            ("password", JsValue::from_str(self.password)),
            ("currentPassword", opt(self.current_password)),
        ])
    }
}

impl Read for LoginResponse {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            token: json.get("token").str(),
            refresh_token: json.get("refreshToken").str(),
            refresh_token_id: json.get("refreshTokenId").str(),
            user: json.get("user").read(),
            two_factor_id: json.get("twoFactorId").str(),
            change_password_id: json.get("changePasswordId").str(),
        })
    }
}

impl Read for User {
    fn read(json: &Json) -> Option<Self> {
        json.entries()?;
        Some(Self {
            email: json.get("email").str(),
            username: json.get("username").str(),
            first_name: json.get("firstName").str(),
            last_name: json.get("lastName").str(),
            full_name: json.get("fullName").str(),
        })
    }
}

impl Read for LoginPreventedResponse {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            actions: json.get("actions").list_or_empty(),
        })
    }
}

impl Read for LoginPreventedAction {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            expiry: json.get("expiry").int(),
        })
    }
}

impl Read for Errors {
    fn read(json: &Json) -> Option<Self> {
        json.entries()?;
        Some(Self {
            field_errors: json.get("fieldErrors").read().unwrap_or_default(),
            general_errors: json.get("generalErrors").list_or_empty(),
        })
    }
}

impl Read for ErrorDetail {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            message: json.get("message").str().unwrap_or_default(),
        })
    }
}

impl Write for LoginRequest<'_> {
    fn write(&self) -> JsValue {
        object(&[
            ("loginId", JsValue::from_str(self.login_id)),
            ("password", JsValue::from_str(self.password)),
            ("applicationId", opt(self.application_id)),
            (
                "metaData",
                object(&[(
                    "device",
                    object(&[
                        ("name", opt(self.device_name)),
                        ("type", opt(self.device_type)),
                    ]),
                )]),
            ),
        ])
    }
}

impl Write for TwoFactorLoginRequest<'_> {
    fn write(&self) -> JsValue {
        object(&[
            ("twoFactorId", JsValue::from_str(self.two_factor_id)),
            ("code", JsValue::from_str(self.code)),
            ("applicationId", opt(self.application_id)),
        ])
    }
}

impl Write for LogoutRequest<'_> {
    fn write(&self) -> JsValue {
        object(&[("refreshToken", opt(self.refresh_token))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_locked_answer_tells_until_when() {
        let answer: LoginPreventedResponse = crate::json::from_str(
            r#"{"actions":[{"actionId":"a","expiry":1764400000000,"localizedName":"Lock","data":{"x":[1]}}]}"#,
        )
        .expect("reads");
        assert_eq!(answer.actions[0].expiry, Some(1_764_400_000_000));
    }

    #[test]
    fn unknown_fields_and_free_form_data_are_skipped() {
        let answer: LoginResponse = crate::json::from_str(
            r#"{"token":"a.b.c","user":{"id":"u","email":"e@x","data":{"nested":{"deep":[true,null]}},"registrations":[{"applicationId":"x"}]}}"#,
        )
        .expect("reads");
        assert_eq!(answer.token.as_deref(), Some("a.b.c"));
        assert_eq!(answer.user.and_then(|u| u.email).as_deref(), Some("e@x"));
    }
}
