//! Harness for the end-to-end tests: the real FusionAuth emulator and the real backend on free
//! ports (the backend serving the built PWA), driven by headless Chromium through ChromeDriver.
//!
//! The PWA must have been built first (`cargo xtask test` does it): the tests read it from
//! `STORE_DIST_DIR`, by default `target/dist`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long a condition may take to become true in the browser before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);
/// Pause between two checks of a condition.
const POLL: Duration = Duration::from_millis(100);

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map_or_else(|| here.clone(), Path::to_path_buf)
}

/// Values of the project's Kickstart file that the tests need.
#[derive(Debug, Clone)]
pub struct KickstartFacts {
    pub api_key: String,
    pub tenant_id: String,
    pub application_id: String,
    pub issuer: String,
    pub demo_email: String,
    pub demo_password: String,
}

impl KickstartFacts {
    pub fn path() -> PathBuf {
        workspace_root().join("fusionauth/kickstart.json")
    }

    /// Reads the variables of `fusionauth/kickstart.json`.
    pub fn load() -> anyhow::Result<Self> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let json: Value = serde_json::from_str(&text).context("parsing the Kickstart file")?;
        let variable = |name: &str| -> anyhow::Result<String> {
            json["variables"][name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("the Kickstart file has no variable `{name}`"))
        };
        Ok(Self {
            api_key: variable("apiKey")?,
            tenant_id: variable("defaultTenantId")?,
            application_id: variable("applicationId")?,
            issuer: variable("issuer")?,
            demo_email: variable("demoEmail")?,
            demo_password: variable("demoPassword")?,
        })
    }
}

/// The running system: emulator + backend (serving the PWA), each on a free port.
#[derive(Debug)]
pub struct Stack {
    /// Origin of the app and its API, e.g. `http://127.0.0.1:41234`.
    pub app_url: String,
    /// Base URL of the FusionAuth emulator.
    pub fusionauth_url: String,
    pub facts: KickstartFacts,
    backend_clock: backend::Clock,
    data_dir: PathBuf,
}

impl Stack {
    /// Starts both services inside the current tokio runtime.
    pub async fn start() -> anyhow::Result<Self> {
        let dist = dist_dir()?;
        let facts = KickstartFacts::load()?;
        let data_dir = scratch_dir("stack")?;

        // Bind both first: each service's settings name the other's address.
        let app_listener = TcpListener::bind("127.0.0.1:0")?;
        let emulator_listener = TcpListener::bind("127.0.0.1:0")?;
        let app_url = format!("http://{}", app_listener.local_addr()?);
        let emulator_address = emulator_listener.local_addr()?;

        let mut kickstart = fusionauth_emulator::Kickstart::from_path(&KickstartFacts::path())?;
        kickstart.set_variable("storeOrigin", app_url.clone());
        kickstart.set_variable("storeWebhookUrl", format!("{app_url}/webhooks/fusionauth"));
        let emulator = fusionauth_emulator::Application::build_on(
            emulator_listener,
            fusionauth_emulator::Settings {
                listen: emulator_address,
                database_url: sqlite_url(&data_dir.join("fusionauth.db")),
                kickstart: Some(kickstart),
                test_hooks: true,
            },
        )
        .await
        .context("starting the FusionAuth emulator")?;
        let fusionauth_url = emulator.base_url();
        tokio::spawn(emulator.run_until_stopped());

        let mut settings = backend::Settings::for_fusionauth(
            fusionauth_url.clone(),
            facts.application_id.clone(),
            facts.issuer.clone(),
            sqlite_url(&data_dir.join("store.db")),
        );
        settings.static_dir = Some(dist);
        let backend = backend::Application::build_on(app_listener, settings)
            .await
            .context("starting the backend")?;
        let backend_clock = backend.clock();
        tokio::spawn(backend.run_until_stopped());

        Ok(Self {
            app_url,
            fusionauth_url,
            facts,
            backend_clock,
            data_dir,
        })
    }

