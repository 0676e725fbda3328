//! A shopper's story in a real browser: sign in, fill the cart, come back, sign out.

use tests::{Browser, Stack};

tests::story!(
    a_shopper_signs_in_fills_the_cart_keeps_it_across_reloads_and_signs_out,
    tests::start_stack(),
    |stack, browser| { story(&stack, &browser).await }
);

async fn story(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    // Steps 1–3: the app opens on its login form; valid credentials reach the store.
    browser.opens_on_the_login_form(stack, "/").await?;
    browser.path_becomes("/login").await?;
    browser
        .submit_login(&stack.facts.demo_email, &stack.facts.demo_password)
        .await?;
    browser.path_becomes("/").await?;

    // Steps 4–5: the store calls the backend with the JWT; adding a product fills the cart.
    let product_id = browser.add_first_product().await?;

    browser.opens_the_cart_with_one(&product_id).await?;
    let line = tests::quantity_of(&product_id);

    // Reloading keeps the session and the cart: the tokens survive, the cart is server-side.
    browser.client.refresh().await?;
    browser.path_becomes("/cart").await?;
    browser.text_becomes(&line, "1").await?;
    anyhow::ensure!(
        !browser.has("#login-form").await?,
        "a reload must not log the shopper out"
    );
    browser.screenshot("store_story-cart").await?;

    // Logging out ends the session: the cart page is no longer reachable.
    browser.click("#logout").await?;
    browser.element("#login-form").await?;
    browser.opens_on_the_login_form(stack, "/cart").await?;
    browser.path_becomes("/login").await?;
    anyhow::ensure!(
        !browser.has("#cart li.cart-line").await?,
        "the cart must not be shown after logout"
    );
    Ok(())
}
