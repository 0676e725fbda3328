//! State survives a restart on the same database file; the Kickstart is applied only once.

use serde_json::Value;

use crate::helpers::spawn_emulator_on;

async fn kids(emulator: &crate::helpers::TestEmulator) -> Vec<String> {
    let jwks: Value = emulator
        .client
        .get(emulator.url("/.well-known/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn a_restart_on_the_same_database_keeps_keys_users_and_sessions() {
    let dir = std::env::temp_dir().join(format!("fusionauth-emulator-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite:{}?mode=rwc", dir.join("emulator.db").display());

    let first = spawn_emulator_on(&url).await;
    let login = first.login().await;
    let first_kids = kids(&first).await;

    // A second build on the same file would fail if the Kickstart ran again (duplicate key id).
    let second = spawn_emulator_on(&url).await;
    assert_ne!(first.base_url, second.base_url);
    assert_eq!(kids(&second).await, first_kids);
    let claims = second
        .verified_claims(login["token"].as_str().expect("token"))
        .await;
    assert_eq!(claims["sub"], second.user_id);
    let refreshed = second
        .refresh(login["refreshToken"].as_str().expect("value"))
        .await;
    assert_eq!(refreshed.status(), 200, "the session survives the restart");
    second.login().await;

    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_can_be_built_inside_a_spawned_task() {
    let emulator = tokio::spawn(crate::helpers::spawn_emulator())
        .await
        .expect("the build future is Send");
    emulator.login().await;
}
