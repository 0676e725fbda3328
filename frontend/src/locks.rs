//! Cross-tab mutual exclusion with the Web Locks API (`navigator.locks.request`), through
//! `Reflect` because web-sys only exposes it behind `web_sys_unstable_apis`.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Function, Object, Promise, Reflect};

/// Holds a Web Lock; dropping it releases the lock.
#[derive(Debug)]
pub struct LockGuard {
    release: Function,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.release.call0(&JsValue::UNDEFINED);
    }
}

/// Takes the exclusive lock `name`, waiting at most `wait_ms`. `None` when the browser has no
/// Web Locks or the wait ran out: the caller goes ahead without the lock (the fallback).
pub async fn acquire(name: &str, wait_ms: u32) -> Option<LockGuard> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks"))
        .ok()
        .filter(|l| l.is_object())?;
    let request: Function = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into()
        .ok()?;

    // `held` stays pending while we hold the lock; the guard resolves it. Made first, so that
    // however this function ends (even when its future is dropped) the lock is given back.
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let guard = LockGuard { release: release? };
    let mut settle = None;
    let granted = Promise::new(&mut |resolve, reject| settle = Some((resolve, reject)));
    let (on_granted, on_refused) = settle?;

    let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
        let _ = on_granted.call0(&JsValue::UNDEFINED);
        held.into()
    });
    let options = Object::new();
    let signal = web_sys::AbortSignal::timeout_with_u32(wait_ms);
    Reflect::set(&options, &JsValue::from_str("signal"), &signal).ok()?;
    let outcome: Promise = request
        .call3(&locks, &JsValue::from_str(name), &options, &callback)
        .ok()?
        .dyn_into()
        .ok()?;
    // A refused request (timed out) rejects `granted` too.
    let catch: Function = Reflect::get(&outcome, &JsValue::from_str("catch"))
        .ok()?
        .dyn_into()
        .ok()?;
    catch.call1(&outcome, &on_refused).ok()?;

    JsFuture::from(granted).await.ok().map(|_| guard)
}
