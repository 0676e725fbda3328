//! Issue #12 item 10: a FusionAuth key rotation never logs users out. A token signed by a key
//! published since the backend's last fetch, seen while a refetch is not yet allowed, is "retry
//! later" (503), not "invalid" (401).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::forgery::decode_part;
use crate::helpers::{TENANT_ID, assert_unavailable_for_now, spawn_app};

#[tokio::test]
async fn a_token_of_a_key_rotated_in_since_the_last_fetch_answers_503_not_401() {
    let app = spawn_app().await;
    let before = app.login().await;
    assert_eq!(
        app.get_cart(&before.jwt, None).await.status(),
        StatusCode::OK
    );

    let rotated_key_id = "5d1c7a0e-33b1-4f59-9a43-6a1f3b9d2c70";
    app.admin(
        Method::POST,
        &format!("/api/key/generate/{rotated_key_id}"),
        json!({"key": {"algorithm": "ES256", "name": "Rotated access-token key"}}),
    )
    .await;
    app.admin(
        Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"jwtConfiguration": {"accessTokenKeyId": rotated_key_id}}}),
    )
    .await;
    let after = app.login().await;
    assert_ne!(
        decode_part(&after.jwt, 0)["kid"],
        decode_part(&before.jwt, 0)["kid"]
    );

    // The backend fetched the key set at start, moments ago: it may not refetch yet.
    let response = app.get_cart_as(&after).await;
    assert_unavailable_for_now(response).await;
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);
    // The old key's tokens are still served.
    assert_eq!(
        app.get_cart(&before.jwt, None).await.status(),
        StatusCode::OK
    );
}
