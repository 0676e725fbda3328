//! Registrations of users to applications.

use sqlx::{SqliteConnection, SqlitePool};

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

pub async fn of_user(pool: &SqlitePool, user_id: &str) -> sqlx::Result<Vec<RegistrationRow>> {
    sqlx::query_as(&format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations WHERE user_id = ? ORDER BY insert_instant, id"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
}

pub async fn find(
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

pub async fn insert(
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
