//! The top bar: brand, cart link with its badge, and logout.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiClient;
use crate::cart_count::CartCount;
use crate::format;
use crate::router::{Page, Router};
use crate::session::Session;
use crate::task::Task;

/// The cart icon (static markup: cheaper as one string than as typed view nodes).
const CART_ICON: &str = r#"<svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false"><path d="M3 4h2l2.4 10.2a1.5 1.5 0 0 0 1.5 1.2h8.3a1.5 1.5 0 0 0 1.5-1.1L20.5 8H6.2" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/><circle cx="9.5" cy="19.5" r="1.5" fill="currentColor"/><circle cx="17" cy="19.5" r="1.5" fill="currentColor"/></svg>"#;

/// The app's header. The cart link and logout button appear once signed in.
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<Session>();
    let api = expect_context::<ApiClient>();
    let CartCount(count, _) = expect_context::<CartCount>();
    let signed_in = Memo::new(move |_| session.is_signed_in());

    // Fill the badge once per session; forget it on logout.
    Effect::new({
        move |_| {
            if !signed_in.get() {
                count.set(None);
            } else if count.get_untracked().is_none() {
                spawn_local(async move {
                    if let Ok(cart) = api.cart().await {
                        // A cart change that answered first is newer: keep it.
                        count.update(|known| {
                            known.get_or_insert(cart.item_count);
                        });
                    }
                });
            }
        }
    });

    let router = expect_context::<Router>();
    let logout = Task::<()>::new();
    let run_logout = move || {
        logout.run(async move {
            api.logout().await;
            router.go(Page::Login, true);
        });
    };

    let on_cart = move || (router.page() == Page::Cart).then_some("page");
    let badge = move || count.get().filter(|n| *n > 0);
    let cart_label = move || match count.get() {
        Some(n) => format!("Cart, {}", format::items(n)),
        None => "Cart".to_owned(),
    };

    view! {
        <header class="topbar">
            <a class="brand" href=Page::Store.path()>
                <img src="/icon.svg" alt="" width="32" height="32" />
                <span class="brand-name">
                    <span class="brand-prefix">"FusionAuth "</span>
                    "Store"
                </span>
            </a>
            {move || signed_in.get().then(|| view! {
                <nav class="topbar-actions" aria-label="Account">
                    <a
                        id="nav-cart"
                        class="cart-link"
                        href=Page::Cart.path()
                        aria-label=cart_label
                        aria-current=on_cart
                    >
                        <span class="icon-slot" inner_html=CART_ICON></span>
                        <span class="cart-text">"Cart"</span>
                        <span id="cart-count" class="badge" hidden=move || badge().is_none()>
                            {move || badge().map(|n| n.to_string())}
                        </span>
                    </a>
                    <a id="nav-account" class="button button-quiet" href="/account">"Account"</a>
                    <button
                        id="logout"
                        type="button"
                        class="button button-quiet"
                        disabled=move || logout.pending()
                        on:click=move |_| run_logout()
                    >
                        "Log out"
                    </button>
                </nav>
            })}
        </header>
    }
}
