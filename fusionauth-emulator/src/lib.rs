//! A FusionAuth-compatible server for development and tests, in the spirit of Firebase's Auth
//! Emulator: real password hashing, real signed JWTs (RS256, ES256, HS256), real refresh tokens, persisted in
//! SQLite, configured by a FusionAuth Kickstart file. FusionAuth's official client libraries work
//! against it unchanged. See README.md for the endpoints, the layout and the choices made where
//! FusionAuth's behaviour is not documented.
//!
//! Layers, each importing only those below: `routes` (HTTP, one module per FusionAuth API) →
//! `domain` (what FusionAuth does) → `state` → `store` (SQL per aggregate) → `model` →
//! `infra` (plumbing); the wire shapes are `shared::fusionauth`'s.

mod clock;
mod domain;
mod infra;
mod kickstart;
mod model;
mod routes;
mod server;
mod state;
mod store;

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub use clock::Clock;

use crate::infra::crypto;
pub use kickstart::Kickstart;

use crate::state::AppState;

/// Everything the emulator needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// SQLite URL, e.g. `sqlite:fusionauth-emulator.db?mode=rwc` or `sqlite::memory:`.
    pub database_url: String,
    /// Applied once, only when the database is empty.
    pub kickstart: Option<Kickstart>,
    /// Enables `POST /_emulator/clock`; refused unless `listen` is a loopback address.
    pub test_hooks: bool,
    /// Leaves `sid` out of the Login API's access tokens (FusionAuth documents it for OAuth
    /// tokens only), to show that a client does not depend on it.
    pub omit_login_sid: bool,
    /// Leaves `email`, `email_verified` and `preferred_username` out of the Login API's access
    /// tokens for applications whose `oauthConfiguration.scopeHandlingPolicy` is `Strict` (the
    /// docs say so for OAuth tokens; whether Login-API tokens follow is not documented).
    pub strict_login_claims: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 9011)),
            database_url: "sqlite:fusionauth-emulator.db?mode=rwc".to_owned(),
            kickstart: None,
            test_hooks: false,
            omit_login_sid: false,
            strict_login_claims: false,
        }
    }
}

/// A running (not yet awaited) emulator.
pub struct Application {
    port: u16,
    server: Server,
}

shared::debug_fields!(Application { port });

impl Application {
    /// Binds `settings.listen` (port 0 allowed), opens and migrates the database, applies the
    /// Kickstart if the database is empty.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        Self::build_on(listener, settings).await
    }

    /// Same as [`Application::build`], on an already bound listener.
    pub async fn build_on(listener: TcpListener, settings: Settings) -> anyhow::Result<Self> {
        let address = listener.local_addr()?;
        if settings.test_hooks && !address.ip().is_loopback() {
            bail!("test hooks can only be enabled on a loopback address, not {address}");
        }
        let state = open(&settings).await?;
        let state_for_server = state.clone();
        let server = HttpServer::new(move || server::app(state_for_server.clone()))
            .workers(2)
            .listen(listener)?
            .run();
        Ok(Self {
            port: address.port(),
            server,
        })
    }

    /// The port the emulator listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Serves until the server is stopped (SIGINT/SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the database and prepares the shared state, initialising an empty database.
async fn open(settings: &Settings) -> anyhow::Result<web::Data<AppState>> {
    let pool = store::connect(&settings.database_url).await?;
    let secret = match store::meta::get(&pool, "token_secret").await? {
        Some(secret) => URL_SAFE_NO_PAD
            .decode(secret)
            .context("the stored token secret is corrupt")?,
        None => {
            let secret = crypto::random_bytes::<32>()?.to_vec();
            store::meta::set(&pool, "token_secret", &URL_SAFE_NO_PAD.encode(&secret)).await?;
            secret
        }
    };
    let dummy_password = tokio::task::spawn_blocking(|| {
        let password = crypto::random_string::<16>()?;
        crypto::hash_password(&password, crypto::DEFAULT_FACTOR)
    })
    .await??;
    let state = web::Data::new(
        AppState::new(
            pool.clone(),
            Clock::new(),
            secret,
            dummy_password,
            settings.test_hooks,
        )
        .omitting_login_sid(settings.omit_login_sid)
        .with_strict_login_claims(settings.strict_login_claims),
    );
    for key in store::keys::load_all(&pool).await? {
        state.add_key(key);
    }
    if store::meta::get(&pool, "initialized").await?.is_none() {
        if store::tenants::count(&pool).await? > 0 {
            bail!(
                "the database {} was left half-initialised (a Kickstart failed?); delete it and start again",
                settings.database_url
            );
        }
        initialise(&state, settings.kickstart.as_ref()).await?;
        store::meta::set(&pool, "initialized", "true").await?;
    } else if settings.kickstart.is_some() {
        tracing::info!("database already initialised: Kickstart not applied");
    }
    let cors = match store::system_configuration::get(&pool).await? {
        Some(data) => data
            .get("corsConfiguration")
            .cloned()
            .map(serde_json::from_value)
            .transpose()?
            .unwrap_or_default(),
        None => shared::fusionauth::CorsConfiguration::default(),
    };
    state.set_cors(cors);
    Ok(state)
}

/// First start: the default signing key, tenant and system configuration, then the Kickstart.
async fn initialise(
    state: &web::Data<AppState>,
    kickstart: Option<&Kickstart>,
) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    let key_id = uuid::Uuid::new_v4().to_string();
    let owned_id = key_id.clone();
    let (key, pkcs8) = tokio::task::spawn_blocking(move || {
        crypto::SigningKey::generate(&owned_id, "Default signing key", 2048, now)
    })
    .await??;
    store::keys::insert(&state.pool, &key, &pkcs8).await?;
    state.add_key(key);
    let builtins = kickstart::Builtins {
        tenant_id: uuid::Uuid::new_v4().to_string(),
        default_signing_key_id: key_id.clone(),
    };
    let resolved = kickstart.map(|k| k.resolve(&builtins)).transpose()?;
    let tenant_id = match &resolved {
        Some(resolved) => uuid::Uuid::parse_str(&resolved.default_tenant_id)
            .context("Kickstart variable defaultTenantId is not a UUID")?
            .to_string(),
        None => builtins.tenant_id,
    };
    store::tenants::insert(
        &state.pool,
        &tenant_id,
        true,
        &model::default_tenant(&tenant_id, &key_id, now),
    )
    .await?;
    store::system_configuration::set(&state.pool, &model::default_system_configuration()).await?;
    if let Some(resolved) = resolved {
        // The replay drives an in-process actix service, which is not `Send`; running it on a
        // blocking thread keeps `Application::build`'s future `Send` (spawnable).
        let handle = tokio::runtime::Handle::current();
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                match kickstart::create_api_keys(&state, &resolved).await? {
                    Some(replay) => server::replay(state, replay).await,
                    None => Ok(()),
                }
            })
        })
        .await??;
    }
    Ok(())
}
