//! [`Stack`]: the real FusionAuth emulator and the real backend, in-process on free ports.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::events::{EventCounter, REFRESH_EVENT, event_subscription, tenant_event};
use crate::kickstart::KickstartFacts;
use crate::relay::Relay;
use crate::scratch::ScratchDir;

/// Set to see the backend's logs.
const TEST_LOG: &str = "TEST_LOG";

type KickstartEdit<'a> = Box<dyn FnOnce(&mut Value) + 'a>;
type SettingsEdit<'a> = Box<dyn FnOnce(&mut backend::Settings) + 'a>;

/// How to start a [`Stack`]; [`Stack::builder`].
pub struct StackBuilder<'a> {
    edit_kickstart: KickstartEdit<'a>,
    emulator_in_memory: bool,
    backend_database: Option<String>,
    static_dir: Option<PathBuf>,
    relay: bool,
    device_binding: Option<shared::store::DeviceBinding>,
    passkeys: bool,
    configure: SettingsEdit<'a>,
}

shared::debug_fields!(StackBuilder<'_> { emulator_in_memory, static_dir, relay });

impl<'a> StackBuilder<'a> {
    /// Changes the project's Kickstart JSON before FusionAuth applies it (e.g. another signing
    /// key).
    #[must_use]
    pub fn kickstart(mut self, edit: impl FnOnce(&mut Value) + 'a) -> Self {
        self.edit_kickstart = Box::new(edit);
        self
    }

    /// FusionAuth's database in memory instead of a file in the stack's scratch directory.
    #[must_use]
    pub fn emulator_in_memory(mut self) -> Self {
        self.emulator_in_memory = true;
        self
    }

    /// The backend's database (`sqlite:…` or `postgres://…`); by default a SQLite file in the
    /// stack's scratch directory.
    #[must_use]
    pub fn backend_database(mut self, url: String) -> Self {
        self.backend_database = Some(url);
        self
    }

    /// The built PWA, served by the backend.
    #[must_use]
    pub fn static_dir(mut self, dir: PathBuf) -> Self {
        self.static_dir = Some(dir);
        self
    }

    /// The backend reaches FusionAuth through a [`Relay`] (see [`Stack::relay`]); browsers and
    /// tests still reach FusionAuth directly.
    #[must_use]
    pub fn through_relay(mut self) -> Self {
        self.relay = true;
        self
    }

    /// The backend's `APP_DEVICE_BINDING` (by default the backend's own default). Every stack's
    /// backend has a fresh random `APP_SESSION_KEY`, shared by [`Stack::another_backend`].
    #[must_use]
    pub fn device_binding(mut self, mode: shared::store::DeviceBinding) -> Self {
        self.device_binding = Some(mode);
        self
    }

    /// Passkeys as a real deployment has them: the app at `http://localhost:<port>` (WebAuthn
    /// refuses IP-address origins; `localhost` is a secure context), the Kickstart's
    /// `storeOrigin` and the backend's public origin saying so, the tenant's WebAuthn on with
    /// relying party id `localhost` (bootstrap workflow, platform authenticators, user
    /// verification required), and the backend holding the Kickstart's `backendApiKey`.
    #[must_use]
    pub fn passkeys(mut self) -> Self {
        self.passkeys = true;
        self
    }

    /// Changes the backend's settings before it is built.
    #[must_use]
    pub fn configure(mut self, edit: impl FnOnce(&mut backend::Settings) + 'a) -> Self {
        self.configure = Box::new(edit);
        self
    }

    /// Starts FusionAuth (its Kickstart subscribing the backend's webhook and allowing its
    /// origin) and then the backend, inside the current tokio runtime.
    ///
    /// # Errors
    /// When the Kickstart file cannot be read, or either service fails to start.
    pub async fn start(self) -> anyhow::Result<Stack> {
        if std::env::var_os(TEST_LOG).is_some() {
            backend::telemetry::init();
        }
        let facts = KickstartFacts::load()?;
        let scratch = ScratchDir::new("stack")?;

        // The backend's address first: FusionAuth's Kickstart names it.
        let app_listener = TcpListener::bind("127.0.0.1:0")?;
        let app_url = match self.passkeys {
            true => format!("http://localhost:{}", app_listener.local_addr()?.port()),
            false => format!("http://{}", app_listener.local_addr()?),
        };
        let mut document = KickstartFacts::document()?;
        if self.passkeys {
            crate::kickstart::with_passkeys(&mut document, "localhost")?;
        }
        (self.edit_kickstart)(&mut document);
        let mut kickstart = fusionauth_emulator::Kickstart::from_json(&document.to_string())?;
        kickstart.set_variable("storeOrigin", app_url.clone());
        kickstart.set_variable("storeWebhookUrl", format!("{app_url}/webhooks/fusionauth"));
        let emulator = fusionauth_emulator::Application::build(fusionauth_emulator::Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: if self.emulator_in_memory {
                "sqlite::memory:".to_owned()
            } else {
                scratch.sqlite_url("fusionauth.db")
            },
            kickstart: Some(kickstart),
            test_hooks: true,
            // The emulator's own switch, so any suite can run without `sid` (issue #12, item 7).
            omit_login_sid: env_flag("FUSIONAUTH_EMULATOR_OMIT_LOGIN_SID"),
            strict_login_claims: env_flag("FUSIONAUTH_EMULATOR_STRICT_LOGIN_CLAIMS"),
        })
        .await
        .context("starting the FusionAuth emulator")?;
        let fusionauth_url = emulator.base_url();
        let emulator_address = SocketAddr::from(([127, 0, 0, 1], emulator.port()));
        tokio::spawn(emulator.run_until_stopped());

        let relay = match self.relay {
            true => Some(Relay::start(emulator_address).await?),
            false => None,
        };
        let mut settings = backend::Settings::for_fusionauth(
            relay
                .as_ref()
                .map_or_else(|| fusionauth_url.clone(), Relay::url),
            facts.application_id.clone(),
            facts.issuer.clone(),
            self.backend_database
                .unwrap_or_else(|| scratch.sqlite_url("store.db")),
        );
        // Port 0 for further instances (see `Stack::another_backend`).
        settings.listen = "127.0.0.1:0".to_owned();
        settings.fusionauth_public_url = Some(fusionauth_url.clone());
        settings.static_dir = self.static_dir;
        settings.session_key = Some(crate::dpop::random_session_key().as_str().into());
        if let Some(mode) = self.device_binding {
            settings.device_binding = mode;
        }
        if self.passkeys {
            settings.public_origin = Some(app_url.parse().map_err(anyhow::Error::msg)?);
            settings.fusionauth_api_key = Some(facts.backend_api_key.as_str().into());
        }
        (self.configure)(&mut settings);
        let backend = backend::Application::build_on(app_listener, settings.clone())
            .await
            .context("starting the backend")?;
        let backend_clock = backend.clock();
        tokio::spawn(backend.run_until_stopped());

        Ok(Stack {
            app_url,
            fusionauth_url,
            facts,
            settings,
            backend_clock,
            relay,
            http: reqwest::Client::new(),
            _scratch: scratch,
        })
    }
}

