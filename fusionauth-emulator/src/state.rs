//! State shared by every handler.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use sqlx::SqlitePool;

use crate::clock::Clock;
use crate::crypto::{PasswordHash, SigningKey};
use crate::model::CorsConfiguration;

#[derive(Debug)]
pub struct AppState {
    pub pool: SqlitePool,
    pub clock: Clock,
    /// Secret for deriving a one-time refresh token's successor from its current value.
    pub token_secret: Vec<u8>,
    /// Checked for unknown users so that "no such user" takes as long as "wrong password".
    pub dummy_password: PasswordHash,
    pub test_hooks: bool,
    /// HTTP clients for webhook delivery.
    pub webhook_clients: crate::webhooks::Clients,
    keys: RwLock<HashMap<String, Arc<SigningKey>>>,
    cors: RwLock<CorsConfiguration>,
}

impl AppState {
    pub fn new(
        pool: SqlitePool,
        clock: Clock,
        token_secret: Vec<u8>,
        dummy_password: PasswordHash,
        test_hooks: bool,
    ) -> Self {
        Self {
            pool,
            clock,
            token_secret,
            dummy_password,
            test_hooks,
            webhook_clients: crate::webhooks::Clients::default(),
            keys: RwLock::default(),
            cors: RwLock::default(),
        }
    }

    /// The signing key with id `id` (the Key's UUID, not its `kid`).
    pub fn key(&self, id: &str) -> Option<Arc<SigningKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// The signing key whose `kid` is `kid`.
    pub fn key_by_kid(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .find(|key| key.kid == kid)
            .cloned()
    }

    /// All signing keys, oldest first.
    pub fn keys(&self) -> Vec<Arc<SigningKey>> {
        let mut keys: Vec<_> = self
            .keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        keys.sort_by(|a, b| (a.insert_instant, &a.id).cmp(&(b.insert_instant, &b.id)));
        keys
    }

    pub fn add_key(&self, key: SigningKey) {
        self.keys
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.id.clone(), Arc::new(key));
    }

    pub fn cors(&self) -> CorsConfiguration {
        self.cors
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_cors(&self, cors: CorsConfiguration) {
        *self.cors.write().unwrap_or_else(PoisonError::into_inner) = cors;
    }
}
