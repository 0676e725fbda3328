//! Refresh tokens (sessions): the current value's hash, the previous one's for the grace
//! period, and the history of rotated-away values.

use sqlx::SqlitePool;

use super::rows_changed;

/// A refresh token as stored: hashes only, never the value.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub id: String,
    pub user_id: String,
    pub application_id: String,
    pub tenant_id: String,
    pub current_hash: String,
    pub previous_hash: Option<String>,
    pub rotated_instant: Option<i64>,
    pub insert_instant: i64,
    pub start_instant: i64,
    pub last_used_instant: i64,
    pub auth_time: i64,
    pub meta_data: String,
}

const REFRESH_COLUMNS: &str = "id, user_id, application_id, tenant_id, current_hash, previous_hash, \
    rotated_instant, insert_instant, start_instant, last_used_instant, auth_time, meta_data";

pub async fn insert(pool: &SqlitePool, token: &RefreshTokenRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO refresh_tokens ({REFRESH_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&token.id)
    .bind(&token.user_id)
    .bind(&token.application_id)
    .bind(&token.tenant_id)
    .bind(&token.current_hash)
    .bind(&token.previous_hash)
    .bind(token.rotated_instant)
    .bind(token.insert_instant)
    .bind(token.start_instant)
    .bind(token.last_used_instant)
    .bind(token.auth_time)
    .bind(&token.meta_data)
    .execute(pool)
    .await?;
    Ok(())
}

/// The token whose current value hashes to `hash`.
pub async fn by_hash(pool: &SqlitePool, hash: &str) -> sqlx::Result<Option<RefreshTokenRow>> {
    one_where(pool, "current_hash = ?", hash).await
}

pub async fn by_id(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<RefreshTokenRow>> {
    one_where(pool, "id = ?", id).await
}

/// The token a past (rotated-away) value belonged to.
pub async fn by_previous_hash(
    pool: &SqlitePool,
    hash: &str,
) -> sqlx::Result<Option<RefreshTokenRow>> {
    one_where(
        pool,
        "id = (SELECT token_id FROM refresh_token_history WHERE hash = ?)",
        hash,
    )
    .await
}

/// The token matching `condition` (one `?`, bound to `value`).
async fn one_where(
    pool: &SqlitePool,
    condition: &str,
    value: &str,
) -> sqlx::Result<Option<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE {condition}"
    ))
    .bind(value)
    .fetch_optional(pool)
    .await
}

/// Replaces the current value of token `id` if it is still `expected_hash`. Returns false when
/// another caller rotated it first (nothing is changed then).
pub async fn rotate(
    pool: &SqlitePool,
    id: &str,
    expected_hash: &str,
    new_hash: &str,
    now_ms: i64,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    // The UPDATE comes first so the transaction takes SQLite's write lock straight away.
    let updated = sqlx::query(
        "UPDATE refresh_tokens
         SET current_hash = ?, previous_hash = ?, rotated_instant = ?, last_used_instant = ?
         WHERE id = ? AND current_hash = ?",
    )
    .bind(new_hash)
    .bind(expected_hash)
    .bind(now_ms)
    .bind(now_ms)
    .bind(id)
    .bind(expected_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO refresh_token_history (hash, token_id, rotated_instant) VALUES (?, ?, ?)
         ON CONFLICT (hash) DO NOTHING",
    )
    .bind(expected_hash)
    .bind(id)
    .bind(now_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn delete(pool: &SqlitePool, id: &str) -> sqlx::Result<u64> {
    rows_changed(pool, "DELETE FROM refresh_tokens WHERE id = ?", id).await
}

pub async fn delete_of_user(
    pool: &SqlitePool,
    user_id: &str,
    application_id: Option<&str>,
) -> sqlx::Result<u64> {
    let Some(application_id) = application_id else {
        return rows_changed(
            pool,
            "DELETE FROM refresh_tokens WHERE user_id = ?",
            user_id,
        )
        .await;
    };
    let done = sqlx::query("DELETE FROM refresh_tokens WHERE user_id = ? AND application_id = ?")
        .bind(user_id)
        .bind(application_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete_of_application(pool: &SqlitePool, application_id: &str) -> sqlx::Result<u64> {
    let statement = "DELETE FROM refresh_tokens WHERE application_id = ?";
    rows_changed(pool, statement, application_id).await
}

pub async fn of_user(pool: &SqlitePool, user_id: &str) -> sqlx::Result<Vec<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE user_id = ? ORDER BY insert_instant, id"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Test hook: backdates a refresh token to the epoch so that every expiration policy sees it
/// as expired. False when there is no such token.
pub async fn expire(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    let statement =
        "UPDATE refresh_tokens SET insert_instant = 0, start_instant = 0, last_used_instant = 0
         WHERE id = ?";
    Ok(rows_changed(pool, statement, id).await? == 1)
}

pub async fn exist_for_application(pool: &SqlitePool, application_id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM refresh_tokens WHERE application_id = ? LIMIT 1")
            .bind(application_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Undoes a rotation of `before` (its state before the rotation) to `rotated_hash`, if nobody
/// rotated it further since.
pub async fn unrotate(
    pool: &SqlitePool,
    before: &RefreshTokenRow,
    rotated_hash: &str,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE refresh_tokens
         SET current_hash = ?, previous_hash = ?, rotated_instant = ?, last_used_instant = ?
         WHERE id = ? AND current_hash = ?",
    )
    .bind(&before.current_hash)
    .bind(&before.previous_hash)
    .bind(before.rotated_instant)
    .bind(before.last_used_instant)
    .bind(&before.id)
    .bind(rotated_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 1 {
        sqlx::query("DELETE FROM refresh_token_history WHERE hash = ?")
            .bind(&before.current_hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Stores each `(token id, instant)` as that refresh token's last use, in one statement (see
/// [`crate::infra::batch`]); a last use never moves backwards.
pub async fn record_uses(pool: &SqlitePool, uses: Vec<(String, i64)>) -> sqlx::Result<Vec<()>> {
    let count = uses.len();
    sqlx::query(
        "UPDATE refresh_tokens
         SET last_used_instant = MAX(refresh_tokens.last_used_instant, uses.at)
         FROM (SELECT value ->> 0 AS id, MAX(value ->> 1) AS at
               FROM json_each(?) GROUP BY 1) AS uses
         WHERE refresh_tokens.id = uses.id",
    )
    .bind(serde_json::to_string(&uses).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
    .execute(pool)
    .await?;
    Ok(vec![(); count])
}
