//! The root component: provides the router, the session, the API client and the cart badge
//! count through context, and picks the page to show.

use leptos::either::EitherOf5;
use leptos::prelude::*;

use crate::api::ApiClient;
use crate::cart_count::CartCount;
use crate::components::{Header, NetworkNotice, NotFound, PasskeyOffer};
use crate::pages::later::LaterPage;
use crate::pages::login::LoginPage;
use crate::pages::store::StorePage;
use crate::router::{Page, Router};
use crate::session::Session;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let router = Router::start();
    let session = Session::restore();
    let api = ApiClient::new(session);
    provide_context(router);
    provide_context(session);
    provide_context(api);
    provide_context(CartCount(RwSignal::new(None), RwSignal::new(0)));

    // Learn where FusionAuth is before the user submits the form.
    leptos::task::spawn_local(async move {
        let _ = api.config().await;
    });
    // Signed-out users go to the login page; signed-in users never see it.
    let signed_in = Memo::new(move |_| session.is_signed_in());
    let shown = Memo::new(move |_| {
        let page = router.page();
        if !session.is_ready() {
            return None;
        }
        Some(match (page, signed_in.get()) {
            (page, true) if page.signed_out_only() => Page::Store,
            (page, false) if page.needs_session() => Page::Login,
            (page, _) => page,
        })
    });
    // One effect for every screen change (one instance is cheaper than three):
    Effect::new(move |previous: Option<Option<Page>>| {
        let current = shown.get();
        let page = current?;
        // The stored session has been read and the first screen is rendered: it takes over
        // from index.html's shell.
        if previous.flatten().is_none() {
            crate::shell::take_over(page);
        }
        // Keep the address bar in step with a redirect.
        if page != router.page() && page != Page::NotFound {
            router.go(page, true);
        }
        // A new screen: move focus to its heading (not on the first one, which the user just
        // opened).
        if previous.flatten().is_some_and(|p| p != page) {
            crate::dom::focus_later("main h1");
        }
        current
    });

    // index.html's next start shows the store's frame or the sign-in form from this.
    Effect::new(move |_| {
        if session.is_ready() {
            crate::shell::remember_signed_in(signed_in.get());
        }
    });

    // Whether a screen was shown before (a page loaded later then takes the focus itself).
    let seen = StoredValue::new(false);
    view! {
        <Header />
        <NetworkNotice />
        <PasskeyOffer />
        <main id="main">
            {move || {
                let (page, focus) = (shown.get(), seen.get_value());
                seen.set_value(page.is_some());
                match page {
                    None => EitherOf5::A(()),
                    Some(Page::Login) => EitherOf5::B(view! { <LoginPage /> }),
                    Some(Page::Store) => EitherOf5::C(view! { <StorePage /> }),
                    Some(Page::NotFound) => EitherOf5::D(view! { <NotFound /> }),
                    Some(page) => EitherOf5::E(view! { <LaterPage page focus /> }),
                }
            }}
        </main>
    }
}
