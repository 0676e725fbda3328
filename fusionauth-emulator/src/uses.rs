//! The last use of sliding-window refresh tokens, stored by group commit.
//!
//! Every refresh of a token under a sliding-window expiration policy moves the token's
//! `last_used_instant`, and the refresh is answered only once that is stored. Each such write
//! on its own is a round trip to one of SQLite's connection threads plus a turn at the
//! database's single write lock — under load, the larger part of a refresh's cost. Here one task
//! does these writes: the uses that arrive while a write is under way go out together in the
//! next statement, and every caller is answered once its own use is stored. A refresh alone
//! costs one write, as before; concurrent refreshes share theirs. No use is skipped or delayed
//! past its caller's answer.

use std::sync::Arc;

use serde_json::json;
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// How many uses one statement carries at most.
const MAX_BATCH: usize = 256;

/// A refresh token's use, waiting to be stored.
struct Use {
    token_id: String,
    at_ms: i64,
    stored: oneshot::Sender<Result<(), Arc<sqlx::Error>>>,
}

/// The handle handlers record uses through; cloning it is cheap.
#[derive(Debug, Clone)]
pub struct UseLog {
    uses: mpsc::UnboundedSender<Use>,
}

impl UseLog {
    /// Starts the writer task on the current Tokio runtime; it ends when the last handle is
    /// dropped.
    pub fn start(pool: SqlitePool) -> Self {
        let (uses, pending) = mpsc::unbounded_channel();
        tokio::spawn(write_uses(pool, pending));
        Self { uses }
    }

    /// Stores that `token_id` was used at `at_ms` (never moving its last use backwards); returns
    /// once it is stored.
    pub async fn record(&self, token_id: &str, at_ms: i64) -> sqlx::Result<()> {
        let (stored, outcome) = oneshot::channel();
        let sent = self.uses.send(Use {
            token_id: token_id.to_owned(),
            at_ms,
            stored,
        });
        if sent.is_err() {
            return Err(sqlx::Error::PoolClosed);
        }
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(sqlx::Error::Protocol(format!(
                "storing a refresh token's last use failed: {error}"
            ))),
            Err(_) => Err(sqlx::Error::PoolClosed),
        }
    }
}

/// The writer: waits for a use, takes every other one already waiting, stores them in one
/// statement, answers their callers.
async fn write_uses(pool: SqlitePool, mut pending: mpsc::UnboundedReceiver<Use>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let outcome = store(&pool, &batch).await.map_err(Arc::new);
        for using in batch.drain(..) {
            // A caller that gave up (its request was cancelled) needs no answer.
            let _ = using.stored.send(outcome.clone());
        }
    }
}

async fn store(pool: &SqlitePool, batch: &[Use]) -> sqlx::Result<()> {
    let uses: Vec<_> = batch
        .iter()
        .map(|using| json!([using.token_id, using.at_ms]))
        .collect();
    sqlx::query(
        "UPDATE refresh_tokens
         SET last_used_instant = MAX(refresh_tokens.last_used_instant, uses.at)
         FROM (SELECT value ->> 0 AS id, MAX(value ->> 1) AS at
               FROM json_each(?) GROUP BY 1) AS uses
         WHERE refresh_tokens.id = uses.id",
    )
    .bind(serde_json::Value::Array(uses).to_string())
    .execute(pool)
    .await?;
    Ok(())
}
