//! Pending two-factor logins (a `twoFactorId` and what the first step asked for).

use serde::{Deserialize, Serialize};
use shared::fusionauth::LoginMetaData;
use sqlx::SqlitePool;

use super::rows_changed;

/// What the login that answered 242 asked for, carried to `POST /api/two-factor/login`
/// (stored as JSON; `null` for an absent value).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeData {
    #[serde(default)]
    pub application_id: Option<String>,
    #[serde(rename = "noJWT", default)]
    pub no_jwt: bool,
    #[serde(default)]
    pub meta_data: Option<LoginMetaData>,
}

/// A pending two-factor login.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub user_id: String,
    /// Epoch ms.
    pub create_instant: i64,
    pub data: ChallengeData,
}

pub async fn insert_challenge(
    pool: &SqlitePool,
    id: &str,
    user_id: &str,
    now_ms: i64,
    data: &ChallengeData,
) -> sqlx::Result<()> {
    let data = serde_json::to_string(data).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query(
        "INSERT INTO two_factor_challenges (id, user_id, create_instant, data) VALUES (?, ?, ?, ?)",
    )
    .bind(id)
    .bind(user_id)
    .bind(now_ms)
    .bind(data)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn challenge(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Challenge>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT user_id, create_instant, data FROM two_factor_challenges WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|(user_id, create_instant, data)| {
        Ok(Challenge {
            user_id,
            create_instant,
            data: serde_json::from_str(&data).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        })
    })
    .transpose()
}

/// Takes one of a challenge's `max` attempts at a code; false when none is left (or the
/// challenge is gone). Atomic, so concurrent guesses never exceed `max`.
pub async fn take_attempt(pool: &SqlitePool, id: &str, max: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "UPDATE two_factor_challenges SET attempts = attempts + 1 WHERE id = ? AND attempts < ?",
    )
    .bind(id)
    .bind(max)
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

/// Deletes a challenge; false when it was already gone (used by a concurrent call).
pub async fn delete_challenge(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(rows_changed(pool, "DELETE FROM two_factor_challenges WHERE id = ?", id).await? == 1)
}
