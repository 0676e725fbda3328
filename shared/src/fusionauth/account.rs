//! A user's password and email address: the Forgot Password, Change Password and Verify Email
//! APIs — <https://fusionauth.io/docs/apis/users#start-forgot-password-workflow>,
//! <https://fusionauth.io/docs/apis/users#change-a-users-password>,
//! <https://fusionauth.io/docs/apis/users#verify-a-users-email>

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /api/user/forgot-password` request body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ForgotPasswordRequest {
    /// Email or username.
    pub login_id: String,
    /// Selects the application's email template (and `application` in it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// API key only: `false` creates the `changePasswordId` without sending the email
    /// (deprecated in 1.59 for `sendForgotPasswordMessage`, which is read too).
    #[serde(
        alias = "sendForgotPasswordMessage",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_forgot_password_email: Option<bool>,
    /// Returned by the change-password answer and given to the email template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Map<String, Value>>,
    /// API key only: the id to use instead of a generated one (discouraged by the docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_id: Option<String>,
}

crate::debug_fields!(ForgotPasswordRequest {
    login_id,
    application_id,
    send_forgot_password_email
});

/// `POST /api/user/forgot-password` answer (only to API-key callers; others get an empty 200).
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ForgotPasswordResponse {
    pub change_password_id: String,
}

crate::debug_fields!(ForgotPasswordResponse {});

/// `POST /api/user/change-password[/{changePasswordId}]` request body: by `changePasswordId`
/// (no authentication), by JWT (`currentPassword` required), or by API key and `loginId`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangePasswordRequest {
    /// The new password.
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
}

crate::debug_fields!(ChangePasswordRequest {
    login_id,
    application_id
});

/// `POST /api/user/change-password…` answer (id and JWT modes; the API-key mode answers empty).
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ChangePasswordResponse {
    /// Signs the user in once with `POST /api/login {"oneTimePassword": …}`.
    pub one_time_password: String,
    /// The `state` given to forgot-password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Map<String, Value>>,
}

crate::debug_fields!(ChangePasswordResponse { state });

/// `POST /api/user/verify-email` request body: `verificationId` (and `oneTimeCode` with the
/// `FormField` strategy), or, with an API key, `userId`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifyEmailRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

crate::debug_fields!(VerifyEmailRequest { user_id });

/// `PUT /api/user/verify-email?email=` answer to API-key callers. The docs name the code
/// `verificationOneTimeCode`, the client libraries `oneTimeCode`: both are sent.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct VerifyEmailResponse {
    pub verification_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_one_time_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_code: Option<String>,
}

crate::debug_fields!(VerifyEmailResponse {});

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_forgot_password_request_reads_the_documented_example_and_the_newer_flag_name() {
        let request: ForgotPasswordRequest = serde_json::from_value(json!({
            "applicationId": "10000000-0000-0002-0000-000000000001",
            "loginId": "example@fusionauth.io",
            "sendForgotPasswordMessage": false,
            "state": {"redirect_uri": "https://example.com"}
        }))
        .expect("valid");
        assert_eq!(request.login_id, "example@fusionauth.io");
        assert_eq!(request.send_forgot_password_email, Some(false));
        assert_eq!(
            request.state.expect("valid")["redirect_uri"],
            json!("https://example.com")
        );
    }

    #[test]
    fn change_password_shapes_follow_the_documented_examples_and_hide_secrets() {
        let request: ChangePasswordRequest = serde_json::from_value(json!({
            "changePasswordId": "YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4",
            "currentPassword": "too many secrets",
            "password": "Setec Astronomy"
        }))
        .expect("valid");
        let shown = format!("{request:?}");
        assert!(!shown.contains("Setec") && !shown.contains("secrets") && !shown.contains("YkQY"));
        let answer = json!({"oneTimePassword": "YQNfvoDJy4_0As9iLTk9hpjF5z_C3VWVyBy95vFZr0M"});
        let response: ChangePasswordResponse =
            serde_json::from_value(answer.clone()).expect("valid");
        assert_eq!(serde_json::to_value(&response).expect("valid"), answer);
        assert!(!format!("{response:?}").contains("YQNf"));
    }

    #[test]
    fn a_verify_email_response_carries_the_code_under_both_documented_names() {
        let response = VerifyEmailResponse {
            verification_id: "YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4".into(),
            verification_one_time_code: Some("JJ6RTS".into()),
            one_time_code: Some("JJ6RTS".into()),
        };
        let json = serde_json::to_value(&response).expect("valid");
        assert_eq!(json["verificationOneTimeCode"], "JJ6RTS");
        assert_eq!(json["oneTimeCode"], "JJ6RTS");
        let forgot: ForgotPasswordResponse =
            serde_json::from_value(json!({"changePasswordId": "abc"})).expect("valid");
        assert_eq!(forgot.change_password_id, "abc");
    }
}
