//! The account around the login form (issue #14), as a new user lives it: sign up, verify the
//! address from the email, sign in; forget the password and reset it from the email; change a
//! password FusionAuth demands (203) before signing in. Real emulator (its outbox holds the
//! emails), real backend serving the built PWA, real Chromium.

use anyhow::ensure;
use serde_json::{Value, json};
use shared::store::DeviceBinding;
use tests::{Browser, Stack, eventually};

/// The system in `off` mode with the backend's account API on (the Kickstart's backend key).
async fn start() -> anyhow::Result<Stack> {
    tests::start_account_stack(DeviceBinding::Off).await
}

/// The link in the newest email to `to` whose text has `path` (`/password/change/`, …).
async fn link_in_email(stack: &Stack, to: &str, path: &str) -> anyhow::Result<String> {
    let http = reqwest::Client::new();
    let url = format!("{}/_emulator/outbox.json", stack.fusionauth_url);
    eventually(&format!("an email to {to} with {path}"), || {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let outbox: Value = http.get(&url).send().await?.json().await?;
            let link = outbox["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|m| m["to"].to_string().contains(to))
                .filter_map(|m| m["textBody"].as_str())
                .find_map(|text| {
                    let start = text.find(&format!("{}{path}", stack.app_url))?;
                    text[start..].split_whitespace().next().map(str::to_owned)
                });
            Ok(link)
        }
    })
    .await
}

/// Fills the fields (`#id`, value) and clicks `submit`.
async fn fill_in(browser: &Browser, fields: &[(&str, &str)], submit: &str) -> anyhow::Result<()> {
    for (css, value) in fields {
        let field = browser.element(css).await?;
        field.clear().await?;
        field.send_keys(value).await?;
    }
    browser.click(submit).await?;
    Ok(())
}

/// Types `password` on the new-password form (a reset link's, or the one a 203 shows) and
/// submits it.
async fn choose_a_new_password(browser: &Browser, password: &str) -> anyhow::Result<()> {
    fill_in(
        browser,
        &[("#new-password", password)],
        "#new-password-submit",
    )
    .await
}

/// The page of a spent or expired link says so.
async fn the_link_is_refused(browser: &Browser) -> anyhow::Result<()> {
    browser
        .text_becomes(
            "#form-error",
            "This link has expired or has already been used. Please ask for a new one.",
        )
        .await
}

tests::story!(
    a_new_user_signs_up_verifies_the_address_from_the_email_and_signs_in,
    start(),
    |stack, browser| {
        stack
            .administer(
                "PATCH",
                &format!("/api/tenant/{}", stack.facts.tenant_id),
                json!({"tenant": {"emailConfiguration": {
                "verifyEmail": true, "unverified": {"behavior": "Gated"}}}}),
            )
            .await?;
        browser.client.goto(&stack.url("/login")).await?;
        browser.click("#signup-link").await?;
        browser.path_becomes("/signup").await?;
        // FusionAuth's errors, beside their fields; what was typed stays.
        fill_in(
            &browser,
            &[
                ("#signup-email", &stack.facts.demo_email),
                ("#signup-password", "short"),
                ("#signup-name", "Nia"),
            ],
            "#signup-submit",
        )
        .await?;
        let email_error = browser.element("#signup-email-error").await?;
        eventually("the duplicate email is explained", || async {
            Ok((!email_error.text().await?.is_empty()).then_some(()))
        })
        .await?;
        ensure!(
            !browser
                .element("#signup-password-error")
                .await?
                .text()
                .await?
                .is_empty(),
            "the short password is explained"
        );
        ensure!(
            browser
                .element("#signup-name")
                .await?
                .prop("value")
                .await?
                .as_deref()
                == Some("Nia"),
            "the name is kept"
        );

        fill_in(
            &browser,
            &[
                ("#signup-email", "nia@example.com"),
                ("#signup-password", "a-long-enough-password"),
            ],
            "#signup-submit",
        )
        .await?;
        browser.element("#verify-title").await?;
        // Signing in before verifying: 212, with "resend".
        browser
            .log_in_from_the_form(&stack, "nia@example.com", "a-long-enough-password")
            .await?;
        browser
            .text_becomes("#login-error", "Please verify your email address first.")
            .await?;
        browser.click("#resend-verification").await?;
        browser
            .text_becomes("#resend-status", "We've sent a new link. Check your email.")
            .await?;

        let link = link_in_email(&stack, "nia@example.com", "/email/verify/").await?;
        browser.client.goto(&link).await?;
        browser
            .text_becomes("#email-verified", "Your email address is verified.")
            .await?;
        // The link is used up.
        browser.client.goto(&link).await?;
        the_link_is_refused(&browser).await?;

        browser
            .log_in_from_the_form(&stack, "nia@example.com", "a-long-enough-password")
            .await?;
        browser.is_signed_in_to_the_store().await
    }
);

