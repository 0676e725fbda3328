//! "Signed-in devices" on the account page (issue #14): where the user is signed in, "Sign out"
//! for each other device, "Sign out of all other devices", and "Sign out everywhere" after a
//! confirmation. Ending this device's own session (everywhere) signs out here as well.
//!
//! Kept small for the first screen's WASM budget (issue #15): one state struct, the calls in
//! two non-generic functions, no per-row components.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::store::{ErrorCode, SignedInDevice};

use crate::api::{ApiClient, ApiFailure, SignOut};
use crate::format::local_time;
use crate::session::Session;

/// Which devices a sign-out is for.
enum Which {
    One(String),
    Others,
    Everywhere,
}

/// The section's state.
#[derive(Clone, Copy)]
struct Devices {
    api: ApiClient,
    session: Session,
    list: RwSignal<Option<Vec<SignedInDevice>>>,
    error: RwSignal<Option<String>>,
    status: RwSignal<Option<&'static str>>,
    pending: RwSignal<bool>,
    confirming: RwSignal<bool>,
}

impl Devices {
    /// Reads the list (again).
    #[inline(never)]
    fn load(self) {
        spawn_local(async move {
            match self.api.devices().await {
                Ok(list) => self.list.set(Some(list.devices)),
                Err(failure) => self.error.set(explain(&failure)),
            }
        });
    }

    /// One sign-out at a time; the list is read again afterwards.
    #[inline(never)]
    fn sign_out(self, which: Which) {
        if self.pending.get_untracked() {
            return;
        }
        self.pending.set(true);
        self.error.set(None);
        self.status.set(None);
        spawn_local(async move {
            let (target, done) = match &which {
                Which::One(id) => (SignOut::Device(id), "That device has been signed out."),
                Which::Others => (SignOut::Others, "Every other device has been signed out."),
                Which::Everywhere => (SignOut::Everywhere, ""),
            };
            let outcome = self.api.sign_out_devices(target).await;
            self.pending.set(false);
            self.confirming.set(false);
            match outcome {
                // Everywhere includes this device.
                Ok(()) if matches!(which, Which::Everywhere) => self.session.end(),
                Ok(()) => self.status.set(Some(done)),
                Err(failure) => self.error.set(explain(&failure)),
            }
            self.load();
        });
    }
}

/// What the section shows about a failed call (nothing once this session is over: the app is
/// on its way to the login form).
fn explain(failure: &ApiFailure) -> Option<String> {
    match failure {
        failure if failure.signs_out() => None,
        ApiFailure::Api { error, .. } if error.code == ErrorCode::NotFound => {
            Some("That device was already signed out.".to_owned())
        }
        failure => Some(failure.message()),
    }
}

/// "Store app (Chrome on Linux) (this device)", "Signed in …, last used …".
fn describe(device: &SignedInDevice) -> (String, String) {
    let mut label = device.device_label.clone();
    if device.this_device {
        label.push_str(" (this device)");
    }
    let mut when = format!("Signed in {}", local_time(device.created_at));
    if let Some(at) = device.last_used_at {
        when.push_str(", last used ");
        when.push_str(&local_time(at));
    }
    (label, when)
}

#[component]
pub fn SignedInDevices() -> impl IntoView {
    let state = Devices {
        api: expect_context::<ApiClient>(),
        session: expect_context::<Session>(),
        list: RwSignal::new(None),
        error: RwSignal::new(None),
        status: RwSignal::new(None),
        pending: RwSignal::new(false),
        confirming: RwSignal::new(false),
    };
    state.load();
    let pending = move || state.pending.get();
    let rows = move || {
        state.list.get().map(|list| {
            list.into_iter()
                .map(|device| {
                    let (label, when) = describe(&device);
                    let other = (!device.this_device).then_some(device.id.clone());
                    view! {
                        <li class="device" data-id=device.id>
                            {label}<br /><small>{when}</small>
                            {other.map(|id| view! {
                                " "
                                <button type="button" class="button button-quiet device-sign-out" disabled=pending
                                    on:click=move |_| state.sign_out(Which::One(id.clone()))>"Sign out"</button>
                            })}
                        </li>
                    }
                })
                .collect_view()
        })
    };
    view! {
        <section id="devices" aria-labelledby="devices-title">
            <h2 id="devices-title">"Signed-in devices"</h2>
            <ul id="devices-list" class="card">{rows}</ul>
            <p id="devices-error" class="form-error" role="alert">{move || state.error.get()}</p>
            <p id="devices-status" role="status">{move || state.status.get()}</p>
            <p>
                <button id="devices-sign-out-others" type="button" class="button button-secondary" disabled=pending
                    on:click=move |_| state.sign_out(Which::Others)>"Sign out of all other devices"</button>
                " "
                <button id="devices-sign-out-everywhere" type="button" class="button button-quiet" disabled=pending
                    on:click=move |_| state.confirming.set(true)>"Sign out everywhere"</button>
            </p>
            {move || state.confirming.get().then(|| view! {
                <p>
                    <span id="devices-everywhere-question" role="alert">"Sign out of every device, this one too?"</span>
                    " "
                    <button id="devices-everywhere-confirm" type="button" class="button button-primary" disabled=pending
                        on:click=move |_| state.sign_out(Which::Everywhere)>"Yes, sign out everywhere"</button>
                    " "
                    <button id="devices-everywhere-cancel" type="button" class="button button-quiet"
                        on:click=move |_| state.confirming.set(false)>"Cancel"</button>
                </p>
            })}
        </section>
    }
}
