//! The store's data: the catalogue, the carts, revocations, processed webhook events and
//! device-bound sessions, in SQL through one [`sqlx::AnyPool`] (SQLite or PostgreSQL). Queries
//! are runtime-checked and written in SQL both databases run.

mod cart;
mod catalogue;
mod revocations;
mod sessions;
#[cfg(test)]
mod test_db;
mod webhook_events;

pub use cart::{CartOwner, add_item, clear_cart, load_cart, remove_item, set_quantity};
pub use catalogue::{find_product, list_products, seed_catalogue};
pub use revocations::{
    Cut, StoredRevocations, load_revocations, prune_revocations, revoke_before, revoke_session,
};
pub use sessions::{
    NewDeviceSession, RecordedRefresh, SessionSelection, SessionToken, StoredDeviceSession,
    create_device_session, delete_device_session, delete_device_sessions, find_device_session,
    find_device_session_by_jkt, find_device_session_by_token, list_device_sessions,
    prune_device_session_tokens, record_refresh, release_refresh_lease, take_refresh_lease,
    touch_device_session,
};
pub use webhook_events::{claim_webhook_event, release_webhook_event};

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::settings::DatabaseUrl;

/// Opens the pool and applies the embedded migrations.
///
/// # Errors
/// When the database cannot be reached or a migration fails.
#[tracing::instrument(skip_all, fields(database = %url))]
pub async fn connect_and_migrate(url: &DatabaseUrl) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
    if url.is_sqlite_memory() {
        // Each connection to `sqlite::memory:` is its own database: keep exactly one, forever.
        options = options
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    let pool = options
        .connect(url.expose())
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the database {url}: {e}"))?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate the database {url}: {e}"))?;
    Ok(pool)
}

/// Creates a new, empty database named `{prefix}_{uuid}` in the PostgreSQL cluster at `server`
/// (a URL whose database is an admin one) and returns its URL. For tests and the bench, which
/// each want a database of their own.
///
/// # Errors
/// When the cluster cannot be reached, the database cannot be created, or `server` has no
/// database path.
pub async fn create_scratch_database(server: &str, prefix: &str) -> anyhow::Result<String> {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let (base, query) = server.split_once('?').unwrap_or((server, ""));
    let (root, _) = base
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("the PostgreSQL URL has no database path"))?;
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(server)
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach the PostgreSQL cluster: {e}"))?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the database {name}: {e}"))?;
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Ok(format!("{root}/{name}{query}"))
}

/// True when the database answers a trivial query within two seconds.
pub async fn is_ready(pool: &AnyPool) -> bool {
    let ping = sqlx::query("SELECT 1").execute(pool);
    matches!(
        tokio::time::timeout(Duration::from_secs(2), ping).await,
        Ok(Ok(_))
    )
}
