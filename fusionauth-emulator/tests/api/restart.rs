//! State survives a restart on the same database file; the Kickstart is applied only once.

use serde_json::Value;

use crate::helpers::{Sent, settings_with, spawn_emulator_on};

async fn kids(emulator: &crate::helpers::TestEmulator) -> Vec<String> {
    let jwks: Value = emulator.get_json("/.well-known/jwks.json").await;
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_keys_users_and_sessions() {
    let database = crate::helpers::DatabaseFile::new();

    let first = spawn_emulator_on(&database.url).await;
    let login = first.login().await;
    let first_kids = kids(&first).await;

    // A second build on the same file would fail if the Kickstart ran again (duplicate key id).
    let second = spawn_emulator_on(&database.url).await;
    assert_ne!(first.base_url, second.base_url);
    assert_eq!(kids(&second).await, first_kids);
    let claims = second
        .verified_claims(login["token"].as_str().expect("token"))
        .await;
    assert_eq!(claims["sub"], second.user_id);
    let refreshed = second.refresh_login(&login).await;
    assert_eq!(refreshed.status(), 200, "the session survives the restart");
    second.login().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_can_be_built_inside_a_spawned_task() {
    let emulator = tokio::spawn(crate::helpers::spawn_emulator())
        .await
        .expect("the build future is Send");
    emulator.login().await;
}

#[tokio::test]
async fn a_failing_kickstart_request_is_named_in_the_error() {
    let kickstart = fusionauth_emulator::Kickstart::from_json(
        r#"{"apiKeys":[{"key":"a-key-that-is-long-enough-0123456789"}],
            "requests":[{"method":"PATCH","url":"/api/tenant/00000000-0000-0000-0000-000000000000",
                         "body":{"tenant":{"issuer":"x"}}}]}"#,
    )
    .expect("parses");
    let error = fusionauth_emulator::Application::build(settings_with(Some(kickstart)))
        .await
        .expect_err("the Kickstart fails");
    let message = format!("{error:#}");
    assert!(
        message.contains("requests[0] PATCH /api/tenant/"),
        "{message}"
    );
    assert!(message.contains("404"), "{message}");
}

#[tokio::test]
async fn test_hooks_are_refused_on_a_non_loopback_address() {
    let error = fusionauth_emulator::Application::build(fusionauth_emulator::Settings {
        listen: "0.0.0.0:0".parse().expect("address"),
        test_hooks: true,
        ..settings_with(None)
    })
    .await
    .expect_err("refused");
    assert!(format!("{error:#}").contains("loopback"));
}

#[tokio::test]
async fn the_clock_hook_does_not_exist_without_test_hooks() {
    let application = fusionauth_emulator::Application::build(settings_with(None))
        .await
        .expect("builds");
    let url = format!("{}/_emulator/clock", application.base_url());
    tokio::spawn(application.run_until_stopped());
    reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({"advanceSeconds": 10}))
        .expect_status(404)
        .await;
}
