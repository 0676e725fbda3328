//! Signing users in — the Login API (`POST /api/login`, every status's body), the Two Factor
//! API's login (`POST /api/two-factor/login`) and logout (`POST /api/logout`) — and the User
//! object they answer with, with the User and Registration APIs' answers:
//! <https://fusionauth.io/docs/apis/login>, <https://fusionauth.io/docs/apis/two-factor>,
//! <https://fusionauth.io/docs/apis/users>, <https://fusionauth.io/docs/apis/registrations>

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `POST /api/login` request body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginRequest {
    /// Email or username.
    pub login_id: String,
    pub password: String,
    /// Drives the JWT's `aud`, `applicationId` and `roles`, and whether a refresh token is issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// When true, no JWT and no refresh token are issued. (FusionAuth spells it `noJWT`; `noJwt`
    /// is read too.)
    #[serde(
        rename = "noJWT",
        alias = "noJwt",
        skip_serializing_if = "Option::is_none"
    )]
    pub no_jwt: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<LoginMetaData>,
    /// Instead of `loginId` and `password`: the one-time password a password change returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

crate::debug_fields!(LoginRequest {
    login_id,
    application_id,
    no_jwt
});

/// `metaData` of a login request: describes the device the refresh token is issued to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginMetaData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceInfo>,
}

/// `metaData.device`: free-form since FusionAuth 1.46.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DeviceInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_address: Option<String>,
    /// When the session was last used (epoch ms), as FusionAuth reports it on a refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_instant: Option<i64>,
}

/// What a `POST /api/login` (or `/api/two-factor/login`) answer's status means. The 2xx
/// statuses carry a [`LoginResponse`]; 409 a [`LoginPreventedResponse`]; 404, 410 and 423 no
/// body. (400 is an [`Errors`](super::Errors) body, 401 a missing or refused API key.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoginStatus {
    /// 200: authenticated; `token` (unless `noJWT`), `refreshToken` when the application issues
    /// them, and the `user`.
    Success,
    /// 202: authenticated, but not registered to the `applicationId`: a token without
    /// application claims, no refresh token.
    NotRegistered,
    /// 203: the password must be changed first: `changePasswordId`, `changePasswordReason`.
    PasswordChangeRequired,
    /// 212: the email (or phone) is not verified and the tenant gates login on it: `user`.
    EmailVerificationRequired,
    /// 213: the registration is not verified: `user`.
    RegistrationVerificationRequired,
    /// 242: a second factor is needed: `twoFactorId` and `methods`; finish with
    /// `POST /api/two-factor/login`.
    TwoFactorRequired,
    /// 404: no such user, or the wrong password (FusionAuth does not say which).
    NotFound,
    /// 409: a user action (e.g. the failed-login lockout) prevents login: `actions`.
    LoginPrevented,
    /// 410: the user has expired.
    Expired,
    /// 423: the user is deactivated (`active=false`).
    Locked,
}

impl LoginStatus {
    /// Every status, for tables.
    pub const ALL: [Self; 10] = [
        Self::Success,
        Self::NotRegistered,
        Self::PasswordChangeRequired,
        Self::EmailVerificationRequired,
        Self::RegistrationVerificationRequired,
        Self::TwoFactorRequired,
        Self::NotFound,
        Self::LoginPrevented,
        Self::Expired,
        Self::Locked,
    ];

    /// The HTTP status code.
    pub const fn code(self) -> u16 {
        match self {
            Self::Success => 200,
            Self::NotRegistered => 202,
            Self::PasswordChangeRequired => 203,
            Self::EmailVerificationRequired => 212,
            Self::RegistrationVerificationRequired => 213,
            Self::TwoFactorRequired => 242,
            Self::NotFound => 404,
            Self::LoginPrevented => 409,
            Self::Expired => 410,
            Self::Locked => 423,
        }
    }

    /// The status with HTTP code `code`, if it is one of the Login API's.
    pub fn from_code(code: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }
}

/// The body of every 2xx answer of `POST /api/login` (200, 202, 203, 212, 213, 242); which
/// fields are present depends on the [`LoginStatus`].
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Epoch milliseconds; present only with `token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_expiration_instant: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Stable id of the refresh-token record (it does not change when a one-time token rotates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// 242: the id to complete the login with `POST /api/two-factor/login`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor_id: Option<String>,
    /// 242: the user's second factors (without their secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub methods: Option<Vec<TwoFactorMethod>>,
    /// 203: the id to change the password with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_id: Option<String>,
    /// 203: why the password must change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_reason: Option<ChangePasswordReason>,
    /// 212: the verification id (FormField verification only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verification_id: Option<String>,
    /// 213: the registration's verification id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_verification_id: Option<String>,
}

crate::debug_fields!(LoginResponse {
    token_expiration_instant,
    refresh_token_id,
    user,
    change_password_reason
});

/// 203's `changePasswordReason` (since FusionAuth 1.15).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangePasswordReason {
    /// An administrator asked for it (`passwordChangeRequired`).
    Administrative,
    /// The password was found in a breach.
    Breached,
    /// The password is older than the tenant allows.
    Expired,
    /// The password no longer meets the tenant's rules.
    Validation,
    /// A reason newer than this type.
    #[serde(untagged)]
    Other(String),
}

/// `POST /api/two-factor/login` request body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TwoFactorLoginRequest {
    /// From the 242 answer.
    pub two_factor_id: String,
    /// The code from the authenticator app.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<LoginMetaData>,
}

crate::debug_fields!(TwoFactorLoginRequest { application_id });

/// 409 body of the Login API: the user actions that prevent login.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginPreventedResponse {
    pub actions: Vec<LoginPreventedAction>,
}

/// One action in force on the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginPreventedAction {
    pub action_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actioner_user_id: Option<String>,
    /// When the action ends (epoch ms); absent for an action without end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localized_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localized_option: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub localized_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
}

/// `POST /api/logout` parameters: the query string (`?global=&refreshToken=`) or the JSON body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LogoutRequest {
    /// Revoke every refresh token of the token's owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

crate::debug_fields!(LogoutRequest { global });

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

crate::debug_fields!(TwoFactorMethod {
    id,
    method,
    authenticator
});

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

crate::debug_fields!(RegistrationResponse {
    refresh_token_id,
    user,
    registration
});

/// `GET /api/user/registration/{userId}/{applicationId}` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationRetrieveResponse {
    pub registration: UserRegistration,
}

/// `POST /api/user/registration[/{userId}]` request body: the combined form (a new `user` with
/// its password, and the `registration`), or only the `registration` of an existing user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationRequest {
    /// The combined form's new user; absent to register the user the path names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<NewUser>,
    pub registration: NewRegistration,
    /// Creates the user verified, without a verification email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_verification: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip_registration_verification: Option<bool>,
}

/// The `user` of a combined registration: the profile and the password.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NewUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub password: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Every other field of the profile (`lastName`, `data`, `twoFactor`, …), as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

crate::debug_fields!(NewUser { username });

/// The `registration` of a registration request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct NewRegistration {
    pub application_id: String,
    /// Role names; none: the application's default roles.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Every other field (`id`, `data`, `timezone`, …), as given.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}
