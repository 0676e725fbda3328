//! Webhooks (stored as FusionAuth's JSON document).

use serde_json::Value;
use sqlx::SqlitePool;

use super::{find_document, insert_document, parse_json, rows_changed};

/// Every webhook's JSON.
pub async fn all(pool: &SqlitePool) -> sqlx::Result<Vec<Value>> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM webhooks ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(|data| parse_json(data)).collect()
}

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Value>> {
    find_document(pool, "webhooks", id).await
}

pub async fn insert(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    insert_document(pool, "webhooks", id, data).await
}

pub async fn delete(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(rows_changed(pool, "DELETE FROM webhooks WHERE id = ?", id).await? == 1)
}
