//! What FusionAuth does, apart from how it is called: logins, issuing sessions (JWT and refresh
//! token), revoking them, passwords and emails, the failed-login lockout, second factors, webhook events, and the
//! FusionAuth objects shown for stored rows. Handlers in [`crate::routes`] call these; these
//! call [`crate::store`] and never look at an HTTP request.

pub mod email;
pub mod events;
pub mod lockout;
pub mod login;
pub mod passwords;
pub mod revocation;
pub mod session;
pub mod tokens;
pub mod two_factor;
pub mod users;
pub mod verification;
pub mod webauthn;
