//! Passkeys (`webauthn_credentials`) and started WebAuthn ceremonies (`webauthn_challenges`).

use shared::fusionauth::WebAuthnCredential;
use sqlx::SqlitePool;

use super::{parse_json, rows_changed};

/// A stored passkey: FusionAuth's view of it and the verifier's record (JSON).
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub credential: WebAuthnCredential,
    pub passkey: String,
}

fn row(data: &str, passkey: String) -> sqlx::Result<CredentialRow> {
    Ok(CredentialRow {
        credential: serde_json::from_value(parse_json(data)?)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        passkey,
    })
}

fn encode(credential: &WebAuthnCredential) -> sqlx::Result<String> {
    serde_json::to_string(credential).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Stores a new passkey; false when its authenticator credential id is already registered.
pub async fn insert(pool: &SqlitePool, row: &CredentialRow) -> sqlx::Result<bool> {
    let c = &row.credential;
    let result = sqlx::query(
        "INSERT INTO webauthn_credentials (id, user_id, credential_id, data, passkey)
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(&c.id)
    .bind(&c.user_id)
    .bind(&c.credential_id)
    .bind(encode(c)?)
    .bind(&row.passkey)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<CredentialRow>> {
    let found: Option<(String, String)> =
        sqlx::query_as("SELECT data, passkey FROM webauthn_credentials WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    found.map(|(data, passkey)| row(&data, passkey)).transpose()
}

/// A user's passkeys, oldest first.
pub async fn of_user(pool: &SqlitePool, user_id: &str) -> sqlx::Result<Vec<CredentialRow>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT data, passkey FROM webauthn_credentials WHERE user_id = ? ORDER BY rowid",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|(data, passkey)| row(&data, passkey))
        .collect()
}

/// Records a completed ceremony (counter, last use), only if the stored counter is still
/// `previous_sign_count` (so two assertions cannot both advance it); false otherwise.
pub async fn record_use(
    pool: &SqlitePool,
    row: &CredentialRow,
    previous_sign_count: u32,
) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "UPDATE webauthn_credentials SET data = ?, passkey = ?
         WHERE id = ? AND json_extract(data, '$.signCount') = ?",
    )
    .bind(encode(&row.credential)?)
    .bind(&row.passkey)
    .bind(&row.credential.id)
    .bind(previous_sign_count)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Deletes one passkey; false when it did not exist.
pub async fn delete(pool: &SqlitePool, id: &str) -> sqlx::Result<bool> {
    Ok(rows_changed(pool, "DELETE FROM webauthn_credentials WHERE id = ?", id).await? == 1)
}

/// Deletes every passkey of a user; how many there were.
pub async fn delete_of_user(pool: &SqlitePool, user_id: &str) -> sqlx::Result<u64> {
    rows_changed(
        pool,
        "DELETE FROM webauthn_credentials WHERE user_id = ?",
        user_id,
    )
    .await
}

/// A started ceremony.
#[derive(Debug, Clone)]
pub struct ChallengeRow {
    pub user_id: String,
    pub expires_instant: i64,
    /// What the start request asked for and the verifier's state (JSON).
    pub data: String,
}

pub async fn insert_challenge(
    pool: &SqlitePool,
    challenge: &str,
    kind: &str,
    row: &ChallengeRow,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO webauthn_challenges (challenge, kind, user_id, expires_instant, data)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(challenge)
    .bind(kind)
    .bind(&row.user_id)
    .bind(row.expires_instant)
    .bind(&row.data)
    .execute(pool)
    .await?;
    Ok(())
}

/// Takes (reads and deletes, in one statement) the ceremony of `kind` started with `challenge`:
/// a challenge is used at most once, even by concurrent calls.
pub async fn take_challenge(
    pool: &SqlitePool,
    challenge: &str,
    kind: &str,
) -> sqlx::Result<Option<ChallengeRow>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "DELETE FROM webauthn_challenges WHERE challenge = ? AND kind = ?
         RETURNING user_id, expires_instant, data",
    )
    .bind(challenge)
    .bind(kind)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(user_id, expires_instant, data)| ChallengeRow {
        user_id,
        expires_instant,
        data,
    }))
}

/// Forgets ceremonies that expired before `now_ms`.
pub async fn delete_expired_challenges(pool: &SqlitePool, now_ms: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM webauthn_challenges WHERE expires_instant <= ?")
        .bind(now_ms)
        .execute(pool)
        .await?;
    Ok(())
}
