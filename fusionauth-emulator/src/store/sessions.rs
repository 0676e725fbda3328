//! A refresh token's whole session (tenant, application, user, registration) in one joined
//! read: what a refresh needs.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::SqlitePool;

use super::parse_json;
use super::refresh_tokens::RefreshTokenRow;
use super::registrations::RegistrationRow;
use super::users::UserRow;
use crate::model::{Application, Tenant};

/// What refreshing a token needs, read in one statement: the token's tenant and application,
/// its user, and the user's registration to the application (if any).
#[derive(Debug, Clone)]
pub struct SessionRows {
    pub tenant: Tenant,
    pub application: Application,
    pub user: UserRow,
    pub registration: Option<RegistrationRow>,
}

/// The session columns of [`of_token`] and [`by_hashes`] (`u`: the user,
/// `tn`: the tenant, `a`: the application, `r`: the registration).
const SESSION_COLUMNS: &str = "tn.data AS tenant_data, a.tenant_id AS application_tenant_id,
    a.data AS application_data,
    u.id, u.tenant_id, u.email, u.username, u.active, u.verified, u.password_scheme,
    u.password_factor, u.password_salt, u.password_hash, u.data, u.insert_instant,
    u.last_login_instant, u.last_update_instant, u.password_last_update_instant,
    r.id AS r_id, r.roles AS r_roles, r.data AS r_data, r.verified AS r_verified,
    r.insert_instant AS r_insert_instant, r.last_login_instant AS r_last_login_instant";

pub async fn of_token(
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

/// A refresh token with its session (as [`of_token`]); shared, since concurrent refreshes
/// of one token read it once.
pub type RefreshSession = Arc<(RefreshTokenRow, SessionRows)>;

/// For each of `hashes`, the refresh token whose current value hashes to it, with its session,
/// all in one statement: the refresh path's only read (see [`crate::infra::batch`]). `None` where no
/// current value matches or the token's user, tenant or application is gone.
pub async fn by_hashes(
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

fn session_from_row(
    row: &sqlx::sqlite::SqliteRow,
    token: &RefreshTokenRow,
) -> sqlx::Result<SessionRows> {
    use sqlx::{FromRow, Row};
    // The user's columns are unprefixed.
    let user = UserRow::from_row(row)?;
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
