//! Tenants (stored as FusionAuth's JSON document).

use serde_json::Value;
use sqlx::SqlitePool;

use super::parse_json;
use crate::model::Tenant;

pub async fn count(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
        .fetch_one(pool)
        .await
}

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Tenant>> {
    let row = sqlx::query_as("SELECT id, data FROM tenants WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(tenant).transpose()
}

/// The default tenant (the first one created when none is marked default).
pub async fn default(pool: &SqlitePool) -> sqlx::Result<Option<Tenant>> {
    let row = sqlx::query_as("SELECT id, data FROM tenants ORDER BY is_default DESC, id LIMIT 1")
        .fetch_optional(pool)
        .await?;
    row.map(tenant).transpose()
}

fn tenant((id, data): (String, String)) -> sqlx::Result<Tenant> {
    Ok(Tenant {
        id,
        data: parse_json(&data)?,
    })
}

pub async fn insert(
    pool: &SqlitePool,
    id: &str,
    is_default: bool,
    data: &Value,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO tenants (id, is_default, data) VALUES (?, ?, ?)")
        .bind(id)
        .bind(is_default)
        .bind(data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn update(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    sqlx::query("UPDATE tenants SET data = ? WHERE id = ?")
        .bind(data.to_string())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
