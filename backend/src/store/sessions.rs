//! Device-bound sessions in SQL (issue #11): one `device_sessions` row per signed-in device and
//! the hashes of the JWTs it handed out in `device_session_tokens`. Tokens are stored sealed
//! (`crate::device::seal`) or hashed (`crate::device::token_hash`): nothing here can be replayed.
//!
//! One refresh per session across instances: [`take_refresh_lease`] is a conditional `UPDATE`
//! only one caller can win until the lease runs out; [`record_refresh`] writes the winner's new
//! tokens and clears the lease in one transaction, and only while the winner still holds it.

use sqlx::AnyPool;

/// A session as stored.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredDeviceSession {
    pub id: String,
    pub issuer: String,
    pub subject: String,
    pub application_id: String,
    /// RFC 7638 thumbprint of the device key.
    pub jkt: String,
    /// FusionAuth's refresh token id, when known.
    pub refresh_token_id: Option<String>,
    pub sealed_refresh_token: String,
    pub sealed_access_token: String,
    pub device_label: String,
    pub created_at: i64,
    pub last_used_at: i64,
    /// How many refreshes the session has had.
    pub generation: i64,
    pub refresh_lease_until: Option<i64>,
    pub refresh_lease_owner: Option<String>,
}

shared::debug_fields!(StoredDeviceSession {
    id,
    subject,
    jkt,
    device_label,
    generation,
    refresh_lease_until
});

/// A new session, as the hand-off creates it.
#[derive(Clone, Copy)]
pub struct NewDeviceSession<'a> {
    pub id: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub application_id: &'a str,
    pub jkt: &'a str,
    pub refresh_token_id: Option<&'a str>,
    pub sealed_refresh_token: &'a str,
    pub sealed_access_token: &'a str,
    pub device_label: &'a str,
    pub now_millis: i64,
}

shared::debug_fields!(NewDeviceSession<'_> { id, subject, jkt });

/// A JWT the session handed out: its hash and when it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionToken<'a> {
    /// `crate::device::token_hash` of the JWT.
    pub hash: &'a str,
    pub expires_at_millis: i64,
}

/// What a won refresh writes.
#[derive(Clone, Copy)]
pub struct RecordedRefresh<'a> {
    pub id: &'a str,
    /// The lease owner that won [`take_refresh_lease`].
    pub owner: &'a str,
    /// The generation [`take_refresh_lease`] returned.
    pub generation: i64,
    /// FusionAuth's refresh token id, if its answer named one (kept otherwise).
    pub refresh_token_id: Option<&'a str>,
    pub sealed_refresh_token: &'a str,
    pub sealed_access_token: &'a str,
    /// The new JWT.
    pub token: SessionToken<'a>,
    pub now_millis: i64,
}

shared::debug_fields!(RecordedRefresh<'_> { id, owner, generation });

const COLUMNS: &str = "s.id, s.issuer, s.subject, s.application_id, s.jkt, s.refresh_token_id, \
     s.sealed_refresh_token, s.sealed_access_token, s.device_label, s.created_at, \
     s.last_used_at, s.generation, s.refresh_lease_until, s.refresh_lease_owner";

async fn insert_token(
    connection: &mut sqlx::AnyConnection,
    session_id: &str,
    token: &SessionToken<'_>,
) -> Result<(), sqlx::Error> {
    // The same JWT twice (one session's, by construction) is recorded once.
    sqlx::query(
        "INSERT INTO device_session_tokens (token_hash, session_id, expires_at) \
         VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING",
    )
    .bind(token.hash)
    .bind(session_id)
    .bind(token.expires_at_millis)
    .execute(connection)
    .await?;
    Ok(())
}

/// Stores a new session and the JWTs it handed out, in one transaction.
///
/// # Errors
/// When a statement fails, e.g. the id or the key (`jkt`) is already another session's.
#[tracing::instrument(skip_all, fields(session = session.id))]
pub async fn create_device_session(
    pool: &AnyPool,
    session: &NewDeviceSession<'_>,
    tokens: &[SessionToken<'_>],
) -> Result<(), sqlx::Error> {
    let mut transaction = pool.begin().await?;
    sqlx::query(
        "INSERT INTO device_sessions (id, issuer, subject, application_id, jkt, \
         refresh_token_id, sealed_refresh_token, sealed_access_token, device_label, created_at, \
         last_used_at, generation) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, 0)",
    )
    .bind(session.id)
    .bind(session.issuer)
    .bind(session.subject)
    .bind(session.application_id)
    .bind(session.jkt)
    .bind(session.refresh_token_id)
    .bind(session.sealed_refresh_token)
    .bind(session.sealed_access_token)
    .bind(session.device_label)
    .bind(session.now_millis)
    .execute(&mut *transaction)
    .await?;
    for token in tokens {
        insert_token(&mut transaction, session.id, token).await?;
    }
    transaction.commit().await
}

/// The session that handed out the JWT with this hash, while that JWT has not expired
/// (`expires_at` ≥ `now_millis`).
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all)]
pub async fn find_device_session_by_token(
    pool: &AnyPool,
    token_hash: &str,
    now_millis: i64,
) -> Result<Option<StoredDeviceSession>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_session_tokens t \
         JOIN device_sessions s ON s.id = t.session_id \
         WHERE t.token_hash = $1 AND t.expires_at >= $2"
    ))
    .bind(token_hash)
    .bind(now_millis)
    .fetch_optional(pool)
    .await
}

