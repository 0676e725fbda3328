//! The non-blocking "can't reach the store" notice.

use leptos::prelude::*;

use crate::api::ApiClient;

/// Tells the user the store is unreachable (the session is kept); disappears with the next
/// successful request or when dismissed.
#[component]
pub fn NetworkNotice() -> impl IntoView {
    let api = expect_context::<ApiClient>();
    let message = { Memo::new(move |_| api.notice()) };
    view! {
        <div id="network-notice" class="notice" role="status">
            <Show when=move || message.with(Option::is_some)>
                <p>{move || message.get()}</p>
                <button
                    type="button"
                    class="button button-quiet"
                    on:click={
                        move |_| api.dismiss_notice()
                    }
                >
                    "Dismiss"
                </button>
            </Show>
        </div>
    }
}
