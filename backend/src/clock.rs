//! The backend's notion of "now", which tests can move forward to expire tokens.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable handle on the backend's clock: the system clock plus an offset that only
/// [`Clock::advance`] changes (production never calls it).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_millis: Arc<AtomicI64>,
}

impl Clock {
    /// Moves "now" forward by `by`, for every clone of this clock.
    pub fn advance(&self, by: Duration) {
        let millis = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_millis.fetch_add(millis, Ordering::SeqCst);
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        system.saturating_add(self.offset_millis.load(Ordering::SeqCst))
    }

    /// Seconds since the Unix epoch (the unit of JWT claims).
    pub fn now_seconds(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_a_clone_moves_every_clone() {
        let clock = Clock::default();
        let before = clock.now_seconds();
        clock.clone().advance(Duration::from_secs(301));
        let after = clock.now_seconds();
        assert!(
            (301..=303).contains(&(after - before)),
            "{before} → {after}"
        );
    }
}
