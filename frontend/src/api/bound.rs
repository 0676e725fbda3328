//! Device-bound calls (issue #11, the backend's `required` mode): `Authorization: DPoP <JWT>`
//! and a fresh RFC 9449 proof of the device key on every request, with the backend's latest
//! `DPoP-Nonce`; one retry when the backend asks for a nonce. Also the two calls only this mode
//! has: the sign-in hand-off (`POST /api/session`, the refresh token leaves the device) and
//! logout (`DELETE /api/session`).

use std::cell::RefCell;

use futures::future::LocalBoxFuture;
use shared::headers::{DPOP, DPOP_NONCE, DPOP_SCHEME, ERROR_USE_DPOP_NONCE, NEW_ACCESS_TOKEN};
use shared::store::{ErrorCode, SessionHandOff};
use wasm_bindgen::JsValue;

use super::call::{Timeout, decode_error};
use super::client::ApiClient;
use super::fusionauth::{LOGIN_TIMEOUT, LoginFailure};
use crate::device::{DeviceKey, ProofFor};
use crate::http::{self, Call, Reply};
use crate::json::to_string;
use crate::session::StoredSession;

thread_local! {
    /// The backend's latest `DPoP-Nonce`, put in every proof.
    static NONCE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The device key: the signed-in session's (loaded once), or the one made for a sign-in
    /// under way. (The app has one `ApiClient`; thread-locals cost the download less than
    /// two more `StoredValue`s.)
    static KEY: RefCell<Option<DeviceKey>> = const { RefCell::new(None) };
}

fn kept_key() -> Option<DeviceKey> {
    KEY.with_borrow(Clone::clone)
}

fn keep_key(key: Option<DeviceKey>) {
    KEY.set(key);
}

/// The backend's device-bound session: `POST` hands the refresh token over, `DELETE` ends it.
pub const SESSION_PATH: &str = "/api/session";

/// Whether an answer asks for the same request again with the nonce it carries (RFC 9449 §8):
/// a 401 whose `WWW-Authenticate` error (or body code) is `use_dpop_nonce`, with a
/// `DPoP-Nonce` to use. Anything else is the answer.
pub fn asks_for_nonce(
    status: u16,
    www_authenticate: Option<&str>,
    code: ErrorCode,
    nonce: Option<&str>,
) -> bool {
    // `DPoP error="use_dpop_nonce", error_description="…"`: the `error` parameter.
    let named = www_authenticate.is_some_and(|challenge| {
        challenge.split(',').any(|param| {
            let param = param.trim();
            let param = param.strip_prefix(DPOP_SCHEME).unwrap_or(param);
            param.split_once('=').is_some_and(|(name, value)| {
                name.trim() == "error" && value.trim().trim_matches('"') == ERROR_USE_DPOP_NONCE
            })
        })
    });
    status == 401
        && nonce.is_some_and(|n| !n.is_empty())
        && (named || code == ErrorCode::UseDpopNonce)
}

