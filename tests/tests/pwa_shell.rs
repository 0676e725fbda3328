//! Issue #15 on an emulated phone: the sign-in form of index.html's shell is on screen before the
//! wasm has run, what the user typed there (and a press of "Sign in") survives the app's
//! takeover, and a new version on the server is announced and applied only on the user's word.
//!
//! "Before the wasm has run" is made certain, not timed: the page loads with every `.wasm`
//! request blocked (Chrome DevTools' `Network.setBlockedURLs`), and the test then lifts the block
//! and starts the app exactly as index.html's module script does.

use std::path::Path;

use anyhow::{Context, ensure};
use serde_json::{Value, json};
use shared::store::DeviceBinding;
use testkit::ScratchDir;
use tests::{Browser, Stack, eventually};

/// Opens `/` with the wasm blocked and waits until the shell's form is on screen.
async fn open_without_wasm(browser: &Browser, stack: &Stack) -> anyhow::Result<()> {
    browser.cdp("Network.enable", json!({})).await?;
    browser
        .cdp("Network.setBlockedURLs", json!({ "urls": ["*.wasm"] }))
        .await?;
    browser.client.goto(&stack.url("/")).await?;
    ensure!(
        browser.element("#shell-form").await?.is_displayed().await?,
        "the shell's sign-in form is on screen"
    );
    let app = browser
        .client
        .execute(
            "return document.getElementById('app').childElementCount",
            vec![],
        )
        .await?;
    ensure!(app == json!(0), "the app has not run: #app holds {app}");
    Ok(())
}

/// Lifts the block and starts the app the way index.html's module script does (the wasm's path
/// read from that script: the release build fetches it after the first paint, unpreloaded).
async fn start_the_app(browser: &Browser) -> anyhow::Result<()> {
    browser
        .cdp("Network.setBlockedURLs", json!({ "urls": [] }))
        .await?;
    let started = browser
        .run_async(
            "const glue = document.querySelector('link[rel=modulepreload]').href; \
             const wasm = document.querySelector('script[type=module]').textContent \
               .match(/\\/frontend-[0-9a-f]+_bg\\.wasm/)[0]; \
             const app = await import(glue); \
             await app.default({ module_or_path: wasm }); \
             return true;",
        )
        .await?;
    ensure!(started == json!(true), "the app started: {started}");
    Ok(())
}

async fn value_of(browser: &Browser, css: &str) -> anyhow::Result<Option<String>> {
    Ok(browser.element(css).await?.prop("value").await?)
}

tests::story!(
    what_was_typed_into_the_shell_before_the_wasm_ran_is_kept_by_the_app,
    tests::start_stack(),
    |stack, browser| {
        open_without_wasm(&browser, &stack).await?;
        let email = browser.element("#shell-email").await?;
        email.send_keys(&stack.facts.demo_email).await?;
        let password = browser.element("#shell-password").await?;
        password.send_keys(&stack.facts.demo_password).await?;

        start_the_app(&browser).await?;
        eventually("the app to take over from the shell", || async {
            Ok((!browser.has("#shell").await? && browser.has("#login-form").await?).then_some(()))
        })
        .await?;
        ensure!(
            value_of(&browser, "#email").await?.as_deref() == Some(&*stack.facts.demo_email),
            "the email typed into the shell is in the app's field"
        );
        ensure!(
            value_of(&browser, "#password").await?.as_deref() == Some(&*stack.facts.demo_password),
            "the password typed into the shell is in the app's field"
        );
        let focused = browser
            .client
            .execute("return document.activeElement.id", vec![])
            .await?;
        ensure!(
            focused == json!("password"),
            "the focus stays in the password field: {focused}"
        );
        // The values reached the app's state, not only its inputs: signing in uses them.
        browser.click("#login-submit").await?;
        browser.shows_the_store().await
    }
);

tests::story!(
    sign_in_pressed_in_the_shell_signs_in_once_the_app_runs,
    tests::start_stack(),
    |stack, browser| {
        open_without_wasm(&browser, &stack).await?;
        for (css, value) in [
            ("#shell-email", &stack.facts.demo_email),
            ("#shell-password", &stack.facts.demo_password),
        ] {
            browser.element(css).await?.send_keys(value).await?;
        }
        browser.click("#shell-submit").await?;
        // Nothing went anywhere: no navigation, the password is not in the address.
        let url = browser.client.current_url().await?;
        ensure!(
            url.path() == "/" && url.query().is_none(),
            "the shell's form is not sent: {url}"
        );

        start_the_app(&browser).await?;
        browser.is_signed_in_to_the_store().await
    }
);

