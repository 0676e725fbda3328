//! Pieces shared by the pages.

mod guard;
mod header;
mod load_error;
mod notice;

pub use guard::NotFound;
pub use header::Header;
pub use load_error::LoadError;
pub use notice::NetworkNotice;

/// Sets the document title for the page being shown: `"{page} · FusionAuth Store"`.
pub fn set_page_title(page: &str) {
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        document.set_title(&format!("{page} · FusionAuth Store"));
    }
}
