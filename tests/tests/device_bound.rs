//! The workflow again in device-bound mode (`APP_DEVICE_BINDING=required`, issue #11): the PWA
//! signs in straight at FusionAuth as before, hands the refresh token to the backend, and then
//! proves its device key on every call. The attacks of steps 15–20 fail here *before* any
//! logout: a copied JWT is worth nothing without the key, a captured request cannot be replayed,
//! and the refresh token the device saw at sign-in is spent. Real emulator, real backend, real
//! Chromium; time moves through the clocks, never through sleeps.
//!
//! Over 500 lines because it is one specification: six stories and the traffic recorder only
//! they use.

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use tests::{
    Browser, DeviceKey, PAST_GRACE_PERIOD, PAST_JWT_EXPIRY, Stack, quantity_of, time_passes,
};

const SESSION_ENDED: &str = "Your session has ended. Please sign in again.";

/// Records what the page sends and what the Login API answers, as someone who reads the
/// device's traffic would: each request's method, URL, `Authorization`, `DPoP` and
/// `X-Refresh-Token` headers and status, and each 200 login answer — in `sessionStorage`, so a
/// reload keeps them. Installed before the app's script runs, in every document.
const SNIFFER: &str = r"(() => {
  if (window.__sniffing) return; window.__sniffing = true;
  const log = (key, entry) => {
    const list = JSON.parse(sessionStorage.getItem(key) || '[]');
    list.push(entry); sessionStorage.setItem(key, JSON.stringify(list));
  };
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.url, location.href);
    const headers = new Headers((init && init.headers) || undefined);
    const response = await realFetch(input, init);
    log('sniffed-requests', {
      method: (init && init.method) || 'GET', url: url.href, path: url.pathname,
      authorization: headers.get('Authorization'), dpop: headers.get('DPoP'),
      refreshToken: headers.get('X-Refresh-Token'), status: response.status });
    if (/\/api\/(two-factor\/)?login$/.test(url.pathname) && response.status === 200) {
      log('sniffed-logins', await response.clone().json());
    }
    return response;
  };
})();";

/// Starts recording the page's traffic (see [`SNIFFER`]).
async fn sniff(browser: &Browser) -> anyhow::Result<()> {
    browser
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": SNIFFER }),
        )
        .await?;
    Ok(())
}

/// The requests recorded so far.
async fn sniffed_requests(browser: &Browser) -> anyhow::Result<Vec<Value>> {
    sniffed(browser, "sniffed-requests").await
}

async fn sniffed(browser: &Browser, key: &str) -> anyhow::Result<Vec<Value>> {
    let raw = browser
        .run_async(&format!("return sessionStorage.getItem('{key}') || '[]';"))
        .await?;
    Ok(serde_json::from_str(raw.as_str().context("a string")?)?)
}

/// The refresh token the Login API gave the device at sign-in.
async fn sign_in_refresh_token(browser: &Browser) -> anyhow::Result<String> {
    let logins = sniffed(browser, "sniffed-logins").await?;
    let login = logins.last().context("no 200 login answer was seen")?;
    Ok(login["refreshToken"]
        .as_str()
        .context("the login answer had no refresh token")?
        .to_owned())
}

/// Everything the PWA keeps in IndexedDB (`store` / `kv`), each value as the page sees it: a
/// string as is, a `CryptoKeyPair` described by its keys' types and extractability.
async fn kept_on_the_device(browser: &Browser) -> anyhow::Result<Value> {
    browser
        .run_async(
            "const db = await new Promise((ok, fail) => { \
               const open = indexedDB.open('store'); \
               open.onsuccess = () => ok(open.result); open.onerror = () => fail(open.error); }); \
             if (!db.objectStoreNames.contains('kv')) { db.close(); return {}; } \
             const store = db.transaction('kv').objectStore('kv'); \
             const [keys, values] = await Promise.all(['getAllKeys', 'getAll'].map((m) => \
               new Promise((ok, fail) => { const r = store[m](); \
                 r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error); }))); \
             db.close(); \
             const out = {}; \
             keys.forEach((k, i) => { const v = values[i]; \
               out[k] = (v && v.privateKey) ? { privateKey: { type: v.privateKey.type, \
                   extractable: v.privateKey.extractable, algorithm: v.privateKey.algorithm.name }, \
                 publicKey: { type: v.publicKey.type } } : v; }); \
             return out;",
        )
        .await
}

/// The stored session (the JSON under `session`), if any.
fn stored_session(kept: &Value) -> anyhow::Result<Option<Value>> {
    match kept.get("session") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(json)) => Ok(Some(serde_json::from_str(json)?)),
        Some(other) => anyhow::bail!("unexpected stored session: {other}"),
    }
}

