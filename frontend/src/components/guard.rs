//! The page for unknown addresses.

use leptos::prelude::*;

use crate::dom::set_page_title;
use crate::router::Page;

/// Any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    set_page_title("Page not found");
    view! {
        <section class="page narrow" aria-labelledby="not-found-title">
            <h1 id="not-found-title" tabindex="-1">"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="button button-secondary" href=Page::Store.path()>
                "Back to the store"
            </a>
        </section>
    }
}
