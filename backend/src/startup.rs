//! Start-up: [`Application::build`] wires the services into [`AppState`], the middleware and
//! the route table ([`configure`]) into one Actix server — used by `main.rs` and the tests alike.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use shared::store::AppConfig;

use crate::auth::Authenticator;
use crate::client_address::ClientAddresses;
use crate::clock::Clock;
use crate::device::{
    DeviceSessions, Nonces, ProofVerifier, ReplayCache, Sealer, SessionKey, events::Events,
};
use crate::hardening::{self, Hardening};
use crate::login_proxy::LoginProxy;
use crate::routes::{
    self, account, cart, devices, health, login, passkeys, products, session, static_files,
    webhooks,
};
use crate::settings::{PublicOrigin, Settings};
use crate::state::AppState;
use crate::store;

/// Registers every route. `static_dir` is the built PWA, served at `/` when present.
pub fn configure(cfg: &mut web::ServiceConfig, static_dir: Option<&Path>) {
    cfg.app_data(routes::json_config())
        .service(
            web::scope("/api")
                .wrap(from_fn(routes::api_headers))
                .wrap(from_fn(hardening::cors))
                .route("/products", web::get().to(products::list))
                .route("/login", web::post().to(login::login))
                .route("/account", web::post().to(account::sign_up))
                .route(
                    "/account/forgot-password",
                    web::post().to(account::forgot_password),
                )
                .route("/account/sessions", web::get().to(devices::list))
                .route(
                    "/account/sessions",
                    web::delete().to(devices::sign_out_many),
                )
                .route(
                    "/account/sessions/{id}",
                    web::delete().to(devices::sign_out_one),
                )
                .route("/session", web::post().to(session::hand_off))
                .route("/session", web::delete().to(session::log_out))
                .route(
                    "/passkeys/registration",
                    web::post().to(passkeys::registration),
                )
                .route(
                    "/passkeys/authentication",
                    web::post().to(passkeys::authentication),
                )
                .route("/passkeys", web::get().to(passkeys::list))
                .route("/passkeys/{id}", web::delete().to(passkeys::remove))
                .route("/cart", web::get().to(cart::get))
                .route("/cart", web::delete().to(cart::clear))
                .route("/cart/items", web::post().to(cart::add_item))
                .route(
                    "/cart/items/{productId}",
                    web::patch().to(cart::set_quantity),
                )
                .route(
                    "/cart/items/{productId}",
                    web::delete().to(cart::remove_item),
                )
                .default_service(web::to(routes::api_not_found)),
        )
        .route("/webhooks/fusionauth", web::post().to(webhooks::fusionauth))
        .route("/app-config.json", web::get().to(routes::app_config))
        .route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready));
    match static_dir {
        Some(dir) => {
            cfg.service(static_files::service(dir));
        }
        None => {
            cfg.default_service(web::to(routes::api_not_found));
        }
    }
}

/// Rereads the revocation tables every `every` (other instances' webhooks) and prunes expired
/// rows about once an hour. Stops when the application's state is dropped.
fn spawn_revocation_sync(state: web::Data<AppState>, every: Duration) {
    let state = std::sync::Arc::downgrade(&state.into_inner());
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let prune_every = (3600 / every.as_secs().max(1)).max(1);
        let mut count: u64 = 0;
        loop {
            ticks.tick().await;
            let Some(state) = state.upgrade() else { break };
            if let Err(error) = state.auth.reload_revocations().await {
                tracing::warn!(%error, "cannot reread the revocations; keeping the last copy");
            }
            if let Some(device) = &state.device
                && let Err(error) = device.resync().await
            {
                tracing::warn!(%error, "cannot reread the device sessions; keeping the cache");
            }
            count += 1;
            if count.is_multiple_of(prune_every) {
                match state.auth.prune_revocations().await {
                    Ok(removed) if removed > 0 => {
                        tracing::info!(removed, "forgot expired revocations");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot prune the revocations"),
                }
                if let Some(device) = &state.device
                    && let Err(error) = device.prune(state.auth.max_refresh_age_seconds()).await
                {
                    tracing::warn!(%error, "cannot prune the device sessions' JWT hashes");
                }
            }
        }
    });
}

/// How to make `APP_SESSION_KEY`, for the start-up refusal.
const NO_SESSION_KEY: &str = "APP_DEVICE_BINDING=required needs APP_SESSION_KEY: 32 random bytes, \
     standard Base64, the same on every instance (make one with `openssl rand -base64 32`), \
     or set APP_DEVICE_BINDING=off";

/// The device-bound sessions service, in `required` mode; `None` in `off` mode.
///
/// # Errors
/// In `required` mode without a usable `APP_SESSION_KEY`.
fn device_sessions(
    settings: &Settings,
    listening_on: std::net::SocketAddr,
    pool: &sqlx::AnyPool,
    client: &reqwest::Client,
    clock: &Clock,
) -> anyhow::Result<Option<DeviceSessions>> {
    if settings.device_binding == shared::store::DeviceBinding::Off {
        return Ok(None);
    }
    let secret = settings
        .session_key
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!(NO_SESSION_KEY))?;
    // The parser checked both keys already; the errors never repeat a key.
    let key = SessionKey::from_base64(secret.expose())?;
    let previous = settings
        .session_key_previous
        .as_ref()
        .map(|secret| SessionKey::from_base64(secret.expose()))
        .transpose()?;
    let origin = match &settings.public_origin {
        Some(origin) => origin.clone(),
        None => PublicOrigin::for_listen(&listening_on.to_string()).map_err(anyhow::Error::msg)?,
    };
    tracing::info!(origin = origin.as_str(), "device-bound sessions required");
    let nonces = Nonces::new(
        &key,
        previous.as_ref(),
        Duration::from_secs(settings.dpop_nonce_seconds),
        clock.clone(),
    );
    let proofs = ProofVerifier::new(
        origin,
        nonces,
        ReplayCache::new(crate::device::replay::DEFAULT_CAPACITY),
        clock.clone(),
    );
    Ok(Some(DeviceSessions::new(
        pool.clone(),
        proofs,
        Sealer::new(&key, previous.as_ref()),
        clock.clone(),
        (&settings.issuer, &settings.application_id),
        client.clone(),
        &settings.fusionauth_url,
        Events::new(&settings.database_url),
    )))
}