async fn stored_jwt(browser: &Browser) -> anyhow::Result<String> {
    let kept = kept_on_the_device(browser).await?;
    let session = stored_session(&kept)?.context("the PWA stored no session")?;
    Ok(session["token"]
        .as_str()
        .context("a session without a JWT")?
        .to_owned())
}

/// Steps 6–9 from the device's side: time passes the JWT's expiry, the device opens the cart
/// (which still shows `product`), and the backend's refresh leaves a new JWT on the device;
/// returns it.
async fn expire_jwt_and_reopen_cart(
    stack: &Stack,
    browser: &Browser,
    product: &str,
) -> anyhow::Result<String> {
    let before = stored_jwt(browser).await?;
    time_passes(stack, browser, PAST_JWT_EXPIRY).await?;
    browser.reopens_the_cart_with_one(stack, product).await?;
    tests::eventually("the device to store the refreshed JWT", || async {
        let now = stored_jwt(browser).await?;
        Ok((now != before).then_some(now))
    })
    .await
}

/// `GET /api/cart` from the test process (another device: no cookies, no browser) with the
/// given headers; the status and whether a new JWT came back.
async fn call_cart(stack: &Stack, headers: &[(&str, &str)]) -> anyhow::Result<(u16, bool)> {
    let mut request = reqwest::Client::new().get(stack.url("/api/cart"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await?;
    Ok((
        answer.status().as_u16(),
        answer.headers().contains_key("X-New-Access-Token"),
    ))
}

/// Runs a story with a fresh device-bound system and a browser whose traffic is recorded (see
/// [`tests::story`]).
macro_rules! story {
    ($name:ident, |$stack:ident, $browser:ident| $body:block) => {
        tests::story!(
            $name,
            tests::start_device_bound_stack(),
            |$stack, $browser| {
                sniff(&$browser).await?;
                $body
            }
        );
    };
}

story!(
    device_bound_steps_01_09_the_device_keeps_a_key_it_cannot_read_and_never_a_refresh_token,
    |stack, browser| {
        let product = browser.sign_in_and_add_a_product(&stack).await?;
        let sign_in_refresh_token = sign_in_refresh_token(&browser).await?;

        let kept = kept_on_the_device(&browser).await?;
        let session = stored_session(&kept)?.context("a stored session")?;
        ensure!(
            session.get("refreshToken").is_none() && session["jkt"].is_string(),
            "the session is bound to a key and holds no refresh token: {session}"
        );
        ensure!(
            !kept.to_string().contains(&sign_in_refresh_token),
            "the sign-in refresh token is nowhere in IndexedDB"
        );
        let key = &kept["device-key"];
        ensure!(
            key["privateKey"]
                == json!({"type": "private", "extractable": false, "algorithm": "ECDSA"})
                && key["publicKey"]["type"] == "public",
            "the device key is a non-extractable ECDSA key pair: {key}"
        );

        // Every store call carries the JWT as DPoP and a proof, never a refresh token.
        let store_calls: Vec<Value> = sniffed_requests(&browser)
            .await?
            .into_iter()
            .filter(|r| r["path"].as_str().is_some_and(|p| p.starts_with("/api/")))
            .filter(|r| {
                r["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&stack.app_url))
            })
            .collect();
        ensure!(
            store_calls
                .iter()
                .any(|r| r["path"] == "/api/session" && r["status"] == 201),
            "the hand-off answered 201: {store_calls:?}"
        );
        for call in &store_calls {
            ensure!(
                call["authorization"]
                    .as_str()
                    .is_some_and(|a| a.starts_with("DPoP ey"))
                    && call["dpop"]
                        .as_str()
                        .is_some_and(|p| p.split('.').count() == 3)
                    && call["refreshToken"].is_null(),
                "a device-bound call: {call}"
            );
        }

        // Steps 6–9: the JWT expires; the backend refreshes with the token it holds.
        let after = expire_jwt_and_reopen_cart(&stack, &browser, &product).await?;
        ensure!(after.split('.').count() == 3, "a JWT");
        let session = stored_session(&kept_on_the_device(&browser).await?)?.context("a session")?;
        ensure!(
            session.get("refreshToken").is_none(),
            "still no refresh token on the device"
        );

        // Logout ends the session at the backend, then here: the copied JWT is worth nothing.
        browser.click("#logout").await?;
        browser.element("#login-form").await?;
        let kept = tests::eventually("the session and the key to be wiped", || async {
            let kept = kept_on_the_device(&browser).await?;
            Ok((kept.get("session").is_none() && kept.get("device-key").is_none()).then_some(kept))
        })
        .await?;
        ensure!(kept == json!({}), "nothing is left on the device: {kept}");
        let logout = sniffed_requests(&browser).await?;
        ensure!(
            logout.iter().any(|r| r["method"] == "DELETE"
                && r["path"] == "/api/session"
                && r["status"] == 204),
            "logout went through DELETE /api/session"
        );
        let thief = DeviceKey::new();
        let proof = thief.proof("GET", &stack.url("/api/cart"), &after, None);
        let (status, _) = call_cart(
            &stack,
            &[
                ("Authorization", &format!("DPoP {after}")),
                ("DPoP", &proof),
            ],
        )
        .await?;
        ensure!(status == 401, "the last JWT after logout: {status}");
        Ok(())
    }
);

story!(
    device_bound_steps_15_20_copied_tokens_and_captured_requests_fail_before_any_logout,
    |stack, browser| {
        let product = browser.sign_in_and_add_a_product(&stack).await?;
        browser.opens_the_cart_with_one(&product).await?;
        let jwt = stored_jwt(&browser).await?;

        // A copied JWT with the thief's own key.
        let thief = DeviceKey::new();
        let proof = thief.proof("GET", &stack.url("/api/cart"), &jwt, None);
        let (status, renewed) = call_cart(
            &stack,
            &[("Authorization", &format!("DPoP {jwt}")), ("DPoP", &proof)],
        )
        .await?;
        ensure!(
            status == 401 && !renewed,
            "the JWT with another key: {status}"
        );

        // The copied JWT as a Bearer token, as in `off` mode.
        let (status, renewed) =
            call_cart(&stack, &[("Authorization", &format!("Bearer {jwt}"))]).await?;
        ensure!(status == 401 && !renewed, "the JWT as Bearer: {status}");

        // A captured request (JWT and proof) sent again.
        let requests = sniffed_requests(&browser).await?;
        let captured = requests
            .iter()
            .rev()
            .find(|r| r["method"] == "GET" && r["path"] == "/api/cart" && r["status"] == 200)
            .context("the victim's GET /api/cart was seen")?;
        let (status, renewed) = call_cart(
            &stack,
            &[
                (
                    "Authorization",
                    captured["authorization"].as_str().unwrap_or_default(),
                ),
                ("DPoP", captured["dpop"].as_str().unwrap_or_default()),
            ],
        )
        .await?;
        ensure!(status == 401 && !renewed, "the replayed proof: {status}");

        // None of it touched the victim, who still reads the cart.
        browser.reopens_the_cart_with_one(&stack, &product).await?;

        // The refresh token the device saw at sign-in, presented at FusionAuth once the
        // hand-off has spent it and the grace period is over: refused.
        let refresh_token = sign_in_refresh_token(&browser).await?;
        time_passes(&stack, &browser, PAST_GRACE_PERIOD).await?;
        let answer = reqwest::Client::new()
            .post(format!("{}/api/jwt/refresh", stack.fusionauth_url))
            .json(&json!({ "refreshToken": refresh_token }))
            .send()
            .await?;
        let status = answer.status().as_u16();
        let body = answer.text().await?;
        ensure!(
            !(200..300).contains(&status) && !body.contains("\"token\""),
            "FusionAuth refused the spent sign-in refresh token: {status} {body}"
        );

        // That reuse ends the session; the victim is told, not left with a broken app.
        // Each visit settles first — the cart shows (the revocation has not arrived yet: visit
        // again) or the app has said the session ended — so a slow load is never cut short.
        tests::eventually("the victim's app to say the session ended", || async {
            browser.client.goto(&stack.url("/cart")).await?;
            let ended = tests::eventually("the cart or the session notice", || async {
                if browser.has("#session-notice").await? {
                    return Ok(Some(true));
                }
                Ok(browser.has(&quantity_of(&product)).await?.then_some(false))
            })
            .await?;
            Ok(ended.then_some(()))
        })
        .await?;
        browser
            .text_becomes("#session-notice", SESSION_ENDED)
            .await?;
        browser.path_becomes("/login").await?;
        let kept = kept_on_the_device(&browser).await?;
        ensure!(
            kept.get("session").is_none() && kept.get("device-key").is_none(),
            "the ended session and its key are wiped: {kept}"
        );
        Ok(())
    }
);

story!(
    device_bound_a_device_whose_clock_is_ten_minutes_behind_signs_in_and_refreshes,
    |stack, browser| {
        browser.skew_clock(-600).await?;
        let product = browser.sign_in_and_add_a_product(&stack).await?;
        let asked = sniffed_requests(&browser).await?;
        ensure!(
            asked
                .iter()
                .any(|r| r["path"] == "/api/session" && r["status"] == 401)
                && asked
                    .iter()
                    .any(|r| r["path"] == "/api/session" && r["status"] == 201),
            "the hand-off's proof, ten minutes old, was answered with a nonce and then accepted"
        );

        expire_jwt_and_reopen_cart(&stack, &browser, &product).await?;
        ensure!(
            !browser.has("#login-form").await?,
            "the user stays signed in"
        );
        Ok(())
    }
);

story!(
    device_bound_a_two_factor_sign_in_hands_the_refresh_token_over_after_the_code_step,
    |stack, browser| {
        tests::start_a_two_factor_sign_in(&stack, &browser).await?;
        let code_input = browser.element("#two-factor-form #two-factor-code").await?;
        code_input
            .send_keys(&tests::totp_code(&browser).await?)
            .await?;
        browser.click("#two-factor-submit").await?;
        browser.shows_the_store().await?;
        browser.add_first_product().await?;

        let refresh_token = sign_in_refresh_token(&browser).await?;
        let kept = kept_on_the_device(&browser).await?;
        let session = stored_session(&kept)?.context("a stored session")?;
        ensure!(
            session["jkt"].is_string() && !kept.to_string().contains(&refresh_token),
            "the two-factor step's refresh token went to the backend only: {session}"
        );
        Ok(())
    }
);

story!(
    device_bound_two_tabs_share_the_key_refresh_once_and_sign_out_together,
    |stack, browser| {
        let refreshes = stack.count_refreshes().await?;
        let product = browser.sign_in_and_add_a_product(&stack).await?;
        // The hand-off exchanged the sign-in refresh token once already.
        let at_sign_in = refreshes.settled(std::time::Duration::from_secs(1)).await;
        ensure!(at_sign_in == 1, "the hand-off refreshed {at_sign_in} times");
        let (first_tab, second_tab) = browser
            .open_the_cart_in_a_second_tab(&stack, &product)
            .await?;
        let before = stored_jwt(&browser).await?;

        // Both tabs' JWT expires at once; both reload their page at the same moment. The
        // backend's lease makes it one refresh; no lock between the tabs is needed.
        time_passes(&stack, &browser, PAST_JWT_EXPIRY).await?;
        browser.reload_both_tabs(&first_tab, &second_tab).await?;
        browser.text_becomes(&quantity_of(&product), "1").await?;
        browser.client.switch_to_window(first_tab.clone()).await?;
        browser.text_becomes("#cart-count", "1").await?;
        ensure!(
            !browser.has("#login-form").await?,
            "the first tab stays signed in"
        );
        let kept = tests::eventually("the tabs to keep the refreshed JWT", || async {
            Ok((stored_jwt(&browser).await? != before).then_some(()))
        })
        .await;
        if let Err(e) = kept {
            let seen = sniffed_requests(&browser).await?;
            anyhow::bail!("{e}: {seen:#?}");
        }
        let count = refreshes.settled(std::time::Duration::from_secs(1)).await - at_sign_in;
        ensure!(
            count == 1,
            "FusionAuth refreshed {count} times for two tabs"
        );

        // Signing out in one tab signs the other out too.
        browser.click("#logout").await?;
        browser.element("#login-form").await?;
        browser.client.switch_to_window(second_tab).await?;
        browser.element("#login-form").await?;
        Ok(())
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_bound_a_refused_hand_off_keeps_nothing_on_the_device_and_says_so()
-> anyhow::Result<()> {
    // Reusable refresh tokens: the device's copy would stay valid, so the backend refuses to
    // bind the session.
    let stack = Stack::builder()
        .static_dir(tests::dist_dir()?)
        .device_binding(shared::store::DeviceBinding::Required)
        .kickstart(|document| {
            for request in document["requests"].as_array_mut().into_iter().flatten() {
                let configuration = &mut request["body"]["tenant"]["jwtConfiguration"];
                if configuration.is_object() {
                    configuration["refreshTokenUsagePolicy"] = json!("Reusable");
                }
            }
        })
        .start()
        .await?;
    let browser = Browser::start().await?;
    let outcome = async {
        sniff(&browser).await?;
        browser
            .log_in_from_the_form(&stack, &stack.facts.demo_email, &stack.facts.demo_password)
            .await?;
        browser
            .text_becomes(
                "#login-error",
                "Something went wrong while signing in. Please try again.",
            )
            .await?;
        let requests = sniffed_requests(&browser).await?;
        ensure!(
            requests
                .iter()
                .any(|r| r["path"] == "/api/session" && r["status"] == 500),
            "the backend refused the hand-off: {requests:?}"
        );
        browser.path_becomes("/login").await?;
        let kept = kept_on_the_device(&browser).await?;
        ensure!(kept == json!({}), "nothing is kept on the device: {kept}");
        Ok(())
    }
    .await;
    let _ = browser.screenshot("device_bound_refused_hand_off").await;
    browser.close().await?;
    outcome
}
