//! The PWA's cart changes are optimistic: the screen changes on the tap, before the backend has
//! answered; the backend's cart is adopted when it answers, and a refused change is undone with
//! a message. Real failures only: the line is deleted behind the page's back, so the backend
//! answers the page's next change with a 404.

use anyhow::{Context, ensure};
use serde_json::Value;
use tests::{Browser, Stack};

/// Clicks the element matching `click` and, before any network answer can arrive (only
/// microtasks run in between), reads the text of each element in `read` (`null` if absent).
async fn click_and_read_at_once(
    browser: &Browser,
    click: &str,
    read: &[&str],
) -> anyhow::Result<Vec<Value>> {
    let script = format!(
        "document.querySelector({click:?}).click(); \
         for (let i = 0; i < 100; i++) await Promise.resolve(); \
         return {read:?}.map((css) => document.querySelector(css)?.textContent.trim() ?? null);"
    );
    let answer = browser.run_async(&script).await?;
    ensure!(answer.get("error").is_none(), "the script failed: {answer}");
    answer
        .as_array()
        .cloned()
        .with_context(|| format!("not a list: {answer}"))
}

/// Calls the store API from the page with the stored JWT, as another device of the same user
/// would; returns the status and the body.
async fn call_api(browser: &Browser, method: &str, path: &str) -> anyhow::Result<(u64, Value)> {
    let session = browser
        .stored_session()
        .await?
        .context("the PWA stored no session")?;
    let jwt = session["token"].as_str().context("no JWT stored")?;
    let script = format!(
        "const r = await fetch({path:?}, {{ method: {method:?}, \
           headers: {{ Authorization: 'Bearer ' + {jwt:?} }} }}); \
         const text = await r.text(); \
         return {{ status: r.status, body: text ? JSON.parse(text) : null }};"
    );
    let answer = browser.run_async(&script).await?;
    ensure!(answer.get("error").is_none(), "fetch failed: {answer}");
    Ok((
        answer["status"].as_u64().unwrap_or_default(),
        answer["body"].clone(),
    ))
}

async fn run(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    browser.sign_in(stack).await?;

    // "Add to cart" counts the item in the badge on the tap; the backend then confirms it.
    let product = browser.element("#products li.product").await?;
    let id = product
        .attr("data-product-id")
        .await?
        .context("a product without data-product-id")?;
    let add = format!("#products li.product[data-product-id='{id}'] button.add-to-cart");
    let shown = click_and_read_at_once(browser, &add, &["#cart-count"]).await?;
    ensure!(
        shown == [Value::from("1")],
        "the badge counts the item at once: {shown:?}"
    );
    let status = format!("#products li.product[data-product-id='{id}'] .add-status");
    browser.text_becomes(&status, "Added to your cart.").await?;
    browser.text_becomes("#cart-count", "1").await?;

    browser.click("#nav-cart").await?;
    browser.path_becomes("/cart").await?;
    let row = format!("#cart li.cart-line[data-product-id='{id}']");
    let quantity = format!("{row} .quantity");
    let increment = format!("{row} button.increment");
    browser.text_becomes(&quantity, "1").await?;

    // `+` shows the new quantity and count at once, and they stay once the backend has them.
    let shown = click_and_read_at_once(browser, &increment, &[&quantity, "#cart-count"]).await?;
    ensure!(
        shown == [Value::from("2"), Value::from("2")],
        "the quantity and the badge change at once: {shown:?}"
    );
    browser
        .element(&format!("{increment}:not([disabled])"))
        .await?;
    browser.text_becomes(&quantity, "2").await?;
    browser.text_becomes("#cart-count", "2").await?;
    let (status, cart) = call_api(browser, "GET", "/api/cart").await?;
    ensure!(
        status == 200 && cart["itemCount"] == 2,
        "the backend has the change: {status} {cart}"
    );

    // Another device empties the cart; this page still shows the line. Its `+` shows 3 at once,
    // the backend refuses it (404: no such line), and the page goes back to 2 and says so.
    let (status, _) = call_api(browser, "DELETE", &format!("/api/cart/items/{id}")).await?;
    ensure!(
        status == 200 || status == 204,
        "deleting the line: {status}"
    );
    let shown = click_and_read_at_once(browser, &increment, &[&quantity, "#cart-count"]).await?;
    ensure!(
        shown == [Value::from("3"), Value::from("3")],
        "the change shows at once: {shown:?}"
    );
    browser
        .text_becomes(
            "#cart .cart-status",
            "Your change didn't go through. That product is no longer available.",
        )
        .await?;
    browser.text_becomes(&quantity, "2").await?;
    browser.text_becomes("#cart-count", "2").await?;
    ensure!(
        !browser.has("#login-form").await?,
        "a refused change keeps the session"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_change_shows_at_once_and_a_refused_one_is_undone_with_a_message()
-> anyhow::Result<()> {
    let stack = tests::start_stack().await?;
    let browser = Browser::start().await?;
    let outcome = run(&stack, &browser).await;
    let shot = browser
        .screenshot("a_cart_change_shows_at_once_and_a_refused_one_is_undone")
        .await;
    browser.close().await?;
    outcome?;
    shot.map(|_| ())
}
