//! Passkeys (FusionAuth's WebAuthn API): the two "start" calls through the backend, which holds
//! the API key (`POST /api/passkeys/registration`, `…/authentication`); the "complete" calls
//! straight to FusionAuth like the password login (`POST /api/webauthn/register/complete`,
//! `POST /api/webauthn/login`, no key, no cookies); and the account's list and removal
//! (`GET /api/passkeys`, `DELETE /api/passkeys/{id}`). A passkey login answers like
//! `/api/login`, so it ends exactly as a password login does ([`ApiClient::signed_in`]: the
//! hand-off in `required` mode). <https://fusionauth.io/docs/apis/webauthn>

use std::time::Duration;

use shared::store::{ErrorCode, PasskeyList};
use wasm_bindgen::JsValue;

use super::call::{ApiFailure, Timeout, read_json};
use super::client::ApiClient;
use super::device::this_device;
use super::fusionauth::{
    LOGIN_TIMEOUT, LoginFailure, LoginStep, post_to_fusionauth, read_login_answer,
};
use crate::http::{self, Call, Reply};
use crate::json::{object, opt, stringify};
use crate::jwt::base64url_decode;
use crate::passkeys::{self, PromptFailure};
use crate::wire::fusionauth::Errors;

const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a passkey could not be added, used or listed: each a plain sentence, and the password
/// always stays possible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PasskeyFailure {
    /// The prompt was closed (or timed out), or this device holds none of the account's
    /// passkeys: browsers do not tell these apart.
    Cancelled,
    /// FusionAuth knows no passkey for this login id (or no such account: not told apart).
    NoPasskey,
    /// The passkey this device remembered is gone at FusionAuth (removed in the account, or
    /// by support); the device forgets it.
    Removed,
    /// This device already holds a passkey for the account.
    AlreadyRegistered,
    /// The browser is offline.
    Offline,
    /// The backend or FusionAuth did not answer (or answered 5xx).
    ServiceDown,
    /// Passkeys are off for the store, or this browser cannot use them.
    Unavailable,
    /// 429 from the backend's per-address limit.
    TooManyAttempts,
    /// Anything else (e.g. a registration FusionAuth could not verify).
    Unexpected,
}

impl PasskeyFailure {
    /// A sentence for the user.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Cancelled => {
                "The passkey prompt was closed, or this device has no passkey for this account. \
                 Try again, or sign in with your password."
            }
            Self::NoPasskey => {
                "There is no passkey for this account. Sign in with your password; you can add a \
                 passkey afterwards."
            }
            Self::Removed => {
                "This device's passkey was removed from your account. Sign in with your password; \
                 you can add a new passkey afterwards."
            }
            Self::AlreadyRegistered => "This device already has a passkey for your account.",
            Self::Offline => "You're offline. Connect to the internet and try again.",
            Self::ServiceDown => {
                "The sign-in service isn't answering right now. Try again in a moment, or sign \
                 in with your password."
            }
            Self::Unavailable => "Passkeys aren't available here. Sign in with your password.",
            Self::TooManyAttempts => "Too many attempts. Please wait a moment and try again.",
            Self::Unexpected => "Something went wrong with the passkey. Please try again.",
        }
    }

    /// No answer: offline, or the service is down.
    fn unreachable() -> Self {
        let online = web_sys::window().is_none_or(|w| w.navigator().on_line());
        if online {
            Self::ServiceDown
        } else {
            Self::Offline
        }
    }

    fn from_prompt(failure: PromptFailure) -> Self {
        match failure {
            PromptFailure::Cancelled => Self::Cancelled,
            PromptFailure::AlreadyRegistered => Self::AlreadyRegistered,
            PromptFailure::Unavailable => Self::Unavailable,
        }
    }

    fn from_store(failure: &ApiFailure) -> Self {
        match failure {
            ApiFailure::Unreachable => Self::unreachable(),
            ApiFailure::Api { error, .. } => match error.code {
                ErrorCode::Unavailable => Self::ServiceDown,
                ErrorCode::TooManyRequests => Self::TooManyAttempts,
                ErrorCode::NotFound => Self::Unavailable,
                _ => Self::Unexpected,
            },
            _ => Self::Unexpected,
        }
    }

    /// Any other answer of a FusionAuth "complete" call or a backend start.
    fn from_status(status: u16) -> Self {
        match status {
            429 => Self::TooManyAttempts,
            404 => Self::Unavailable,
            500..=599 => Self::ServiceDown,
            _ => Self::Unexpected,
        }
    }
}

