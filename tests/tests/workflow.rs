// Over 500 lines: one story per group of workflow steps, kept together as the specification.
//! FusionAuth's "Mobile login" workflow as an executable specification: one test per group of
//! steps (`../shared/000_7c894e0ae786b2c5.txt`), each in a real browser on an emulated phone,
//! against the real emulator and backend. Time moves through the clocks of all three (the
//! emulator's test hook, the backend's clock, the browser's `Date.now`), never through sleeps.

use anyhow::{Context, ensure};
use serde_json::Value;
use tests::{Browser, PAST_GRACE_PERIOD, PAST_JWT_EXPIRY, Stack, quantity_of, time_passes};

/// The refresh token's sliding window is 7 days (Kickstart): 8 days of silence end the session.
const PAST_SLIDING_WINDOW: u64 = 8 * 24 * 3600;

const SESSION_EXPIRED: &str = "Your session has expired. Please sign in again.";

/// The tokens the PWA keeps on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeviceTokens {
    jwt: String,
    refresh_token: String,
}

/// The tokens the PWA keeps on the device, if any.
async fn device_tokens(browser: &Browser) -> anyhow::Result<Option<DeviceTokens>> {
    let Some(session) = browser.stored_session().await? else {
        return Ok(None);
    };
    let jwt = session["token"].as_str().unwrap_or_default();
    if jwt.is_empty() {
        return Ok(None);
    }
    Ok(Some(DeviceTokens {
        jwt: jwt.to_owned(),
        refresh_token: session["refreshToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }))
}

async fn stored_tokens(browser: &Browser) -> anyhow::Result<DeviceTokens> {
    device_tokens(browser)
        .await?
        .context("the PWA stored no session")
}

/// Steps 6–9 from the device's side: time passes the JWT's expiry, the user opens the cart (which
/// still shows `product`), and the backend's refresh leaves rotated tokens on the device; returns
/// them once the refresh token differs from `before`'s.
async fn expire_jwt_and_reopen_cart(
    stack: &Stack,
    browser: &Browser,
    product: &str,
    before: &DeviceTokens,
) -> anyhow::Result<DeviceTokens> {
    time_passes(stack, browser, PAST_JWT_EXPIRY).await?;
    browser.reopens_the_cart_with_one(stack, product).await?;
    tests::eventually("the device to store rotated tokens", || async {
        let now = stored_tokens(browser).await?;
        Ok((now.refresh_token != before.refresh_token).then_some(now))
    })
    .await
}

/// The device, its session over, opens the cart: it lands on the login form, which says the
/// session expired.
async fn is_told_the_session_expired(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    browser.client.goto(&stack.url("/cart")).await?;
    browser.path_becomes("/login").await?;
    browser
        .text_becomes("#session-notice", SESSION_EXPIRED)
        .await
}

/// Calls the backend from another device's browser with the given headers, returning the
/// status, the body and whether new tokens were handed out.
async fn call_cart_from(
    browser: &Browser,
    authorization: &str,
    refresh_token: &str,
) -> anyhow::Result<(u64, String, bool)> {
    let mut headers = serde_json::json!({ "Authorization": authorization });
    if !refresh_token.is_empty() {
        headers["X-Refresh-Token"] = Value::from(refresh_token);
    }
    let script = format!(
        "const r = await fetch('/api/cart', {{ headers: {headers} }}); \
         return {{ status: r.status, body: await r.text(), \
                   renewed: r.headers.has('X-New-Access-Token') }};"
    );
    let answer = browser.run_async(&script).await?;
    ensure!(answer.get("error").is_none(), "fetch failed: {answer}");
    Ok((
        answer["status"].as_u64().unwrap_or_default(),
        answer["body"].as_str().unwrap_or_default().to_owned(),
        answer["renewed"].as_bool().unwrap_or(true),
    ))
}

/// Steps 1–5: signed in, one product in the cart; returns the product and the tokens on the
/// device (what a thief could copy off it).
async fn signed_in_with_a_product(
    stack: &Stack,
    device: &Browser,
) -> anyhow::Result<(String, DeviceTokens)> {
    let product = device.sign_in_and_add_a_product(stack).await?;
    Ok((product, stored_tokens(device).await?))
}

/// Runs `attack` from a second device (another browser, on the app's origin) and closes it
/// whatever the outcome; `screenshot` names the picture of its last screen, if one is kept.
async fn from_another_device(
    stack: &Stack,
    screenshot: Option<&str>,
    attack: impl AsyncFnOnce(&Browser) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let attacker = Browser::start().await?;
    let outcome = async {
        attacker.client.goto(&stack.url("/login")).await?;
        attack(&attacker).await
    }
    .await;
    if let Some(name) = screenshot {
        let _ = attacker.screenshot(name).await;
    }
    attacker.close().await?;
    outcome
}

/// Runs a story with a fresh system (`off` mode) and browser (see [`tests::story`]).
macro_rules! story {
    ($name:ident, |$stack:ident, $browser:ident| $body:block) => {
        tests::story!($name, tests::start_stack(), |$stack, $browser| $body);
    };
}

story!(
    steps_01_03_the_app_opens_on_the_login_form_and_valid_credentials_reach_the_store,
    |stack, browser| {
        browser.opens_on_the_login_form(&stack, "/").await?;
        browser.path_becomes("/login").await?;
        ensure!(
            !browser.has("#products").await?,
            "nothing of the store shows before login"
        );
        browser.sign_in(&stack).await?;
        let tokens = stored_tokens(&browser).await?;
        ensure!(tokens.jwt.split('.').count() == 3, "a JWT was stored");
        ensure!(
            !tokens.refresh_token.is_empty(),
            "a refresh token was stored"
        );
        Ok(())
    }
);

story!(steps_04_05_the_cart_loads_with_the_jwt, |stack, browser| {
    let product = browser.sign_in_and_add_a_product(&stack).await?;
    browser.opens_the_cart_with_one(&product).await?;
    ensure!(
        browser.has("#cart-total").await?,
        "the cart shows its total"
    );
    Ok(())
});

story!(
    steps_06_09_an_expired_jwt_is_refreshed_by_the_backend_and_replaced_on_the_device,
    |stack, browser| {
        let (product, before) = signed_in_with_a_product(&stack, &browser).await?;

        // A while later the JWT has expired; the user opens the cart again.
        let after = expire_jwt_and_reopen_cart(&stack, &browser, &product, &before).await?;
        ensure!(after.jwt != before.jwt, "the device stored the new JWT");
        ensure!(
            after.refresh_token != before.refresh_token,
            "the one-time refresh token was rotated and the successor kept"
        );
        ensure!(
            !browser.has("#login-form").await?,
            "the user stays signed in"
        );
        Ok(())
    }
);

story!(
    steps_10_14_an_expired_refresh_token_ends_the_session_and_the_user_signs_in_again,
    |stack, browser| {
        let product = browser.sign_in_and_add_a_product(&stack).await?;

        // Days later both tokens have expired: FusionAuth refuses the refresh, the backend
        // answers 401, and the app asks the user to sign in again.
        time_passes(&stack, &browser, PAST_SLIDING_WINDOW).await?;
        is_told_the_session_expired(&stack, &browser).await?;
        ensure!(
            device_tokens(&browser).await?.is_none(),
            "the dead tokens were wiped from the device"
        );

        browser.sign_in(&stack).await?;
        browser.reopens_the_cart_with_one(&stack, &product).await
    }
);

story!(
    steps_15_18_a_stolen_refresh_token_with_a_forged_or_garbage_jwt_gets_nothing,
    |stack, victim| {
        let (product, stolen) = signed_in_with_a_product(&stack, &victim).await?;

        from_another_device(&stack, Some("steps_15_18-attacker"), async |attacker| {
            let mut parts = stolen.jwt.split('.');
            let (header, _payload, signature) = (
                parts.next().unwrap_or_default(),
                parts.next(),
                parts.next().unwrap_or_default(),
            );
            // A payload of the attacker's choosing under the victim's header and signature.
            let forged = format!("{header}.eyJzdWIiOiJhdHRhY2tlciJ9.{signature}");
            for jwt in ["garbage", forged.as_str(), "e30.e30.", ""] {
                let (status, body, renewed) =
                    call_cart_from(attacker, &format!("Bearer {jwt}"), &stolen.refresh_token)
                        .await?;
                ensure!(status == 401, "JWT {jwt:?} got {status}: {body}");
                ensure!(!body.contains(&product), "the cart leaked: {body}");
                ensure!(!renewed, "new tokens were handed to the attacker");
            }
            Ok(())
        })
        .await?;

        // The refresh token was never spent: the victim's next refresh still works.
        let renewed = expire_jwt_and_reopen_cart(&stack, &victim, &product, &stolen).await?;
        ensure!(renewed.jwt != stolen.jwt, "the victim got a new JWT");
        Ok(())
    }
);

story!(
    one_time_refresh_token_reuse_after_the_grace_period_ends_the_session_everywhere,
    |stack, victim| {
        let (product, stolen) = signed_in_with_a_product(&stack, &victim).await?;

        // The victim's app refreshes: the stolen refresh token is now a spent one.
        expire_jwt_and_reopen_cart(&stack, &victim, &product, &stolen).await?;

        // After the grace period the thief presents the spent token with the victim's old,
        // genuinely signed but expired JWT: FusionAuth detects the reuse and revokes the session.
        stack.travel(PAST_GRACE_PERIOD).await?;
        from_another_device(&stack, None, async |attacker| {
            let (status, body, renewed) = call_cart_from(
                attacker,
                &format!("Bearer {}", stolen.jwt),
                &stolen.refresh_token,
            )
            .await?;
            ensure!(status == 401, "reuse got {status}: {body}");
            ensure!(!renewed, "new tokens were handed to the thief");
            Ok(())
        })
        .await?;

        // The victim's own (current) refresh token died with the session.
        stack.travel(PAST_JWT_EXPIRY).await?;
        victim.travel(PAST_JWT_EXPIRY + PAST_GRACE_PERIOD).await?;
        is_told_the_session_expired(&stack, &victim).await
    }
);

story!(
    steps_19_20_a_stolen_jwt_reads_the_cart_only_until_the_victim_logs_out,
    |stack, victim| {
        let (product, stolen) = signed_in_with_a_product(&stack, &victim).await?;

        from_another_device(&stack, Some("steps_19_20-attacker"), async |attacker| {
            // Steps 19–20: a JWT is a bearer token; while it is valid, it reads the cart.
            let (status, body, _) =
                call_cart_from(attacker, &format!("Bearer {}", stolen.jwt), "").await?;
            ensure!(status == 200 && body.contains(&product), "{status}: {body}");

            // The victim logs out: FusionAuth revokes the session and tells the backend through
            // its webhook, so the stolen JWT stops working long before it would expire.
            victim.click("#logout").await?;
            victim.element("#login-form").await?;
            tests::eventually("the stolen JWT to be refused", || async {
                let (status, body, _) =
                    call_cart_from(attacker, &format!("Bearer {}", stolen.jwt), "").await?;
                ensure!(
                    !body.contains(&product) || status == 200,
                    "{status}: {body}"
                );
                Ok((status == 401).then_some(()))
            })
            .await
        })
        .await
    }
);

story!(
    two_tabs_whose_jwt_expired_at_once_stay_signed_in_with_one_refresh_at_fusionauth,
    |stack, browser| {
        let refreshes = stack.count_refreshes().await?;
        let product = browser.sign_in_and_add_a_product(&stack).await?;
        let (first_tab, second_tab) = browser
            .open_the_cart_in_a_second_tab(&stack, &product)
            .await?;

        // Both tabs' JWT expires at once; both reload their page at the same moment.
        time_passes(&stack, &browser, PAST_JWT_EXPIRY).await?;
        browser.reload_both_tabs(&first_tab, &second_tab).await?;

        browser.text_becomes(&quantity_of(&product), "1").await?;
        browser.client.switch_to_window(first_tab).await?;
        browser.element("#products li.product").await?;
        browser.text_becomes("#cart-count", "1").await?;
        ensure!(
            !browser.has("#login-form").await?,
            "the first tab stays signed in"
        );
        browser.client.switch_to_window(second_tab).await?;
        ensure!(
            !browser.has("#login-form").await?,
            "the second tab stays signed in"
        );

        let count = refreshes.settled(std::time::Duration::from_secs(1)).await;
        ensure!(
            count == 1,
            "FusionAuth refreshed {count} times for two tabs"
        );
        Ok(())
    }
);

story!(
    repeated_wrong_passwords_lock_the_account_and_end_its_open_sessions,
    |stack, thief| {
        // The tenant locks an account for 3 minutes after 3 failed sign-ins within a minute.
        let action_id = "ac59641b-02db-4794-a523-9733b5878996";
        stack
            .administer(
                "POST",
                &format!("/api/user-action/{action_id}"),
                serde_json::json!({ "userAction": {
                    "name": "Locked after failed sign-ins", "preventLogin": true, "temporal": true
                }}),
            )
            .await?;
        stack
            .administer(
                "PATCH",
                &format!("/api/tenant/{}", stack.facts.tenant_id),
                serde_json::json!({ "tenant": { "failedAuthenticationConfiguration": {
                    "tooManyAttempts": 3, "resetCountInSeconds": 60, "actionDuration": 3,
                    "actionDurationUnit": "MINUTES", "userActionId": action_id
                }}}),
            )
            .await?;

        // The owner is signed in on their phone.
        let owner = Browser::start().await?;
        let story = async {
            let product = owner.sign_in_and_add_a_product(&stack).await?;

            // Someone else guesses the password.
            thief.client.goto(&stack.url("/login")).await?;
            for _ in 0..3 {
                thief
                    .login_is_refused(
                        &stack.facts.demo_email,
                        "a-wrong-guess",
                        "Wrong email or password.",
                    )
                    .await?;
                // The message is re-rendered for each answer: wait until the form is ready.
                thief.element("#login-submit:not([disabled])").await?;
            }

            // Now even the right password is refused, with a plain explanation.
            thief
                .submit_login(&stack.facts.demo_email, &stack.facts.demo_password)
                .await?;
            tests::eventually("the lock to be explained", || async {
                let text = thief.element("#login-error").await?.text().await?;
                Ok(text
                    .starts_with("This account is locked until")
                    .then_some(()))
            })
            .await?;

            // The lock revoked the owner's sessions, and the backend heard of it at once.
            is_told_the_session_expired(&stack, &owner).await?;
            ensure!(
                !owner.has(&quantity_of(&product)).await?,
                "no cart after the lock"
            );
            anyhow::Ok(())
        }
        .await;
        let _ = owner.screenshot("lockout-owner").await;
        owner.close().await?;
        story
    }
);

story!(
    a_device_whose_clock_is_ten_minutes_behind_stays_signed_in_when_its_jwt_expires,
    |stack, browser| {
        browser.skew_clock(-600).await?;
        let (product, before) = signed_in_with_a_product(&stack, &browser).await?;

        // The device believes its expired JWT fresh for ten more minutes and sends no refresh
        // token; the backend answers `refresh_required` and the PWA resends once with it.
        let after = expire_jwt_and_reopen_cart(&stack, &browser, &product, &before).await?;
        ensure!(after.jwt != before.jwt, "the device stored the new JWT");
        ensure!(
            !browser.has("#login-form").await?,
            "the user stays signed in"
        );
        Ok(())
    }
);

story!(
    a_refresh_lock_held_forever_by_a_frozen_tab_delays_a_refresh_by_seconds_and_says_nothing,
    |stack, browser| {
        let (product, before) = signed_in_with_a_product(&stack, &browser).await?;
        let app_tab = browser.client.window().await?;

        // Another tab of the app takes the cross-tab refresh lock and never gives it back.
        let frozen_tab = browser.client.new_window(true).await?.handle;
        browser.client.switch_to_window(frozen_tab.clone()).await?;
        browser.client.goto(&stack.url("/login")).await?;
        let taken = browser
            .run_async(
                "return await new Promise((taken) => navigator.locks.request('store-refresh', \
                 () => { taken(true); return new Promise(() => {}); }));",
            )
            .await?;
        ensure!(
            taken == Value::Bool(true),
            "the frozen tab holds the lock: {taken}"
        );

        browser.client.switch_to_window(app_tab).await?;
        let started = std::time::Instant::now();
        let after = expire_jwt_and_reopen_cart(&stack, &browser, &product, &before).await?;
        let took = started.elapsed();
        ensure!(
            took < std::time::Duration::from_secs(12),
            "the refresh went ahead after the lock wait (5 s), not {took:?} later"
        );
        ensure!(after.jwt != before.jwt, "the device stored the new JWT");
        ensure!(
            !browser.has("#login-form").await? && !browser.has("#network-notice p").await?,
            "the user stays signed in and is told nothing"
        );

        browser.client.switch_to_window(frozen_tab).await?;
        let held = browser
            .run_async(
                "const state = await navigator.locks.query(); \
                 return state.held.some((lock) => lock.name === 'store-refresh');",
            )
            .await?;
        ensure!(
            held == Value::Bool(true),
            "the lock was still held throughout"
        );
        Ok(())
    }
);
