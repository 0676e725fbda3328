//! The store backend: products and carts behind FusionAuth-issued JWTs (the "mobile login"
//! workflow, steps 4–20), plus the built PWA so app and API share one origin.
//!
//! [`Application::build`] is the one entry point, used by `main.rs` and by the tests. The
//! modules form layers, each importing only from those below it (see the README, "Layout"):
//! foundation ([`settings`], `clock`, [`error`], [`store`], [`telemetry`], `rate_limit`) →
//! services ([`auth`], `login_proxy`, `hardening`) → `state` and `extractor` → HTTP (`routes`,
//! `startup`).

pub mod auth;
mod client_address;
mod clock;
mod device;
pub mod error;
mod extractor;
mod forwarded;
mod hardening;
mod login_proxy;
mod rate_limit;
mod routes;
pub mod settings;
mod startup;
mod state;
pub mod store;
pub mod telemetry;

pub use crate::auth::{AuthUser, CallerSession};
pub use crate::clock::Clock;
pub use crate::error::Error;
pub use crate::settings::Settings;
pub use crate::startup::{Application, configure};
pub use crate::state::AppState;
