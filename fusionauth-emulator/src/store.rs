//! SQL, one small function per statement.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};

use crate::infra::crypto::{PasswordHash, SigningKey, sha256_b64};
use crate::model::ApiKey;
use crate::model::{Application, Tenant};

/// Opens (creating if needed) the database and runs the embedded migrations.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("invalid database URL {url:?}"))?
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let pool = if in_memory {
        // Every connection to `:memory:` is its own database: keep exactly one, forever.
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
    } else {
        SqlitePoolOptions::new()
            .max_connections(4)
            // A local file cannot drop a connection: sqlx's default ping before every acquire
            // would double the round trips to the connection's worker thread (each a pair of
            // context switches) on every query.
            .test_before_acquire(false)
            // WAL + NORMAL: a commit does not wait for fsync (durable across a crash of the
            // emulator, not of the machine) — refresh writes on every call.
            .connect_with(
                options
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal),
            )
            .await
    }
    .with_context(|| format!("cannot open the database {url:?}"))?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .context("cannot migrate the database")?;
    Ok(pool)
}

pub async fn meta(pool: &SqlitePool, name: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM emulator_meta WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
}

pub async fn set_meta(pool: &SqlitePool, name: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO emulator_meta (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn count_tenants(pool: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM tenants")
        .fetch_one(pool)
        .await
}

// ---------------------------------------------------------------------------- keys

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: String,
    kid: String,
    algorithm: String,
    name: String,
    private_pkcs8: Vec<u8>,
    insert_instant: i64,
}

pub async fn load_keys(pool: &SqlitePool) -> anyhow::Result<Vec<SigningKey>> {
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

pub async fn key_exists(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM signing_keys WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

pub async fn insert_key(pool: &SqlitePool, key: &SigningKey, pkcs8: &[u8]) -> sqlx::Result<()> {
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

// ---------------------------------------------------------------------------- API keys

pub async fn find_api_key(pool: &SqlitePool, raw: &str) -> sqlx::Result<Option<ApiKey>> {
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

pub async fn insert_api_key(
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

// ---------------------------------------------------------------------------- tenants

fn parse_json(text: &str) -> sqlx::Result<Value> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub async fn tenant(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Tenant>> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT id, data FROM tenants WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|(id, data)| {
        Ok(Tenant {
            id,
            data: parse_json(&data)?,
        })
    })
    .transpose()
}

pub async fn default_tenant(pool: &SqlitePool) -> sqlx::Result<Option<Tenant>> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, data FROM tenants ORDER BY is_default DESC, id LIMIT 1")
            .fetch_optional(pool)
            .await?;
    row.map(|(id, data)| {
        Ok(Tenant {
            id,
            data: parse_json(&data)?,
        })
    })
    .transpose()
}

pub async fn insert_tenant(
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

pub async fn update_tenant(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    sqlx::query("UPDATE tenants SET data = ? WHERE id = ?")
        .bind(data.to_string())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------- applications

pub async fn application(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Application>> {
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT id, tenant_id, data FROM applications WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(|(id, tenant_id, data)| {
        Ok(Application {
            id,
            tenant_id,
            data: parse_json(&data)?,
        })
    })
    .transpose()
}

pub async fn insert_application(pool: &SqlitePool, app: &Application) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO applications (id, tenant_id, data) VALUES (?, ?, ?)")
        .bind(&app.id)
        .bind(&app.tenant_id)
        .bind(app.data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------- system configuration

pub async fn system_configuration(pool: &SqlitePool) -> sqlx::Result<Option<Value>> {
    let row: Option<String> =
        sqlx::query_scalar("SELECT data FROM system_configuration WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    row.map(|data| parse_json(&data)).transpose()
}

pub async fn set_system_configuration(pool: &SqlitePool, data: &Value) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO system_configuration (id, data) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data",
    )
    .bind(data.to_string())
    .execute(pool)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------- users

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

pub async fn user(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Finds a user of `tenant_id` by email (case-insensitive) or username (as given).
pub async fn user_by_login_id(
    pool: &SqlitePool,
    tenant_id: &str,
    login_id: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND (email = ? OR username = ?)
         ORDER BY email = ? DESC LIMIT 1"
    ))
    .bind(tenant_id)
    .bind(login_id.to_lowercase())
    .bind(login_id)
    .bind(login_id.to_lowercase())
    .fetch_optional(pool)
    .await
}

pub async fn user_by_email(
    pool: &SqlitePool,
    tenant_id: &str,
    email: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND email = ?"
    ))
    .bind(tenant_id)
    .bind(email.to_lowercase())
    .fetch_optional(pool)
    .await
}

pub async fn user_by_username(
    pool: &SqlitePool,
    tenant_id: &str,
    username: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE tenant_id = ? AND username = ?"
    ))
    .bind(tenant_id)
    .bind(username)
    .fetch_optional(pool)
    .await
}

pub async fn insert_user(conn: &mut SqliteConnection, user: &UserRow) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO users ({USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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

// ---------------------------------------------------------------------------- registrations

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegistrationRow {
    pub id: String,
    pub user_id: String,
    pub application_id: String,
    pub roles: String,
    pub data: String,
    pub verified: bool,
    pub insert_instant: i64,
    pub last_login_instant: Option<i64>,
}

impl RegistrationRow {
    pub fn role_names(&self) -> Vec<String> {
        serde_json::from_str(&self.roles).unwrap_or_default()
    }
}

const REGISTRATION_COLUMNS: &str =
    "id, user_id, application_id, roles, data, verified, insert_instant, last_login_instant";

pub async fn registrations(pool: &SqlitePool, user_id: &str) -> sqlx::Result<Vec<RegistrationRow>> {
    sqlx::query_as(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE user_id = ? ORDER BY insert_instant, id"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

pub async fn registration(
    pool: &SqlitePool,
    user_id: &str,
    application_id: &str,
) -> sqlx::Result<Option<RegistrationRow>> {
    sqlx::query_as(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE user_id = ? AND application_id = ?"
    ))
    .bind(user_id)
    .bind(application_id)
    .fetch_optional(pool)
    .await
}

pub async fn insert_registration(
    conn: &mut SqliteConnection,
    registration: &RegistrationRow,
) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "INSERT INTO registrations ({REGISTRATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&registration.id)
    .bind(&registration.user_id)
    .bind(&registration.application_id)
    .bind(&registration.roles)
    .bind(&registration.data)
    .bind(registration.verified)
    .bind(registration.insert_instant)
    .bind(registration.last_login_instant)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------- refresh tokens

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

pub async fn insert_refresh_token(pool: &SqlitePool, token: &RefreshTokenRow) -> sqlx::Result<()> {
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

pub async fn refresh_token_by_hash(
    pool: &SqlitePool,
    hash: &str,
) -> sqlx::Result<Option<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE current_hash = ?"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await
}

pub async fn refresh_token_by_id(
    pool: &SqlitePool,
    id: &str,
) -> sqlx::Result<Option<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The token a past (rotated-away) value belonged to.
pub async fn refresh_token_by_old_hash(
    pool: &SqlitePool,
    hash: &str,
) -> sqlx::Result<Option<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens
         WHERE id = (SELECT token_id FROM refresh_token_history WHERE hash = ?)"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await
}

/// Replaces the current value of token `id` if it is still `expected_hash`. Returns false when
/// another caller rotated it first (nothing is changed then).
pub async fn rotate_refresh_token(
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

pub async fn delete_refresh_token(pool: &SqlitePool, id: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM refresh_tokens WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected())
}

pub async fn delete_refresh_tokens_of_user(
    pool: &SqlitePool,
    user_id: &str,
    application_id: Option<&str>,
) -> sqlx::Result<u64> {
    let result = match application_id {
        Some(application_id) => {
            sqlx::query("DELETE FROM refresh_tokens WHERE user_id = ? AND application_id = ?")
                .bind(user_id)
                .bind(application_id)
                .execute(pool)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM refresh_tokens WHERE user_id = ?")
                .bind(user_id)
                .execute(pool)
                .await?
        }
    };
    Ok(result.rows_affected())
}

pub async fn delete_refresh_tokens_of_application(
    pool: &SqlitePool,
    application_id: &str,
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM refresh_tokens WHERE application_id = ?")
            .bind(application_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

pub async fn refresh_tokens_of_user(
    pool: &SqlitePool,
    user_id: &str,
) -> sqlx::Result<Vec<RefreshTokenRow>> {
    sqlx::query_as(&format!(
        "SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE user_id = ? ORDER BY insert_instant, id"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

/// Test hook: backdates a refresh token to the epoch so that every expiration policy sees it
/// as expired. False when there is no such token.
pub async fn expire_refresh_token(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE refresh_tokens SET insert_instant = 0, start_instant = 0, last_used_instant = 0
         WHERE id = ?",
    )
    .bind(id)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

// ---------------------------------------------------------------------------- webhooks

/// Every webhook's JSON.
pub async fn webhooks(pool: &SqlitePool) -> sqlx::Result<Vec<Value>> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT data FROM webhooks ORDER BY id")
        .fetch_all(pool)
        .await?;
    rows.iter().map(|data| parse_json(data)).collect()
}

pub async fn webhook(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Value>> {
    let row: Option<String> = sqlx::query_scalar("SELECT data FROM webhooks WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|data| parse_json(&data)).transpose()
}

pub async fn insert_webhook(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO webhooks (id, data) VALUES (?, ?)")
        .bind(id)
        .bind(data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn delete_webhook(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(sqlx::query("DELETE FROM webhooks WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
        == 1)
}

pub async fn application_has_refresh_tokens(
    pool: &SqlitePool,
    application_id: &str,
) -> sqlx::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM refresh_tokens WHERE application_id = ? LIMIT 1")
            .bind(application_id)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// Undoes a rotation of `before` (its state before the rotation) to `rotated_hash`, if nobody
/// rotated it further since.
pub async fn unrotate_refresh_token(
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

// ---------------------------------------------------------------------------- two-factor challenges

pub async fn insert_two_factor_challenge(
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
pub async fn two_factor_challenge(
    pool: &SqlitePool,
    id: &str,
) -> sqlx::Result<Option<(String, i64, Value)>> {
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
pub async fn delete_two_factor_challenge(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(
        sqlx::query("DELETE FROM two_factor_challenges WHERE id = ?")
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
            == 1,
    )
}

// ---------------------------------------------------------------------------- failed logins, user actions

/// Counts a failed login: continues the streak when the previous failure is at most
/// `reset_ms` old, else starts a new one. Returns the streak's length.
pub async fn record_failed_login(
    pool: &SqlitePool,
    user_id: &str,
    now_ms: i64,
    reset_ms: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO failed_logins (user_id, count, last_failure_instant) VALUES (?, 1, ?)
         ON CONFLICT (user_id) DO UPDATE SET
           count = CASE WHEN excluded.last_failure_instant - last_failure_instant <= ?
                        THEN count + 1 ELSE 1 END,
           last_failure_instant = excluded.last_failure_instant
         RETURNING count",
    )
    .bind(user_id)
    .bind(now_ms)
    .bind(reset_ms)
    .fetch_one(pool)
    .await
}

pub async fn clear_failed_logins(pool: &SqlitePool, user_id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM failed_logins WHERE user_id = ?")
        .bind(user_id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn user_action(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Value>> {
    let row: Option<String> = sqlx::query_scalar("SELECT data FROM user_actions WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|data| parse_json(&data)).transpose()
}

pub async fn insert_user_action(pool: &SqlitePool, id: &str, data: &Value) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO user_actions (id, data) VALUES (?, ?)")
        .bind(id)
        .bind(data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

/// Records that action `action_id` was applied to a user until `expiry` (ms).
pub async fn apply_user_action(
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
pub async fn active_user_actions(
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

/// Replaces a user's profile JSON (`data`).
pub async fn update_user_data(
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

/// What refreshing a token needs, read in one statement: the token's tenant and application,
/// its user, and the user's registration to the application (if any).
#[derive(Debug, Clone)]
pub struct SessionRows {
    pub tenant: Tenant,
    pub application: Application,
    pub user: UserRow,
    pub registration: Option<RegistrationRow>,
}

/// The session columns of [`session_rows`] and [`refresh_sessions_by_hash`] (`u`: the user,
/// `tn`: the tenant, `a`: the application, `r`: the registration).
const SESSION_COLUMNS: &str = "tn.data AS tenant_data, a.tenant_id AS application_tenant_id,
    a.data AS application_data,
    u.id, u.tenant_id, u.email, u.username, u.active, u.verified, u.password_scheme,
    u.password_factor, u.password_salt, u.password_hash, u.data, u.insert_instant,
    u.last_login_instant, u.last_update_instant, u.password_last_update_instant,
    r.id AS r_id, r.roles AS r_roles, r.data AS r_data, r.verified AS r_verified,
    r.insert_instant AS r_insert_instant, r.last_login_instant AS r_last_login_instant";

pub async fn session_rows(
    pool: &SqlitePool,
    token: &RefreshTokenRow,
) -> sqlx::Result<Option<SessionRows>> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS}
         FROM users u
         JOIN tenants tn ON tn.id = ?
         JOIN applications a ON a.id = ?
         LEFT JOIN registrations r ON r.user_id = u.id AND r.application_id = a.id
         WHERE u.id = ?"
    ))
    .bind(&token.tenant_id)
    .bind(&token.application_id)
    .bind(&token.user_id)
    .fetch_optional(pool)
    .await?;
    row.map(|row| session_from_row(&row, token)).transpose()
}

/// A refresh token with its session (as [`session_rows`]); shared, since concurrent refreshes
/// of one token read it once.
pub type RefreshSession = Arc<(RefreshTokenRow, SessionRows)>;

/// For each of `hashes`, the refresh token whose current value hashes to it, with its session,
/// all in one statement: the refresh path's only read (see [`crate::infra::batch`]). `None` where no
/// current value matches or the token's user, tenant or application is gone.
pub async fn refresh_sessions_by_hash(
    pool: &SqlitePool,
    hashes: Vec<String>,
) -> sqlx::Result<Vec<Option<RefreshSession>>> {
    use sqlx::Row;
    let rows = sqlx::query(&format!(
        "SELECT t.id AS t_id, t.user_id AS t_user_id, t.application_id AS t_application_id,
                t.tenant_id AS t_tenant_id, t.current_hash AS t_current_hash,
                t.previous_hash AS t_previous_hash, t.rotated_instant AS t_rotated_instant,
                t.insert_instant AS t_insert_instant, t.start_instant AS t_start_instant,
                t.last_used_instant AS t_last_used_instant, t.auth_time AS t_auth_time,
                t.meta_data AS t_meta_data,
                {SESSION_COLUMNS}
         FROM refresh_tokens t
         JOIN users u ON u.id = t.user_id
         JOIN tenants tn ON tn.id = t.tenant_id
         JOIN applications a ON a.id = t.application_id
         LEFT JOIN registrations r ON r.user_id = u.id AND r.application_id = a.id
         WHERE t.current_hash IN (SELECT value FROM json_each(?))"
    ))
    .bind(serde_json::to_string(&hashes).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
    .fetch_all(pool)
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in rows {
        let token = RefreshTokenRow {
            id: row.try_get("t_id")?,
            user_id: row.try_get("t_user_id")?,
            application_id: row.try_get("t_application_id")?,
            tenant_id: row.try_get("t_tenant_id")?,
            current_hash: row.try_get("t_current_hash")?,
            previous_hash: row.try_get("t_previous_hash")?,
            rotated_instant: row.try_get("t_rotated_instant")?,
            insert_instant: row.try_get("t_insert_instant")?,
            start_instant: row.try_get("t_start_instant")?,
            last_used_instant: row.try_get("t_last_used_instant")?,
            auth_time: row.try_get("t_auth_time")?,
            meta_data: row.try_get("t_meta_data")?,
        };
        let session = session_from_row(&row, &token)?;
        found.insert(token.current_hash.clone(), Arc::new((token, session)));
    }
    Ok(hashes.iter().map(|hash| found.get(hash).cloned()).collect())
}

/// Stores each `(token id, instant)` as that refresh token's last use, in one statement (see
/// [`crate::infra::batch`]); a last use never moves backwards.
pub async fn record_refresh_token_uses(
    pool: &SqlitePool,
    uses: Vec<(String, i64)>,
) -> sqlx::Result<Vec<()>> {
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

fn session_from_row(
    row: &sqlx::sqlite::SqliteRow,
    token: &RefreshTokenRow,
) -> sqlx::Result<SessionRows> {
    use sqlx::Row;
    let user = UserRow {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        email: row.try_get("email")?,
        username: row.try_get("username")?,
        active: row.try_get("active")?,
        verified: row.try_get("verified")?,
        password_scheme: row.try_get("password_scheme")?,
        password_factor: row.try_get("password_factor")?,
        password_salt: row.try_get("password_salt")?,
        password_hash: row.try_get("password_hash")?,
        data: row.try_get("data")?,
        insert_instant: row.try_get("insert_instant")?,
        last_login_instant: row.try_get("last_login_instant")?,
        last_update_instant: row.try_get("last_update_instant")?,
        password_last_update_instant: row.try_get("password_last_update_instant")?,
    };
    let registration = match row.try_get::<Option<String>, _>("r_id")? {
        Some(id) => Some(RegistrationRow {
            id,
            user_id: token.user_id.clone(),
            application_id: token.application_id.clone(),
            roles: row.try_get("r_roles")?,
            data: row.try_get("r_data")?,
            verified: row.try_get("r_verified")?,
            insert_instant: row.try_get("r_insert_instant")?,
            last_login_instant: row.try_get("r_last_login_instant")?,
        }),
        None => None,
    };
    Ok(SessionRows {
        tenant: Tenant {
            id: token.tenant_id.clone(),
            data: parse_json(&row.try_get::<String, _>("tenant_data")?)?,
        },
        application: Application {
            id: token.application_id.clone(),
            tenant_id: row.try_get("application_tenant_id")?,
            data: parse_json(&row.try_get::<String, _>("application_data")?)?,
        },
        user,
        registration,
    })
}
