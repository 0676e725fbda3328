//! Steps 4–5 (and 19–20): a valid JWT identifies the user, whose cart is theirs alone.

use reqwest::StatusCode;
use serde_json::json;
use shared::store::{Cart, ErrorCode};

use crate::helpers::{
    DEMO_USER_ID, Sent, TestApp, assert_error, header, join_all, quantities, spawn_app,
};

#[tokio::test]
async fn step_04_05_a_valid_jwt_returns_the_users_cart() {
    let app = spawn_app().await;
    let session = app.login().await;
    assert_eq!(session.user_id, DEMO_USER_ID);

    let response = app.get_cart_as(&session).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    assert_eq!(
        header(&response, shared::headers::NEW_ACCESS_TOKEN),
        None,
        "a fresh JWT is not refreshed"
    );
    let cart: Cart = response.json().await.expect("cart");
    assert!(cart.lines.is_empty());
    assert_eq!(
        (cart.item_count, cart.total, cart.currency.as_str()),
        (0, 0, "EUR")
    );
}

#[tokio::test]
async fn step_05_cart_changes_answer_the_whole_cart() {
    check_cart_changes(&spawn_app().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_cart_changes(app: &TestApp) {
    let jwt = app.login().await.jwt;

    let added: Cart = app.cart_after_adding(&jwt, "notebook", 2).await;
    assert_eq!(quantities(&added), [("notebook".to_owned(), 2)]);
    let added: Cart = app.cart_after_adding(&jwt, "pour-over", 1).await;
    assert_eq!(
        quantities(&added),
        [("notebook".to_owned(), 2), ("pour-over".to_owned(), 1)]
    );
    assert_eq!(added.item_count, 3);
    assert_eq!(added.total, 2 * 1200 + 3200);
    assert_eq!(added.lines[0].line_total, 2400);

    let again: Cart = app.cart_after_adding(&jwt, "notebook", 98).await;
    assert_eq!(
        quantities(&again)[0],
        ("notebook".to_owned(), 99),
        "a line holds at most 99"
    );

    let response = app
        .with_jwt(reqwest::Method::PATCH, "/api/cart/items/notebook", &jwt)
        .json(&json!({"quantity": 5}))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let patched: Cart = response.json().await.expect("cart");
    assert_eq!(quantities(&patched)[0], ("notebook".to_owned(), 5));

    let response = app
        .with_jwt(reqwest::Method::DELETE, "/api/cart/items/pour-over", &jwt)
        .sent()
        .await;
    let removed: Cart = response.json().await.expect("cart");
    assert_eq!(quantities(&removed), [("notebook".to_owned(), 5)]);

    let response = app
        .with_jwt(reqwest::Method::DELETE, "/api/cart", &jwt)
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared: Cart = response.json().await.expect("cart");
    assert!(cleared.lines.is_empty());
    assert_eq!(app.cart_of(&jwt).await, cleared);
}

#[tokio::test]
async fn patching_a_line_that_is_not_in_the_cart_is_404() {
    let app = spawn_app().await;
    let jwt = app.login().await.jwt;
    let response = app
        .with_jwt(reqwest::Method::PATCH, "/api/cart/items/notebook", &jwt)
        .json(&json!({"quantity": 5}))
        .sent()
        .await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    assert!(app.cart_of(&jwt).await.lines.is_empty());
}

#[tokio::test]
async fn concurrent_adds_to_one_line_lose_nothing() {
    check_concurrent_adds(&spawn_app().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_concurrent_adds(app: &TestApp) {
    let jwt = app.login().await.jwt;
    let adds = (0..20)
        .map(|_| {
            let (client, url, jwt) = (app.client.clone(), app.url("/api/cart/items"), jwt.clone());
            async move {
                let body = json!({"productId": "canvas-tote", "quantity": 1});
                client
                    .post(url)
                    .bearer_auth(jwt)
                    .json(&body)
                    .sent()
                    .await
                    .status()
            }
        })
        .collect();
    for status in join_all(adds).await {
        assert_eq!(status, StatusCode::OK);
    }
    app.assert_cart(&jwt, &[("canvas-tote", 20)]).await;
}

#[tokio::test]
async fn each_user_sees_only_their_own_cart() {
    let app = spawn_app().await;
    let (shopper, second) = app
        .shopper_and_another_user(("wool-socks", 3), ("second@example.com", "second-pass-123"))
        .await;

    let second_jwt = second.token.expect("jwt");

    assert!(app.cart_of(&second_jwt).await.lines.is_empty());
    app.assert_cart(&shopper.jwt, &[("wool-socks", 3)]).await;
}

#[tokio::test]
async fn step_19_20_a_stolen_jwt_is_served_like_its_owner_while_its_session_lives() {
    // The workflow's second attack: a bearer token is a bearer token until it expires or its
    // session is revoked (see `webhook_e2e.rs`), which is why the Kickstart keeps access tokens
    // short-lived (300 s) and subscribes the backend to revocations.
    let app = spawn_app().await;
    let victim = app.login().await;
    app.add_item(&victim.jwt, "espresso-cups", 1).await;
    let stolen = victim.jwt.clone();
    app.assert_cart(&stolen, &[("espresso-cups", 1)]).await;
}
