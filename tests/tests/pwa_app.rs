//! The PWA on an emulated phone (390×844, touch — every `Browser` is one): every login outcome in
//! plain language, two-factor sign-in with a real TOTP code, the session in IndexedDB, starting
//! offline from the service worker's cache, and Chromium's installability check.

use anyhow::ensure;
use serde_json::json;
use tests::{Browser, eventually, totp_code};

async fn text_contains(browser: &Browser, css: &str, needle: &str) -> anyhow::Result<()> {
    eventually(&format!("`{css}` to mention {needle:?}"), || async {
        let text = browser.element(css).await?.text().await?;
        Ok(text.contains(needle).then_some(()))
    })
    .await
}

/// Waits until the service worker controls the page and has its shell cached.
async fn service_worker_ready(browser: &Browser) -> anyhow::Result<()> {
    eventually("the service worker to control the page", || async {
        let state = browser
            .run_async(
                "await navigator.serviceWorker.ready; \
                 const names = await caches.keys(); \
                 const shell = names.find((n) => n.startsWith('store-shell-')); \
                 const cached = shell ? (await (await caches.open(shell)).keys()).length : 0; \
                 return { controlled: !!navigator.serviceWorker.controller, cached };",
            )
            .await?;
        let ready =
            state["controlled"] == json!(true) && state["cached"].as_u64().unwrap_or(0) >= 4;
        Ok(ready.then_some(()))
    })
    .await
}

tests::story!(
    every_login_outcome_is_explained_beside_the_form,
    tests::start_stack(),
    |stack, browser| {
        browser.opens_on_the_login_form(&stack, "/login").await?;

        // Nothing filled in: an error beside each field, nothing sent.
        browser.click("#login-submit").await?;
        browser
            .text_becomes("#email-error", "Enter your email address.")
            .await?;
        browser
            .text_becomes("#password-error", "Enter your password.")
            .await?;

        // One message for a wrong password or an unknown email.
        browser
            .login_is_refused(
                &stack.facts.demo_email,
                "not-the-password",
                "Wrong email or password.",
            )
            .await?;
        browser.text_becomes("#email-error", "").await?;
        browser
            .login_is_refused(
                "nobody@example.com",
                "whatever-password",
                "Wrong email or password.",
            )
            .await?;

        // 203: the password must be changed first: a new-password step (the whole story is in
        // account.rs).
        stack
            .create_user(json!({
                "email": "change-me@example.com",
                "password": "change-me-password",
                "passwordChangeRequired": true,
            }))
            .await?;
        browser
            .submit_login("change-me@example.com", "change-me-password")
            .await?;
        browser
            .text_becomes("#change-title", "Choose a new password")
            .await?;
        browser
            .text_becomes(
                "#change-title + .lead",
                "You need to change your password before you can sign in.",
            )
            .await?;
        ensure!(
            browser.has("#new-password-form").await?,
            "a form for the new password"
        );
        Ok(())
    }
);

tests::story!(
    a_two_factor_user_signs_in_with_the_code_from_their_authenticator,
    tests::start_stack(),
    |stack, browser| {
        tests::start_a_two_factor_sign_in(&stack, &browser).await?;

        let code_input = browser.element("#two-factor-form #two-factor-code").await?;
        ensure!(
            code_input.attr("inputmode").await?.as_deref() == Some("numeric")
                && code_input.attr("autocomplete").await?.as_deref() == Some("one-time-code"),
            "the code field asks for a numeric one-time code"
        );
        let code = totp_code(&browser).await?;
        // A wrong code (one digit changed) is refused and the step stays.
        let wrong: String = code
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    if c == '9' {
                        '0'
                    } else {
                        char::from(c as u8 + 1)
                    }
                } else {
                    c
                }
            })
            .collect();
        code_input.send_keys(&wrong).await?;
        browser.click("#two-factor-submit").await?;
        browser
            .text_becomes("#login-error", "That code isn't right.")
            .await?;

        let code_input = browser.element("#two-factor-code").await?;
        code_input.clear().await?;
        code_input.send_keys(&totp_code(&browser).await?).await?;
        browser.click("#two-factor-submit").await?;
        browser.shows_the_store().await?;
        text_contains(&browser, ".greeting", "Tess").await?;
        Ok(())
    }
);

tests::story!(
    the_session_lives_in_indexeddb_and_the_app_starts_offline,
    tests::start_stack(),
    |stack, browser| {
        browser
            .log_in_from_the_form(&stack, &stack.facts.demo_email, &stack.facts.demo_password)
            .await?;
        browser.shows_the_store().await?;

        let session = eventually("the session in IndexedDB", || browser.stored_session()).await?;
        ensure!(
            session["token"]
                .as_str()
                .is_some_and(|t| t.split('.').count() == 3),
            "IndexedDB holds the JWT"
        );
        ensure!(
            session["refreshToken"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "IndexedDB holds the refresh token"
        );
        let legacy = browser
            .client
            .execute("return localStorage.getItem('store.session');", vec![])
            .await?;
        ensure!(legacy.is_null(), "nothing in localStorage: {legacy}");

        service_worker_ready(&browser).await?;
        let errors = browser
            .cdp("Page.getInstallabilityErrors", json!({}))
            .await?;
        ensure!(
            errors["installabilityErrors"]
                .as_array()
                .is_some_and(Vec::is_empty),
            "Chromium finds the app installable: {errors}"
        );

        // The network goes away; the app still starts from the service worker's cache, signed
        // in, and says it is offline.
        browser.cdp("Network.enable", json!({})).await?;
        browser
            .cdp(
                "Network.emulateNetworkConditions",
                json!({
                    "offline": true, "latency": 0,
                    "downloadThroughput": -1, "uploadThroughput": -1,
                }),
            )
            .await?;
        browser.client.goto(&stack.url("/cart")).await?;
        browser.element("#cart-title").await?;
        text_contains(&browser, "#network-notice", "offline").await?;
        ensure!(
            !browser.has("#login-form").await?,
            "still signed in offline"
        );
        ensure!(
            browser.stored_session().await?.is_some(),
            "the tokens are kept while offline"
        );
        Ok(())
    }
);