/// The running system: the emulator and the backend, each on a free port, until the test's
/// runtime ends. Their databases are removed when it is dropped.
#[derive(Debug)]
pub struct Stack {
    /// Origin of the app and its API, e.g. `http://127.0.0.1:41234`.
    pub app_url: String,
    /// FusionAuth, directly (as browsers and tests reach it).
    pub fusionauth_url: String,
    pub facts: KickstartFacts,
    /// The backend's settings (another instance can be started with them).
    pub settings: backend::Settings,
    backend_clock: backend::Clock,
    relay: Option<Relay>,
    http: reqwest::Client,
    _scratch: ScratchDir,
}

impl Stack {
    /// A stack with FusionAuth's database in a file, the backend's on SQLite, no PWA, no relay.
    pub fn builder<'a>() -> StackBuilder<'a> {
        StackBuilder {
            edit_kickstart: Box::new(|_| {}),
            emulator_in_memory: false,
            backend_database: None,
            static_dir: None,
            relay: false,
            device_binding: None,
            passkeys: false,
            configure: Box::new(|_| {}),
        }
    }

    /// An absolute URL of the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app_url)
    }

    /// The backend's clock (tests move it to expire tokens).
    pub fn backend_clock(&self) -> backend::Clock {
        self.backend_clock.clone()
    }

    /// The relay between backend and FusionAuth, when started [`StackBuilder::through_relay`].
    pub fn relay(&self) -> Option<&Relay> {
        self.relay.as_ref()
    }

    /// Moves time forward for both servers at once: the backend's clock and, through its test
    /// hook, the emulator's. (A browser is a separate device with its own clock.)
    ///
    /// # Errors
    /// When the emulator refuses or cannot be reached.
    pub async fn travel(&self, seconds: u64) -> anyhow::Result<()> {
        self.backend_clock.advance(Duration::from_secs(seconds));
        let response = self
            .http
            .post(format!("{}/_emulator/clock", self.fusionauth_url))
            .json(&json!({ "advanceSeconds": seconds }))
            .send()
            .await
            .context("moving the emulator's clock")?;
        anyhow::ensure!(
            response.status().is_success(),
            "the emulator refused to move its clock: {}",
            response.status()
        );
        Ok(())
    }

    /// Calls one of FusionAuth's APIs with the Kickstart's API key, as an administrator would,
    /// and returns the answer's JSON (`null` when it has none).
    ///
    /// # Errors
    /// Unless FusionAuth answers 2xx.
    pub async fn administer(&self, method: &str, path: &str, body: Value) -> anyhow::Result<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let response = self
            .http
            .request(method, format!("{}{path}", self.fusionauth_url))
            .header("Authorization", &self.facts.api_key)
            .json(&body)
            .send()
            .await
            .with_context(|| format!("calling {path}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "{path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Creates a user registered to the store, through FusionAuth's Registration API.
    ///
    /// # Errors
    /// Unless FusionAuth answers 2xx.
    pub async fn create_user(&self, user: Value) -> anyhow::Result<()> {
        self.administer(
            "POST",
            "/api/user/registration",
            json!({
                "user": user,
                "registration": { "applicationId": self.facts.application_id },
                "skipVerification": true,
            }),
        )
        .await?;
        Ok(())
    }

    /// Subscribes a counter to FusionAuth's `jwt.refresh` event (through FusionAuth's own
    /// Webhook and Tenant APIs): an honest count of the refreshes FusionAuth performed.
    ///
    /// # Errors
    /// When the counter cannot start or FusionAuth refuses the subscription.
    pub async fn count_refreshes(&self) -> anyhow::Result<EventCounter> {
        let counter = EventCounter::start(REFRESH_EVENT)?;
        self.administer(
            "POST",
            "/api/webhook",
            event_subscription(counter.url(), REFRESH_EVENT),
        )
        .await?;
        self.administer(
            "PATCH",
            &format!("/api/tenant/{}", self.facts.tenant_id),
            tenant_event(REFRESH_EVENT, true),
        )
        .await?;
        Ok(counter)
    }

    /// Another backend instance with the same settings (database, FusionAuth); its base URL and
    /// clock.
    ///
    /// # Errors
    /// When it fails to start.
    pub async fn another_backend(&self) -> anyhow::Result<(String, backend::Clock)> {
        let app = backend::Application::build(self.settings.clone())
            .await
            .context("starting another backend")?;
        let address = app.base_url();
        let clock = app.clock();
        tokio::spawn(app.run_until_stopped());
        Ok((address, clock))
    }
}

/// An emulator switch given to every suite through the environment: `true` or `1`.
fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "true" || v == "1")
}
