//! Throw-away directories.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;

/// A fresh directory under the system's temp dir, removed (with its contents) when dropped —
/// also when a test panics.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    /// Creates `store-<purpose>-<pid>-<n>` under the temp dir, emptied if it existed.
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn new(purpose: &str) -> anyhow::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "store-{purpose}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("clearing {}", path.display()))?;
        }
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A `sqlite:` URL for the database file `name` in this directory (created on first use).
    pub fn sqlite_url(&self, name: &str) -> String {
        format!("sqlite:{}?mode=rwc", self.path.join(name).display())
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
