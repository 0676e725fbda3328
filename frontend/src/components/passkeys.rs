//! The passkey pieces of the pages: the one-time offer after a password sign-in
//! ([`PasskeyOffer`]), the sign-in button for the login id whose passkey is on this device
//! ([`PasskeySignIn`], first after a session ended: "Welcome back — confirm it's you"), and the
//! account's list with removal ([`PasskeysSection`]). The password path is never hidden.

use leptos::prelude::*;
use shared::store::{Passkey, PasskeyList};

use crate::api::{ApiClient, ApiFailure, PasskeyFailure};
use crate::format::local_time;
use crate::passkeys;
use crate::session::Session;
use crate::split::later_view;
use crate::task::Task;

/// "Use a passkey next time", once per user and device, after a password sign-in on a device
/// with a platform authenticator; "Not now" is remembered like a yes. The card (and the
/// ceremony behind its button) is loaded later, when it is due (see `pages::later`).
#[component]
pub fn PasskeyOffer() -> impl IntoView {
    let (api, session) = (expect_context::<ApiClient>(), expect_context::<Session>());
    // The email the offer is for, once it is due.
    let offer = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        // Subscribes first: `current` does not.
        let signed_in = session.is_signed_in();
        let email = session.current().and_then(|s| s.email);
        let Some(email) = email.filter(|_| signed_in) else {
            offer.set(None);
            return;
        };
        if !passkeys::take_offer() || passkeys::was_offered(&email) {
            return;
        }
        leptos::task::spawn_local(async move {
            if passkeys::has_platform_authenticator().await {
                let _ = offer.try_set(Some(email));
            }
        });
    });
    move || {
        offer
            .with(Option::is_some)
            .then(|| later_view(move || offer_card(api, offer), None))
    }
}

later! {
    /// The offer's card, for `offer`'s email.
    fn offer_card(api: ApiClient, offer: RwSignal<Option<String>>) -> AnyView {
        // `Some(Ok)`: added; `Some(Err)`: why not.
        let outcome = RwSignal::new(None::<Result<(), PasskeyFailure>>);
        let pending = RwSignal::new(false);
        let accept = move |_| {
            if pending.get_untracked() {
                return;
            }
            pending.set(true);
            leptos::task::spawn_local(async move {
                let added = api.add_passkey().await;
                let _ = outcome.try_set(Some(added));
                let _ = pending.try_set(false);
            });
        };
        let close = move |_| {
            if let Some(email) = offer.get_untracked() {
                passkeys::offer_done(&email);
            }
            offer.set(None);
        };
        let added = move || outcome.with(|o| matches!(o, Some(Ok(()))));
        view! {
            <aside id="passkey-offer" class="card notice-inline" aria-labelledby="passkey-offer-title">
                <h2 id="passkey-offer-title">"Use a passkey next time"</h2>
                <p id="passkey-offer-text" role="status">
                    {move || if added() {
                        "Passkey added. Next time, sign in with it."
                    } else {
                        "Sign in with your fingerprint, face or screen lock instead of typing your password."
                    }}
                </p>
                <p id="passkey-offer-error" class="form-error" role="alert">
                    {move || outcome.with(|o| match o {
                        Some(Err(failure)) => failure.message(),
                        _ => "",
                    })}
                </p>
                <button
                    id="passkey-offer-accept"
                    type="button"
                    class="button button-primary"
                    hidden=added
                    disabled=move || pending.get()
                    on:click=accept
                >
                    "Use a passkey"
                </button>
                <button id="passkey-offer-dismiss" type="button" class="button button-quiet" on:click=close>
                    {move || if added() { "Close" } else { "Not now" }}
                </button>
            </aside>
        }
        .into_any()
    }
}