tests::story!(
    the_wasm_is_fetched_only_once_the_shell_has_painted,
    tests::start_stack(),
    |stack, browser| {
        browser.opens_on_the_login_form(&stack, "/").await?;
        // Both times on the page's own clock: when the first content was painted, and when the
        // request for the app's wasm started.
        let times = browser
            .run_async(
                "const paint = performance.getEntriesByName('first-contentful-paint')[0]; \
                 const wasm = performance.getEntriesByType('resource') \
                   .find((e) => /\\/frontend-[0-9a-f]+_bg\\.wasm$/.test(new URL(e.name).pathname)); \
                 return { painted: paint ? paint.startTime : null, \
                          fetched: wasm ? wasm.startTime : null };",
            )
            .await?;
        let (Some(painted), Some(fetched)) = (times["painted"].as_f64(), times["fetched"].as_f64())
        else {
            anyhow::bail!("the page has no first paint or no wasm request: {times}");
        };
        ensure!(
            fetched >= painted,
            "the wasm was requested at {fetched:.1} ms, before the first paint at {painted:.1} ms"
        );
        Ok(())
    }
);

/// Copies the built PWA (flat files and one level of folders: icons, images).
fn copy_dist(from: &Path, to: &Path) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dist(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Publishes a "new build" in `dist`: its stylesheet under another content hash (same bytes, so
/// index.html's integrity hash still holds). Returns the new stylesheet's name.
fn publish_new_version(dist: &Path) -> anyhow::Result<String> {
    let index_path = dist.join("index.html");
    let index = std::fs::read_to_string(&index_path)?;
    let old = std::fs::read_dir(dist)?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("style-") && name.ends_with(".css"))
        .context("the build has a stylesheet")?;
    let new = "style-0123456789abcdef.css".to_owned();
    ensure!(old != new, "a different name");
    std::fs::copy(dist.join(&old), dist.join(&new))?;
    std::fs::write(&index_path, index.replace(&old, &new))?;
    Ok(new)
}

async fn page_state(browser: &Browser) -> anyhow::Result<Value> {
    browser
        .run_async(
            "await navigator.serviceWorker.ready; \
             const names = (await caches.keys()).filter((n) => n.startsWith('store-shell-')); \
             const shell = names[0]; \
             const cached = shell ? (await (await caches.open(shell)).keys()).length : 0; \
             return { controlled: !!navigator.serviceWorker.controller, caches: names.length, cached, \
                      stylesheet: document.querySelector('link[rel=stylesheet]').getAttribute('href') };",
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_version_is_announced_and_applied_only_when_the_user_reloads() -> anyhow::Result<()> {
    let dist = ScratchDir::new("pwa-update")?;
    copy_dist(&tests::dist_dir()?, dist.path())?;
    let stack = Stack::builder()
        .static_dir(dist.path().to_path_buf())
        .device_binding(DeviceBinding::Off)
        .start()
        .await?;
    let browser = Browser::start().await?;
    let outcome = async {
        browser.opens_on_the_login_form(&stack, "/").await?;
        let first = eventually("the service worker to control the page", || async {
            let state = page_state(&browser).await?;
            let ready = state["controlled"] == json!(true) && state["cached"].as_u64() >= Some(4);
            Ok(ready.then_some(state))
        })
        .await?;
        let old_stylesheet = first["stylesheet"].as_str().unwrap_or_default().to_owned();

        let new_stylesheet = publish_new_version(dist.path())?;
        // The next start: the page comes from the worker's cache (the old version) and asks the
        // server which build is current.
        browser.client.refresh().await?;
        browser.element("#login-form").await?;
        browser
            .text_becomes(
                "#update-available:not([hidden]) p",
                "Update available — reload to use the new version.",
            )
            .await?;
        // Until the user says so, the open app is the old version, whole.
        let waiting = page_state(&browser).await?;
        ensure!(
            waiting["stylesheet"] == json!(old_stylesheet),
            "the open app still runs the old version: {waiting}"
        );

        browser.click("#update-reload").await?;
        let applied = eventually("the new version to be running", || async {
            // The click reloads the page once the new worker takes over: a script caught by
            // that reload fails, which means "not yet", not a failed update.
            let Ok(state) = page_state(&browser).await else {
                return Ok(None);
            };
            let new = state["stylesheet"] == json!(format!("/{new_stylesheet}"))
                && state["caches"] == json!(1);
            Ok(new.then_some(state))
        })
        .await?;
        ensure!(
            applied["controlled"] == json!(true),
            "the new worker controls the page: {applied}"
        );
        ensure!(
            !browser
                .element("#update-available")
                .await?
                .is_displayed()
                .await?,
            "no prompt once updated"
        );
        browser.element("#login-form").await?;
        Ok(())
    }
    .await;
    let _ = browser.screenshot("pwa-update").await;
    browser.close().await?;
    drop(stack);
    outcome
}
