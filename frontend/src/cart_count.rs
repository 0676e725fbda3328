//! The cart badge's state, shared through context by the header and the pages that change the
//! cart.

use leptos::prelude::*;

/// The number of items in the cart, shown in the header's badge (`None` until known), and how
/// many cart changes are still waiting for the backend's answer.
#[derive(Clone, Copy, Debug)]
pub struct CartCount(pub RwSignal<Option<u32>>, pub RwSignal<u32>);
