//! Wire types shared by the PWA (wasm32), the backend and the FusionAuth emulator (native).
//!
//! - [`fusionauth`]: FusionAuth's own request and response bodies, as its API documents them.
//! - [`store`]: the store API's bodies and its error body.
//! - [`headers`]: the header names the PWA and the backend use to move tokens.
//! - [`dpop`]: the fixed parts of a device-bound request's proof.
//!
//! Only serde is used here, so every type compiles for both targets.

pub mod dpop;
pub mod fusionauth;
pub mod headers;
pub mod store;
