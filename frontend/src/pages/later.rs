//! The pages only some visits open, loaded later ([`Page::loads_later`]): sign-up, forgot
//! password, the reset link, email verification, the account page (with its devices and
//! passkeys) and the cart. In the release build (`cargo xtask dist`, feature `split`) their code
//! is in wasm chunks fetched the first time one of them is shown; without the feature
//! (`cargo xtask dev`, the tests) they are built at once. See frontend/README.md ("Loaded later").

use leptos::prelude::*;

use super::account::{
    AccountPage, ForgotPasswordPage, ResetPasswordPage, SignUpPage, VerifyEmailPage,
};
use super::cart::CartPage;
use crate::router::Page;
use crate::split::later_view;

/// A page loaded later: nothing until its code is there, then the page. A screen change moves
/// the focus to its heading once it is shown (the App's move happened before it existed).
#[component]
pub fn LaterPage(page: Page, focus: bool) -> impl IntoView {
    let focus = focus.then_some("main h1");
    later_view(
        move || async move {
            match page {
                Page::Cart => cart_page().await,
                _ => account_page(page).await,
            }
        },
        focus,
    )
}

later! {
    /// The account screens (one chunk).
    fn account_page(page: Page) -> AnyView {
        match page {
            Page::SignUp => view! { <SignUpPage /> }.into_any(),
            Page::ForgotPassword => view! { <ForgotPasswordPage /> }.into_any(),
            Page::ResetPassword => view! { <ResetPasswordPage /> }.into_any(),
            Page::VerifyEmail => view! { <VerifyEmailPage /> }.into_any(),
            _ => view! { <AccountPage /> }.into_any(),
        }
    }
}

later! {
    /// The cart (its own chunk).
    fn cart_page() -> AnyView {
        view! { <CartPage /> }.into_any()
    }
}
