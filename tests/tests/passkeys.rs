//! Passkeys (issue #13) as a shopper lives them on a phone with a fingerprint reader: offered
//! once after a password sign-in, added with one tap, then used instead of the password — in the
//! device-bound mode, so a passkey session is handed off and proven like a password one. Removed
//! in the account, the passkey gets a plain message and the password still works. Real emulator
//! (WebAuthn on, relying party `localhost`), real backend serving the built PWA on
//! `http://localhost:<port>` (WebAuthn refuses IP-address origins), real Chromium with a virtual
//! platform authenticator from the DevTools Protocol's `WebAuthn` domain.

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use shared::store::DeviceBinding;
use tests::{Browser, Stack, eventually};

const REMOVED: &str = "This device's passkey was removed from your account. Sign in with your \
                       password; you can add a new passkey afterwards.";

const CANCELLED: &str = "The passkey prompt was closed, or this device has no passkey for this \
                         account. Try again, or sign in with your password.";

async fn start() -> anyhow::Result<Stack> {
    Stack::builder()
        .static_dir(tests::dist_dir()?)
        .device_binding(DeviceBinding::Required)
        .passkeys()
        .start()
        .await
}

/// The phone's fingerprint reader: a virtual CTAP2 platform authenticator that keeps
/// discoverable credentials and verifies the user. Returns its id.
async fn add_fingerprint_reader(browser: &Browser, stack: &Stack) -> anyhow::Result<String> {
    browser.client.goto(&stack.url("/login")).await?;
    browser.cdp("WebAuthn.enable", json!({})).await?;
    let added = browser
        .cdp(
            "WebAuthn.addVirtualAuthenticator",
            json!({"options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                "hasUserVerification": true, "isUserVerified": true,
                "automaticPresenceSimulation": true
            }}),
        )
        .await?;
    Ok(added["authenticatorId"]
        .as_str()
        .context("an authenticator id")?
        .to_owned())
}

