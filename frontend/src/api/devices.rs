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

    /// `DELETE /api/account/sessions/{id}`, `…?keep=this` or `…`: signs that device, every
    /// other device, or every device out (one function, so the WASM has one copy of the call).
    ///
    /// # Errors
    /// See [`ApiFailure`]; 404 when that device is signed out already.
    pub async fn sign_out_devices(&self, which: SignOut<'_>) -> Result<(), ApiFailure> {
        let path = match which {
            SignOut::Device(id) => {
                let encoded: String = js_sys::encode_uri_component(id).into();
                format!("{SESSIONS_PATH}/{encoded}")
            }
            SignOut::Others => format!("{SESSIONS_PATH}?keep=this"),
            SignOut::Everywhere => SESSIONS_PATH.to_owned(),
        };
        self.send("DELETE", &path, None).await.map(drop)
    }
}

/// Which devices [`ApiClient::sign_out_devices`] signs out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOut<'a> {
    /// The one with this id (of the device list).
    Device(&'a str),
    /// Every device but this one.
    Others,
    /// Every device, this one too.
    Everywhere,
}
