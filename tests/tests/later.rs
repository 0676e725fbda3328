//! Issue #15's weight: the release build (`cargo xtask dist`) keeps the pages only some visits
//! open in wasm chunks (`later-<name>-<hash>.wasm`) that the page fetches the first time one of them
//! is shown, and a chunk that cannot be fetched is explained, with a "Try again" that works once
//! the network is back (the app keeps running).

use anyhow::ensure;
use serde_json::json;
use tests::{Browser, story};

/// How many of the chunks loaded later the page itself has fetched so far.
async fn chunks_fetched(browser: &Browser) -> anyhow::Result<u64> {
    let count = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource') \
               .filter((e) => /\\/later-[a-z0-9_]+-[0-9a-f]+\\.wasm$/.test(new URL(e.name).pathname)).length",
            vec![],
        )
        .await?;
    Ok(count.as_u64().unwrap_or_default())
}

story!(
    the_cart_and_account_code_is_fetched_only_when_first_shown,
    tests::start_stack(),
    |stack, browser| {
        browser.sign_in(&stack).await?;
        let at_start = chunks_fetched(&browser).await?;
        ensure!(
            at_start == 0,
            "the sign-in and the store fetched {at_start} chunks loaded later"
        );
        browser.click("#nav-cart").await?;
        browser.path_becomes("/cart").await?;
        browser.element("#cart").await?;
        let after_cart = chunks_fetched(&browser).await?;
        ensure!(after_cart > 0, "the cart came without its chunk");
        browser.click("#nav-account").await?;
        browser
            .text_becomes("#account-title", "Your account")
            .await?;
        let after_account = chunks_fetched(&browser).await?;
        ensure!(
            after_account > after_cart,
            "the account page came without its chunk ({after_account} after {after_cart})"
        );
        Ok(())
    }
);

story!(
    a_page_whose_code_cannot_be_fetched_says_so_and_try_again_loads_it,
    tests::start_stack(),
    |stack, browser| {
        browser.cdp("Network.enable", json!({})).await?;
        browser
            .cdp(
                "Network.setBlockedURLs",
                json!({ "urls": ["*/later*.wasm"] }),
            )
            .await?;
        browser.sign_in(&stack).await?;
        browser.click("#nav-account").await?;
        browser.path_becomes("/account").await?;
        browser
            .text_becomes(
                "main .load-error p",
                "This part of the store couldn't be loaded. Check your connection and try again.",
            )
            .await?;
        ensure!(
            !browser.has("#account-title").await?,
            "the account page shows without its code"
        );

        browser
            .cdp("Network.setBlockedURLs", json!({ "urls": [] }))
            .await?;
        browser.click("main .load-error button.retry").await?;
        browser
            .text_becomes("#account-title", "Your account")
            .await?;
        ensure!(
            !browser.has("main .load-error").await?,
            "the message stays after the page came"
        );
        // Still the same running app: the header's cart link leads to the cart.
        browser.click("#nav-cart").await?;
        browser.path_becomes("/cart").await?;
        browser.element("#cart").await?;
        Ok(())
    }
);
