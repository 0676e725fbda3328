//! Users: identity and password columns, and the rest of the profile as JSON (`data`).

use serde_json::Value;
use sqlx::{SqliteConnection, SqliteExecutor, SqlitePool};

use crate::infra::crypto::PasswordHash;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub tenant_id: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub active: bool,
    pub verified: bool,
    pub password_scheme: String,
    pub password_factor: i64,
    pub password_salt: String,
    pub password_hash: String,
    pub data: String,
    pub insert_instant: i64,
    pub last_login_instant: Option<i64>,
    pub last_update_instant: i64,
    pub password_last_update_instant: i64,
}

impl UserRow {
    pub fn password(&self) -> PasswordHash {
        PasswordHash {
            scheme: self.password_scheme.clone(),
            factor: u32::try_from(self.password_factor).unwrap_or(1),
            salt: self.password_salt.clone(),
            hash: self.password_hash.clone(),
        }
    }

    /// `user.passwordChangeRequired`.
    pub fn password_change_required(&self) -> bool {
        serde_json::from_str::<Value>(&self.data)
            .ok()
            .and_then(|data| data.get("passwordChangeRequired").and_then(Value::as_bool))
            .unwrap_or(false)
    }

    /// `user.expiry` (epoch ms), if set.
    pub fn expiry(&self) -> Option<i64> {
        serde_json::from_str::<Value>(&self.data)
            .ok()?
            .get("expiry")?
            .as_i64()
    }
}

const USER_COLUMNS: &str = "id, tenant_id, email, username, active, verified, password_scheme, \
    password_factor, password_salt, password_hash, data, insert_instant, last_login_instant, \
    last_update_instant, password_last_update_instant";

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The key a username is unique and found by: FusionAuth compares usernames regardless of case.
pub fn username_key(username: &str) -> String {
    username.to_lowercase()
}

/// Finds a user of `tenant_id` by email or username (both case-insensitive).
pub async fn by_login_id(
    pool: &SqlitePool,
    tenant_id: &str,
    login_id: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND (email = ? OR username_key = ?)
         ORDER BY email = ? DESC LIMIT 1"
    ))
    .bind(tenant_id)
    .bind(login_id.to_lowercase())
    .bind(username_key(login_id))
    .bind(login_id.to_lowercase())
    .fetch_optional(pool)
    .await
}

/// The user of `tenant_id` with this email (case-insensitive).
pub async fn by_email(
    pool: &SqlitePool,
    tenant_id: &str,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    in_tenant(pool, tenant_id, "email", &email.to_lowercase()).await
}

/// The user of `tenant_id` with this username (case-insensitive).
pub async fn by_username(
    pool: &SqlitePool,
    tenant_id: &str,
    username: &str,
) -> sqlx::Result<Option<UserRow>> {
    in_tenant(pool, tenant_id, "username_key", &username_key(username)).await
}

/// The user of `tenant_id` whose `column` is `value`.
async fn in_tenant(
    pool: &SqlitePool,
    tenant_id: &str,
    column: &str,
    value: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND {column} = ?"
    ))
    .bind(tenant_id)
    .bind(value)
    .fetch_optional(pool)
    .await
}

pub async fn insert(conn: &mut SqliteConnection, user: &UserRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO users ({USER_COLUMNS}, username_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&user.id)
    .bind(&user.tenant_id)
    .bind(&user.email)
    .bind(&user.username)
    .bind(user.active)
    .bind(user.verified)
    .bind(&user.password_scheme)
    .bind(user.password_factor)
    .bind(&user.password_salt)
    .bind(&user.password_hash)
    .bind(&user.data)
    .bind(user.insert_instant)
    .bind(user.last_login_instant)
    .bind(user.last_update_instant)
    .bind(user.password_last_update_instant)
    .bind(user.username.as_deref().map(username_key))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_login(
    pool: &SqlitePool,
    user_id: &str,
    application_id: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_login_instant = ? WHERE id = ?")
        .bind(now_ms)
        .bind(user_id)
        .execute(pool)
        .await?;
    if let Some(application_id) = application_id {
        sqlx::query(
            "UPDATE registrations SET last_login_instant = ? WHERE user_id = ? AND application_id = ?",
        )
        .bind(now_ms)
        .bind(user_id)
        .bind(application_id)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Replaces a user's profile JSON (`data`).
pub async fn update_data(
    pool: &SqlitePool,
    user_id: &str,
    data: &Value,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET data = ?, last_update_instant = ? WHERE id = ?")
        .bind(data.to_string())
        .bind(now_ms)
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Sets a user's email and username (`PATCH /api/user`).
pub async fn update_login_ids(
    pool: &SqlitePool,
    user_id: &str,
    email: Option<&str>,
    username: Option<&str>,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email = ?, username = ?, username_key = ?, last_update_instant = ?
         WHERE id = ?",
    )
    .bind(email)
    .bind(username)
    .bind(username.map(username_key))
    .bind(now_ms)
    .bind(user_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Replaces a user's password hash (`PATCH /api/user`, and every password change).
pub async fn update_password_hash<'c>(
    executor: impl SqliteExecutor<'c>,
    user_id: &str,
    hashed: &PasswordHash,
    now_ms: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET password_scheme = ?, password_factor = ?, password_salt = ?,
           password_hash = ?, password_last_update_instant = ?, last_update_instant = ?
         WHERE id = ?",
    )
    .bind(&hashed.scheme)
    .bind(i64::from(hashed.factor))
    .bind(&hashed.salt)
    .bind(&hashed.hash)
    .bind(now_ms)
    .bind(now_ms)
    .bind(user_id)
    .execute(executor)
    .await?;
    Ok(())
}
