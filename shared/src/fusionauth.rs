//! FusionAuth's request and response bodies, as documented at <https://fusionauth.io/docs/apis/>.
//!
//! Field names are FusionAuth's (camelCase). Instants are epoch milliseconds; JWT claims are
//! epoch seconds. Optional fields are left out when absent, as FusionAuth does, and unknown
//! fields are ignored on input so newer FusionAuth versions keep working.

use std::collections::BTreeMap;
use std::fmt;

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
    /// When true, no JWT and no refresh token are issued. (FusionAuth spells it `noJWT`.)
    #[serde(rename = "noJWT", skip_serializing_if = "Option::is_none")]
    pub no_jwt: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<LoginMetaData>,
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login_id", &self.login_id)
            .field("password", &"[redacted]")
            .field("application_id", &self.application_id)
            .field("no_jwt", &self.no_jwt)
            .finish_non_exhaustive()
    }
}

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
}

/// The body of every 2xx answer of `POST /api/login` (200, 202, 203, 212, 242 …); which fields
/// are present depends on the status.
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
    /// 203: the id to change the password with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_id: Option<String>,
    /// 203: `Administrative`, `Breached`, `Expired` or `Validation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_password_reason: Option<String>,
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("token_expiration_instant", &self.token_expiration_instant)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("refresh_token_id", &self.refresh_token_id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// FusionAuth's User object (the fields this system reads; others are ignored).
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
    pub expiry: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registrations: Vec<UserRegistration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
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
}

/// `POST /api/jwt/refresh` request body.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The expired access token; FusionAuth only relays it to the `jwt.refresh` webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRequest").finish_non_exhaustive()
    }
}

/// `POST /api/jwt/refresh` 200 body. Unlike login, it has no `tokenExpirationInstant`.
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshResponse {
    pub token: String,
    /// The same value that was sent (`Reusable`) or its successor (`OneTimeUse`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<String>,
}

impl fmt::Debug for RefreshResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshResponse")
            .field("refresh_token_id", &self.refresh_token_id)
            .finish_non_exhaustive()
    }
}

/// FusionAuth's error body: `fieldErrors` maps a field path to a list of errors.
///
/// (FusionAuth's own OpenAPI file types `fieldErrors` as an array; the server sends a map.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Errors {
    pub field_errors: BTreeMap<String, Vec<ErrorDetail>>,
    pub general_errors: Vec<ErrorDetail>,
}

impl Errors {
    /// One error on one field, e.g. `Errors::field("loginId", "[blank]loginId", "…")`.
    pub fn field(path: &str, code: &str, message: &str) -> Self {
        let mut errors = Self::default();
        errors.add_field(path, code, message);
        errors
    }

    /// One general error, e.g. `Errors::general("[TenantIdRequired]", "…")`.
    pub fn general(code: &str, message: &str) -> Self {
        Self {
            field_errors: BTreeMap::new(),
            general_errors: vec![ErrorDetail::new(code, message)],
        }
    }

    /// Adds an error on `path`.
    pub fn add_field(&mut self, path: &str, code: &str, message: &str) {
        self.field_errors
            .entry(path.to_owned())
            .or_default()
            .push(ErrorDetail::new(code, message));
    }

    /// True when there is neither a field error nor a general error.
    pub fn is_empty(&self) -> bool {
        self.field_errors.is_empty() && self.general_errors.is_empty()
    }
}

/// One error: a machine code of the form `[rule]path` and an English message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorDetail {
    pub fn new(code: &str, message: &str) -> Self {
        Self {
            code: code.to_owned(),
            message: message.to_owned(),
            data: None,
        }
    }
}

