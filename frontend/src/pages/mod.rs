//! One module per page; [`Page`] names them for both the router and links.

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
    /// Any other path.
    NotFound,
}

impl Page {
    /// The page's path, for links and redirects.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Login => "/login",
            Self::Store => "/",
            Self::Cart => "/cart",
            Self::NotFound => "/404",
        }
    }

    /// The page a path shows (a trailing slash is ignored).
    pub fn from_path(path: &str) -> Self {
        match path.trim_end_matches('/') {
            "" => Self::Store,
            "/login" => Self::Login,
            "/cart" => Self::Cart,
            _ => Self::NotFound,
        }
    }

    /// Whether the page needs a signed-in user.
    pub const fn needs_session(self) -> bool {
        !matches!(self, Self::Login)
    }
}

/// What a cart change the backend refused (and the app has undone) says to the user.
pub(crate) fn not_saved(failure: crate::api::ApiFailure) -> String {
    format!("Your change didn't go through. {}", failure.message())
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn paths_and_pages_round_trip() {
        for page in [Page::Login, Page::Store, Page::Cart] {
            assert_eq!(Page::from_path(page.path()), page);
        }
        assert_eq!(Page::from_path("/cart/"), Page::Cart);
        assert_eq!(Page::from_path("/nope"), Page::NotFound);
    }
}
