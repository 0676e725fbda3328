//! Mounts the store app; everything else lives in the library.

fn main() {
    leptos::mount::mount_to_body(frontend::App);
}
