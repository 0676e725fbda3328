//! The one test harness of the workspace, used by the end-to-end tests (`tests/`), the backend's
//! API tests (`backend/tests/api/`) and `cargo xtask bench`:
//!
//! - always (std, anyhow and serde_json only, so `xtask` stays light): the project's
//!   [`KickstartFacts`], [`free_port`] and [`wait_for_port`], [`ScratchDir`], and the
//!   [`EventCounter`] — a webhook receiver that counts FusionAuth's events of one type (the honest
//!   count of refreshes FusionAuth performed, through its `jwt.refresh` event);
//! - with the `dpop` feature (part of `stack`): [`DeviceKey`], RFC 9449 proofs signed as the PWA
//!   signs them, for a backend in device-bound mode;
//! - with the default `stack` feature: [`Stack`], the real FusionAuth emulator (the project's
//!   Kickstart applied, test hooks on) and the real backend, in-process on free ports, with both
//!   clocks, FusionAuth administered through its own APIs, and optionally a [`Relay`] between
//!   backend and FusionAuth that can be switched off and counts refresh calls on the wire.

#[cfg(feature = "dpop")]
pub mod dpop;
mod events;
mod kickstart;
mod net;
#[cfg(feature = "stack")]
mod relay;
mod scratch;
#[cfg(feature = "stack")]
mod stack;

#[cfg(feature = "dpop")]
pub use crate::dpop::DeviceKey;
pub use crate::events::{EventCounter, REFRESH_EVENT, event_subscription, tenant_event};
pub use crate::kickstart::{KickstartFacts, with_passkeys, workspace_root};
pub use crate::net::{free_port, wait_for_port};
#[cfg(feature = "stack")]
pub use crate::relay::Relay;
pub use crate::scratch::ScratchDir;
#[cfg(feature = "stack")]
pub use crate::stack::{Stack, StackBuilder};
