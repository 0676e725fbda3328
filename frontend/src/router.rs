//! A small client-side router on the History API (instead of `leptos_router`, to keep the
//! download small): the app's [`Page`]s and their paths, the current page as a signal, links
//! intercepted, `popstate` followed, and [`Router::go`] pushing or replacing history entries.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The app's pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// `/login`: the native login form (workflow steps 1–3).
    Login,
    /// `/`: the product list.
    Store,
    /// `/cart`: the shopping cart (workflow steps 4–13).
    Cart,
    /// `/account`: the signed-in user's account (change password).
    Account,
    /// `/signup`: a new account.
    SignUp,
    /// `/password/forgot`: asks for a reset email.
    ForgotPassword,
    /// `/password/change/{id}`: the reset email's link.
    ResetPassword,
    /// `/email/verify/{id}`: the verification email's link.
    VerifyEmail,
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
            Self::Account => "/account",
            Self::SignUp => "/signup",
            Self::ForgotPassword => "/password/forgot",
            Self::ResetPassword => "/password/change/",
            Self::VerifyEmail => "/email/verify/",
            Self::NotFound => "/404",
        }
    }

    /// The page a path shows (a trailing slash is ignored).
    pub fn from_path(path: &str) -> Self {
        let path = path.trim_end_matches('/');
        let with_id = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        };
        match path {
            "" => Self::Store,
            "/login" => Self::Login,
            "/cart" => Self::Cart,
            "/account" => Self::Account,
            "/signup" => Self::SignUp,
            "/password/forgot" => Self::ForgotPassword,
            _ if with_id("/password/change/") => Self::ResetPassword,
            _ if with_id("/email/verify/") => Self::VerifyEmail,
            _ => Self::NotFound,
        }
    }

    /// Whether the page needs a signed-in user.
    pub const fn needs_session(self) -> bool {
        matches!(
            self,
            Self::Store | Self::Cart | Self::Account | Self::NotFound
        )
    }

    /// Whether the page's code loads later, the first time it is shown (`pages::later`): the
    /// first screen (the login form, the store) never waits for it.
    pub const fn loads_later(self) -> bool {
        matches!(
            self,
            Self::Account
                | Self::Cart
                | Self::SignUp
                | Self::ForgotPassword
                | Self::ResetPassword
                | Self::VerifyEmail
        )
    }

    /// Whether a signed-in user is sent on to the store instead.
    pub const fn signed_out_only(self) -> bool {
        matches!(self, Self::Login | Self::SignUp | Self::ForgotPassword)
    }
}

/// The current page, shared through context. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Router {
    page: RwSignal<Page>,
}

fn current_path() -> String {
    web_sys::window()
        .and_then(|w| w.location().pathname().ok())
        .unwrap_or_else(|| "/".to_owned())
}

impl Router {
    /// Starts following the address bar: `popstate` and clicks on same-origin links.
    pub fn start() -> Self {
        let router = Self {
            page: RwSignal::new(Page::from_path(&current_path())),
        };
        let _ = window_event_listener(leptos::ev::popstate, move |_| {
            router.page.set(Page::from_path(&current_path()));
        });
        let _ = window_event_listener(leptos::ev::click, move |ev| router.intercept(&ev));
        router
    }

    /// The page on screen (reactive).
    pub fn page(&self) -> Page {
        self.page.get()
    }

    /// Shows `page`, adding a history entry (or replacing the current one).
    pub fn go(&self, page: Page, replace: bool) {
        self.visit(page.path(), replace);
    }

    fn visit(&self, path: &str, replace: bool) {
        if current_path() != path
            && let Some(history) = web_sys::window().and_then(|w| w.history().ok())
        {
            let state = wasm_bindgen::JsValue::NULL;
            let _ = if replace {
                history.replace_state_with_url(&state, "", Some(path))
            } else {
                history.push_state_with_url(&state, "", Some(path))
            };
        }
        self.page.set(Page::from_path(path));
    }

    /// A plain left click on a same-origin `<a href>` navigates without reloading the app.
    fn intercept(&self, ev: &web_sys::MouseEvent) {
        if ev.default_prevented()
            || ev.button() != 0
            || ev.meta_key()
            || ev.ctrl_key()
            || ev.shift_key()
            || ev.alt_key()
        {
            return;
        }
        let Some(anchor) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.closest("a[href]").ok().flatten())
            .and_then(|el| el.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        else {
            return;
        };
        let same_origin = web_sys::window()
            .and_then(|w| w.location().origin().ok())
            .is_some_and(|origin| origin == anchor.origin());
        if !same_origin || !anchor.target().is_empty() || anchor.has_attribute("download") {
            return;
        }
        ev.prevent_default();
        self.visit(&anchor.pathname(), false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn paths_and_pages_round_trip() {
        for page in [
            Page::Login,
            Page::Store,
            Page::Cart,
            Page::Account,
            Page::SignUp,
            Page::ForgotPassword,
        ] {
            assert_eq!(Page::from_path(page.path()), page);
        }
        let cases = [
            ("/cart/", Page::Cart),
            ("/nope", Page::NotFound),
            ("/password/change/abc-123", Page::ResetPassword),
            ("/password/change/", Page::NotFound),
            ("/password/change/a/b", Page::NotFound),
            ("/email/verify/xyz", Page::VerifyEmail),
        ];
        for (path, page) in cases {
            assert_eq!(Page::from_path(path), page, "{path}");
        }
    }
}
