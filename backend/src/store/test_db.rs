//! Real databases for the store's own tests: a fresh SQLite file always, and a fresh
//! PostgreSQL database when `STORE_TEST_POSTGRES_URL` names a cluster (`cargo xtask test` starts
//! one). The API suite's `TestDb` does the same for whole backends.

use std::path::PathBuf;

use sqlx::AnyPool;

use crate::settings::DatabaseUrl;

/// The PostgreSQL cluster to create test databases in (a URL whose database is an admin one).
const POSTGRES_URL_VARIABLE: &str = "STORE_TEST_POSTGRES_URL";

/// A migrated, empty database; a SQLite file is removed when this is dropped.
pub(crate) struct TestDatabase {
    pub pool: AnyPool,
    /// `sqlite` or `postgres`, for assertion messages.
    pub kind: &'static str,
    file: Option<PathBuf>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(path) = &self.file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// A fresh SQLite file, and a fresh PostgreSQL database when one is configured.
pub(crate) async fn test_databases() -> Vec<TestDatabase> {
    let file = std::env::temp_dir().join(format!("backend-store-{}.db", uuid::Uuid::new_v4()));
    let url = DatabaseUrl::from(format!("sqlite:{}?mode=rwc", file.display()));
    let mut databases = vec![TestDatabase {
        pool: super::connect_and_migrate(&url)
            .await
            .expect("SQLite opens"),
        kind: "sqlite",
        file: Some(file),
    }];
    if let Ok(server) = std::env::var(POSTGRES_URL_VARIABLE) {
        let url = super::create_scratch_database(&server, "store_unit")
            .await
            .expect("a PostgreSQL test database");
        let url = DatabaseUrl::from(url);
        databases.push(TestDatabase {
            pool: super::connect_and_migrate(&url)
                .await
                .expect("PostgreSQL opens"),
            kind: "postgres",
            file: None,
        });
    }
    databases
}
