//! FusionAuth event ids already processed, so a repeated delivery is dropped on every instance.

use sqlx::AnyPool;

/// Records `event_id` as processed until `expires_at_millis`; false when it already was (on
/// this or another instance). Forgets ids whose time is over first.
///
/// # Errors
/// When a statement fails.
#[tracing::instrument(skip_all)]
pub async fn claim_webhook_event(
    pool: &AnyPool,
    event_id: &str,
    now_millis: i64,
    expires_at_millis: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM processed_webhook_events WHERE expires_at < $1")
        .bind(now_millis)
        .execute(pool)
        .await?;
    let inserted = sqlx::query(
        "INSERT INTO processed_webhook_events (event_id, expires_at) VALUES ($1, $2) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(expires_at_millis)
    .execute(pool)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Forgets `event_id`, so a new delivery of it is processed (its processing failed).
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all)]
pub async fn release_webhook_event(pool: &AnyPool, event_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM processed_webhook_events WHERE event_id = $1")
        .bind(event_id)
        .execute(pool)
        .await?;
    Ok(())
}
