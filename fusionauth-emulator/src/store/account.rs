//! Single-use secrets of the password and email workflows (`change_password_ids`,
//! `one_time_passwords`, `email_verification_ids`, stored as SHA-256 hashes) and the `outbox`
//! of sent emails.

use sqlx::SqlitePool;

use super::rows_changed;
use crate::infra::crypto::sha256_b64;

/// A stored change-password id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangePasswordIdRow {
    pub user_id: String,
    pub expiry: i64,
    pub emailed: bool,
    pub state: Option<String>,
}

pub async fn insert_change_password_id(
    pool: &SqlitePool,
    id: &str,
    user_id: &str,
    expiry: i64,
    emailed: bool,
    state: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO change_password_ids (id_hash, user_id, expiry, emailed, state)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(sha256_b64(id))
    .bind(user_id)
    .bind(expiry)
    .bind(emailed)
    .bind(state)
    .execute(pool)
    .await?;
    Ok(())
}

/// The change-password id `id`, expired or not.
pub async fn change_password_id(
    pool: &SqlitePool,
    id: &str,
) -> sqlx::Result<Option<ChangePasswordIdRow>> {
    sqlx::query_as(
        "SELECT user_id, expiry, emailed, state FROM change_password_ids WHERE id_hash = ?",
    )
    .bind(sha256_b64(id))
    .fetch_optional(pool)
    .await
}

/// Deletes the change-password id `id`; false when it was already gone (used by a concurrent
/// caller).
pub async fn take_change_password_id(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    let statement = "DELETE FROM change_password_ids WHERE id_hash = ?";
    Ok(rows_changed(pool, statement, &sha256_b64(id)).await? == 1)
}

pub async fn insert_one_time_password(
    pool: &SqlitePool,
    value: &str,
    user_id: &str,
    expiry: i64,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO one_time_passwords (id_hash, user_id, expiry) VALUES (?, ?, ?)")
        .bind(sha256_b64(value))
        .bind(user_id)
        .bind(expiry)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes the one-time password `value`; its user and expiry, when it existed.
pub async fn take_one_time_password(
    pool: &SqlitePool,
    value: &str,
) -> sqlx::Result<Option<(String, i64)>> {
    sqlx::query_as("DELETE FROM one_time_passwords WHERE id_hash = ? RETURNING user_id, expiry")
        .bind(sha256_b64(value))
        .fetch_optional(pool)
        .await
}

/// A stored email verification id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VerificationRow {
    pub user_id: String,
    pub code_hash: Option<String>,
    pub expiry: i64,
}

/// Stores a new verification id for a user, replacing the user's earlier ones.
pub async fn replace_verification_id(
    pool: &SqlitePool,
    id: &str,
    user_id: &str,
    code: Option<&str>,
    expiry: i64,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM email_verification_ids WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO email_verification_ids (id_hash, user_id, code_hash, expiry)
         VALUES (?, ?, ?, ?)",
    )
    .bind(sha256_b64(id))
    .bind(user_id)
    .bind(code.map(sha256_b64))
    .bind(expiry)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

pub async fn verification_id(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<VerificationRow>> {
    sqlx::query_as(
        "SELECT user_id, code_hash, expiry FROM email_verification_ids WHERE id_hash = ?",
    )
    .bind(sha256_b64(id))
    .fetch_optional(pool)
    .await
}

/// Marks the user verified and deletes their verification ids.
pub async fn mark_verified(pool: &SqlitePool, user_id: &str, now_ms: i64) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM email_verification_ids WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET verified = 1, last_update_instant = ? WHERE id = ?")
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// One sent email.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxRow {
    pub id: String,
    pub tenant_id: String,
    pub template: String,
    #[sqlx(rename = "to_address")]
    pub to: String,
    #[sqlx(rename = "from_address")]
    pub from: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub delivery: String,
    pub create_instant: i64,
}

pub async fn insert_outbox(pool: &SqlitePool, row: &OutboxRow) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO outbox (id, tenant_id, template, to_address, from_address, subject,
             text_body, html_body, delivery, create_instant)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&row.id)
    .bind(&row.tenant_id)
    .bind(&row.template)
    .bind(&row.to)
    .bind(&row.from)
    .bind(&row.subject)
    .bind(&row.text_body)
    .bind(&row.html_body)
    .bind(&row.delivery)
    .bind(row.create_instant)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn set_delivery(pool: &SqlitePool, id: &str, delivery: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE outbox SET delivery = ? WHERE id = ?")
        .bind(delivery)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The newest emails first, at most `limit`.
pub async fn outbox(pool: &SqlitePool, limit: i64) -> sqlx::Result<Vec<OutboxRow>> {
    sqlx::query_as(
        "SELECT id, tenant_id, template, to_address, from_address, subject, text_body, html_body,
             delivery, create_instant
         FROM outbox ORDER BY create_instant DESC, rowid DESC LIMIT ?",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Replaces a user's password hash, clears `passwordChangeRequired` in the profile, and deletes
/// the user's change-password ids, in one transaction.
pub async fn set_password(
    pool: &SqlitePool,
    user_id: &str,
    hash: &crate::infra::crypto::PasswordHash,
    now_ms: i64,
) -> sqlx::Result<()> {
    let mut tx = pool.begin().await?;
    super::users::update_password_hash(&mut *tx, user_id, hash, now_ms).await?;
    sqlx::query(
        "UPDATE users SET data = json_remove(data, '$.passwordChangeRequired') WHERE id = ?",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM change_password_ids WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
