//! FusionAuth's wire shapes, as documented at <https://fusionauth.io/docs/apis/>: the one
//! definition the PWA, the backend and the emulator share (see the contract,
//! `/work/shared/fusionauth-contract.md`).
//!
//! Field names are FusionAuth's (camelCase). Instants are epoch milliseconds; JWT claims are
//! epoch seconds. Optional fields are left out when absent, as FusionAuth does, and unknown
//! fields are ignored on input (or, on the open objects — users, registrations, claims — kept
//! in `other`) so newer FusionAuth versions keep working. Secrets (passwords, tokens, codes,
//! key secrets) never appear in `Debug` output.
//!
//! | module | API |
//! |---|---|
//! | [`login`] | `POST /api/login` (every status's body), `/api/two-factor/login`, `/api/logout`; the User and UserRegistration objects, the User and Registration APIs' answers |
//! | [`jwt`] | `/api/jwt/refresh` (refresh, revoke, retrieve), `/api/jwt/validate`, `/api/jwt/public-key`, claims; `/.well-known/jwks.json`, the OpenID configuration, the Key API |
//! | [`events`] | webhook events (`{"event": …}`) |
//! | [`errors`] | the error body and its codes `[rule]path` |
//! | [`account`] | `/api/user/forgot-password`, `/api/user/change-password`, `/api/user/verify-email` |
//! | [`admin`] | the configuration APIs' answers, `corsConfiguration` |
//! | [`webauthn`] | `/api/webauthn/…` (passkeys) |
//!
//! Everything is also re-exported here: `shared::fusionauth::LoginRequest`.

pub mod account;
pub mod admin;
pub mod errors;
pub mod events;
pub mod jwt;
pub mod login;
pub mod webauthn;

pub use account::*;
pub use admin::*;
pub use errors::*;
pub use events::*;
pub use jwt::*;
pub use login::*;
pub use webauthn::*;

#[cfg(test)]
mod tests;