/// The session with this id.
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn find_device_session(
    pool: &AnyPool,
    id: &str,
) -> Result<Option<StoredDeviceSession>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_sessions s WHERE s.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The session bound to the device key `jkt` (one key, one session).
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all)]
pub async fn find_device_session_by_jkt(
    pool: &AnyPool,
    jkt: &str,
) -> Result<Option<StoredDeviceSession>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_sessions s WHERE s.jkt = $1"
    ))
    .bind(jkt)
    .fetch_optional(pool)
    .await
}

/// Sets the session's last use to `now_millis` if it was last used before `older_than_millis`
/// (so busy sessions are not written on every request); true when it wrote.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn touch_device_session(
    pool: &AnyPool,
    id: &str,
    now_millis: i64,
    older_than_millis: i64,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE device_sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $3",
    )
    .bind(now_millis)
    .bind(id)
    .bind(older_than_millis)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Takes the session's refresh lease for `owner` until `until_millis`, if nobody holds an
/// unexpired one. Returns the session's generation when taken; `None` when another owner holds
/// the lease (or the session is gone). Of any number of concurrent callers, on any number of
/// instances, at most one wins.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn take_refresh_lease(
    pool: &AnyPool,
    id: &str,
    owner: &str,
    now_millis: i64,
    until_millis: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let generation: Option<(i64,)> = sqlx::query_as(
        "UPDATE device_sessions SET refresh_lease_until = $1, refresh_lease_owner = $2 \
         WHERE id = $3 AND (refresh_lease_until IS NULL OR refresh_lease_until < $4) \
         RETURNING generation",
    )
    .bind(until_millis)
    .bind(owner)
    .bind(id)
    .bind(now_millis)
    .fetch_optional(pool)
    .await?;
    Ok(generation.map(|(generation,)| generation))
}

/// Gives the lease back (a refresh that failed without ending the session); true when `owner`
/// held it.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn release_refresh_lease(
    pool: &AnyPool,
    id: &str,
    owner: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE device_sessions SET refresh_lease_until = NULL, refresh_lease_owner = NULL \
         WHERE id = $1 AND refresh_lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Writes a won refresh in one transaction: the new sealed tokens, the new JWT's hash,
/// generation + 1, the lease cleared. Only while `refresh.owner` still holds the lease at
/// `refresh.generation`; false (nothing written) otherwise, e.g. the lease ran out and another
/// instance refreshed, or the session ended.
///
/// # Errors
/// When a statement fails (nothing is written then).
#[tracing::instrument(skip_all, fields(session = refresh.id))]
pub async fn record_refresh(
    pool: &AnyPool,
    refresh: &RecordedRefresh<'_>,
) -> Result<bool, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let updated = sqlx::query(
        "UPDATE device_sessions SET sealed_refresh_token = $1, sealed_access_token = $2, \
         refresh_token_id = COALESCE($3, refresh_token_id), generation = generation + 1, \
         refresh_lease_until = NULL, refresh_lease_owner = NULL, last_used_at = $4 \
         WHERE id = $5 AND refresh_lease_owner = $6 AND generation = $7",
    )
    .bind(refresh.sealed_refresh_token)
    .bind(refresh.sealed_access_token)
    .bind(refresh.refresh_token_id)
    .bind(refresh.now_millis)
    .bind(refresh.id)
    .bind(refresh.owner)
    .bind(refresh.generation)
    .execute(&mut *transaction)
    .await?
    .rows_affected();
    if updated != 1 {
        transaction.rollback().await?;
        return Ok(false);
    }
    insert_token(&mut transaction, refresh.id, &refresh.token).await?;
    transaction.commit().await?;
    Ok(true)
}

