//! Mounts the store app into index.html's hidden `#app` (it then takes over from the shell, see
//! `shell.rs`); everything else lives in the library.

use std::time::Duration;

use wasm_bindgen::JsCast;

fn main() {
    // The first render and the takeover run in a task of their own, after the one that compiled
    // and started the wasm: two shorter tasks keep the page responsive where one long one would
    // block it (issue #15's total blocking time).
    leptos::prelude::set_timeout(mount, Duration::ZERO);
}

fn mount() {
    let app = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match app {
        Some(app) => leptos::mount::mount_to(app, frontend::App).forget(),
        None => leptos::mount::mount_to_body(frontend::App),
    }
}
