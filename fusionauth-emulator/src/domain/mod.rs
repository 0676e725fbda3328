//! What FusionAuth does, apart from how it is called: issuing tokens and sessions, revoking
//! them, the failed-login lockout, and webhook events. Handlers in [`crate::routes`] call these;
//! these call [`crate::store`] and never look at an HTTP request.

pub mod events;
pub mod lockout;
pub mod revocation;
pub mod tokens;
