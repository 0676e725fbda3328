//! The store API (`/api/products`, `/api/cart…`): same origin. A device-bound session sends its
//! JWT with a proof (see `bound.rs`) and nothing else. Otherwise the JWT goes as
//! `Authorization: Bearer …`; when the JWT has expired or is about to, the refresh token goes
//! along as `X-Refresh-Token` (under the refresh lock, in this tab and across tabs; also once
//! more when the backend answers `refresh_required`, e.g. to a tab whose clock is behind) and the
//! backend may answer with rotated tokens in `X-New-Access-Token` / `X-New-Refresh-Token`, which
//! are stored before anything else (workflow steps 4–13). Non-2xx answers are decoded into
//! [`ApiFailure`].

use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use shared::headers::{NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, REFRESH_TOKEN};
use shared::store::{AddCartItem, Cart, ErrorCode, ProductList, SetCartQuantity};
use web_sys::js_sys;

use super::call::{ApiFailure, UNREACHABLE_STORE, decode_error, read_json};
use super::client::ApiClient;
use crate::http::{self, Call, Reply};
use crate::json::to_string;
use crate::refresh::{self, LOCK_WAIT_MS};
use crate::session::StoredSession;

impl ApiClient {
    /// `GET /api/products`.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn products(&self) -> Result<ProductList, ApiFailure> {
        read_json(&self.send("GET", "/api/products", None).await?)
    }

    /// `GET /api/cart` (workflow steps 4–5).
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn cart(&self) -> Result<Cart, ApiFailure> {
        read_json(&self.send("GET", "/api/cart", None).await?)
    }

    /// `POST /api/cart/items`: adds to the cart and answers with the whole cart.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn add_to_cart(&self, item: &AddCartItem) -> Result<Cart, ApiFailure> {
        let body = to_string(item).ok_or(ApiFailure::BadResponse)?;
        let reply = self.send("POST", "/api/cart/items", Some(body)).await?;
        self.cart_answer(&reply).await
    }

    /// `PATCH /api/cart/items/{productId}`: sets a line's quantity.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn set_quantity(
        &self,
        product_id: &str,
        change: &SetCartQuantity,
    ) -> Result<Cart, ApiFailure> {
        let body = to_string(change).ok_or(ApiFailure::BadResponse)?;
        let reply = self
            .send("PATCH", &cart_item_path(product_id), Some(body))
            .await?;
        self.cart_answer(&reply).await
    }

    /// `DELETE /api/cart/items/{productId}`: removes a line.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn remove_from_cart(&self, product_id: &str) -> Result<Cart, ApiFailure> {
        let reply = self
            .send("DELETE", &cart_item_path(product_id), None)
            .await?;
        self.cart_answer(&reply).await
    }

    /// A cart change answers with the cart; a bodiless 204 is followed by a fresh `GET`.
    async fn cart_answer(&self, reply: &Reply) -> Result<Cart, ApiFailure> {
        if reply.status == 204 {
            return self.cart().await;
        }
        read_json(reply)
    }

    /// Sends one store API request with the session's tokens and handles what every endpoint
    /// shares: token rotation, session expiry, the unreachable notice and retries. Boxed: one
    /// copy of the state machine instead of one inside each caller's.
    pub(super) fn send<'a>(
        &'a self,
        method: &'a str,
        path: &'a str,
        json_body: Option<String>,
    ) -> LocalBoxFuture<'a, Result<Reply, ApiFailure>> {
        Box::pin(self.send_unboxed(method, path, json_body))
    }

    async fn send_unboxed(
        &self,
        method: &str,
        path: &str,
        json_body: Option<String>,
    ) -> Result<Reply, ApiFailure> {
        match self
            .send_once(method, path, json_body.as_deref(), false)
            .await
        {
            // The backend wants the refresh token this tab thought not needed yet (its clock is
            // behind, or the JWT is of a revocation's second): once more, with it.
            Err(ApiFailure::Api { status: 401, error })
                if error.code == ErrorCode::RefreshRequired =>
            {
                self.send_once(method, path, json_body.as_deref(), true)
                    .await
            }
            other => other,
        }
    }

    /// One attempt of [`Self::send`]; `with_refresh_token` sends the refresh token whatever
    /// this tab's clock says of the JWT.
    async fn send_once(
        &self,
        method: &str,
        path: &str,
        json_body: Option<&str>,
        with_refresh_token: bool,
    ) -> Result<Reply, ApiFailure> {
        let wants_refresh =
            |token: &str| with_refresh_token || refresh::should_refresh(token, now_secs());
        let initial = self.session.current().ok_or(ApiFailure::SignedOut)?;
        if initial.jkt.is_some() {
            return self
                .send_device_bound(initial, method, path, json_body)
                .await;
        }
        // The refresh token goes along: take the refresh lock first, then look at the tokens
        // again — another request or tab may have refreshed them meanwhile.
        let pass = if wants_refresh(&initial.token) {
            let pass = self.refresh.get_value().enter(LOCK_WAIT_MS).await;
            self.session.reload().await;
            Some(pass)
        } else {
            None
        };
        let session = self.session.current().ok_or(ApiFailure::SignedOut)?;
        if session.jkt.is_some() {
            drop(pass);
            return self
                .send_device_bound(session, method, path, json_body)
                .await;
        }
        let refresh_token = session
            .refresh_token
            .as_deref()
            .filter(|_| pass.is_some() && wants_refresh(&session.token));

        let authorization = format!("Bearer {}", session.token);
        let mut headers = vec![("Authorization", authorization.as_str())];
        if let Some(refresh_token) = refresh_token {
            headers.push((REFRESH_TOKEN, refresh_token));
        }
        let reply = http::send(Call {
            method,
            url: path,
            headers: &headers,
            json: json_body,
            ..Call::default()
        })
        .await;
        // New tokens first: whatever else happens, the old refresh token may be spent already.
        let rotated = match &reply {
            Ok(reply) => self.keep_new_tokens(&session, reply).await,
            Err(_) => false,
        };
        drop(pass);
        self.outcome(&session, reply, rotated)
    }

    /// A device-bound request: no refresh token and no refresh lock here — the backend refreshes
    /// an expired JWT with the token it holds (one refresh per session, across tabs and
    /// instances) and answers with the new JWT.
    async fn send_device_bound(
        &self,
        session: StoredSession,
        method: &str,
        path: &str,
        json_body: Option<&str>,
    ) -> Result<Reply, ApiFailure> {
        let Some(key) = self.device_key(&session).await else {
            // The key is gone (another tab ended the session, or storage was cleared): this
            // session cannot be used any more.
            self.session.expire();
            return Err(ApiFailure::SignedOut);
        };
        let call = Call {
            method,
            url: path,
            json: json_body,
            ..Call::default()
        };
        let reply = self.send_bound(&key, &session.token, call).await;
        let rotated = match &reply {
            Ok(reply) => self.keep_new_tokens(&session, reply).await,
            Err(_) => false,
        };
        self.outcome(&session, reply, rotated)
    }

    /// Stores the tokens of `X-New-Access-Token` / `X-New-Refresh-Token`, if this tab's session
    /// is still the one that sent the request; whether there were any.
    fn keep_new_tokens<'a>(
        &'a self,
        sender: &'a StoredSession,
        reply: &'a Reply,
    ) -> LocalBoxFuture<'a, bool> {
        Box::pin(self.keep_new_tokens_unboxed(sender, reply))
    }

    async fn keep_new_tokens_unboxed(&self, sender: &StoredSession, reply: &Reply) -> bool {
        let new_access = reply.header(NEW_ACCESS_TOKEN);
        let new_refresh = reply.header(NEW_REFRESH_TOKEN);
        let rotated = new_access.is_some() || new_refresh.is_some();
        if rotated {
            self.session.rotate(sender, new_access, new_refresh).await;
        }
        rotated
    }

    /// What an answer to `sender`'s request means: the reply, or a failure (ending the session
    /// on a 401 that says so — any 401 for a device-bound session — unless a newer sign-in
    /// replaced it meanwhile).
    fn outcome(
        &self,
        sender: &StoredSession,
        reply: Result<Reply, wasm_bindgen::JsValue>,
        rotated: bool,
    ) -> Result<Reply, ApiFailure> {
        let Ok(reply) = reply else {
            self.temporary_failure();
            return Err(ApiFailure::Unreachable);
        };
        if reply.ok() {
            self.notice.set(None);
            self.connectivity.succeeded();
            return Ok(reply);
        }
        let status = reply.status;
        let error = decode_error(&reply);
        let bound = sender.jkt.is_some();
        let session_over = status == 401
            && (bound
                || matches!(
                    error.code,
                    ErrorCode::SessionExpired | ErrorCode::Unauthorized
                ));
        let failure = ApiFailure::Api { status, error };
        if session_over {
            // Unless a newer sign-in (another tab's) replaced the one this request used.
            let same_session = self.session.current().is_some_and(|current| {
                current.same_sign_in(sender) && (bound || rotated || current.token == sender.token)
            });
            if same_session {
                self.notice.set(None);
                self.session.expire();
            }
        } else if failure.is_temporary() {
            self.temporary_failure();
        }
        Err(failure)
    }

    /// 503 or no answer: keep the tokens, show the notice, retry later.
    fn temporary_failure(&self) {
        self.notice.set(Some(UNREACHABLE_STORE.to_owned()));
        self.connectivity.failed();
    }
}

fn cart_item_path(product_id: &str) -> String {
    let encoded: String = js_sys::encode_uri_component(product_id).into();
    format!("/api/cart/items/{encoded}")
}

fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}
