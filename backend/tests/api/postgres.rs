//! The database-heavy checks again on PostgreSQL (skipped unless `STORE_TEST_POSTGRES_URL` is
//! set, as `cargo xtask test` does).

use crate::helpers::{spawn_app_on_postgres, spawn_app_on_postgres_with};

#[tokio::test]
async fn on_postgres_cart_changes_answer_the_whole_cart() {
    if let Some(app) = spawn_app_on_postgres().await {
        crate::cart::check_cart_changes(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_concurrent_adds_to_one_line_lose_nothing() {
    if let Some(app) = spawn_app_on_postgres().await {
        crate::cart::check_concurrent_adds(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_bad_cart_requests_are_refused_and_change_nothing() {
    if let Some(app) = spawn_app_on_postgres().await {
        crate::bad_input::check_bad_requests_change_nothing(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_expired_jwt_with_refresh_token_returns_cart_and_new_jwt() {
    if let Some(app) = spawn_app_on_postgres().await {
        crate::auth_refresh::check_expired_jwt_is_refreshed(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_a_revoked_session_refuses_its_stolen_jwt_at_once() {
    if let Some(app) = spawn_app_on_postgres_with(crate::revocation::webhook_settings).await {
        crate::revocation::check_session_revocation(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_other_backend_instances_learn_a_revocation_from_the_database() {
    if let Some(app) = spawn_app_on_postgres_with(crate::revocation::webhook_settings).await {
        crate::revocation::check_revocation_reaches_other_instances(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_stolen_jwt_is_refused_after_the_victim_logs_out() {
    if let Some(app) = spawn_app_on_postgres().await {
        crate::webhook_e2e::check_logout_refuses_the_stolen_jwt(&app).await;
    }
}

#[tokio::test]
async fn on_postgres_user_and_application_revocations_survive_in_the_database() {
    if let Some(app) = spawn_app_on_postgres_with(crate::revocation::webhook_settings).await {
        crate::revocation::check_user_and_application_revocations_are_stored(&app).await;
    }
}