/// A built, bound, not yet running backend.
pub struct Application {
    port: u16,
    server: Server,
    clock: Clock,
}

shared::debug_fields!(Application { port });

impl Application {
    /// Binds `settings.listen` (port 0 picks a free port), then as [`Application::build_on`].
    ///
    /// # Errors
    /// When the address cannot be bound, or as [`Application::build_on`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        Self::build_on(listener, settings).await
    }

    /// Connects to and migrates the database, seeds the catalogue, fetches FusionAuth's keys
    /// (a failure there is only logged) and prepares the server on `listener`.
    ///
    /// # Errors
    /// When the database cannot be reached or migrated, or the server cannot start.
    pub async fn build_on(listener: TcpListener, settings: Settings) -> anyhow::Result<Self> {
        // jsonwebtoken needs exactly one crypto provider; install ours in case features unify.
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
        if settings.device_binding == shared::store::DeviceBinding::Required
            && settings.session_key.is_none()
        {
            anyhow::bail!(NO_SESSION_KEY);
        }
        settings.check_transport().map_err(anyhow::Error::msg)?;
        let listening_on = listener.local_addr().context("listener has no address")?;
        let port = listening_on.port();
        let pool = store::connect_and_migrate(&settings.database_url).await?;
        store::seed_catalogue(&pool)
            .await
            .context("cannot seed the catalogue")?;

        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the HTTP client")?;
        let clock = Clock::default();
        let device = device_sessions(&settings, listening_on, &pool, &client, &clock)?;
        let login_proxy = settings.fusionauth_api_key.clone().map(|api_key| {
            LoginProxy::new(
                client.clone(),
                &settings.fusionauth_url,
                api_key,
                settings.login_attempts_per_minute,
                &settings.application_id,
            )
        });
        let addresses = web::Data::new(ClientAddresses::new(settings.trusted_proxies.clone()));
        let accounts = web::Data::new(account::Accounts::from_settings(client.clone(), &settings));
        let passkey_proxy = settings.fusionauth_api_key.clone().map(|api_key| {
            web::Data::new(passkeys::PasskeyProxy::new(
                client.clone(),
                &settings.fusionauth_url,
                api_key,
                settings.application_id.clone(),
                settings.login_attempts_per_minute,
            ))
        });
        let auth = Authenticator::new(&settings, client, clock.clone(), pool.clone());
        auth.prefetch_keys().await;
        auth.reload_revocations()
            .await
            .context("cannot read the revocations")?;

        let state = web::Data::new(AppState {
            pool,
            auth,
            clock: clock.clone(),
            app_config: AppConfig {
                fusion_auth_url: settings.public_fusionauth_url(),
                application_id: settings.application_id.clone(),
                device_binding: settings.device_binding,
            },
            webhook_secret: settings.fusionauth_webhook_secret.clone(),
            login_proxy,
            device,
        });
        if state.device.is_some() {
            let target = std::sync::Arc::downgrade(&state.clone().into_inner());
            crate::device::events::spawn_listener(
                &settings.database_url,
                target,
                |state: &AppState, change, id| {
                    if let Some(device) = &state.device {
                        device.apply(change, id);
                    }
                },
            );
        }
        let hardening = web::Data::new(Hardening::new(
            settings.static_dir.as_deref(),
            &settings.public_fusionauth_url(),
            &settings.cors_allowed_origins,
        ));
        spawn_revocation_sync(
            state.clone(),
            Duration::from_secs(settings.revocation_sync_seconds),
        );
        let static_dir = settings.static_dir.clone();
        if let Some(dir) = static_dir
            .as_deref()
            .filter(|d| !d.join("index.html").is_file())
        {
            // Not fatal: in development the PWA may still be building.
            tracing::warn!(static_dir = %dir.display(), "APP_STATIC_DIR has no index.html (yet)");
        }
        tracing::info!(
            port,
            database = %settings.database_url,
            fusionauth = %settings.fusionauth_url,
            static_dir = ?static_dir,
            "backend ready"
        );
        let server = HttpServer::new(move || {
            let passkey_proxy = passkey_proxy.clone();
            App::new()
                .wrap(middleware::Compress::default())
                .wrap(from_fn(hardening::every_response))
                .app_data(state.clone())
                .app_data(hardening.clone())
                .app_data(accounts.clone())
                .app_data(addresses.clone())
                .configure(|cfg| {
                    if let Some(proxy) = passkey_proxy {
                        cfg.app_data(proxy);
                    }
                })
                .configure(|cfg| configure(cfg, static_dir.as_deref()))
        })
        // On SIGINT/SIGTERM: stop accepting, let requests in flight finish for up to 10 s.
        .shutdown_timeout(10)
        .listen(listener)
        .context("cannot start the HTTP server")?
        .run();
        Ok(Self {
            port,
            server,
            clock,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The backend's clock; tests advance it to expire tokens.
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Serves until the server is stopped (e.g. by SIGINT or SIGTERM).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
