//! Pending two-factor logins (a `twoFactorId` and what the first step asked for).

use serde_json::Value;
use sqlx::SqlitePool;

use super::parse_json;

pub async fn insert_challenge(
    pool: &SqlitePool,
    id: &str,
    user_id: &str,
    now_ms: i64,
    data: &Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO two_factor_challenges (id, user_id, create_instant, data) VALUES (?, ?, ?, ?)",
    )
    .bind(id)
    .bind(user_id)
    .bind(now_ms)
    .bind(data.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

/// A pending two-factor login: `(user_id, create_instant, data)`.
pub async fn challenge(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<(String, i64, Value)>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT user_id, create_instant, data FROM two_factor_challenges WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|(user_id, created, data)| Ok((user_id, created, parse_json(&data)?)))
        .transpose()
}

/// Deletes a challenge; false when it was already gone (used by a concurrent call).
pub async fn delete_challenge(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM two_factor_challenges WHERE id = ?")
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
            == 1,
    )
}
