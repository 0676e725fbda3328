//! The parts of FusionAuth's Login API answers the app reads.
//!
//! `shared::fusionauth::LoginResponse` describes the whole answer, including free-form `data`
//! maps. These types keep just what the app shows or stores, read with [`crate::json`];
//! everything else is skipped.

use std::collections::BTreeMap;

use crate::json::{Json, Read};

/// The body of a 2xx answer of `POST /api/login` or `POST /api/two-factor/login`, and of a 409.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LoginAnswer {
    pub token: Option<String>,
    pub refresh_token: Option<String>,
    pub refresh_token_id: Option<String>,
    pub user: Option<LoginUser>,
    /// 242: completes the login through `POST /api/two-factor/login`.
    pub two_factor_id: Option<String>,
    /// 409: the user actions preventing the login.
    pub actions: Vec<UserAction>,
}

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAnswer")
            .field("refresh_token_id", &self.refresh_token_id)
            .finish_non_exhaustive()
    }
}

/// The user's names, to greet them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginUser {
    pub email: Option<String>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub full_name: Option<String>,
}

/// One action preventing a login (409).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserAction {
    /// When the action ends, epoch milliseconds; absent for an open-ended action.
    pub expiry: Option<i64>,
}

/// A 400 answer's errors: by request field and general.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    pub field_errors: BTreeMap<String, Vec<ErrorMessage>>,
    pub general_errors: Vec<ErrorMessage>,
}

/// One validation error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorMessage {
    pub message: String,
}

impl Read for LoginAnswer {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            token: json.get("token").str(),
            refresh_token: json.get("refreshToken").str(),
            refresh_token_id: json.get("refreshTokenId").str(),
            user: json.get("user").read(),
            two_factor_id: json.get("twoFactorId").str(),
            actions: json.get("actions").list_or_empty(),
        })
    }
}

impl Read for LoginUser {
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

impl Read for UserAction {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            expiry: json.get("expiry").int(),
        })
    }
}

impl Read for ValidationErrors {
    fn read(json: &Json) -> Option<Self> {
        json.entries()?;
        Some(Self {
            field_errors: json.get("fieldErrors").read().unwrap_or_default(),
            general_errors: json.get("generalErrors").list_or_empty(),
        })
    }
}

impl Read for ErrorMessage {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            message: json.get("message").str().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_locked_answer_tells_until_when() {
        let answer: LoginAnswer = crate::json::from_str(
            r#"{"actions":[{"actionId":"a","expiry":1764400000000,"localizedName":"Lock","data":{"x":[1]}}]}"#,
        )
        .expect("reads");
        assert_eq!(answer.actions[0].expiry, Some(1_764_400_000_000));
    }

    #[test]
    fn unknown_fields_and_free_form_data_are_skipped() {
        let answer: LoginAnswer = crate::json::from_str(
            r#"{"token":"a.b.c","user":{"id":"u","email":"e@x","data":{"nested":{"deep":[true,null]}},"registrations":[{"applicationId":"x"}]}}"#,
        )
        .expect("reads");
        assert_eq!(answer.token.as_deref(), Some("a.b.c"));
        assert_eq!(answer.user.and_then(|u| u.email).as_deref(), Some("e@x"));
    }
}
