//! "Signed-in devices" on the account page (issue #14): where the user is signed in, "Sign out"
//! for each other device, "Sign out of all other devices", and "Sign out everywhere" after a
//! confirmation. Ending this device's own session (everywhere) signs out here as well.

use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::store::{ErrorCode, SignedInDevice};

use crate::api::{ApiClient, ApiFailure};
use crate::format::local_time;
use crate::session::Session;

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

#[component]
pub fn SignedInDevices() -> impl IntoView {
    let (api, session) = (expect_context::<ApiClient>(), expect_context::<Session>());
    let devices = RwSignal::new(None::<Vec<SignedInDevice>>);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(None::<&'static str>);
    let pending = RwSignal::new(false);
    let confirming = RwSignal::new(false);

    let load = move || {
        spawn_local(async move {
            match api.devices().await {
                Ok(list) => devices.set(Some(list.devices)),
                Err(failure) => error.set(explain(&failure)),
            }
        });
    };
    load();

    // One sign-out at a time; the list is read again afterwards.
    let sign_out = move |keep_this: Option<bool>, id: Option<String>, done: &'static str| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        status.set(None);
        spawn_local(async move {
            let outcome = match (&id, keep_this) {
                (Some(id), _) => api.sign_out_device(id).await,
                (None, keep_this) => api.sign_out_devices(keep_this.unwrap_or(false)).await,
            };
            pending.set(false);
            confirming.set(false);
            match outcome {
                // Everywhere includes this device.
                Ok(()) if keep_this == Some(false) => session.end(),
                Ok(()) => {
                    status.set(Some(done));
                    load();
                }
                Err(failure) => {
                    error.set(explain(&failure));
                    load();
                }
            }
        });
    };

    let row = move |device: SignedInDevice| {
        let id = device.id.clone();
        let last_used = device
            .last_used_at
            .map(|at| format!(", last used {}", local_time(at)))
            .unwrap_or_default();
        view! {
            <li class="device" data-id=device.id.clone() data-this-device=device.this_device.to_string()>
                <strong>{device.device_label.clone()}</strong>
                {device.this_device.then_some(" (this device)")}
                <br />
                <small>{format!("Signed in {}{last_used}", local_time(device.created_at))}</small>
                {(!device.this_device).then(|| view! {
                    " "
                    <button type="button" class="button button-quiet device-sign-out"
                        disabled=move || pending.get()
                        on:click=move |_| sign_out(None, Some(id.clone()), "That device has been signed out.")>
                        "Sign out"
                    </button>
                })}
            </li>
        }
    };

    view! {
        <section id="devices" aria-labelledby="devices-title">
            <h2 id="devices-title">"Signed-in devices"</h2>
            <ul id="devices-list" class="card">
                {move || match devices.get() {
                    None => view! { <li>"Loading…"</li> }.into_any(),
                    Some(list) => list.into_iter().map(row).collect_view().into_any(),
                }}
            </ul>
            <p id="devices-error" class="form-error" role="alert">{move || error.get()}</p>
            <p id="devices-status" role="status">{move || status.get()}</p>
            <p>
                <button id="devices-sign-out-others" type="button" class="button button-secondary"
                    disabled=move || pending.get()
                    on:click=move |_| sign_out(Some(true), None, "Every other device has been signed out.")>
                    "Sign out of all other devices"
                </button>
                " "
                <button id="devices-sign-out-everywhere" type="button" class="button button-quiet"
                    disabled=move || pending.get() on:click=move |_| confirming.set(true)>
                    "Sign out everywhere"
                </button>
            </p>
            <Show when=move || confirming.get()>
                <p id="devices-everywhere-question" role="alert">
                    "Sign out of every device, this one too?"
                </p>
                <p>
                    <button id="devices-everywhere-confirm" type="button" class="button button-primary"
                        disabled=move || pending.get()
                        on:click=move |_| sign_out(Some(false), None, "")>
                        "Yes, sign out everywhere"
                    </button>
                    " "
                    <button id="devices-everywhere-cancel" type="button" class="button button-quiet"
                        on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </p>
            </Show>
        </section>
    }
}