impl From<PasskeyFailure> for LoginFailure {
    fn from(failure: PasskeyFailure) -> Self {
        Self::Passkey(failure)
    }
}

/// The `options` of a start answer, parsed.
fn options(reply: &Reply) -> Result<JsValue, PasskeyFailure> {
    let answer =
        web_sys::js_sys::JSON::parse(&reply.body).map_err(|_| PasskeyFailure::Unexpected)?;
    let options = passkeys::field(&answer, &["options"]);
    if !options.is_object() {
        return Err(PasskeyFailure::Unexpected);
    }
    Ok(options)
}

/// A text member of a credential's JSON form.
fn text(credential: &JsValue, path: &[&str]) -> JsValue {
    opt(passkeys::field(credential, path).as_string().as_deref())
}

/// A credential's JSON form as FusionAuth reads it: `id`, `type`, the text members of its
/// `response` named in `response`, then the members `more`.
fn credential_json(credential: &JsValue, response: &[&str], more: &[(&str, JsValue)]) -> JsValue {
    let response: Vec<(&str, JsValue)> = response
        .iter()
        .map(|&key| (key, text(credential, &["response", key])))
        .collect();
    let mut members = vec![
        ("id", text(credential, &["id"])),
        ("type", text(credential, &["type"])),
        ("response", object(&response)),
    ];
    members.extend_from_slice(more);
    object(&members)
}

/// `base64url` → text, for the creation options' `user.id` (the user id's text).
fn decode_user_handle(handle: &str) -> Option<String> {
    String::from_utf8(base64url_decode(handle)?).ok()
}

impl ApiClient {
    /// Adds a passkey of this device to the signed-in user's account, named after the device:
    /// the backend's start, the browser's prompt, then FusionAuth's
    /// `POST /api/webauthn/register/complete`. Remembers the login id on success.
    ///
    /// # Errors
    /// See [`PasskeyFailure`].
    pub async fn add_passkey(&self) -> Result<(), PasskeyFailure> {
        let config = self
            .config()
            .await
            .map_err(|_| PasskeyFailure::unreachable())?;
        let email = self.session.current().and_then(|s| s.email);
        let device = this_device();
        let name = device.name.as_deref().unwrap_or("This device");
        let body = stringify(&object(&[("displayName", JsValue::from_str(name))]))
            .ok_or(PasskeyFailure::Unexpected)?;
        let reply = self
            .send("POST", "/api/passkeys/registration", Some(body))
            .await
            .map_err(|f| PasskeyFailure::from_store(&f))?;
        let options = options(&reply)?;
        let user_id = passkeys::field(&options, &["user", "id"])
            .as_string()
            .and_then(|handle| decode_user_handle(&handle))
            .ok_or(PasskeyFailure::Unexpected)?;
        let credential = passkeys::create(&options)
            .await
            .map_err(PasskeyFailure::from_prompt)?;
        let credential = credential_json(
            &credential,
            &["attestationObject", "clientDataJSON"],
            &[
                (
                    "transports",
                    passkeys::field(&credential, &["response", "transports"]),
                ),
                (
                    "clientExtensionResults",
                    passkeys::field(&credential, &["clientExtensionResults"]),
                ),
            ],
        );
        let request = object(&[
            ("userId", JsValue::from_str(&user_id)),
            ("credential", credential),
        ]);
        let reply = post_json(
            &format!("{}/api/webauthn/register/complete", config.fusion_auth_url),
            &request,
        )
        .await?;
        if !reply.ok() {
            return Err(PasskeyFailure::from_status(reply.status));
        }
        if let Some(email) = email {
            passkeys::remember(&email);
        }
        Ok(())
    }

