//! [`ApiClient`]: the one handle every call goes through, shared through context. The store and
//! FusionAuth calls are its methods in `store.rs` and `fusionauth.rs`; here is what they share.

use leptos::prelude::*;
use shared::store::AppConfig;

use super::call::{ApiFailure, read_json};
use crate::connectivity::Connectivity;
use crate::http::{self, Call};
use crate::refresh::RefreshGate;
use crate::session::Session;

/// Where the deployment tells the app how to reach FusionAuth.
pub const APP_CONFIG_PATH: &str = "/app-config.json";

/// The API client, shared through context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct ApiClient {
    pub(super) session: Session,
    config: RwSignal<Option<AppConfig>>,
    /// A non-blocking notice about the store being unreachable.
    pub(super) notice: RwSignal<Option<String>>,
    /// Held by a request that carries the refresh token, so only one refresh is in flight
    /// (in this tab and across tabs).
    pub(super) refresh: StoredValue<RefreshGate>,
    pub(super) connectivity: Connectivity,
}

shared::debug_fields!(ApiClient {});

impl ApiClient {
    pub fn new(session: Session) -> Self {
        Self {
            session,
            config: RwSignal::new(None),
            notice: RwSignal::new(None),
            refresh: StoredValue::new(RefreshGate::new()),
            connectivity: Connectivity::start(),
        }
    }

    /// Retries and the online state.
    pub fn connectivity(&self) -> Connectivity {
        self.connectivity
    }

    /// A non-blocking notice about the store being unreachable (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    /// Hides the notice.
    pub fn dismiss_notice(&self) {
        self.notice.set(None);
    }

    /// `GET /app-config.json`, fetched once and then remembered.
    ///
    /// # Errors
    /// [`ApiFailure::Unreachable`] or [`ApiFailure::BadResponse`]; the next call tries again.
    pub async fn config(&self) -> Result<AppConfig, ApiFailure> {
        if let Some(config) = self.config.get_untracked() {
            return Ok(config);
        }
        let reply = http::send(Call {
            method: "GET",
            url: APP_CONFIG_PATH,
            ..Call::default()
        })
        .await
        .map_err(|_| ApiFailure::Unreachable)?;
        if !reply.ok() {
            return Err(ApiFailure::Unreachable);
        }
        let mut config: AppConfig = read_json(&reply)?;
        config.fusion_auth_url = config.fusion_auth_url.trim_end_matches('/').to_owned();
        self.config.set(Some(config.clone()));
        Ok(config)
    }
}
