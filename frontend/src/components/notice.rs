//! The non-blocking "can't reach the store" notice.

use leptos::prelude::*;

use crate::api::ApiClient;

/// Shown while the browser is offline.
pub const OFFLINE: &str = "You're offline. The store will catch up when you're back online.";

/// Tells the user the browser is offline or the store is unreachable (the session is kept);
/// disappears when back online, with the next successful request, or when dismissed.
#[component]
pub fn NetworkNotice() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let connectivity = api.connectivity();
    let message = Memo::new(move |_| {
        if connectivity.is_online() {
            api.notice()
        } else {
            Some(OFFLINE.to_owned())
        }
    });
    view! {
        <div id="network-notice" class="notice" role="status">
            {move || message.get().map(|text| view! {
                <p>{text}</p>
                <button
                    type="button"
                    class="button button-quiet"
                    on:click=move |_| api.dismiss_notice()
                >
                    "Dismiss"
                </button>
            })}
        </div>
    }
}
