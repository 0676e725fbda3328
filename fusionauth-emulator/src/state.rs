//! State shared by every handler.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::Value;
use sqlx::SqlitePool;

use crate::clock::Clock;
use crate::infra::batch::Batch;
use crate::infra::cors::CorsPolicy;
use crate::infra::crypto::{PasswordHash, SigningKey};
use crate::infra::outbound::Clients;
use crate::store::RefreshSession;
use shared::fusionauth::CorsConfiguration;

/// The shared state as handlers extract it.
pub type State = actix_web::web::Data<AppState>;

#[derive(Debug)]
pub struct AppState {
    pub pool: SqlitePool,
    pub clock: Clock,
    /// Secret for deriving a one-time refresh token's successor from its current value.
    pub token_secret: Vec<u8>,
    /// Checked for unknown users so that "no such user" takes as long as "wrong password".
    pub dummy_password: PasswordHash,
    pub test_hooks: bool,
    /// `--omit-login-sid`: access tokens carry no `sid`.
    pub omit_login_sid: bool,
    /// `--strict-login-claims`: `Strict` applications' access tokens carry no profile claims.
    pub strict_login_claims: bool,
    /// HTTP clients for webhook delivery.
    pub webhook_clients: Clients,
    /// The refresh path's read: refresh tokens (by value hash) with their sessions, batched.
    pub refresh_sessions: Batch<String, Option<RefreshSession>>,
    /// The last use of sliding-window refresh tokens, `(token id, instant)`, by group commit.
    pub refresh_token_uses: Batch<(String, i64), ()>,
    keys: RwLock<HashMap<String, Arc<SigningKey>>>,
    /// Shared with the CORS filter (as app data).
    pub cors: Arc<CorsPolicy>,
    webhooks: RwLock<WebhookCache>,
}

/// The webhooks as stored, read once per change instead of on every event. `generation` counts
/// changes, so a read that raced with a change is not kept.
#[derive(Debug, Default)]
struct WebhookCache {
    generation: u64,
    webhooks: Option<Arc<Vec<Value>>>,
}

impl AppState {
    /// Must be called within a Tokio runtime: it starts the [`Batch`] tasks.
    /// Leaves `sid` out of every access token when `omit` (see `Settings::omit_login_sid`).
    #[must_use]
    pub fn omitting_login_sid(mut self, omit: bool) -> Self {
        self.omit_login_sid = omit;
        self
    }

    /// Applies `Strict` scope handling to Login-API tokens when `strict` (see
    /// `Settings::strict_login_claims`).
    #[must_use]
    pub fn with_strict_login_claims(mut self, strict: bool) -> Self {
        self.strict_login_claims = strict;
        self
    }

    pub fn new(
        pool: SqlitePool,
        clock: Clock,
        token_secret: Vec<u8>,
        dummy_password: PasswordHash,
        test_hooks: bool,
    ) -> Self {
        Self {
            refresh_sessions: Batch::start({
                let pool = pool.clone();
                move |hashes| {
                    let pool = pool.clone();
                    async move { crate::store::sessions::by_hashes(&pool, hashes).await }
                }
            }),
            refresh_token_uses: Batch::start({
                let pool = pool.clone();
                move |uses| {
                    let pool = pool.clone();
                    async move { crate::store::refresh_tokens::record_uses(&pool, uses).await }
                }
            }),
            pool,
            clock,
            token_secret,
            dummy_password,
            test_hooks,
            omit_login_sid: false,
            strict_login_claims: false,
            webhook_clients: Clients::default(),
            keys: RwLock::default(),
            cors: Arc::default(),
            webhooks: RwLock::default(),
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

    pub fn set_cors(&self, cors: CorsConfiguration) {
        self.cors.set(cors);
    }

    /// Every webhook (as [`crate::store::webhooks`]), from memory after the first read.
    pub async fn webhooks(&self) -> sqlx::Result<Arc<Vec<Value>>> {
        let generation = {
            let cache = self.webhooks.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(webhooks) = &cache.webhooks {
                return Ok(Arc::clone(webhooks));
            }
            cache.generation
        };
        let webhooks = Arc::new(crate::store::webhooks::all(&self.pool).await?);
        let mut cache = self
            .webhooks
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if cache.generation == generation {
            cache.webhooks = Some(Arc::clone(&webhooks));
        }
        Ok(webhooks)
    }

    /// Call after creating, changing or deleting a webhook.
    pub fn forget_webhooks(&self) {
        let mut cache = self
            .webhooks
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        cache.generation = cache.generation.wrapping_add(1);
        cache.webhooks = None;
    }
}
