//! API keys, stored as SHA-256 hashes with their tenant and permissions.

use serde_json::Value;
use sqlx::SqlitePool;

use crate::infra::crypto::sha256_b64;
use crate::model::ApiKey;

pub async fn find(pool: &SqlitePool, raw: &str) -> sqlx::Result<Option<ApiKey>> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT tenant_id, permissions FROM api_keys WHERE key_hash = ?")
            .bind(sha256_b64(raw))
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(tenant_id, permissions)| ApiKey {
        tenant_id,
        endpoints: permissions
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|permissions| permissions.get("endpoints").cloned())
            .and_then(|endpoints| match endpoints {
                Value::Object(map) if !map.is_empty() => Some(map),
                _ => None,
            }),
    }))
}

pub async fn insert(
    pool: &SqlitePool,
    id: &str,
    raw: &str,
    description: Option<&str>,
    tenant_id: Option<&str>,
    permissions: Option<&Value>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, key_hash, description, tenant_id, permissions, insert_instant)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(sha256_b64(raw))
    .bind(description)
    .bind(tenant_id)
    .bind(permissions.map(Value::to_string))
    .bind(now_ms)
    .execute(pool)
    .await?;
    Ok(())
}
