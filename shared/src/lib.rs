//! Wire types shared by the PWA (wasm32), the backend and the FusionAuth emulator (native): the
//! one definition of every body the project sends or reads.
//!
//! - [`fusionauth`]: FusionAuth's request and response bodies, webhook events and error codes,
//!   as its API documents them, in submodules by API (`login`, `jwt`, `events`, `errors`,
//!   `admin`), all re-exported at `shared::fusionauth::…`.
//! - [`store`]: the store API's bodies and its error body.
//! - [`headers`]: the header names the PWA and the backend use to move tokens.
//! - [`dpop`]: the fixed parts of a device-bound request's proof.
//!
//! Only serde (and serde_json) is used here, so every type compiles for both targets. A new
//! wire shape goes here first, with a serde test against the documented example; secrets
//! (passwords, tokens, codes, key secrets) never show in `Debug`.

/// `impl Debug` showing only the listed fields: the others (secrets: passwords, tokens, codes,
/// key secrets) are left out and shown as `..`. `debug_fields!(LoginRequest { login_id });`,
/// `debug_fields!(Borrowed<'_> {});` (no field shown).
#[macro_export]
macro_rules! debug_fields {
    ($type:ident $(<$lifetime:lifetime>)? { $($field:ident),* $(,)? }) => {
        impl ::std::fmt::Debug for $type $(<$lifetime>)? {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($type))
                    $(.field(stringify!($field), &self.$field))*
                    .finish_non_exhaustive()
            }
        }
    };
}

pub mod dpop;
pub mod fusionauth;
pub mod headers;
pub mod store;
