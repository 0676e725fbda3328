//! Pages that need a session.

use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::pages::Page;
use crate::session::Session;

/// Shows its children to a signed-in user and sends everyone else to the login page.
#[component]
pub fn RequireSession(children: ChildrenFn) -> impl IntoView {
    let session = expect_context::<Session>();
    let signed_in = Memo::new(move |_| session.is_signed_in());
    view! {
        <Show
            when=move || signed_in.get()
            fallback=|| view! { <Redirect path=Page::Login.path() /> }
        >
            {children()}
        </Show>
    }
}

/// Any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    super::set_page_title("Page not found");
    view! {
        <section class="page narrow" aria-labelledby="not-found-title">
            <h1 id="not-found-title">"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <a class="button button-secondary" href=Page::Store.path()>
                "Back to the store"
            </a>
        </section>
    }
}
