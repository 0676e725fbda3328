//! Retrying after the store could not be reached: exponential backoff (1 s, 2 s, 4 s … 30 s),
//! and at once when the app comes back to the foreground or the browser goes online.

use std::time::Duration;

use leptos::prelude::*;

/// The longest wait between automatic retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before retry number `attempt` (0-based): 1 s, 2 s, 4 s … capped at 30 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5)).min(MAX_BACKOFF)
}

/// Shared through [`crate::api::ApiClient`]. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Connectivity {
    /// Bumped whenever failed reads should be tried again.
    tick: RwSignal<u32>,
    attempt: StoredValue<u32>,
    scheduled: StoredValue<bool>,
    online: RwSignal<bool>,
}

fn navigator_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

impl Connectivity {
    /// Starts following `online`/`offline` and `visibilitychange`.
    pub fn start() -> Self {
        let this = Self {
            tick: RwSignal::new(0),
            attempt: StoredValue::new(0),
            scheduled: StoredValue::new(false),
            online: RwSignal::new(navigator_online()),
        };
        let _ = window_event_listener(leptos::ev::online, move |_| {
            this.online.set(true);
            this.retry_now();
        });
        let _ = window_event_listener(leptos::ev::offline, move |_| this.online.set(false));
        let _ = window_event_listener(leptos::ev::visibilitychange, move |_| {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if visible {
                this.retry_now();
            }
        });
        this
    }

    /// Changes whenever failed reads should be retried (reactive).
    pub fn retries(&self) -> u32 {
        self.tick.get()
    }

    /// Whether the browser says it is online (reactive).
    pub fn is_online(&self) -> bool {
        self.online.get()
    }

    /// Asks for a retry now.
    pub fn retry_now(&self) {
        self.tick.update(|t| *t = t.wrapping_add(1));
    }

    /// A request failed for a temporary reason: schedule the next retry with backoff.
    pub fn failed(&self) {
        self.online.set(navigator_online());
        if self.scheduled.get_value() {
            return;
        }
        let attempt = self.attempt.get_value();
        self.attempt.set_value(attempt.saturating_add(1));
        self.scheduled.set_value(true);
        let this = *self;
        set_timeout(
            move || {
                this.scheduled.set_value(false);
                this.retry_now();
            },
            backoff(attempt),
        );
    }

    /// A request got through: the next failure starts the backoff again at 1 s.
    pub fn succeeded(&self) {
        self.attempt.set_value(0);
        if !self.online.get_untracked() {
            self.online.set(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn backoff_doubles_from_one_second_up_to_thirty() {
        let waits: Vec<u64> = (0..8).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}
