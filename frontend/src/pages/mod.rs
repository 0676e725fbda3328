//! One module per page (named by [`crate::router::Page`] for the router and links).

pub mod account;
pub mod cart;
pub mod later;
pub mod login;
pub mod store;

/// What a cart change the backend refused (and the app has undone) says to the user.
pub(crate) fn not_saved(failure: crate::api::ApiFailure) -> String {
    format!("Your change didn't go through. {}", failure.message())
}
