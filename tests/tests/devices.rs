//! Signed-in devices (issue #14), as a user with a phone and a laptop lives them: the account
//! page lists both, device A signs device B out, or signs out everywhere; B's very next request
//! takes it to the login form, which says why. Both `APP_DEVICE_BINDING` modes; real emulator,
//! real backend serving the built PWA, real Chromium.

use anyhow::ensure;
use shared::store::DeviceBinding;
use tests::{Browser, eventually};

/// What B's login form says in each mode once its session was ended elsewhere.
const OFF_NOTICE: &str = "Your session has expired. Please sign in again.";
const BOUND_NOTICE: &str = "Your session has ended. Please sign in again.";

/// The FusionAuth refresh token id of the browser's session (its entry in the device list).
async fn session_id(browser: &Browser) -> anyhow::Result<String> {
    let stored = browser.stored_session().await?;
    let id = stored
        .as_ref()
        .and_then(|s| s["refreshTokenId"].as_str())
        .map(str::to_owned);
    id.ok_or_else(|| anyhow::anyhow!("a stored session with a refreshTokenId: {stored:?}"))
}

/// Opens the account page and waits for the device list to show `id`.
async fn devices_of(browser: &Browser, id: &str) -> anyhow::Result<()> {
    browser.click("#nav-account").await?;
    browser.path_becomes("/account").await?;
    browser
        .element(&format!("#devices-list li[data-id='{id}']"))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_a_signs_device_b_out() -> anyhow::Result<()> {
    a_signs_b_out(DeviceBinding::Off, OFF_NOTICE).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_bound_device_a_signs_device_b_out() -> anyhow::Result<()> {
    a_signs_b_out(DeviceBinding::Required, BOUND_NOTICE).await
}

async fn a_signs_b_out(mode: DeviceBinding, notice: &str) -> anyhow::Result<()> {
    let stack = tests::start_account_stack(mode).await?;
    tests::two_signed_in_devices(&stack, &format!("devices-{mode:?}"), async |a, b| {
        let (a_id, b_id) = (session_id(a).await?, session_id(b).await?);

        // A sees both, itself marked, and signs B out.
        devices_of(a, &b_id).await?;
        let this = a.element(&format!("li[data-id='{a_id}']")).await?;
        ensure!(
            this.text().await?.contains("(this device)"),
            "A is marked as this device"
        );
        ensure!(
            !a.has(&format!("li[data-id='{a_id}'] .device-sign-out"))
                .await?,
            "this device has no per-device sign-out"
        );
        a.click(&format!("li[data-id='{b_id}'] .device-sign-out"))
            .await?;
        a.text_becomes("#devices-status", "That device has been signed out.")
            .await?;
        eventually("B to leave A's list", || async {
            Ok((!a.has(&format!("li[data-id='{b_id}']")).await?).then_some(()))
        })
        .await?;

        b.is_signed_out_with(notice).await?;

        // A carries on.
        a.is_still_signed_in().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_everywhere_after_confirming_ends_every_device_this_one_too()
-> anyhow::Result<()> {
    let stack = tests::start_account_stack(DeviceBinding::Required).await?;
    tests::two_signed_in_devices(&stack, "devices-everywhere", async |a, b| {
        let b_id = session_id(b).await?;
        devices_of(a, &b_id).await?;

        // Nothing happens before the confirmation; cancelling keeps everyone signed in.
        a.click("#devices-sign-out-everywhere").await?;
        a.text_becomes(
            "#devices-everywhere-question",
            "Sign out of every device, this one too?",
        )
        .await?;
        a.click("#devices-everywhere-cancel").await?;
        ensure!(
            !a.has("#devices-everywhere-question").await?,
            "the question is gone after Cancel"
        );
        ensure!(
            a.has(&format!("li[data-id='{b_id}']")).await?,
            "B is still listed"
        );

        a.click("#devices-sign-out-everywhere").await?;
        a.click("#devices-everywhere-confirm").await?;
        a.path_becomes("/login").await?;
        eventually("A to keep no session", || async {
            Ok(a.stored_session().await?.is_none().then_some(()))
        })
        .await?;

        b.is_signed_out_with(BOUND_NOTICE).await?;
        Ok(())
    })
    .await
}
