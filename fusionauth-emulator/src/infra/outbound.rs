//! Outbound HTTP: clients for webhook deliveries, cached per connect timeout.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::infra::error::{ApiError, Result};

/// HTTP clients by connect timeout (reqwest sets it per client, not per request).
#[derive(Debug, Default)]
pub struct Clients {
    by_connect_timeout: Mutex<HashMap<u64, reqwest::Client>>,
}

impl Clients {
    /// The client for `connect_timeout_ms`, built on first use.
    pub fn get(&self, connect_timeout_ms: u64) -> Result<reqwest::Client> {
        let mut clients = self
            .by_connect_timeout
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(&connect_timeout_ms) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(connect_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Internal(e.into()))?;
        clients.insert(connect_timeout_ms, client.clone());
        Ok(client)
    }
}
