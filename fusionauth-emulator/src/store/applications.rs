//! Applications (stored as FusionAuth's JSON document).

use sqlx::SqlitePool;

use super::parse_json;
use crate::model::Application;

pub async fn find(pool: &SqlitePool, id: &str) -> sqlx::Result<Option<Application>> {
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

pub async fn insert(pool: &SqlitePool, app: &Application) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO applications (id, tenant_id, data) VALUES (?, ?, ?)")
        .bind(&app.id)
        .bind(&app.tenant_id)
        .bind(app.data.to_string())
        .execute(pool)
        .await?;
    Ok(())
}
