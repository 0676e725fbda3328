//! The takeover of index.html's shell: the first screen as plain HTML, painted before the wasm
//! has run. The app renders into the hidden `#app`; once its first screen is in the DOM, one
//! animation frame swaps the two (no frame shows both or neither), carrying over what the user
//! typed into the shell's sign-in form, where the focus was, and a press of "Sign in".

use leptos::prelude::request_animation_frame;
use wasm_bindgen::JsCast;
use web_sys::{Document, HtmlElement, HtmlInputElement};

use crate::router::Page;

/// The `localStorage` flag index.html reads to show the store's frame instead of the sign-in
/// form (no token in it: only whether a session is stored).
const SIGNED_IN_FLAG: &str = "store.signed-in";

/// The shell's sign-in fields and the app's fields that take their values.
const FIELDS: [(&str, &str); 2] = [("shell-email", "email"), ("shell-password", "password")];

/// Swaps the shell for the app; `page` is the app's first screen. At once (the same task as the
/// render: no frame or WebDriver command sees the app hidden) when the app's screen is rendered
/// and the shell has reached the screen (`data-painted`, set by index.html); else the check is
/// repeated each animation frame, for at most [`PAINT_WAIT_FRAMES`]. The shell's paint must
/// come first: it is the page's largest contentful paint, and Chromium forgets a paint whose
/// element is removed before the frame was presented (the app's identical nodes would then be
/// the largest contentful paint, after the wasm).
pub fn take_over(page: Page) {
    wait_then_swap(page, PAINT_WAIT_FRAMES);
}

/// About half a second at 60 frames per second.
const PAINT_WAIT_FRAMES: u32 = 30;

fn wait_then_swap(page: Page, frames_left: u32) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(shell) = document.get_element_by_id("shell") else {
        return;
    };
    let rendered = page != Page::Login || document.get_element_by_id("login-form").is_some();
    if frames_left == 0 || (rendered && shell.has_attribute("data-painted")) {
        swap(&document, page);
    } else {
        request_animation_frame(move || wait_then_swap(page, frames_left - 1));
    }
}

fn swap(document: &Document, page: Page) {
    let Some(shell) = document.get_element_by_id("shell") else {
        return;
    };
    let focused = document.active_element().map(|e| e.id());
    let submitted = document
        .get_element_by_id("shell-form")
        .is_some_and(|form| form.has_attribute("data-submitted"));
    let mut focus = None;
    if page == Page::Login {
        for (from, to) in FIELDS {
            carry(document, from, to);
            if focused.as_deref() == Some(from) {
                focus = Some(to);
            }
        }
    }
    shell.remove();
    if let Some(app) = document.get_element_by_id("app") {
        let _ = app.remove_attribute("hidden");
    }
    if let Some(input) = focus.and_then(|id| element::<HtmlElement>(document, id)) {
        let _ = input.focus();
    }
    if submitted
        && page == Page::Login
        && let Some(button) = element::<HtmlElement>(document, "login-submit")
    {
        button.click();
    }
}

/// Copies a typed value into the app's field and tells its binding (an `input` event).
fn carry(document: &Document, from: &str, to: &str) {
    let (Some(from), Some(to)) = (
        element::<HtmlInputElement>(document, from),
        element::<HtmlInputElement>(document, to),
    ) else {
        return;
    };
    let value = from.value();
    if value.is_empty() {
        return;
    }
    to.set_value(&value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    if let Ok(event) = web_sys::Event::new_with_event_init_dict("input", &init) {
        let _ = to.dispatch_event(&event);
    }
}

fn element<T: JsCast>(document: &Document, id: &str) -> Option<T> {
    document.get_element_by_id(id)?.dyn_into().ok()
}

/// Remembers for index.html's next start whether a session is stored.
pub fn remember_signed_in(signed_in: bool) {
    let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
        return;
    };
    let _ = if signed_in {
        storage.set_item(SIGNED_IN_FLAG, "1")
    } else {
        storage.remove_item(SIGNED_IN_FLAG)
    };
}