    /// Moves time forward for both servers at once: the backend's clock and, through its test
    /// hook, the emulator's. (The browser is a separate device: see [`Browser::travel`].)
    pub async fn travel(&self, seconds: u64) -> anyhow::Result<()> {
        self.backend_clock.advance(Duration::from_secs(seconds));
        let response = reqwest::Client::new()
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

    /// Subscribes a receiver to FusionAuth's `jwt.refresh` event (through FusionAuth's own
    /// Webhook and Tenant APIs): an honest count of the refreshes FusionAuth performed.
    pub async fn count_refreshes(&self) -> anyhow::Result<RefreshCounter> {
        let counter = RefreshCounter::start().await?;
        let client = reqwest::Client::new();
        let webhook = client
            .post(format!("{}/api/webhook", self.fusionauth_url))
            .header("Authorization", &self.facts.api_key)
            .json(&json!({ "webhook": {
                "url": counter.url, "global": true, "eventsEnabled": { "jwt.refresh": true },
                "connectTimeout": 1000, "readTimeout": 2000,
            }}))
            .send()
            .await?;
        anyhow::ensure!(
            webhook.status().is_success(),
            "POST /api/webhook: {}",
            webhook.status()
        );
        let tenant = client
            .patch(format!(
                "{}/api/tenant/{}",
                self.fusionauth_url, self.facts.tenant_id
            ))
            .header("Authorization", &self.facts.api_key)
            .json(&json!({ "tenant": { "eventConfiguration": { "events": {
                "jwt.refresh": { "enabled": true, "transactionType": "None" }
            }}}}))
            .send()
            .await?;
        anyhow::ensure!(
            tenant.status().is_success(),
            "PATCH /api/tenant: {}",
            tenant.status()
        );
        Ok(counter)
    }

    /// Calls one of FusionAuth's APIs with the Kickstart's API key, as an administrator would;
    /// fails unless FusionAuth answers 2xx.
    pub async fn administer(&self, method: &str, path: &str, body: Value) -> anyhow::Result<()> {
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", self.fusionauth_url))
            .header("Authorization", &self.facts.api_key)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "{path}: {status} {}",
            response.text().await.unwrap_or_default()
        );
        Ok(())
    }

    /// Creates a user registered to the store, through FusionAuth's Registration API.
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
        .await
    }

    /// An absolute URL of the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app_url)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}?mode=rwc", path.display())
}

/// The built PWA, or a clear error saying how to build it.
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dist = std::env::var_os("STORE_DIST_DIR")
        .map_or_else(|| workspace_root().join("target/dist"), PathBuf::from);
    if !dist.join("index.html").is_file() {
        bail!(
            "the PWA is not built at {}: run `cargo xtask test` (or `trunk build --release`) first",
            dist.display()
        );
    }
    Ok(dist)
}

/// A fresh directory under the system's temp dir.
pub fn scratch_dir(purpose: &str) -> anyhow::Result<PathBuf> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "store-e2e-{purpose}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Headless Chromium driven through its own ChromeDriver process.
///
/// ChromeDriver runs in its own process group, which is killed when the browser is dropped (also
/// when a test panics), so no Chromium is left behind.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: DriverGuard,
    driver_url: String,
    /// How far this device's clock has been moved, in seconds.
    travelled: std::sync::atomic::AtomicU64,
}

/// Every test runs on an emulated phone: the app is mobile-first.
const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";