/// One key of `GET /.well-known/jwks.json` (RFC 7517). RSA keys carry `n` and `e`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Jwk {
    pub kty: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// `GET /.well-known/jwks.json` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like FusionAuth's documented login response example (`json/users/login-response.json`).
    const LOGIN_RESPONSE: &str = r#"{
      "refreshToken": "xRxGGEpVawiUak6He367W3oeOfh+3irw+1G1h1jc",
      "refreshTokenId": "bc767324-52fc-48c0-8bf0-af1d11e17ac3",
      "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig",
      "tokenExpirationInstant": 1595361143101,
      "user": {
        "active": true,
        "birthDate": "1976-05-30",
        "data": {"displayName": "Johnny Boy"},
        "email": "example@fusionauth.io",
        "firstName": "John",
        "id": "00000000-0000-0001-0000-000000000000",
        "insertInstant": 1595361143101,
        "lastLoginInstant": 1595361143101,
        "passwordChangeRequired": false,
        "registrations": [{
          "applicationId": "10000000-0000-0002-0000-000000000001",
          "id": "00000000-0000-0002-0000-000000000000",
          "insertInstant": 1595361143101,
          "roles": ["admin", "user"],
          "username": "johnny123",
          "verified": true
        }],
        "tenantId": "f24aca2b-ce4a-4dad-951a-c9d690e71415",
        "twoFactor": {"methods": []},
        "verified": true
      }
    }"#;

    #[test]
    fn login_response_reads_fusionauth_documented_example() {
        let response: LoginResponse =
            serde_json::from_str(LOGIN_RESPONSE).expect("documented example parses");
        assert_eq!(response.token_expiration_instant, Some(1_595_361_143_101));
        assert_eq!(
            response.refresh_token_id.as_deref(),
            Some("bc767324-52fc-48c0-8bf0-af1d11e17ac3")
        );
        let user = response.user.expect("user present");
        assert_eq!(user.email.as_deref(), Some("example@fusionauth.io"));
        assert!(user.active && user.verified);
        assert_eq!(user.registrations[0].roles, ["admin", "user"]);
        assert_eq!(
            user.data.and_then(|d| d.get("displayName").cloned()),
            Some(Value::from("Johnny Boy"))
        );
    }

    #[test]
    fn login_response_round_trips_without_inventing_fields() {
        let response: LoginResponse = serde_json::from_str(LOGIN_RESPONSE).expect("parses");
        let again: LoginResponse =
            serde_json::from_value(serde_json::to_value(&response).expect("serializes"))
                .expect("parses again");
        assert_eq!(response, again);
        let json = serde_json::to_value(&response).expect("serializes");
        assert!(
            json.get("twoFactorId").is_none(),
            "absent fields stay absent"
        );
    }

    #[test]
    fn login_request_writes_fusionauth_field_names() {
        let request = LoginRequest {
            login_id: "ana@example.com".into(),
            password: "s3cret-pass".into(),
            application_id: Some("5c4c0000-0000-0000-0000-000000000000".into()),
            meta_data: Some(LoginMetaData {
                device: Some(DeviceInfo {
                    name: Some("Ana's Pixel".into()),
                    device_type: Some("MOBILE".into()),
                    ..DeviceInfo::default()
                }),
            }),
            no_jwt: Some(false),
            ..LoginRequest::default()
        };
        let json = serde_json::to_value(&request).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "loginId": "ana@example.com",
                "password": "s3cret-pass",
                "applicationId": "5c4c0000-0000-0000-0000-000000000000",
                "noJWT": false,
                "metaData": {"device": {"name": "Ana's Pixel", "type": "MOBILE"}}
            })
        );
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let request = LoginRequest {
            login_id: "ana@example.com".into(),
            password: "hunter2-secret".into(),
            ..LoginRequest::default()
        };
        assert!(!format!("{request:?}").contains("hunter2-secret"));
        let response: LoginResponse = serde_json::from_str(LOGIN_RESPONSE).expect("parses");
        let shown = format!("{response:?}");
        assert!(!shown.contains("xRxGGEpV") && !shown.contains("eyJhbGci"));
        let refresh = RefreshRequest {
            refresh_token: Some("rt-secret-value".into()),
            token: None,
        };
        assert!(!format!("{refresh:?}").contains("rt-secret-value"));
    }

    #[test]
    fn refresh_round_trip_matches_documented_shape() {
        let body = r#"{"token":"a.b.c","refreshToken":"new-value","refreshTokenId":"bc767324-52fc-48c0-8bf0-af1d11e17ac3"}"#;
        let response: RefreshResponse = serde_json::from_str(body).expect("parses");
        assert_eq!(response.refresh_token.as_deref(), Some("new-value"));
        let request = RefreshRequest {
            refresh_token: Some("old".into()),
            token: Some("a.b.c".into()),
        };
        assert_eq!(
            serde_json::to_value(&request).expect("serializes"),
            serde_json::json!({"refreshToken": "old", "token": "a.b.c"})
        );
    }

    #[test]
    fn errors_field_errors_are_a_map_of_lists() {
        let body = r#"{
          "fieldErrors": {"loginId": [{"code": "[blank]loginId", "message": "Required"}]},
          "generalErrors": [{"code": "[TenantIdRequired]", "message": "A Tenant Id is required"}]
        }"#;
        let errors: Errors = serde_json::from_str(body).expect("parses");
        assert_eq!(errors.field_errors["loginId"][0].code, "[blank]loginId");
        assert_eq!(errors.general_errors[0].code, "[TenantIdRequired]");
        assert_eq!(
            serde_json::from_str::<Errors>("{}").expect("empty parses"),
            Errors::default()
        );
        let built = Errors::field("loginId", "[blank]loginId", "Required");
        assert_eq!(built.field_errors, errors.field_errors);
    }

    #[test]
    fn jwks_reads_rsa_keys() {
        let body = r#"{"keys":[{"alg":"RS256","e":"AQAB","kid":"Xoq7kK3eIXryYmi50ZOvg2bcceM","kty":"RSA","n":"sk1","use":"sig","x5c":["MIIB"]}]}"#;
        let set: JwkSet = serde_json::from_str(body).expect("parses");
        assert_eq!(set.keys[0].kid, "Xoq7kK3eIXryYmi50ZOvg2bcceM");
        assert_eq!(set.keys[0].use_.as_deref(), Some("sig"));
        assert_eq!(set.keys[0].e.as_deref(), Some("AQAB"));
    }
}
