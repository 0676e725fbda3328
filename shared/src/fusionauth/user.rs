//! The User and UserRegistration objects, and the User and Registration APIs' answers —
//! <https://fusionauth.io/docs/apis/users>, <https://fusionauth.io/docs/apis/registrations>

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// FusionAuth's User object. Password material is never part of it.
///
/// The fields this project reads or writes are typed; the rest of the profile (`birthDate`,
/// `mobilePhone`, `timezone`, …) is kept as given in `other`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct User {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// `ACTIVE`, `PENDING` or `REJECTED` (moderation); present with a username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    pub active: bool,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_change_required: Option<bool>,
    /// Epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_last_update_instant: Option<i64>,
    /// When the user expires (epoch ms): login then answers 410.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor: Option<TwoFactor>,
    /// The user's login identities (since FusionAuth 1.59).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub identities: Vec<Identity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registrations: Vec<UserRegistration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// Every other field, as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A user's registration to one application.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserRegistration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub application_id: String,
    /// Role names.
    pub roles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_login_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
    /// Every other field (`timezone`, `preferredLanguages`, …), as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `user.twoFactor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TwoFactor {
    pub methods: Vec<TwoFactorMethod>,
    /// How many recovery codes are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<u32>,
}

/// One second factor. Its secret is sent when the method is created and never returned.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TwoFactorMethod {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `authenticator`, `email` or `sms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator: Option<AuthenticatorConfiguration>,
    /// The TOTP key, standard Base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The TOTP key, Base32 (as authenticator apps show it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_base32_encoded: Option<String>,
    /// Every other field (`email`, `mobilePhone`, `lastUsed`, …), as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl TwoFactorMethod {
    /// The method without its secrets, as answers show it.
    pub fn without_secrets(&self) -> Self {
        Self {
            secret: None,
            secret_base32_encoded: None,
            ..self.clone()
        }
    }
}

impl fmt::Debug for TwoFactorMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwoFactorMethod")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("authenticator", &self.authenticator)
            .finish_non_exhaustive()
    }
}

/// An authenticator method's TOTP parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticatorConfiguration {
    /// `HmacSHA1`, `HmacSHA256` or `HmacSHA512`.
    pub algorithm: String,
    pub code_length: u32,
    /// Seconds.
    pub time_step: u32,
}

/// One of `user.identities`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Identity {
    /// `email`, `username` or `phoneNumber`.
    #[serde(rename = "type")]
    pub identity_type: String,
    pub value: String,
    pub primary: bool,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insert_instant: Option<i64>,
}

/// `GET /api/user…` and `PATCH /api/user/{id}` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserResponse {
    pub user: User,
}

/// `POST /api/user/registration[/{userId}]` answer (the combined form also issues tokens).
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Epoch milliseconds; present only with `token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expiration_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    pub registration: UserRegistration,
}

impl fmt::Debug for RegistrationResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationResponse")
            .field("refresh_token_id", &self.refresh_token_id)
            .field("user", &self.user)
            .field("registration", &self.registration)
            .finish_non_exhaustive()
    }
}

/// `GET /api/user/registration/{userId}/{applicationId}` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationRetrieveResponse {
    pub registration: UserRegistration,
}
