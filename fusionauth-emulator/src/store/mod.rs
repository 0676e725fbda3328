//! SQLite storage, one module per aggregate and one small function per statement. Nothing here
//! knows HTTP; rows come back as the plain types of [`crate::model`] or the `…Row` structs.
//!
//! | module | tables |
//! |---|---|
//! | [`meta`] | `emulator_meta` |
//! | [`keys`], [`api_keys`] | `signing_keys`, `api_keys` |
//! | [`tenants`], [`applications`], [`system_configuration`] | `tenants`, `applications`, `system_configuration` |
//! | [`users`], [`registrations`] | `users`, `registrations` |
//! | [`refresh_tokens`], [`sessions`] | `refresh_tokens`, `refresh_token_history` (and the joined session read) |
//! | [`two_factor`] | `two_factor_challenges` |
//! | [`failed_logins`], [`user_actions`] | `failed_logins`, `user_actions`, `user_action_log` |
//! | [`webhooks`] | `webhooks` |
//! | [`account`] | `change_password_ids`, `one_time_passwords`, `email_verification_ids`, `outbox` |
//! | [`webauthn`] | `webauthn_credentials`, `webauthn_challenges` |

pub mod account;
pub mod api_keys;
pub mod applications;
pub mod failed_logins;
pub mod keys;
pub mod meta;
pub mod refresh_tokens;
pub mod registrations;
pub mod sessions;
pub mod system_configuration;
pub mod tenants;
pub mod two_factor;
pub mod user_actions;
pub mod users;
pub mod webauthn;
pub mod webhooks;

pub use refresh_tokens::RefreshTokenRow;
pub use registrations::RegistrationRow;
pub use sessions::{RefreshSession, SessionRows};
pub use users::UserRow;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

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

/// A JSON column.
fn parse_json(text: &str) -> sqlx::Result<Value> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Runs `statement`, whose one parameter is `key`: how many rows it changed.
async fn rows_changed(pool: &SqlitePool, statement: &str, key: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(statement).bind(key).execute(pool).await?;
    Ok(done.rows_affected())
}

/// The JSON document of row `id` in `table` (a table of one `data` document per `id`).
async fn find_document(pool: &SqlitePool, table: &str, id: &str) -> sqlx::Result<Option<Value>> {
    let row: Option<String> = sqlx::query_scalar(&format!("SELECT data FROM {table} WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(|data| parse_json(&data)).transpose()
}

/// Stores `data` as row `id` of `table` (a table of one `data` document per `id`).
async fn insert_document(
    pool: &SqlitePool,
    table: &str,
    id: &str,
    data: &Value,
) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO {table} (id, data) VALUES (?, ?)"))
        .bind(id)
        .bind(data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}