tests::story!(
    a_forgotten_password_is_reset_from_the_email_and_the_old_one_is_refused,
    start(),
    |stack, browser| {
        let email = stack.facts.demo_email.clone();
        browser.client.goto(&stack.url("/login")).await?;
        browser.click("#forgot-link").await?;
        browser.path_becomes("/password/forgot").await?;
        // An unknown address gets the same answer.
        fill_in(
            &browser,
            &[("#forgot-email", "nobody@example.com")],
            "#forgot-submit",
        )
        .await?;
        browser
            .text_becomes(
                "#forgot-sent",
                "If nobody@example.com has an account, we've sent it a link to choose a new password.",
            )
            .await?;
        browser.client.goto(&stack.url("/password/forgot")).await?;
        fill_in(&browser, &[("#forgot-email", &email)], "#forgot-submit").await?;
        browser.element("#forgot-sent").await?;

        let link = link_in_email(&stack, &email, "/password/change/").await?;
        browser.client.goto(&link).await?;
        choose_a_new_password(&browser, "x").await?;
        let error = browser.element("#new-password-error").await?;
        eventually("the password rules are explained", || async {
            Ok((!error.text().await?.is_empty()).then_some(()))
        })
        .await?;
        choose_a_new_password(&browser, "a-brand-new-password").await?;
        browser.is_signed_in_to_the_store().await?;

        // The link is spent.
        browser.client.goto(&link).await?;
        choose_a_new_password(&browser, "yet-another-password").await?;
        the_link_is_refused(&browser).await?;

        // Signed out, the old password is refused and the new one works.
        browser.click("#logout").await?;
        browser.path_becomes("/login").await?;
        browser
            .login_is_refused(
                &email,
                &stack.facts.demo_password,
                "Wrong email or password.",
            )
            .await?;
        browser.submit_login(&email, "a-brand-new-password").await?;
        browser.is_signed_in_to_the_store().await
    }
);

tests::story!(
    a_user_who_must_change_the_password_does_so_and_is_signed_in,
    start(),
    |stack, browser| {
        stack
            .create_user(json!({
                "email": "must-change@example.com",
                "password": "an-old-password",
                "passwordChangeRequired": true,
            }))
            .await?;
        browser
            .log_in_from_the_form(&stack, "must-change@example.com", "an-old-password")
            .await?;
        browser
            .text_becomes("#change-title", "Choose a new password")
            .await?;
        choose_a_new_password(&browser, "a-fresh-password").await?;
        browser.is_signed_in_to_the_store().await
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_the_password_on_one_device_ends_the_other_devices_session() -> anyhow::Result<()>
{
    change_on_a_ends_b(
        DeviceBinding::Off,
        "Your session has expired. Please sign in again.",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_bound_changing_the_password_on_one_device_ends_the_other_devices_session()
-> anyhow::Result<()> {
    change_on_a_ends_b(
        DeviceBinding::Required,
        "Your session has ended. Please sign in again.",
    )
    .await
}

async fn change_on_a_ends_b(mode: DeviceBinding, notice: &str) -> anyhow::Result<()> {
    let stack = tests::start_account_stack(mode).await?;
    let name = format!("account-change-{mode:?}");
    tests::two_signed_in_devices(&stack, &name, async |a, b| {
        a.click("#nav-account").await?;
        a.path_becomes("/account").await?;
        // A wrong current password changes nothing.
        fill_in(
            a,
            &[
                ("#current-password", "not-my-password"),
                ("#account-new-password", "a-changed-password"),
            ],
            "#change-password-submit",
        )
        .await?;
        a.text_becomes(
            "#current-password-error",
            "That isn't your current password.",
        )
        .await?;
        fill_in(
            a,
            &[
                ("#current-password", &stack.facts.demo_password),
                ("#account-new-password", "a-changed-password"),
            ],
            "#change-password-submit",
        )
        .await?;
        a.text_becomes(
            "#password-changed",
            "Your password has been changed. Every other device has been signed out.",
        )
        .await?;

        // Device B's very next request is refused; its app shows the login form and says why.
        b.is_signed_out_with(notice).await?;

        // Device A carries on with its new sign-in.
        a.is_still_signed_in().await
    })
    .await
}

tests::story!(
    a_reset_link_past_its_time_to_live_is_refused_and_the_password_stays,
    start(),
    |stack, browser| {
        let email = stack.facts.demo_email.clone();
        browser.client.goto(&stack.url("/password/forgot")).await?;
        fill_in(&browser, &[("#forgot-email", &email)], "#forgot-submit").await?;
        let link = link_in_email(&stack, &email, "/password/change/").await?;
        // The tenant's changePasswordIdTimeToLiveInSeconds is FusionAuth's default, 600 s.
        stack.travel(601).await?;
        browser.client.goto(&link).await?;
        choose_a_new_password(&browser, "a-too-late-password").await?;
        the_link_is_refused(&browser).await?;
        ensure!(
            browser.stored_session().await?.is_none(),
            "nobody is signed in"
        );
        browser
            .log_in_from_the_form(&stack, &email, &stack.facts.demo_password)
            .await?;
        browser.is_signed_in_to_the_store().await
    }
);
