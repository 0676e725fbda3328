//! Bad requests are refused with a clear error, and nothing changes.

use reqwest::{Method, StatusCode};
use shared::store::ErrorCode;

use crate::helpers::{Sent, TestApp, assert_error, error_code, quantities, spawn_app};

#[tokio::test]
async fn bad_cart_requests_are_refused_and_change_nothing() {
    check_bad_requests_change_nothing(&spawn_app().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_bad_requests_change_nothing(app: &TestApp) {
    let jwt = app.login().await.jwt;
    app.add_item(&jwt, "notebook", 2).await;
    let before = app.cart_of(&jwt).await;
    assert_eq!(quantities(&before), [("notebook".to_owned(), 2)]);

    let oversize = format!(
        r#"{{"productId":"notebook","quantity":1,"pad":"{}"}}"#,
        "x".repeat(17 * 1024)
    );
    let json = "application/json";
    let cases: Vec<(&str, Method, &str, &str, String, StatusCode, ErrorCode)> = vec![
        (
            "quantity 0",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook","quantity":0}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "quantity 100",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook","quantity":100}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "quantity as a string",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook","quantity":"3"}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "negative quantity",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook","quantity":-1}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "missing quantity",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook"}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "unknown field",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"notebook","quantity":1,"price":0}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "malformed JSON",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "not JSON",
            Method::POST,
            "/api/cart/items",
            "text/plain",
            r#"{"productId":"notebook","quantity":1}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "unknown product",
            Method::POST,
            "/api/cart/items",
            json,
            r#"{"productId":"unicorn","quantity":1}"#.into(),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            "body over 16 KiB",
            Method::POST,
            "/api/cart/items",
            json,
            oversize,
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
        ),
        (
            "set quantity 0",
            Method::PATCH,
            "/api/cart/items/notebook",
            json,
            r#"{"quantity":0}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "set quantity 100",
            Method::PATCH,
            "/api/cart/items/notebook",
            json,
            r#"{"quantity":100}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "set quantity of an unknown product",
            Method::PATCH,
            "/api/cart/items/unicorn",
            json,
            r#"{"quantity":1}"#.into(),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
        (
            "remove an unknown product",
            Method::DELETE,
            "/api/cart/items/unicorn",
            json,
            String::new(),
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
        ),
    ];
    for (name, method, path, content_type, body, status, code) in cases {
        let response = app
            .client
            .request(method, app.url(path))
            .bearer_auth(&jwt)
            .header("content-type", content_type)
            .body(body)
            .sent()
            .await;
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(error_code(response, status).await, code, "{name}");
        assert_eq!(app.cart_of(&jwt).await, before, "{name} changed the cart");
    }
}

#[tokio::test]
async fn bad_input_without_a_jwt_is_401_first() {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/cart/items"))
        .header("content-type", "application/json")
        .body("{not json")
        .sent()
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}
