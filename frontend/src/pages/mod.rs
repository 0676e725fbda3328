//! One module per route; [`Page`] names them for both the router and links.

pub mod cart;
pub mod login;
pub mod store;

/// The app's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/login`: the native login form (workflow steps 1–3).
    Login,
    /// `/`: the product list.
    Store,
    /// `/cart`: the shopping cart (workflow steps 4–13).
    Cart,
}

impl Page {
    /// The page's path, for links and redirects.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Login => "/login",
            Self::Store => "/",
            Self::Cart => "/cart",
        }
    }
}
