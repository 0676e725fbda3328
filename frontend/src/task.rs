//! A tiny replacement for Leptos' `Action`/`LocalResource` (which cost ~20 KB of wasm): run a
//! future on the current thread and keep its latest result and whether it is still running in
//! signals.

use std::future::Future;

use futures::future::LocalBoxFuture;
use leptos::prelude::*;

/// The latest outcome of an async job and whether one is running. Cheap to copy.
#[derive(Debug)]
pub struct Task<T: Send + Sync + 'static> {
    pending: RwSignal<bool>,
    value: RwSignal<Option<T>>,
}

impl<T: Send + Sync + 'static> Clone for Task<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Task<T> {}

impl<T: Send + Sync + 'static> Default for Task<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + Sync + 'static> Task<T> {
    pub fn new() -> Self {
        Self {
            pending: RwSignal::new(false),
            value: RwSignal::new(None),
        }
    }

    /// Runs `job`; its output replaces the previous one when it finishes.
    pub fn run(&self, job: impl Future<Output = T> + 'static) {
        // Boxed: the state machine below is compiled once per `T`, not once per job.
        self.run_boxed(Box::pin(job));
    }

    fn run_boxed(&self, job: LocalBoxFuture<'static, T>) {
        let this = *self;
        this.pending.set(true);
        leptos::task::spawn_local(async move {
            let value = job.await;
            // The page may be gone by now: then there is nobody to tell.
            let _ = this.value.try_set(Some(value));
            let _ = this.pending.try_set(false);
        });
    }

    /// Whether a job is running (reactive).
    pub fn pending(&self) -> bool {
        self.pending.get()
    }

    /// Whether a job is running, without subscribing.
    pub fn is_running(&self) -> bool {
        self.pending.get_untracked()
    }

    /// Reads the latest outcome (reactive).
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.value.with(|v| f(v.as_ref()))
    }

    /// Reads the latest outcome without subscribing.
    pub fn peek<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        self.value.with_untracked(|v| f(v.as_ref()))
    }

    /// Forgets the latest outcome.
    pub fn clear(&self) {
        self.value.set(None);
    }
}
