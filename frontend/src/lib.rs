//! The store PWA: a Leptos client-side app with a native login form that posts the user's
//! credentials straight to FusionAuth's Login API, then shows products and a cart served by the
//! store backend with the JWT (the "Mobile login" workflow).
//!
//! main → [`App`] ([`router`], contexts) → [`pages`] → [`components`]; [`api`] is the typed client,
//! [`session`] keeps the tokens, [`wire`] reads and writes the bodies with [`json`]. Every module
//! imports only from the ones below it in that chain (no import circles).

/// `later! { [async] fn name(args) -> T { body } }`: an `async fn name(args) -> T` whose code is split
/// off the release build's first download (feature `split`: Leptos' `#[lazy]`, a wasm chunk
/// fetched on the first call) or, without the feature, just runs. Arguments and result must be
/// concrete types (no generics, no `impl`). See frontend/README.md, "Loaded later".
macro_rules! later {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[leptos::lazy]
        $vis fn $name($($arg: $ty),*) -> $out $body

        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> $out $body
    };
    ($(#[$attr:meta])* $vis:vis async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[leptos::lazy]
        $vis async fn $name($($arg: $ty),*) -> $out $body

        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> $out $body
    };
}

pub mod api;
pub mod app;
pub mod cart_count;
pub mod components;
pub mod connectivity;
pub mod device;
pub mod dom;
pub mod format;
pub mod http;
pub mod idb;
pub mod json;
pub mod jwt;
pub mod locks;
pub mod pages;
pub mod passkeys;
pub mod refresh;
pub mod router;
pub mod session;
pub mod shell;
pub mod task;
pub mod wire;

pub use app::App;
