//! A small client-side router on the History API (instead of `leptos_router`, to keep the
//! download small): the current [`Page`] is a signal, links are intercepted, `popstate` is
//! followed, and [`Router::go`] pushes or replaces history entries.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::pages::Page;

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
