//! User actions and the log of actions applied to users.

use serde_json::Value;
use sqlx::SqlitePool;

use super::{find_document, insert_document, parse_json};

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Value>> {
    find_document(pool, "user_actions", id).await
}

pub async fn insert(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    insert_document(pool, "user_actions", id, data).await
}

/// Records that action `action_id` was applied to a user until `expiry` (ms).
pub async fn apply(
    pool: &SqlitePool,
    user_id: &str,
    action_id: &str,
    now_ms: i64,
    expiry: Option<i64>,
    data: &Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO user_action_log (id, user_id, action_id, create_instant, expiry, data)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(user_id)
    .bind(action_id)
    .bind(now_ms)
    .bind(expiry)
    .bind(data.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

/// Actions in force on a user at `now_ms`: `(action_id, expiry, data)`.
pub async fn active_for_user(
    pool: &SqlitePool,
    user_id: &str,
    now_ms: i64,
) -> sqlx::Result<Vec<(String, Option<i64>, Value)>> {
    let rows: Vec<(String, Option<i64>, String)> = sqlx::query_as(
        "SELECT action_id, expiry, data FROM user_action_log
         WHERE user_id = ? AND (expiry IS NULL OR expiry > ?) ORDER BY create_instant",
    )
    .bind(user_id)
    .bind(now_ms)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(id, expiry, data)| Ok((id, expiry, parse_json(&data)?)))
        .collect()
}
