//! `emulator_meta`: the emulator's own settings (`token_secret`, `initialized`).

use sqlx::SqlitePool;

pub async fn get(pool: &SqlitePool, name: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM emulator_meta WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
}

pub async fn set(pool: &SqlitePool, name: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO emulator_meta (name, value) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(pool)
    .await?;
    Ok(())
}
