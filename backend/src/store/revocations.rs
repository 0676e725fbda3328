//! Revocations learnt from FusionAuth's webhook, in SQL: the source of truth every backend
//! instance reads (see `crate::auth::revocation` for the in-memory copy requests consult).
//! Writes keep the strongest revocation, so repeated or reordered deliveries are harmless.

use sqlx::AnyPool;

/// Every revocation still in force.
#[derive(Debug, Default)]
pub struct StoredRevocations {
    /// Revoked session ids (`sid`).
    pub sessions: Vec<String>,
    /// `(issuer, subject, revoked_before_millis)`.
    pub users: Vec<(String, String, i64)>,
    /// `(application_id, revoked_before_millis)`.
    pub applications: Vec<(String, i64)>,
    /// `(issuer, subject, revoked_before_millis)` of users with one session revoked.
    pub user_sessions: Vec<(String, String, i64)>,
}

/// Records that session `sid` is revoked.
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all)]
pub async fn revoke_session(
    pool: &AnyPool,
    sid: &str,
    at_millis: i64,
    expires_at_millis: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO revoked_sessions (sid, revoked_at, expires_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sid) DO UPDATE SET {}",
        keep_later("revoked_sessions", &["expires_at"])
    ))
    .bind(sid)
    .bind(at_millis)
    .bind(expires_at_millis)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whose JWTs issued before an instant a revocation cuts off; each kind has its own table.
#[derive(Clone, Copy, Debug)]
pub enum Cut<'a> {
    /// Every JWT of the user (`revoked_users`).
    User { issuer: &'a str, subject: &'a str },
    /// One of the user's sessions was revoked: their earlier JWTs without `sid` must come with
    /// a live refresh token (`revoked_user_sessions`).
    UserSession { issuer: &'a str, subject: &'a str },
    /// Every JWT of the application (`revoked_applications`).
    Application { application_id: &'a str },
}

impl Cut<'_> {
    /// The table, its key columns and this cut's key values.
    fn row(&self) -> (&'static str, &'static str, Vec<&str>) {
        match *self {
            Self::User { issuer, subject } => {
                ("revoked_users", "issuer, subject", vec![issuer, subject])
            }
            Self::UserSession { issuer, subject } => (
                "revoked_user_sessions",
                "issuer, subject",
                vec![issuer, subject],
            ),
            Self::Application { application_id } => (
                "revoked_applications",
                "application_id",
                vec![application_id],
            ),
        }
    }
}

/// Records that the JWTs `cut` names issued before `before_millis` are revoked (the latest
/// instant wins).
///
/// # Errors
/// When the statement fails.
#[tracing::instrument(skip_all)]
pub async fn revoke_before(
    pool: &AnyPool,
    cut: Cut<'_>,
    before_millis: i64,
    expires_at_millis: i64,
) -> Result<(), sqlx::Error> {
    let (table, key_columns, keys) = cut.row();
    let placeholders = (1..=keys.len() + 2)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {table} ({key_columns}, revoked_before, expires_at) \
         VALUES ({placeholders}) ON CONFLICT ({key_columns}) DO UPDATE SET {}",
        keep_later(table, &["revoked_before", "expires_at"])
    );
    let mut query = sqlx::query(&sql);
    for key in keys {
        query = query.bind(key);
    }
    query
        .bind(before_millis)
        .bind(expires_at_millis)
        .execute(pool)
        .await?;
    Ok(())
}

/// The `SET` of an upsert into `table` that keeps, for each of `columns`, the later instant
/// (`CASE`, not `max`/`GREATEST`: the same SQL for SQLite and PostgreSQL).
fn keep_later(table: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| {
            format!(
                "{c} = CASE WHEN excluded.{c} > {table}.{c} THEN excluded.{c} ELSE {table}.{c} END"
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every revocation whose `expires_at` is not past `now_millis`.
///
/// # Errors
/// When a query fails.
#[tracing::instrument(skip_all)]
pub async fn load_revocations(
    pool: &AnyPool,
    now_millis: i64,
) -> Result<StoredRevocations, sqlx::Error> {
    let sessions: Vec<(String,)> = in_force(pool, "sid", "revoked_sessions", now_millis).await?;
    let cut = "issuer, subject, revoked_before";
    let users = in_force(pool, cut, "revoked_users", now_millis).await?;
    let applications = in_force(
        pool,
        "application_id, revoked_before",
        "revoked_applications",
        now_millis,
    )
    .await?;
    let user_sessions = in_force(pool, cut, "revoked_user_sessions", now_millis).await?;
    Ok(StoredRevocations {
        sessions: sessions.into_iter().map(|(sid,)| sid).collect(),
        users,
        applications,
        user_sessions,
    })
}

/// `columns` of the rows of `table` still in force at `now_millis`.
async fn in_force<T>(
    pool: &AnyPool,
    columns: &str,
    table: &str,
    now_millis: i64,
) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as(&format!(
        "SELECT {columns} FROM {table} WHERE expires_at >= $1"
    ))
    .bind(now_millis)
    .fetch_all(pool)
    .await
}

/// Forgets revocations that expired before `now_millis`; returns how many.
///
/// # Errors
/// When a statement fails.
#[tracing::instrument(skip_all)]
pub async fn prune_revocations(pool: &AnyPool, now_millis: i64) -> Result<u64, sqlx::Error> {
    let mut removed = 0;
    for table in [
        "revoked_sessions",
        "revoked_users",
        "revoked_applications",
        "revoked_user_sessions",
    ] {
        removed += sqlx::query(&format!("DELETE FROM {table} WHERE expires_at < $1"))
            .bind(now_millis)
            .execute(pool)
            .await?
            .rows_affected();
    }
    Ok(removed)
}