/// The passkeys the virtual authenticator holds.
async fn passkeys_on_device(browser: &Browser, authenticator: &str) -> anyhow::Result<Vec<Value>> {
    let answer = browser
        .cdp(
            "WebAuthn.getCredentials",
            json!({"authenticatorId": authenticator}),
        )
        .await?;
    Ok(answer["credentials"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// Gives the phone its fingerprint reader, signs in with the password and takes the offer: the
/// device then holds one passkey. Returns the reader's id.
async fn sign_in_and_add_a_passkey(browser: &Browser, stack: &Stack) -> anyhow::Result<String> {
    let authenticator = add_fingerprint_reader(browser, stack).await?;
    browser.sign_in(stack).await?;
    browser
        .text_becomes("#passkey-offer-title", "Use a passkey next time")
        .await?;
    browser.click("#passkey-offer-accept").await?;
    browser
        .text_becomes(
            "#passkey-offer-text",
            "Passkey added. Next time, sign in with it.",
        )
        .await?;
    let on_device = passkeys_on_device(browser, &authenticator).await?;
    ensure!(
        on_device.len() == 1,
        "one passkey on the device: {on_device:?}"
    );
    Ok(authenticator)
}

async fn sign_out(browser: &Browser) -> anyhow::Result<()> {
    browser.click("#logout").await?;
    browser.element("#login-form").await?;
    Ok(())
}

tests::story!(
    a_shopper_adds_a_passkey_after_a_password_sign_in_and_next_time_signs_in_with_it,
    start(),
    |stack, browser| { sign_in_with_a_passkey(&stack, &browser).await }
);

async fn sign_in_with_a_passkey(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    let authenticator = sign_in_and_add_a_passkey(browser, stack).await?;
    let product_id = browser.add_first_product().await?;
    browser.screenshot("passkeys-offer").await?;
    sign_out(browser).await?;

    // The login page offers the passkey for the remembered login id. A prompt that does not
    // verify the user (cancelled, a finger not recognised) is a plain message, and nothing else.
    browser.screenshot("passkeys-login").await?;
    let verified = |yes: bool| {
        browser.cdp(
            "WebAuthn.setUserVerified",
            json!({"authenticatorId": authenticator, "isUserVerified": yes}),
        )
    };
    verified(false).await?;
    browser.click("#passkey-sign-in").await?;
    browser.text_becomes("#login-error", CANCELLED).await?;
    ensure!(
        browser.stored_session().await?.is_none(),
        "no session after a cancelled prompt"
    );
    // One tap, verified, signs in.
    verified(true).await?;
    browser.click("#passkey-sign-in").await?;
    browser.path_becomes("/").await?;
    ensure!(
        !browser.has("#passkey-offer").await?,
        "no offer after signing in with the passkey"
    );
    let session = browser
        .stored_session()
        .await?
        .context("a stored session")?;
    ensure!(
        session["jkt"].is_string() && session["refreshToken"].is_null(),
        "a device-bound session, its refresh token handed off: {session}"
    );

    // The cart, through the device-bound session the passkey started.
    browser.opens_the_cart_with_one(&product_id).await?;
    Ok(())
}

tests::story!(
    a_passkey_removed_in_the_account_gets_a_plain_message_and_the_password_still_works,
    start(),
    |stack, browser| { remove_the_passkey(&stack, &browser).await }
);

async fn remove_the_passkey(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    sign_in_and_add_a_passkey(browser, stack).await?;

    // The account lists it (name, added, last used) and removes it.
    browser.click("#nav-account").await?;
    let item = browser.element("#passkey-list li.passkey").await?;
    let text = item.text().await?;
    ensure!(
        text.contains("Chrome on Android") && text.contains("Added") && text.contains("Last used"),
        "the passkey's name and dates: {text:?}"
    );
    browser.screenshot("passkeys-account").await?;
    browser.click("#passkey-list .remove-passkey").await?;
    browser
        .text_becomes("#passkey-status", "Passkey removed.")
        .await?;
    eventually("the list to be empty", || async {
        Ok((!browser.has("#passkey-list li.passkey").await?).then_some(()))
    })
    .await?;
    sign_out(browser).await?;

    // The device still holds the passkey, but FusionAuth no longer knows it.
    browser.click("#passkey-sign-in").await?;
    browser.text_becomes("#login-error", REMOVED).await?;
    browser.screenshot("passkeys-removed").await?;
    browser
        .submit_login(&stack.facts.demo_email, &stack.facts.demo_password)
        .await?;
    browser.shows_the_store().await?;
    // The device forgot the removed passkey, so it offers a new one.
    browser
        .text_becomes("#passkey-offer-title", "Use a passkey next time")
        .await?;
    Ok(())
}

tests::story!(
    after_the_session_ended_the_passkey_comes_first_and_signs_the_shopper_back_in,
    start(),
    |stack, browser| { welcome_back(&stack, &browser).await }
);

async fn welcome_back(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    sign_in_and_add_a_passkey(browser, stack).await?;

    // Steps 10–14: FusionAuth ends the session (its refresh token revoked, the backend told by
    // the webhook); the next call lands on the login page, which offers the passkey first.
    let session = browser
        .stored_session()
        .await?
        .context("a stored session")?;
    let token_id = session["refreshTokenId"]
        .as_str()
        .context("the session's refresh token id")?;
    stack
        .administer(
            "DELETE",
            &format!("/api/jwt/refresh/{token_id}"),
            Value::Null,
        )
        .await?;
    browser.click("#nav-cart").await?;
    browser
        .text_becomes("#passkey-welcome h2", "Welcome back — confirm it's you")
        .await?;
    browser
        .text_becomes(
            "#session-notice",
            "Your session has ended. Please sign in again.",
        )
        .await?;
    browser.screenshot("passkeys-welcome-back").await?;
    browser.click("#passkey-sign-in").await?;
    browser.shows_the_store().await?;
    Ok(())
}