impl ApiClient {
    /// The device key `session` is bound to: the one in memory, else IndexedDB's (another tab
    /// may have signed in). `None` when the kept key is not that session's.
    pub(super) fn device_key<'a>(
        &'a self,
        session: &'a StoredSession,
    ) -> LocalBoxFuture<'a, Option<DeviceKey>> {
        Box::pin(self.device_key_unboxed(session))
    }

    async fn device_key_unboxed(&self, session: &StoredSession) -> Option<DeviceKey> {
        let jkt = session.jkt.as_deref()?;
        if let Some(key) = kept_key().filter(|key| key.thumbprint() == jkt) {
            return Some(key);
        }
        let key = DeviceKey::load()
            .await
            .ok()
            .flatten()
            .filter(|key| key.thumbprint() == jkt)?;
        keep_key(Some(key.clone()));
        Some(key)
    }

    /// Sends one request with `token` bound to `key`: a fresh proof with the latest nonce,
    /// every `DPoP-Nonce` of an answer kept, and one retry when the backend asks for a nonce.
    /// `Err` when no answer arrived.
    ///
    /// Boxed: its three callers share one copy of it (the download is smaller).
    pub(super) fn send_bound<'a>(
        &'a self,
        key: &'a DeviceKey,
        token: &'a str,
        call: Call<'a>,
    ) -> LocalBoxFuture<'a, Result<Reply, JsValue>> {
        Box::pin(self.send_bound_unboxed(key, token, call))
    }

    async fn send_bound_unboxed(
        &self,
        key: &DeviceKey,
        token: &str,
        call: Call<'_>,
    ) -> Result<Reply, JsValue> {
        let origin = web_sys::window()
            .ok_or(JsValue::NULL)?
            .location()
            .origin()?;
        let url = format!("{origin}{}", call.url);
        let authorization = format!("{DPOP_SCHEME} {token}");
        let mut retried = false;
        loop {
            let nonce = NONCE.with_borrow(Clone::clone);
            let proof = key
                .proof(&ProofFor {
                    method: call.method,
                    url: &url,
                    access_token: token,
                    nonce: nonce.as_deref(),
                })
                .await?;
            let reply = http::send(Call {
                headers: &[("Authorization", &authorization), (DPOP, &proof)],
                ..call
            })
            .await?;
            let fresh = reply.header(DPOP_NONCE).filter(|n| !n.is_empty());
            if fresh.is_some() {
                NONCE.set(fresh.clone());
            }
            let again = !retried
                && reply.status == 401
                && asks_for_nonce(
                    reply.status,
                    reply.header("WWW-Authenticate").as_deref(),
                    decode_error(&reply).code,
                    fresh.as_deref(),
                );
            if !again {
                return Ok(reply);
            }
            retried = true;
        }
    }

    /// Makes the device key for a sign-in under way (before the credentials go out), kept in
    /// memory until the hand-off.
    pub(super) async fn prepare_key(&self) -> Result<(), LoginFailure> {
        let key = DeviceKey::create()
            .await
            .map_err(|_| LoginFailure::Unexpected)?;
        keep_key(Some(key));
        Ok(())
    }

    /// The hand-off after a 200 from the Login API (or the two-factor step): the refresh token
    /// goes to the backend with the login's JWT and a proof of a new device key, and the
    /// session kept here holds the JWT the backend answers with and the key's thumbprint —
    /// never the refresh token. Nothing is kept when the backend refuses.
    ///
    /// # Errors
    /// [`LoginFailure::Unreachable`] without an answer or on 502–504 (FusionAuth or the backend
    /// unreachable: try again), else [`LoginFailure::Unexpected`] (e.g. a FusionAuth whose
    /// refresh tokens are Reusable, which the backend refuses to bind).
    pub(super) async fn hand_off(
        &self,
        mut session: StoredSession,
    ) -> Result<StoredSession, LoginFailure> {
        let key = match kept_key() {
            Some(key) => key,
            None => DeviceKey::create()
                .await
                .map_err(|_| LoginFailure::Unexpected)?,
        };
        let body = to_string(&SessionHandOff {
            refresh_token: session
                .refresh_token
                .take()
                .ok_or(LoginFailure::Unexpected)?,
            refresh_token_id: session.refresh_token_id.clone(),
        })
        .ok_or(LoginFailure::Unexpected)?;
        // Saved first, so that a tab told of the session finds its key.
        key.save().await.map_err(|_| LoginFailure::Unexpected)?;
        let abort = Timeout::start(LOGIN_TIMEOUT);
        let signal = abort.signal();
        let reply = self
            .send_bound(
                &key,
                &session.token,
                Call {
                    method: "POST",
                    url: SESSION_PATH,
                    json: Some(&body),
                    signal: signal.as_ref(),
                    ..Call::default()
                },
            )
            .await;
        match reply {
            Ok(reply) if reply.ok() => {
                if let Some(token) = reply.header(NEW_ACCESS_TOKEN).filter(|t| !t.is_empty()) {
                    session.token = token;
                }
                session.jkt = Some(key.thumbprint().to_owned());
                keep_key(Some(key));
                Ok(session)
            }
            refused => {
                let _ = DeviceKey::forget().await;
                keep_key(None);
                Err(match refused {
                    Ok(reply) if !matches!(reply.status, 502..=504) => LoginFailure::Unexpected,
                    _ => LoginFailure::Unreachable,
                })
            }
        }
    }

    /// Logout of a device-bound session: `DELETE /api/session` (the backend revokes the
    /// refresh token at FusionAuth and forgets the session), best effort within `abort`.
    pub(super) async fn end_bound_session(&self, session: &StoredSession, abort: &Timeout) {
        if let Some(key) = self.device_key(session).await {
            let signal = abort.signal();
            let _ = self
                .send_bound(
                    &key,
                    &session.token,
                    Call {
                        method: "DELETE",
                        url: SESSION_PATH,
                        signal: signal.as_ref(),
                        ..Call::default()
                    },
                )
                .await;
        }
        keep_key(None);
    }
}
