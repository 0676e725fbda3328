//! Signing keys (the private material as PKCS#8 DER, or the HMAC secret).

use sqlx::SqlitePool;

use crate::infra::crypto::SigningKey;

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    kid: String,
    algorithm: String,
    name: String,
    private_pkcs8: Vec<u8>,
    insert_instant: i64,
}

pub async fn load_all(pool: &SqlitePool) -> anyhow::Result<Vec<SigningKey>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, kid, algorithm, name, private_pkcs8, insert_instant FROM signing_keys",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            SigningKey::from_stored(
                &row.id,
                &row.kid,
                &row.algorithm,
                &row.name,
                row.insert_instant,
                &row.private_pkcs8,
            )
        })
        .collect()
}

pub async fn exists(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM signing_keys WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

pub async fn insert(pool: &SqlitePool, key: &SigningKey, pkcs8: &[u8]) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO signing_keys (id, kid, algorithm, name, private_pkcs8, insert_instant)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&key.id)
    .bind(&key.kid)
    .bind(&key.algorithm)
    .bind(&key.name)
    .bind(pkcs8)
    .bind(key.insert_instant)
    .execute(pool)
    .await?;
    Ok(())
}
