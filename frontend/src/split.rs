//! Code loaded later (the `later!` macro, frontend/README.md "Loaded later"): what a screen
//! shows while its code is on its way, and when it cannot be fetched.

use std::future::Future;
use std::pin::Pin;

use leptos::either::Either;
use leptos::prelude::*;

/// The code of something loaded later could not be fetched (offline before the service worker
/// had cached it, or the server unreachable). A later call tries again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unloaded;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for Unloaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        Self
    }
}

/// The view `load` builds once its code is there (nothing before); if it cannot be fetched, a
/// message with "Try again". `focus` (a selector) takes the focus once the view is shown.
pub fn later_view<Fut>(
    load: impl Fn() -> Fut + Send + Sync + 'static,
    focus: Option<&'static str>,
) -> impl IntoView
where
    Fut: Future<Output = Result<AnyView, Unloaded>> + Send + 'static,
{
    // One instance of the view below for every caller.
    later_view_boxed(Box::new(move || Box::pin(load())), focus)
}

type Loading = Pin<Box<dyn Future<Output = Result<AnyView, Unloaded>> + Send>>;

fn later_view_boxed(
    load: Box<dyn Fn() -> Loading + Send + Sync>,
    focus: Option<&'static str>,
) -> impl IntoView {
    let retry = RwSignal::new(());
    move || {
        retry.track();
        let loading = load();
        Suspend::new(async move {
            match loading.await {
                Ok(view) => {
                    if let Some(selector) = focus {
                        crate::dom::focus_later(selector);
                    }
                    Either::Left(view)
                }
                Err(Unloaded) => Either::Right(view! {
                    <div class="load-error" role="alert">
                        <p>"This part of the store couldn't be loaded. Check your connection and try again."</p>
                        <button type="button" class="button button-secondary retry" on:click=move |_| retry.set(())>
                            "Try again"
                        </button>
                    </div>
                }),
            }
        })
    }
}
