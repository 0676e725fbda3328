//! One refresh at a time: a request that carries the refresh token (and stores the tokens it
//! gets back) runs inside a [`RefreshGate`] — an in-tab lock, then the cross-tab Web Lock
//! [`LOCK_NAME`]. FusionAuth's one-time-use refresh tokens must never be sent twice.

use std::sync::Arc;

use futures::lock::{Mutex, OwnedMutexGuard};

use crate::jwt;
use crate::locks::{self, LockGuard};

/// The Web Lock every tab takes before refreshing.
pub const LOCK_NAME: &str = "store-refresh";
/// How long to wait for another tab's refresh before going ahead anyway (the fallback).
pub const LOCK_WAIT_MS: u32 = 5_000;

/// Whether a request should carry the refresh token: the JWT has expired, expires within
/// [`jwt::REFRESH_MARGIN_SECS`], or cannot be read. (An alias of [`jwt::needs_refresh`].)
pub fn should_refresh(token: &str, now_secs: i64) -> bool {
    jwt::needs_refresh(token, now_secs)
}

/// The in-tab half of the lock; clones share it.
#[derive(Clone, Debug, Default)]
pub struct RefreshGate {
    local: Arc<Mutex<()>>,
}

/// Held while refreshing; dropping it lets the next refresh (in any tab) go.
#[derive(Debug)]
pub struct RefreshPass {
    // Released in this order: the cross-tab lock, then the in-tab one.
    _cross_tab: Option<LockGuard>,
    _in_tab: OwnedMutexGuard<()>,
}

impl RefreshPass {
    /// Whether the cross-tab lock is held (false: no Web Locks, or the wait ran out).
    pub fn holds_cross_tab_lock(&self) -> bool {
        self._cross_tab.is_some()
    }
}

impl RefreshGate {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for the in-tab lock, then (at most `wait_ms`) for the cross-tab Web Lock.
    pub async fn enter(&self, wait_ms: u32) -> RefreshPass {
        let in_tab = self.local.clone().lock_owned().await;
        let cross_tab = locks::acquire(LOCK_NAME, wait_ms).await;
        RefreshPass {
            _cross_tab: cross_tab,
            _in_tab: in_tab,
        }
    }

    /// Whether a refresh is under way in this tab.
    pub fn is_busy(&self) -> bool {
        self.local.try_lock().is_none()
    }
}