/// Which sessions [`delete_device_sessions`] ends.
#[derive(Clone, Copy, Debug)]
pub enum SessionSelection<'a> {
    /// One session, by its id.
    Id(&'a str),
    /// The sessions holding FusionAuth's refresh token with this id (the revocation webhook
    /// names one).
    RefreshTokenId(&'a str),
    /// Every session of one user.
    User { issuer: &'a str, subject: &'a str },
    /// Every session of one FusionAuth application.
    Application(&'a str),
}

impl SessionSelection<'_> {
    fn condition(self) -> &'static str {
        match self {
            Self::Id(_) => "id = $1",
            Self::RefreshTokenId(_) => "refresh_token_id = $1",
            Self::User { .. } => "issuer = $1 AND subject = $2",
            Self::Application(_) => "application_id = $1",
        }
    }

    /// `query` with the selection's values bound.
    fn bind<'q>(
        self,
        query: sqlx::query::QueryAs<'q, sqlx::Any, (String,), sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, (String,), sqlx::any::AnyArguments<'q>>
    where
        Self: 'q,
    {
        match self {
            Self::Id(value) | Self::RefreshTokenId(value) | Self::Application(value) => {
                query.bind(value)
            }
            Self::User { issuer, subject } => query.bind(issuer).bind(subject),
        }
    }
}

/// Ends the selected sessions and their token hashes in one transaction; their ids.
///
/// # Errors
/// When a statement fails (nothing is deleted then).
#[tracing::instrument(skip_all)]
pub async fn delete_device_sessions(
    pool: &AnyPool,
    selection: SessionSelection<'_>,
) -> Result<Vec<String>, sqlx::Error> {
    let condition = selection.condition();
    let mut transaction = pool.begin().await?;
    let tokens = format!(
        "DELETE FROM device_session_tokens WHERE session_id IN \
         (SELECT id FROM device_sessions WHERE {condition}) RETURNING session_id"
    );
    selection
        .bind(sqlx::query_as(&tokens))
        .fetch_all(&mut *transaction)
        .await?;
    let sessions = format!("DELETE FROM device_sessions WHERE {condition} RETURNING id");
    let ids: Vec<(String,)> = selection
        .bind(sqlx::query_as(&sessions))
        .fetch_all(&mut *transaction)
        .await?;
    transaction.commit().await?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// Ends one session (logout); true when it existed.
///
/// # Errors
/// When a statement fails (nothing is deleted then).
#[tracing::instrument(skip_all, fields(session = id))]
pub async fn delete_device_session(pool: &AnyPool, id: &str) -> Result<bool, sqlx::Error> {
    Ok(!delete_device_sessions(pool, SessionSelection::Id(id))
        .await?
        .is_empty())
}

/// One user's sessions, oldest first.
///
/// # Errors
/// When the query fails.
#[tracing::instrument(skip_all)]
pub async fn list_device_sessions(
    pool: &AnyPool,
    issuer: &str,
    subject: &str,
) -> Result<Vec<StoredDeviceSession>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM device_sessions s WHERE s.issuer = $1 AND s.subject = $2 \
         ORDER BY s.created_at, s.id"
    ))
    .bind(issuer)
    .bind(subject)
    .fetch_all(pool)
    .await
}

/// Forgets the hashes of JWTs that expired before `now_millis`; how many.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all)]
pub async fn prune_device_session_tokens(
    pool: &AnyPool,
    now_millis: i64,
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM device_session_tokens WHERE expires_at < $1")
            .bind(now_millis)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests;
