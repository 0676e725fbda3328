//! Webhook events: the body FusionAuth POSTs to a webhook, `{"event": {…}}` —
//! <https://fusionauth.io/docs/extend/events-and-webhooks/events/>
//!
//! [`Event`] holds the fields every event has; its [`EventPayload`] is chosen by `type`. Types
//! this project does not act on read as [`EventPayload::Other`] with their type name.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::jwt::{AuthenticationType, RefreshToken};
use super::login::User;

/// A webhook request body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRequest {
    pub event: Event,
}

/// One event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Unique per event; deliveries may repeat (at least once), so dedupe on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Epoch milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_instant: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub info: EventInfo,
    /// `type` and the type's own fields.
    #[serde(flatten)]
    pub payload: EventPayload,
}

/// `event.info`: where the event came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct EventInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// The event types this project sends or reads.
pub mod event_type {
    /// One or more refresh tokens were revoked (transactional).
    pub const REFRESH_TOKEN_REVOKE: &str = "jwt.refresh-token.revoke";
    /// An access token was refreshed (transactional).
    pub const JWT_REFRESH: &str = "jwt.refresh";
    /// A login succeeded.
    pub const USER_LOGIN_SUCCESS: &str = "user.login.success";
    /// A login failed.
    pub const USER_LOGIN_FAILED: &str = "user.login.failed";
}

/// An event's `type` and its type-specific fields (the large ones boxed).
#[derive(Clone, Debug, PartialEq)]
pub enum EventPayload {
    /// `jwt.refresh-token.revoke`.
    RefreshTokenRevoke(Box<RefreshTokenRevokeEvent>),
    /// `jwt.refresh`.
    JwtRefresh(JwtRefreshEvent),
    /// `user.login.success`.
    UserLoginSuccess(Box<UserLoginSuccessEvent>),
    /// `user.login.failed`.
    UserLoginFailed(Box<UserLoginFailedEvent>),
    /// Any other type (its fields are not read).
    Other(String),
}

impl EventPayload {
    /// The event's `type`.
    pub fn event_type(&self) -> &str {
        match self {
            Self::RefreshTokenRevoke(_) => event_type::REFRESH_TOKEN_REVOKE,
            Self::JwtRefresh(_) => event_type::JWT_REFRESH,
            Self::UserLoginSuccess(_) => event_type::USER_LOGIN_SUCCESS,
            Self::UserLoginFailed(_) => event_type::USER_LOGIN_FAILED,
            Self::Other(other) => other,
        }
    }
}

/// `{"type": …, <fields>}`, flattened into the event.
#[derive(Serialize)]
struct Tagged<'a, T> {
    #[serde(rename = "type")]
    event_type: &'a str,
    #[serde(flatten)]
    fields: &'a T,
}

impl Serialize for EventPayload {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let event_type = self.event_type();
        match self {
            Self::RefreshTokenRevoke(fields) => Tagged { event_type, fields }.serialize(serializer),
            Self::JwtRefresh(fields) => Tagged { event_type, fields }.serialize(serializer),
            Self::UserLoginSuccess(fields) => Tagged { event_type, fields }.serialize(serializer),
            Self::UserLoginFailed(fields) => Tagged { event_type, fields }.serialize(serializer),
            Self::Other(_) => Tagged {
                event_type,
                fields: &Map::new(),
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for EventPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::<String, Value>::deserialize(deserializer)?;
        let event_type = match fields.remove("type") {
            Some(Value::String(event_type)) => event_type,
            _ => return Err(D::Error::missing_field("type")),
        };
        let fields = Value::Object(fields);
        let payload = match event_type.as_str() {
            event_type::REFRESH_TOKEN_REVOKE => {
                serde_json::from_value(fields).map(Self::RefreshTokenRevoke)
            }
            event_type::JWT_REFRESH => serde_json::from_value(fields).map(Self::JwtRefresh),
            event_type::USER_LOGIN_SUCCESS => {
                serde_json::from_value(fields).map(Self::UserLoginSuccess)
            }
            event_type::USER_LOGIN_FAILED => {
                serde_json::from_value(fields).map(Self::UserLoginFailed)
            }
            _ => return Ok(Self::Other(event_type)),
        };
        payload.map_err(|error| D::Error::custom(format!("{event_type} event: {error}")))
    }
}

/// `jwt.refresh-token.revoke`: one token (`refreshToken`), all of a user's (`userId`, `user`),
/// a user's for one application (also `applicationId`), or all of an application's
/// (`applicationId` alone) —
/// <https://fusionauth.io/docs/extend/events-and-webhooks/events/jwt-refresh-token-revoke>
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RefreshTokenRevokeEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The revoked token (single-token form); its `id` is the session's `sid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
    /// Single-token form (FusionAuth 1.53+): "the Id of the JWT impacted by this event", read
    /// as the revoked refresh token's `id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_object_id: Option<String>,
    /// The access-token lifetime of each affected application: no JWT issued before
    /// `createInstant` outlives `createInstant` + this.
    pub application_time_to_live_in_seconds: BTreeMap<String, i64>,
}

/// `jwt.refresh`: an access token was refreshed —
/// <https://fusionauth.io/docs/extend/events-and-webhooks/events/jwt-refresh>
#[derive(Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct JwtRefreshEvent {
    pub application_id: String,
    pub user_id: String,
    /// The refresh token presented, in clear.
    pub refresh_token: String,
    /// The new access token.
    pub token: String,
    /// The access token the caller sent along, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

crate::debug_fields!(JwtRefreshEvent {
    application_id,
    user_id
});

/// `user.login.success` —
/// <https://fusionauth.io/docs/extend/events-and-webhooks/events/user-login-success>
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserLoginSuccessEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_provider_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    pub user: User,
}

/// `user.login.failed` —
/// <https://fusionauth.io/docs/extend/events-and-webhooks/events/user-login-failed>
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UserLoginFailedEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<AuthenticationType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<LoginFailedReason>,
    pub user: User,
}

/// `user.login.failed`'s `reason`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginFailedReason {
    /// FusionAuth documents `credentials` and `lambdaValidation`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lambda_result: Option<Value>,
}

impl LoginFailedReason {
    /// `reason.code` of a wrong password.
    pub const CREDENTIALS: &str = "credentials";
    /// `reason.code` of a login refused by a login-validation lambda.
    pub const LAMBDA_VALIDATION: &str = "lambdaValidation";
}

/// The claims of the `X-FusionAuth-Signature-JWT` header of a signed webhook request (since
/// FusionAuth 1.48), signed with the webhook's key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct WebhookSignatureClaims {
    /// Standard Base64 (with padding) of the SHA-256 of the exact request body.
    pub request_body_sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}
