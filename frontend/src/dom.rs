//! Small DOM helpers every screen uses: the document title and where keyboard focus goes.

/// Sets the document title for the page being shown: `"{page} · FusionAuth Store"`.
pub fn set_page_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} · FusionAuth Store"));
    }
}

/// Moves keyboard focus to the element matching `selector` once the DOM has caught up (the next
/// animation frame), e.g. a new page's heading or the first field with an error.
pub fn focus_later(selector: &'static str) {
    leptos::prelude::request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(element) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector(selector).ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = element.focus();
        }
    });
}
