//! A read that failed, with a way to try again.

use leptos::prelude::*;

use crate::api::ApiFailure;

/// Explains why something could not be loaded and offers to retry. Renders nothing when the
/// session is over: the app is already on its way to the login page.
#[component]
pub fn LoadError(failure: ApiFailure, #[prop(into)] on_retry: Callback<()>) -> impl IntoView {
    let session_over = matches!(failure, ApiFailure::SignedOut)
        || matches!(&failure, ApiFailure::Api { status: 401, .. });
    // The page-wide notice already explains an unreachable store.
    let message = if failure.is_temporary() {
        "This couldn't be loaded right now.".to_owned()
    } else {
        failure.message()
    };
    (!session_over).then(|| {
        view! {
            <div class="load-error" role="alert">
                <p>{message}</p>
                <button type="button" class="button button-secondary retry" on:click=move |_| on_retry.run(())>
                    "Try again"
                </button>
            </div>
        }
    })
}
