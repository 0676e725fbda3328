//! A shopper's story in a real browser: sign in, fill the cart, come back, sign out.

use tests::{Browser, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_signs_in_fills_the_cart_keeps_it_across_reloads_and_signs_out()
-> anyhow::Result<()> {
    let stack = tests::start_stack().await?;
    let browser = Browser::start().await?;
    let outcome = story(&stack, &browser).await;
    // The final screen (the login form after logout), or what the browser showed when it failed.
    let _ = browser.screenshot("store_story-final").await;
    browser.close().await?;
    outcome
}

async fn story(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    // Steps 1–3: the app opens on its login form; valid credentials reach the store.
    browser.client.goto(&stack.url("/")).await?;
    browser.element("#login-form").await?;
    browser.path_becomes("/login").await?;
    browser
        .submit_login(&stack.facts.demo_email, &stack.facts.demo_password)
        .await?;
    browser.path_becomes("/").await?;

    // Steps 4–5: the store calls the backend with the JWT; adding a product fills the cart.
    let product_id = browser.add_first_product().await?;

    browser.element("#nav-cart").await?.click().await?;
    browser.path_becomes("/cart").await?;
    let line = format!("#cart li.cart-line[data-product-id='{product_id}'] .quantity");
    browser.text_becomes(&line, "1").await?;

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
    browser.element("#logout").await?.click().await?;
    browser.element("#login-form").await?;
    browser.client.goto(&stack.url("/cart")).await?;
    browser.element("#login-form").await?;
    browser.path_becomes("/login").await?;
    anyhow::ensure!(
        !browser.has("#cart li.cart-line").await?,
        "the cart must not be shown after logout"
    );
    Ok(())
}