    /// Signs `login_id` in with a passkey of this device: the backend's start, the browser's
    /// prompt, then FusionAuth's `POST /api/webauthn/login`, read and completed exactly as a
    /// password login.
    ///
    /// # Errors
    /// [`LoginFailure::Passkey`] for what is particular to passkeys, else as for
    /// [`ApiClient::login`].
    pub async fn passkey_login(&self, login_id: &str) -> Result<LoginStep, LoginFailure> {
        let login_id = login_id.trim();
        let config = self
            .config()
            .await
            .map_err(|_| PasskeyFailure::unreachable())?;
        let body = stringify(&object(&[("loginId", JsValue::from_str(login_id))]))
            .ok_or(LoginFailure::Unexpected)?;
        let abort = Timeout::start(START_TIMEOUT);
        let reply = http::send(Call {
            method: "POST",
            url: "/api/passkeys/authentication",
            json: Some(&body),
            signal: abort.signal().as_ref(),
            ..Call::default()
        })
        .await
        .map_err(|_| PasskeyFailure::unreachable())?;
        match reply.status {
            200 => {}
            // `[WebAuthnDisabled]` is a general error; no (such) passkey is a field error.
            400 if reply
                .json::<Errors>()
                .is_some_and(|e| !e.general_errors.is_empty()) =>
            {
                return Err(PasskeyFailure::Unavailable.into());
            }
            400 if passkeys::remembered_login_id().as_deref() == Some(login_id) => {
                passkeys::forget(login_id);
                return Err(PasskeyFailure::Removed.into());
            }
            400 => return Err(PasskeyFailure::NoPasskey.into()),
            status => return Err(PasskeyFailure::from_status(status).into()),
        }
        let options = options(&reply)?;
        let credential = passkeys::get(&options)
            .await
            .map_err(PasskeyFailure::from_prompt)?;
        let credential = credential_json(
            &credential,
            &[
                "authenticatorData",
                "clientDataJSON",
                "signature",
                "userHandle",
            ],
            &[],
        );
        let device = this_device();
        let request = object(&[
            ("credential", credential),
            ("applicationId", JsValue::from_str(&config.application_id)),
            (
                "metaData",
                object(&[(
                    "device",
                    object(&[
                        ("name", opt(device.name.as_deref())),
                        ("type", opt(device.device_type.as_deref())),
                    ]),
                )]),
            ),
        ]);
        if config.device_binding == shared::store::DeviceBinding::Required {
            self.prepare_key().await?;
        }
        let reply = post_json(
            &format!("{}/api/webauthn/login", config.fusion_auth_url),
            &request,
        )
        .await?;
        if reply.status == 404 {
            // Not (any more) a passkey FusionAuth accepts for this account.
            passkeys::forget(login_id);
            return Err(PasskeyFailure::Removed.into());
        }
        let step = read_login_answer(reply.status, &reply.body, false)?;
        passkeys::remember(login_id);
        self.signed_in(&config, step).await
    }

    /// `GET /api/passkeys`: the signed-in user's passkeys, newest first.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn passkeys(&self) -> Result<PasskeyList, ApiFailure> {
        read_json(&self.send("GET", "/api/passkeys", None).await?)
    }

    /// `DELETE /api/passkeys/{id}`: removes one of the signed-in user's passkeys.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn remove_passkey(&self, id: &str) -> Result<(), ApiFailure> {
        let path = format!(
            "/api/passkeys/{}",
            web_sys::js_sys::encode_uri_component(id)
        );
        self.send("DELETE", &path, None).await.map(|_| ())
    }
}

/// `POST` a JSON body to FusionAuth cross-origin without cookies.
async fn post_json(url: &str, body: &JsValue) -> Result<Reply, PasskeyFailure> {
    let body = stringify(body).ok_or(PasskeyFailure::Unexpected)?;
    post_to_fusionauth(url, &body, LOGIN_TIMEOUT)
        .await
        .map_err(|_| PasskeyFailure::unreachable())
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_user_handle_decodes_to_the_user_id() {
        // base64url of the text "f811228e-a7d3-40c4-8d40-7ac2088d9e28", unpadded.
        let handle = "ZjgxMTIyOGUtYTdkMy00MGM0LThkNDAtN2FjMjA4OGQ5ZTI4";
        assert_eq!(
            decode_user_handle(handle).as_deref(),
            Some("f811228e-a7d3-40c4-8d40-7ac2088d9e28")
        );
    }

    #[test]
    fn every_passkey_failure_says_what_to_do() {
        assert_eq!(
            PasskeyFailure::from_status(503),
            PasskeyFailure::ServiceDown
        );
        assert_eq!(
            PasskeyFailure::from_prompt(PromptFailure::Cancelled),
            PasskeyFailure::Cancelled
        );
        for failure in [
            PasskeyFailure::Cancelled,
            PasskeyFailure::NoPasskey,
            PasskeyFailure::Removed,
            PasskeyFailure::ServiceDown,
            PasskeyFailure::Unavailable,
        ] {
            assert!(failure.message().contains("password"), "{failure:?}");
        }
    }
}