impl Browser {
    pub async fn start() -> anyhow::Result<Self> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!(
                    "starting {chromedriver} (install chromium-driver, or run `cargo xtask test`)"
                )
            })?;
        let profile_dir = scratch_dir("chromium")?;
        let driver = DriverGuard {
            driver,
            profile_dir: profile_dir.clone(),
        };
        wait_for_port(port, Duration::from_secs(20)).context("ChromeDriver did not start")?;

        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--disable-quic",
                    format!("--user-data-dir={}", profile_dir.display()),
                ],
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true, "mobile": true
                    },
                    "userAgent": PHONE_USER_AGENT,
                },
            }
        });
        let Value::Object(capabilities) = capabilities else {
            bail!("capabilities must be a JSON object");
        };
        let client = ClientBuilder::rustls()
            .context("setting up the WebDriver client")?
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a Chromium session")?;
        Ok(Self {
            client,
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            travelled: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Runs a Chrome DevTools Protocol command through ChromeDriver and returns its result.
    pub async fn cdp(&self, command: &str, params: Value) -> anyhow::Result<Value> {
        let session = self
            .client
            .session_id()
            .await?
            .context("the browser has no WebDriver session")?;
        let response = reqwest::Client::new()
            .post(format!(
                "{}/session/{session}/goog/cdp/execute",
                self.driver_url
            ))
            .json(&json!({ "cmd": command, "params": params }))
            .send()
            .await
            .with_context(|| format!("sending {command}"))?;
        let status = response.status();
        let body: Value = response.json().await.context("reading a CDP answer")?;
        anyhow::ensure!(status.is_success(), "{command} failed: {body}");
        Ok(body["value"].clone())
    }

    /// Moves this device's clock forward by `seconds` (cumulative), for this page and every page
    /// it loads later: `Date.now()` is what the PWA reads to decide whether its JWT has expired.
    pub async fn travel(&self, seconds: u64) -> anyhow::Result<()> {
        self.travelled
            .fetch_add(seconds, std::sync::atomic::Ordering::SeqCst);
        self.keep_time_in_this_tab().await
    }

    /// Applies the device's clock (see [`Browser::travel`]) to the current tab, e.g. one opened
    /// after travelling: each tab is its own page.
    pub async fn keep_time_in_this_tab(&self) -> anyhow::Result<()> {
        let total = self.travelled.load(std::sync::atomic::Ordering::SeqCst);
        let script = format!(
            "(() => {{ \
               if (!globalThis.__realDateNow) {{ globalThis.__realDateNow = Date.now.bind(Date); }} \
               const offset = {ms}; \
               Date.now = () => globalThis.__realDateNow() + offset; \
             }})();",
            ms = total * 1000
        );
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        )
        .await?;
        self.client.execute(&script, vec![]).await?;
        Ok(())
    }

    /// Runs `script` (an async function body that may `await`) in the page and returns its
    /// value; e.g. to call the API the way a second device would.
    pub async fn run_async(&self, script: &str) -> anyhow::Result<Value> {
        let wrapped = format!(
            "const done = arguments[arguments.length - 1]; \
             (async () => {{ {script} }})().then(done, (e) => done({{ error: String(e) }}));"
        );
        Ok(self.client.execute_async(&wrapped, vec![]).await?)
    }

    /// Fills the login form with `email` and `password` and submits it.
    pub async fn submit_login(&self, email: &str, password: &str) -> anyhow::Result<()> {
        for (css, value) in [("#email", email), ("#password", password)] {
            let field = self.element(css).await?;
            field.clear().await?;
            field.send_keys(value).await?;
        }
        self.element("#login-submit").await?.click().await?;
        Ok(())
    }

    /// Workflow steps 1–3: signs the Kickstart's demo user in through the login form and waits
    /// for the store.
    pub async fn sign_in(&self, stack: &Stack) -> anyhow::Result<()> {
        self.client.goto(&stack.url("/login")).await?;
        self.submit_login(&stack.facts.demo_email, &stack.facts.demo_password)
            .await?;
        self.path_becomes("/").await?;
        self.element("#products li.product").await?;
        Ok(())
    }

    /// Adds the first product of the store page to the cart once, waits until the backend has
    /// confirmed it (the badge changes at once, optimistically), and returns the product's id.
    pub async fn add_first_product(&self) -> anyhow::Result<String> {
        let product = self.element("#products li.product").await?;
        let id = product
            .attr("data-product-id")
            .await?
            .context("a product without data-product-id")?;
        product
            .find(Locator::Css("button.add-to-cart"))
            .await?
            .click()
            .await?;
        self.text_becomes("#cart-count", "1").await?;
        self.text_becomes(
            &format!("#products li.product[data-product-id='{id}'] .add-status"),
            "Added to your cart.",
        )
        .await?;
        Ok(id)
    }

    /// The session the PWA keeps in IndexedDB (database `store`, object store `kv`, key
    /// `session`, a JSON string; see `frontend/src/session.rs`), read as someone with access to
    /// the device would. `None` when there is none.
    pub async fn stored_session(&self) -> anyhow::Result<Option<Value>> {
        let raw = self
            .run_async(
                "const db = await new Promise((ok, fail) => { \
                   const open = indexedDB.open('store'); \
                   open.onsuccess = () => ok(open.result); open.onerror = () => fail(open.error); }); \
                 if (!db.objectStoreNames.contains('kv')) { db.close(); return null; } \
                 const value = await new Promise((ok, fail) => { \
                   const get = db.transaction('kv').objectStore('kv').get('session'); \
                   get.onsuccess = () => ok(get.result ?? null); get.onerror = () => fail(get.error); }); \
                 db.close(); return value;",
            )
            .await?;
        match raw {
            Value::Null => Ok(None),
            Value::String(json) if json.is_empty() => Ok(None),
            Value::String(json) => Ok(Some(
                serde_json::from_str(&json).context("the stored session is not JSON")?,
            )),
            other => bail!("unexpected stored session: {other}"),
        }
    }

    /// Waits until an element matching `css` is present and returns it.
    pub async fn element(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for `{css}`"))
    }

    /// Waits until the element matching `css` has exactly the text `expected` (trimmed).
    pub async fn text_becomes(&self, css: &str, expected: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        let mut last = None;
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                let text = element.text().await.unwrap_or_default();
                if text.trim() == expected {
                    return Ok(());
                }
                last = Some(text);
            }
            if Instant::now() > deadline {
                bail!("timed out waiting for `{css}` to read {expected:?}; last seen: {last:?}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the browser's path (without origin) is `path`.
    pub async fn path_becomes(&self, path: &str) -> anyhow::Result<()> {
        eventually(&format!("the page to be {path}"), || async {
            let url = self.client.current_url().await?;
            Ok((url.path() == path).then_some(()))
        })
        .await
    }

    /// True if an element matching `css` is on the page now.
    pub async fn has(&self, css: &str) -> anyhow::Result<bool> {
        Ok(!self.client.find_all(Locator::Css(css)).await?.is_empty())
    }

    /// Saves a screenshot of the current screen as `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let dir = workspace_root().join("target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends the WebDriver session, then the driver.
    pub async fn close(self) -> anyhow::Result<()> {
        let Self { client, driver, .. } = self;
        let closed = client.close().await;
        drop(driver);
        closed.context("closing the browser")
    }
}

/// Owns the ChromeDriver process group and the browser profile: dropping it (also on a panic, or
/// when starting the session fails half-way) kills ChromeDriver and the Chromium it started.
#[derive(Debug)]
struct DriverGuard {
    driver: Child,
    profile_dir: PathBuf,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
        let _ = std::fs::remove_dir_all(&self.profile_dir);
    }
}

fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

fn wait_for_port(port: u16, patience: Duration) -> anyhow::Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + patience;
    while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing listens on port {port} after {patience:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Polls `check` until it yields a value or [`PATIENCE`] runs out. This waits on a condition;
/// the short pause between polls only keeps it from spinning.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("timed out after {PATIENCE:?} waiting for {what}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Counts FusionAuth's `jwt.refresh` webhook events (see [`Stack::count_refreshes`]).
#[derive(Debug)]
pub struct RefreshCounter {
    url: String,
    count: std::sync::Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RefreshCounter {
    async fn start() -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/fusionauth-events", listener.local_addr()?);
        let count = std::sync::Arc::new(AtomicU64::new(0));
        let seen = std::sync::Arc::clone(&count);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = std::sync::Arc::clone(&seen);
                tokio::spawn(async move {
                    if let Ok(Some(event)) = read_event(stream).await
                        && event["event"]["type"] == "jwt.refresh"
                    {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Ok(Self { url, count, task })
    }

    /// The count once no event has arrived for a second.
    pub async fn settled(&self) -> u64 {
        let quiet = Duration::from_secs(1);
        let mut last = self.count.load(Ordering::SeqCst);
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.count.load(Ordering::SeqCst);
            if now != last {
                (last, since) = (now, Instant::now());
            }
        }
        last
    }
}

impl Drop for RefreshCounter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP request's JSON body and answers 200.
async fn read_event(stream: tokio::net::TcpStream) -> anyhow::Result<Option<Value>> {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
    let mut reader = BufReader::new(stream);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length.min(1 << 20)];
    reader.read_exact(&mut body).await?;
    reader
        .get_mut()
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .await?;
    Ok(serde_json::from_slice(&body).ok())
}
