//! The typed client: one `async fn` per endpoint, taking and returning `shared` types, on one
//! [`ApiClient`] shared through context. By concern:
//!
//! | module | what |
//! |---|---|
//! | `client` | [`ApiClient`]: what every call shares (session, the deployment's `AppConfig`, the notice, retries) |
//! | `store` | the store API (`/api/products`, `/api/cart…`): same origin, the JWT and, when it is (nearly) expired, the refresh token; rotated tokens stored first (workflow steps 4–13) |
//! | `fusionauth` | FusionAuth's Login, Two-factor and Logout APIs, cross-origin, without API key or cookies (steps 2–3); what each answer means ([`LoginStep`], [`LoginFailure`]) |
//! | `bound` | device-bound calls (`required` mode): `Authorization: DPoP` + a proof of the device key, the latest `DPoP-Nonce` and one retry for a new one; the sign-in hand-off and logout (`/api/session`) |
//! | `account` | sign-up and forgot-password (backend); a new password by `changePasswordId` and its one-time sign-in, email verification and "resend" (FusionAuth, no key) |
//! | `passkeys` | passkeys: the starts through the backend (it holds the API key), the browser's prompt, FusionAuth's register/complete and WebAuthn login (ending as a password login does); the account's list and removal |
//! | `device` | the `metaData.device` a login describes this browser with |
//! | `devices` | the signed-in devices (`/api/account/sessions`): list, sign one, the others or all out |
//! | `call` | plumbing: request timeouts, store errors decoded into [`ApiFailure`] |
//!
//! The modules import each other one way (`client` ← `fusionauth` ← `bound`, `client` ←
//! `store` ← `devices`; the `ApiClient` methods they add are called across them); this file only
//! re-exports.

mod account;
mod bound;
mod call;
mod client;
mod device;
mod devices;
mod fusionauth;
mod passkeys;
mod store;

pub use self::account::{PasswordChanged, read_failure};
pub use self::bound::{SESSION_PATH, asks_for_nonce};
pub use self::call::{ApiFailure, UNREACHABLE_STORE};
pub use self::client::{APP_CONFIG_PATH, ApiClient};
pub use self::device::describe_device;
pub use self::devices::SignOut;
pub use self::fusionauth::{LoginFailure, LoginStep, UNREACHABLE_SIGN_IN, read_login_answer};
pub use self::passkeys::PasskeyFailure;