/// "Sign in with a passkey" for the login id whose passkey is on this device; after a session
/// ended (the login page's notice) it comes first: "Welcome back — confirm it's you".
/// `sign_in` runs the passkey login for that login id through the page's own sign-in flow.
#[component]
pub fn PasskeySignIn(
    session: Session,
    pending: RwSignal<bool>,
    sign_in: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let login_id = passkeys::remembered_login_id().filter(|_| passkeys::supported())?;
    let ended = move || session.notice().is_some();
    let text = format!("Use this device's passkey for {login_id}, or your password below.");
    let id = StoredValue::new(login_id);
    Some(view! {
        <div id="passkey-welcome" class=move || if ended() { "card form" } else { "passkey-row" }>
            <h2 hidden=move || !ended()>"Welcome back — confirm it's you"</h2>
            <p hidden=move || !ended()>{text}</p>
            <button
                id="passkey-sign-in"
                type="button"
                class=move || if ended() { "button button-primary" } else { "button button-secondary" }
                disabled=move || pending.get()
                on:click=move |_| sign_in(id.get_value())
            >
                "Sign in with a passkey"
            </button>
        </div>
    })
}

/// The account's "Passkeys" section: each passkey's name, when it was added and last used, and
/// a button to remove it (through the backend, which holds the API key).
#[component]
pub fn PasskeysSection() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let list = Task::<Result<PasskeyList, ApiFailure>>::new();
    // What the last removal or addition did.
    let status = RwSignal::new(None::<String>);
    let load = move || list.run(async move { api.passkeys().await });
    load();
    let remove = move |id: String| {
        status.set(None);
        leptos::task::spawn_local(async move {
            let outcome = api.remove_passkey(&id).await;
            let _ = status.try_set(Some(match outcome {
                Ok(()) => "Passkey removed.".to_owned(),
                Err(ApiFailure::Api { status: 404, .. }) => {
                    "This passkey was already removed.".to_owned()
                }
                Err(failure) => failure.message(),
            }));
            load();
        });
    };
    let adding = RwSignal::new(false);
    let add = move |_| {
        if adding.get_untracked() {
            return;
        }
        adding.set(true);
        status.set(None);
        leptos::task::spawn_local(async move {
            let outcome = api.add_passkey().await;
            let _ = status.try_set(Some(match outcome {
                Ok(()) => "Passkey added. Next time, sign in with it.".to_owned(),
                Err(failure) => failure.message().to_owned(),
            }));
            let _ = adding.try_set(false);
            load();
        });
    };
    view! {
        <h2 id="passkeys-title">"Passkeys"</h2>
        <section id="passkeys" class="card" aria-labelledby="passkeys-title">
            <p id="passkey-status" role="status">{move || status.get()}</p>
            <p id="passkeys-note">
                {move || list.with(|l| match l {
                    Some(Ok(l)) if l.passkeys.is_empty() => {
                        "No passkeys yet. You sign in with your password.".to_owned()
                    }
                    Some(Err(failure)) => failure.message(),
                    _ => String::new(),
                })}
            </p>
            <button
                id="add-passkey"
                type="button"
                class="button button-secondary"
                hidden=!passkeys::supported()
                disabled=move || adding.get()
                on:click=add
            >
                "Add a passkey on this device"
            </button>
            <ul id="passkey-list">
                {move || {
                    list.with(|l| match l {
                        Some(Ok(l)) => l.passkeys.clone(),
                        _ => Vec::new(),
                    })
                    .into_iter()
                    .map(|passkey| view! { <PasskeyItem passkey remove /> })
                    .collect_view()
                }}
            </ul>
        </section>
    }
}

#[component]
fn PasskeyItem(passkey: Passkey, remove: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let id = StoredValue::new(passkey.id.clone());
    view! {
        <li class="passkey" data-passkey-id=passkey.id.clone()>
            <strong>{passkey.display_name.clone()}</strong>
            <span>{format!("Added {}", local_time(passkey.created_at))}</span>
            <span>{format!("Last used {}", local_time(passkey.last_used_at))}</span>
            <button
                type="button"
                class="button button-quiet remove-passkey"
                aria-label=format!("Remove passkey {}", passkey.display_name)
                on:click=move |_| remove(id.get_value())
            >
                "Remove"
            </button>
        </li>
    }
}
