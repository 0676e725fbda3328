//! Failed-login streaks, for the lockout.

use sqlx::SqlitePool;

/// Counts a failed login: continues the streak when the previous failure is at most
/// `reset_ms` old, else starts a new one. Returns the streak's length.
pub async fn record(
    pool: &SqlitePool,
    user_id: &str,
    now_ms: i64,
    reset_ms: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO failed_logins (user_id, count, last_failure_instant) VALUES (?, 1, ?)
         ON CONFLICT (user_id) DO UPDATE SET
           count = CASE WHEN excluded.last_failure_instant - last_failure_instant <= ?
                        THEN count + 1 ELSE 1 END,
           last_failure_instant = excluded.last_failure_instant
         RETURNING count",
    )
    .bind(user_id)
    .bind(now_ms)
    .bind(reset_ms)
    .fetch_one(pool)
    .await
}

pub async fn clear(pool: &SqlitePool, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM failed_logins WHERE user_id = ?")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}
