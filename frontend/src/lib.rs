//! The store PWA: a Leptos client-side app with a native login form that posts the user's
//! credentials straight to FusionAuth's Login API, then shows products and a cart served by the
//! store backend with the JWT (the "Mobile login" workflow).
//!
//! main → [`App`] ([`router`], contexts) → [`pages`] → [`components`]; [`api`] is the typed client,
//! [`session`] keeps the tokens, [`wire`] reads and writes the bodies with [`json`]. Every module
//! imports only from the ones below it in that chain (no import circles).

/// `later! { [async] fn name(args) -> T { body } }`: an `async fn name(args) -> Result<T,
/// split::Unloaded>` whose code is split off the release build's first download (feature
/// `split`: a wasm chunk fetched on the first call; `Err` when it cannot be fetched) or, without
/// the feature, just runs. Arguments and result must be concrete types (no generics, no
/// `impl`). See [`split`] and frontend/README.md, "Loaded later".
macro_rules! later {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block) => {
        $(#[$attr])*
        #[cfg(feature = "split")]
        #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
        $vis fn $name($($arg: $ty),*) -> Result<$out, $crate::split::Unloaded> {
            Ok($body)
        }

        $(#[$attr])*
        #[cfg(not(feature = "split"))]
        $vis async fn $name($($arg: $ty),*) -> Result<$out, $crate::split::Unloaded> {
            Ok($body)
        }
    };
    ($(#[$attr:meta])* $vis:vis async fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block) => {
        $(#[$attr])*
        $vis async fn $name($($arg: $ty),*) -> Result<$out, $crate::split::Unloaded> {
            // A split function cannot be async: it hands out its future instead.
            #[cfg(feature = "split")]
            #[leptos::wasm_split::wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible)]
            fn start(
                $($arg: $ty),*
            ) -> Result<futures::future::LocalBoxFuture<'static, $out>, $crate::split::Unloaded> {
                Ok(Box::pin(async move $body))
            }
            #[cfg(not(feature = "split"))]
            async fn start(
                $($arg: $ty),*
            ) -> Result<futures::future::LocalBoxFuture<'static, $out>, $crate::split::Unloaded> {
                Ok(Box::pin(async move $body))
            }
            Ok(start($($arg),*).await?.await)
        }
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
pub mod split;
pub mod task;
pub mod wire;

pub use app::App;
