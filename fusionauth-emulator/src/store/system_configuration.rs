//! The one system configuration document.

use serde_json::Value;
use sqlx::SqlitePool;

use super::parse_json;

pub async fn get(pool: &SqlitePool) -> sqlx::Result<Option<Value>> {
    let row: Option<String> =
        sqlx::query_scalar("SELECT data FROM system_configuration WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    row.map(|data| parse_json(&data)).transpose()
}

pub async fn set(pool: &SqlitePool, data: &Value) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO system_configuration (id, data) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data",
    )
    .bind(data.to_string())
    .execute(pool)
    .await?;
    Ok(())
}
