//! Wire types shared by the PWA (wasm32), the backend and the FusionAuth emulator (native): the
//! one definition of every body the project sends or reads.
//!
//! - [`fusionauth`]: FusionAuth's request and response bodies, webhook events and error codes,
//!   as its API documents them, one submodule per API (`login`, `jwt`, `user`, `keys`, `events`,
//!   `errors`, `admin`), all re-exported at `shared::fusionauth::…`.
//! - [`store`]: the store API's bodies and its error body.
//! - [`headers`]: the header names the PWA and the backend use to move tokens.
//!
//! Only serde (and serde_json) is used here, so every type compiles for both targets. A new
//! wire shape goes here first, with a serde test against the documented example; secrets
//! (passwords, tokens, codes, key secrets) never show in `Debug`.

pub mod fusionauth;
pub mod headers;
pub mod store;
