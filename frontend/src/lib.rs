//! The store PWA: a Leptos client-side app with a native login form that posts the user's
//! credentials straight to FusionAuth's Login API, then shows products and a cart served by the
//! store backend with the JWT (the "Mobile login" workflow).
//!
//! main → [`App`] ([`router`], contexts) → [`pages`] → [`components`]; [`api`] is the typed client,
//! [`session`] keeps the tokens, [`wire`] reads and writes the bodies with [`json`]. Every module
//! imports only from the ones below it in that chain (no import circles).

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
