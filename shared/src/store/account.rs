//! The account API's wire shapes: `POST /api/account` (sign-up) and
//! `POST /api/account/forgot-password`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ErrorCode;

/// `POST /api/account` body: a new account for the store's application.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignUpRequest {
    pub email: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
}

crate::debug_fields!(SignUpRequest { email, first_name });

/// `POST /api/account` 201 answer. The new user signs in with the login form as usual (212
/// there when `verification_required` and the tenant gates unverified emails).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignUpResponse {
    pub user_id: String,
    pub email: String,
    /// True when FusionAuth sent a verification email and the address is not verified yet.
    pub verification_required: bool,
}

/// A 400 answer naming what is wrong with each field of the request (`email`, `password`,
/// `firstName`): FusionAuth's field errors as messages for people. Also reads as an
/// [`super::ApiError`] (`code` is `invalid_request`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldErrors {
    pub code: ErrorCode,
    pub message: String,
    /// Field name → its problems, in FusionAuth's order.
    pub fields: BTreeMap<String, Vec<FieldError>>,
}

/// One problem with a field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// FusionAuth's rule: `duplicate`, `notEmail`, `tooShort`, `singleCase`, …
    pub rule: String,
    /// What to tell the user.
    pub message: String,
}

/// `POST /api/account/forgot-password` body. The answer is 202 with no body whether or not
/// the address has an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    pub email: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::ApiError;

    #[test]
    fn a_sign_up_request_refuses_unknown_fields_and_hides_the_password() {
        let request: SignUpRequest =
            serde_json::from_value(json!({"email": "a@example.com", "password": "s3cret-pass"}))
                .expect("valid body");
        assert!(!format!("{request:?}").contains("s3cret"));
        let extra = json!({"email": "a@example.com", "password": "x", "admin": true});
        assert!(serde_json::from_value::<SignUpRequest>(extra).is_err());
    }

    #[test]
    fn field_errors_round_trip_and_read_as_an_api_error() {
        let body = json!({
            "code": "invalid_request",
            "message": "Some fields need another value.",
            "fields": {"email": [{"rule": "duplicate",
                                   "message": "An account with this email address already exists."}]}
        });
        let errors: FieldErrors = serde_json::from_value(body.clone()).expect("valid body");
        assert_eq!(errors.fields["email"][0].rule, "duplicate");
        assert_eq!(serde_json::to_value(&errors).expect("serializes"), body);
        let generic: ApiError = serde_json::from_value(body).expect("an ApiError too");
        assert_eq!(generic.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn the_sign_up_answer_is_camel_case() {
        let answer = SignUpResponse {
            user_id: "u-1".into(),
            email: "a@example.com".into(),
            verification_required: true,
        };
        assert_eq!(
            serde_json::to_value(&answer).expect("serializes"),
            json!({"userId": "u-1", "email": "a@example.com", "verificationRequired": true})
        );
    }
}
