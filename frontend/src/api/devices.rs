//! The signed-in devices (`/api/account/sessions`, issue #14): the user's sessions, and signing
//! one, every other or every device out. Sent like every store call (`store.rs`): a 401 ends
//! this session here too.

use shared::store::SignedInDevices;
use web_sys::js_sys;

use super::call::{ApiFailure, read_json};
use super::client::ApiClient;

/// Where the list lives.
const SESSIONS_PATH: &str = "/api/account/sessions";

impl ApiClient {
    /// `GET /api/account/sessions`: this device first.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn devices(&self) -> Result<SignedInDevices, ApiFailure> {
        read_json(&self.send("GET", SESSIONS_PATH, None).await?)
    }

    /// `DELETE /api/account/sessions/{id}`: signs that device out.
    ///
    /// # Errors
    /// See [`ApiFailure`]; 404 when it is signed out already.
    pub async fn sign_out_device(&self, id: &str) -> Result<(), ApiFailure> {
        let encoded: String = js_sys::encode_uri_component(id).into();
        let path = format!("{SESSIONS_PATH}/{encoded}");
        self.send("DELETE", &path, None).await.map(drop)
    }

    /// `DELETE /api/account/sessions[?keep=this]`: every other device, or every device.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn sign_out_devices(&self, keep_this: bool) -> Result<(), ApiFailure> {
        let path = if keep_this {
            format!("{SESSIONS_PATH}?keep=this")
        } else {
            SESSIONS_PATH.to_owned()
        };
        self.send("DELETE", &path, None).await.map(drop)
    }
}
