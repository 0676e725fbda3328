//! What anyone can reach: the catalogue, the PWA's configuration, health, the PWA itself.

use reqwest::StatusCode;
use shared::store::{AppConfig, ProductList};

use crate::helpers::{APPLICATION_ID, header, spawn_app, spawn_app_with};

#[tokio::test]
async fn step_01_the_catalogue_is_public_and_never_cached() {
    let app = spawn_app().await;
    let response = app.get("/api/products").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let list: ProductList = response.json().await.expect("product list");
    assert!((6..=8).contains(&list.products.len()));
    for product in &list.products {
        assert_eq!(product.currency, "EUR");
        assert!(product.price > 0);
        assert_eq!(product.image, format!("/images/{}.svg", product.id));
        assert!(!product.name.is_empty() && !product.description.is_empty());
    }
}

#[tokio::test]
async fn step_01_app_config_tells_the_pwa_where_fusionauth_is() {
    let app = spawn_app().await;
    let config: AppConfig = app
        .get("/app-config.json")
        .await
        .json()
        .await
        .expect("app config");
    assert_eq!(config.fusion_auth_url, app.fusionauth_url);
    assert_eq!(config.application_id, APPLICATION_ID);
}

#[tokio::test]
async fn health_endpoints_answer_when_the_database_does() {
    let app = spawn_app().await;
    for path in ["/health/live", "/health/ready"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = spawn_app().await;
    let response = app.get("/api/nothing-here").await;
    assert_eq!(
        crate::helpers::error_code(response, StatusCode::NOT_FOUND).await,
        shared::store::ErrorCode::NotFound
    );
}

#[tokio::test]
async fn the_pwa_is_served_and_page_paths_fall_back_to_index_html() {
    let dir = std::env::temp_dir().join(format!("backend-static-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("static dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>store</title>",
    )
    .expect("index");
    std::fs::write(dir.join("app.js"), "console.log('store')").expect("script");
    let static_dir = dir.clone();
    let app = spawn_app_with(move |settings| settings.static_dir = Some(static_dir)).await;

    for page in ["/", "/cart", "/login"] {
        let response = app.get(page).await;
        assert_eq!(response.status(), StatusCode::OK, "{page}");
        assert!(
            response
                .text()
                .await
                .expect("body")
                .contains("<title>store</title>"),
            "{page}"
        );
    }
    let script = app.get("/app.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(script.text().await.expect("body"), "console.log('store')");
    let missing = app.get("/missing.js").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let api = app.get("/api/nothing-here").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    let products = app.get("/api/products").await;
    assert_eq!(products.status(), StatusCode::OK);
    let _ = std::fs::remove_dir_all(dir);
}
