//! The database-heavy checks again on PostgreSQL (skipped unless `STORE_TEST_POSTGRES_URL` is
//! set, as `cargo xtask test` does).

use crate::helpers::{spawn_app_on_postgres, spawn_app_on_postgres_with};

/// A test `$name` that runs `$check` on a backend on PostgreSQL (its settings changed by
/// `$settings`, when given).
macro_rules! on_postgres {
    ($name:ident, $check:path) => {
        #[tokio::test]
        async fn $name() {
            if let Some(app) = spawn_app_on_postgres().await {
                $check(&app).await;
            }
        }
    };
    ($name:ident, $settings:path, $check:path) => {
        #[tokio::test]
        async fn $name() {
            if let Some(app) = spawn_app_on_postgres_with($settings).await {
                $check(&app).await;
            }
        }
    };
}

on_postgres!(
    on_postgres_cart_changes_answer_the_whole_cart,
    crate::cart::check_cart_changes
);
on_postgres!(
    on_postgres_concurrent_adds_to_one_line_lose_nothing,
    crate::cart::check_concurrent_adds
);
on_postgres!(
    on_postgres_bad_cart_requests_are_refused_and_change_nothing,
    crate::bad_input::check_bad_requests_change_nothing
);
on_postgres!(
    on_postgres_expired_jwt_with_refresh_token_returns_cart_and_new_jwt,
    crate::auth_refresh::check_expired_jwt_is_refreshed
);
on_postgres!(
    on_postgres_a_revoked_session_refuses_its_stolen_jwt_at_once,
    crate::revocation::webhook_settings,
    crate::revocation::check_session_revocation
);
on_postgres!(
    on_postgres_other_backend_instances_learn_a_revocation_from_the_database,
    crate::revocation::webhook_settings,
    crate::revocation::check_revocation_reaches_other_instances
);
on_postgres!(
    on_postgres_stolen_jwt_is_refused_after_the_victim_logs_out,
    crate::webhook_e2e::check_logout_refuses_the_stolen_jwt
);
on_postgres!(
    on_postgres_user_and_application_revocations_survive_in_the_database,
    crate::revocation::webhook_settings,
    crate::revocation::check_user_and_application_revocations_are_stored
);
