//! Passkeys on this device: whether it has a platform authenticator, the browser's WebAuthn
//! prompts (`navigator.credentials.create/get`, fed FusionAuth's options in their JSON form through
//! `PublicKeyCredential.parse…FromJSON` and answered with `credential.toJSON()`, so no binary
//! coding is downloaded), and what the device remembers in `localStorage`: which login id has a
//! passkey here, and who said "not now" to the offer.
//!
//! Everything goes through `Reflect` rather than typed `web-sys` bindings, which would each add
//! to the download. A browser without the JSON helpers (older than Chrome 129, Firefox 119,
//! Safari 18.4) is treated as one without passkeys: the offer and the button are not shown.

use std::cell::Cell;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Function, Promise, Reflect};

use crate::json::object;

/// The login id whose passkey was registered on this device.
const LOGIN_ID_KEY: &str = "store.passkey.loginId";
/// Prefix of the keys remembering, per user, that the offer was declined (or taken).
const OFFER_DONE_PREFIX: &str = "store.passkey.offered.";

thread_local! {
    /// Set by a password sign-in, taken by the offer (once).
    static OFFER_PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Why the browser's prompt gave no credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptFailure {
    /// `NotAllowedError`/`AbortError`: the user closed the prompt, it timed out, or this device
    /// holds none of the passkeys asked for (browsers do not tell these apart, on purpose).
    Cancelled,
    /// `InvalidStateError` on create: this device already has a passkey for the account.
    AlreadyRegistered,
    /// No WebAuthn here, or the browser refused the options (e.g. a relying party id that does
    /// not match the site).
    Unavailable,
}

fn member(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn method(target: &JsValue, key: &str) -> Option<Function> {
    member(target, key).dyn_into().ok()
}

/// `window.PublicKeyCredential`, when it has the JSON helpers.
fn public_key_credential() -> Option<JsValue> {
    let class = member(&web_sys::window()?.into(), "PublicKeyCredential");
    (method(&class, "parseCreationOptionsFromJSON").is_some()
        && method(&class, "parseRequestOptionsFromJSON").is_some())
    .then_some(class)
}

/// Whether this browser can use passkeys at all.
pub fn supported() -> bool {
    public_key_credential().is_some()
}

/// Whether this device has a platform authenticator that verifies the user (fingerprint, face,
/// screen lock): `PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()`.
pub async fn has_platform_authenticator() -> bool {
    let Some(class) = public_key_credential() else {
        return false;
    };
    let Some(check) = method(&class, "isUserVerifyingPlatformAuthenticatorAvailable") else {
        return false;
    };
    match check.call0(&class).map(Promise::from) {
        Ok(promise) => JsFuture::from(promise)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

fn prompt_failure(error: &JsValue) -> PromptFailure {
    match member(error, "name").as_string().as_deref() {
        Some("NotAllowedError" | "AbortError") => PromptFailure::Cancelled,
        Some("InvalidStateError") => PromptFailure::AlreadyRegistered,
        _ => PromptFailure::Unavailable,
    }
}

/// `navigator.credentials[verb]({publicKey: PublicKeyCredential[parse](options)})`, answered
/// as `credential.toJSON()`.
async fn prompt(verb: &str, parse: &str, options: &JsValue) -> Result<JsValue, PromptFailure> {
    let class = public_key_credential().ok_or(PromptFailure::Unavailable)?;
    let parse = method(&class, parse).ok_or(PromptFailure::Unavailable)?;
    let options = parse
        .call1(&class, options)
        .map_err(|e| prompt_failure(&e))?;
    let navigator: JsValue = web_sys::window()
        .ok_or(PromptFailure::Unavailable)?
        .navigator()
        .into();
    let credentials = member(&navigator, "credentials");
    let call = method(&credentials, verb).ok_or(PromptFailure::Unavailable)?;
    let promise = call
        .call1(&credentials, &object(&[("publicKey", options)]))
        .map_err(|e| prompt_failure(&e))?;
    let credential = JsFuture::from(Promise::from(promise))
        .await
        .map_err(|e| prompt_failure(&e))?;
    if credential.is_null() || credential.is_undefined() {
        return Err(PromptFailure::Cancelled);
    }
    let to_json = method(&credential, "toJSON").ok_or(PromptFailure::Unavailable)?;
    to_json
        .call0(&credential)
        .map_err(|_| PromptFailure::Unavailable)
}

/// Creates a passkey for FusionAuth's creation `options` (the JSON form); the credential in
/// its JSON form.
///
/// # Errors
/// See [`PromptFailure`].
pub async fn create(options: &JsValue) -> Result<JsValue, PromptFailure> {
    prompt("create", "parseCreationOptionsFromJSON", options).await
}

/// Signs FusionAuth's request `options` (the JSON form) with a passkey of this device; the
/// assertion in its JSON form.
///
/// # Errors
/// See [`PromptFailure`].
pub async fn get(options: &JsValue) -> Result<JsValue, PromptFailure> {
    prompt("get", "parseRequestOptionsFromJSON", options).await
}

/// A member (by path) of a value such as a credential's JSON form; `undefined` when absent.
pub fn field(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| member(&v, key))
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The login id whose passkey is on this device, if any.
pub fn remembered_login_id() -> Option<String> {
    storage()?
        .get_item(LOGIN_ID_KEY)
        .ok()
        .flatten()
        .filter(|id| !id.is_empty())
}

/// Remembers that `login_id` has a passkey on this device (and needs no offer any more).
pub fn remember(login_id: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(LOGIN_ID_KEY, login_id);
    }
    offer_done(login_id);
}

/// Forgets `login_id`'s passkey on this device (FusionAuth no longer has it): the next password
/// sign-in offers a new one.
pub fn forget(login_id: &str) {
    if let Some(storage) = storage() {
        if remembered_login_id().as_deref() == Some(login_id) {
            let _ = storage.remove_item(LOGIN_ID_KEY);
        }
        let _ = storage.remove_item(&format!("{OFFER_DONE_PREFIX}{login_id}"));
    }
}

/// Whether `login_id` was offered a passkey on this device already (declined or taken).
pub fn was_offered(login_id: &str) -> bool {
    storage()
        .and_then(|s| s.get_item(&format!("{OFFER_DONE_PREFIX}{login_id}")).ok())
        .flatten()
        .is_some()
}

/// Remembers that `login_id` has had the offer.
pub fn offer_done(login_id: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(&format!("{OFFER_DONE_PREFIX}{login_id}"), "1");
    }
}

/// A password sign-in just succeeded: the next signed-in screen may offer a passkey.
pub fn offer_after_password_sign_in() {
    OFFER_PENDING.with(|pending| pending.set(true));
}

/// Whether an offer is due (once: this clears it).
pub fn take_offer() -> bool {
    OFFER_PENDING.with(Cell::take)
}
