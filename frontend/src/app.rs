//! The root component: provides the session, the API client and the cart badge count through
//! context, and owns the router.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::api::ApiClient;
use crate::components::{Header, NetworkNotice, NotFound, RequireSession};
use crate::pages::cart::CartPage;
use crate::pages::login::LoginPage;
use crate::pages::store::StorePage;
use crate::session::Session;

/// The number of items in the cart, shown in the header's badge; `None` until known.
#[derive(Clone, Copy, Debug)]
pub struct CartCount(pub RwSignal<Option<u32>>);

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let session = Session::restore();
    let api = ApiClient::new(session);
    provide_context(session);
    provide_context(api.clone());
    provide_context(CartCount(RwSignal::new(None)));

    // Learn where FusionAuth is before the user submits the form.
    leptos::task::spawn_local(async move {
        let _ = api.config().await;
    });
    // Another tab rotated the tokens or signed out: follow it at once.
    let _ = window_event_listener(leptos::ev::storage, move |_| session.sync_from_storage());
    // The app is on screen: drop the static loading indicator from index.html.
    Effect::new(|| {
        if let Some(boot) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("boot"))
        {
            boot.remove();
        }
    });

    view! {
        <Router>
            <Header />
            <NetworkNotice />
            <main id="main">
                <Routes fallback=|| {
                    view! {
                        <RequireSession>
                            <NotFound />
                        </RequireSession>
                    }
                }>
                    <Route path=path!("/login") view=LoginPage />
                    <Route
                        path=path!("/")
                        view=|| {
                            view! {
                                <RequireSession>
                                    <StorePage />
                                </RequireSession>
                            }
                        }
                    />
                    <Route
                        path=path!("/cart")
                        view=|| {
                            view! {
                                <RequireSession>
                                    <CartPage />
                                </RequireSession>
                            }
                        }
                    />
                </Routes>
            </main>
        </Router>
    }
}
