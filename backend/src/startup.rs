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
use crate::clock::Clock;
use crate::hardening::{self, Hardening};
use crate::login_proxy::LoginProxy;
use crate::routes::{self, cart, health, login, passkeys, products, static_files, webhooks};
use crate::settings::Settings;
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
                .route(
                    "/passkeys/registration",
                    web::post().to(passkeys::registration),
                )
                .route(
                    "/passkeys/authentication",
                    web::post().to(passkeys::authentication),
                )
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
            count += 1;
            if count.is_multiple_of(prune_every) {
                match state.auth.prune_revocations().await {
                    Ok(removed) if removed > 0 => {
                        tracing::info!(removed, "forgot expired revocations");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot prune the revocations"),
                }
            }
        }
    });
}

/// A built, bound, not yet running backend.
pub struct Application {
    port: u16,
    server: Server,
    clock: Clock,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

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
        let port = listener
            .local_addr()
            .context("listener has no address")?
            .port();
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
        let login_proxy = settings.fusionauth_api_key.clone().map(|api_key| {
            LoginProxy::new(
                client.clone(),
                &settings.fusionauth_url,
                api_key,
                settings.login_attempts_per_minute,
            )
        });
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
        });
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
