// Over 500 lines: the one harness, with the Browser steps every story shares.
//! Harness for the end-to-end tests: the workspace's one system builder ([`Stack`], from
//! `testkit`: the real FusionAuth emulator and the real backend on free ports) with the backend
//! serving the built PWA, driven by headless Chromium through ChromeDriver ([`Browser`]).
//!
//! The PWA must have been built first (`cargo xtask test` does it): the tests read it from
//! `STORE_DIST_DIR`, by default `target/dist`.

use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use shared::store::DeviceBinding;
pub use testkit::{DeviceKey, EventCounter, KickstartFacts, Stack, workspace_root};
use testkit::{ScratchDir, free_port, wait_for_port};

/// How long a condition may take to become true in the browser before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);
/// Pause between two checks of a condition.
const POLL: Duration = Duration::from_millis(100);

/// An access token lives 300 s (Kickstart) and the backend allows 5 s of skew.
pub const PAST_JWT_EXPIRY: u64 = 306;
/// Longer than the one-time-use grace period (10 s, Kickstart).
pub const PAST_GRACE_PERIOD: u64 = 15;

/// The system in the workflow's `off` mode (Bearer JWT + `X-Refresh-Token`, said explicitly:
/// the backend's default is `required`), the backend serving the built PWA (see [`dist_dir`]).
///
/// # Errors
/// When the PWA is not built, or a service fails to start.
pub async fn start_stack() -> anyhow::Result<Stack> {
    pwa_stack(DeviceBinding::Off)?.start().await
}

/// The system in device-bound mode (`APP_DEVICE_BINDING=required`, issue #11), the backend
/// serving the built PWA.
///
/// # Errors
/// When the PWA is not built, or a service fails to start.
pub async fn start_device_bound_stack() -> anyhow::Result<Stack> {
    pwa_stack(DeviceBinding::Required)?.start().await
}

/// The system in `mode` with the backend's account API on (the Kickstart's backend key), the
/// backend serving the built PWA: what the account and device-list stories run on.
///
/// # Errors
/// When the PWA is not built, the Kickstart cannot be read, or a service fails to start.
pub async fn start_account_stack(mode: DeviceBinding) -> anyhow::Result<Stack> {
    let api_key = KickstartFacts::load()?.backend_api_key;
    pwa_stack(mode)?
        .configure(move |settings| settings.fusionauth_api_key = Some(api_key.as_str().into()))
        .start()
        .await
}

/// A system in `mode` whose backend serves the built PWA, to be adjusted and started.
///
/// # Errors
/// When the PWA is not built.
pub fn pwa_stack<'a>(mode: DeviceBinding) -> anyhow::Result<testkit::StackBuilder<'a>> {
    Ok(Stack::builder()
        .static_dir(dist_dir()?)
        .device_binding(mode))
}

/// Two devices (browsers) of the demo user, both signed in to `stack`, live `story`; each
/// one's final screen is kept as `<name>-a` and `<name>-b`, and both are closed whatever the
/// outcome.
///
/// # Errors
/// When a browser fails to start or close, or the story fails.
pub async fn two_signed_in_devices(
    stack: &Stack,
    name: &str,
    story: impl AsyncFnOnce(&Browser, &Browser) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (a, b) = (Browser::start().await?, Browser::start().await?);
    let outcome = async {
        a.sign_in(stack).await?;
        b.sign_in(stack).await?;
        story(&a, &b).await
    }
    .await;
    let _ = a.screenshot(&format!("{name}-a")).await;
    let _ = b.screenshot(&format!("{name}-b")).await;
    a.close().await?;
    b.close().await?;
    outcome
}

/// The built PWA, or a clear error saying how to build it.
pub fn dist_dir() -> anyhow::Result<PathBuf> {
    let dist = std::env::var_os("STORE_DIST_DIR")
        .map_or_else(|| workspace_root().join("target/dist"), PathBuf::from);
    if !dist.join("index.html").is_file() {
        bail!(
            "the PWA is not built at {}: run `cargo xtask dist` (or `cargo xtask test`) first",
            dist.display()
        );
    }
    Ok(dist)
}

/// The CSS selector of `product_id`'s quantity on the cart page.
pub fn quantity_of(product_id: &str) -> String {
    format!("#cart li.cart-line[data-product-id='{product_id}'] .quantity")
}

/// Moves every clock `seconds` forward: the system's ([`Stack::travel`]) and the device's
/// ([`Browser::travel`]).
///
/// # Errors
/// When a clock cannot be moved.
pub async fn time_passes(stack: &Stack, device: &Browser, seconds: u64) -> anyhow::Result<()> {
    stack.travel(seconds).await?;
    device.travel(seconds).await
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
    /// How far this device's clock has been moved, in seconds (negative: behind).
    travelled: std::sync::atomic::AtomicI64,
}

/// Every test runs on an emulated phone: the app is mobile-first.
const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";

impl Browser {
    pub async fn start() -> anyhow::Result<Self> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port()?;
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
        let profile_dir = ScratchDir::new("e2e-chromium")?;
        let user_data_dir = format!("--user-data-dir={}", profile_dir.path().display());
        let driver = DriverGuard {
            driver,
            _profile_dir: profile_dir,
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
                    user_data_dir,
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
            travelled: std::sync::atomic::AtomicI64::new(0),
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
        self.skew_clock(i64::try_from(seconds)?).await
    }

    /// Sets this device's clock `seconds` off (cumulative, either way) from the real time, as a
    /// phone whose clock is wrong: everything in the page that reads `Date.now()` (the PWA's
    /// expiry check, the `iat` of its DPoP proofs) sees it.
    pub async fn skew_clock(&self, seconds: i64) -> anyhow::Result<()> {
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
        self.click("#login-submit").await?;
        Ok(())
    }

    /// Fills the login form with `email` and `password`, submits it, and waits until the form
    /// refuses them with `message`.
    pub async fn login_is_refused(
        &self,
        email: &str,
        password: &str,
        message: &str,
    ) -> anyhow::Result<()> {
        self.submit_login(email, password).await?;
        self.text_becomes("#login-error", message).await
    }

    /// Opens `path` and waits for the login form: the app is signed out.
    pub async fn opens_on_the_login_form(&self, stack: &Stack, path: &str) -> anyhow::Result<()> {
        self.client.goto(&stack.url(path)).await?;
        self.element("#login-form").await?;
        Ok(())
    }

    /// Opens the login form and submits `email` and `password` with it.
    pub async fn log_in_from_the_form(
        &self,
        stack: &Stack,
        email: &str,
        password: &str,
    ) -> anyhow::Result<()> {
        self.client.goto(&stack.url("/login")).await?;
        self.submit_login(email, password).await
    }

    /// Workflow steps 1–3: signs the Kickstart's demo user in through the login form and waits
    /// for the store.
    pub async fn sign_in(&self, stack: &Stack) -> anyhow::Result<()> {
        self.log_in_from_the_form(stack, &stack.facts.demo_email, &stack.facts.demo_password)
            .await?;
        self.shows_the_store().await
    }

    /// Waits until the app is at `/` showing the products: where a sign-in leads.
    pub async fn shows_the_store(&self) -> anyhow::Result<()> {
        self.path_becomes("/").await?;
        self.element("#products li.product").await?;
        Ok(())
    }

    /// Waits until the app shows the store, and checks that it stored the session.
    pub async fn is_signed_in_to_the_store(&self) -> anyhow::Result<()> {
        self.shows_the_store().await?;
        anyhow::ensure!(
            self.stored_session().await?.is_some(),
            "the app signed in and stored the session"
        );
        Ok(())
    }

    /// Workflow steps 1–5: signs the demo user in and adds the first product to the cart; returns
    /// the product's id.
    pub async fn sign_in_and_add_a_product(&self, stack: &Stack) -> anyhow::Result<String> {
        self.sign_in(stack).await?;
        self.add_first_product().await
    }

    /// Opens the cart from the menu and waits until it holds one of `product_id`.
    pub async fn opens_the_cart_with_one(&self, product_id: &str) -> anyhow::Result<()> {
        self.click("#nav-cart").await?;
        self.path_becomes("/cart").await?;
        self.text_becomes(&quantity_of(product_id), "1").await
    }

    /// Loads `/cart` afresh and waits until it holds one of `product_id`.
    pub async fn reopens_the_cart_with_one(
        &self,
        stack: &Stack,
        product_id: &str,
    ) -> anyhow::Result<()> {
        self.client.goto(&stack.url("/cart")).await?;
        self.text_becomes(&quantity_of(product_id), "1").await
    }

    /// Opens the cart in a second tab and waits for one of `product_id` there; the first tab's
    /// and the second's handles (the second is the current one).
    pub async fn open_the_cart_in_a_second_tab(
        &self,
        stack: &Stack,
        product_id: &str,
    ) -> anyhow::Result<(WindowHandle, WindowHandle)> {
        let first = self.client.window().await?;
        let second = self.client.new_window(true).await?.handle;
        self.client.switch_to_window(second.clone()).await?;
        self.reopens_the_cart_with_one(stack, product_id).await?;
        Ok((first, second))
    }

    /// Reloads both tabs at about the same moment, the first one keeping the browser's moved
    /// clock; the second tab is the current one after.
    pub async fn reload_both_tabs(
        &self,
        first: &WindowHandle,
        second: &WindowHandle,
    ) -> anyhow::Result<()> {
        self.client.switch_to_window(first.clone()).await?;
        self.keep_time_in_this_tab().await?;
        let reload = "setTimeout(() => location.reload(), 200);";
        self.client.execute(reload, vec![]).await?;
        self.client.switch_to_window(second.clone()).await?;
        self.client.execute(reload, vec![]).await?;
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

    /// Opens the cart from the menu (the device's next store request) after its session was
    /// ended elsewhere: it lands on the login form saying `notice` and keeps no session.
    pub async fn is_signed_out_with(&self, notice: &str) -> anyhow::Result<()> {
        self.click("#nav-cart").await?;
        self.path_becomes("/login").await?;
        self.text_becomes("#session-notice", notice).await?;
        anyhow::ensure!(
            self.stored_session().await?.is_none(),
            "the device keeps no session"
        );
        Ok(())
    }

    /// Opens the cart from the menu and it shows: the device is still signed in.
    pub async fn is_still_signed_in(&self) -> anyhow::Result<()> {
        self.click("#nav-cart").await?;
        self.path_becomes("/cart").await?;
        self.element("#cart").await?;
        anyhow::ensure!(
            self.stored_session().await?.is_some(),
            "the device is still signed in"
        );
        Ok(())
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

    /// Waits until an element matching `css` is present and clicks it.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.element(css).await?.click().await?;
        Ok(())
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
/// when starting the session fails half-way) kills ChromeDriver and the Chromium it started, then
/// removes the profile.
#[derive(Debug)]
struct DriverGuard {
    driver: Child,
    _profile_dir: ScratchDir,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        kill_group(&mut self.driver);
    }
}

fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

/// Creates Tess, a user with an authenticator ([`TOTP_SECRET_BASE64`]), and signs her in with
/// her password on the login form: the app then asks for the code.
///
/// # Errors
/// When the user cannot be created or the form is not there.
pub async fn start_a_two_factor_sign_in(stack: &Stack, browser: &Browser) -> anyhow::Result<()> {
    stack
        .create_user(json!({
            "email": "two-factor@example.com",
            "password": "two-factor-password",
            "firstName": "Tess",
            "twoFactor": { "methods": [
                { "method": "authenticator", "secret": TOTP_SECRET_BASE64,
                  "secretBase32Encoded": TOTP_SECRET_BASE32 }
            ] },
        }))
        .await?;
    browser
        .log_in_from_the_form(stack, "two-factor@example.com", "two-factor-password")
        .await
}

/// The authenticator secret of the two-factor test user, as FusionAuth documents it: `secret`
/// standard Base64, `secretBase32Encoded` (what an authenticator app shows) beside it.
pub const TOTP_SECRET_BASE64: &str = "SGVsbG8h3q2+7w==";
/// The same secret in Base32.
pub const TOTP_SECRET_BASE32: &str = "JBSWY3DPEHPK3PXP";
const TOTP_SECRET_BYTES: [u8; 10] = [72, 101, 108, 108, 111, 33, 222, 173, 190, 239];

/// The current TOTP code for the test secret, computed in the page with WebCrypto (by the
/// device's clock, as an authenticator app on it would).
///
/// # Errors
/// When the page cannot compute it.
pub async fn totp_code(browser: &Browser) -> anyhow::Result<String> {
    let script = format!(
        "const key = await crypto.subtle.importKey('raw', new Uint8Array({secret:?}), \
           {{ name: 'HMAC', hash: 'SHA-1' }}, false, ['sign']); \
         const counter = Math.floor(Date.now() / 30000); \
         const message = new DataView(new ArrayBuffer(8)); \
         message.setUint32(0, Math.floor(counter / 4294967296)); \
         message.setUint32(4, counter >>> 0); \
         const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message.buffer)); \
         const at = mac[19] & 15; \
         const value = ((mac[at] & 127) << 24) | (mac[at + 1] << 16) | (mac[at + 2] << 8) | mac[at + 3]; \
         return String(value % 1000000).padStart(6, '0');",
        secret = TOTP_SECRET_BYTES
    );
    let code = browser.run_async(&script).await?;
    code.as_str()
        .map(str::to_owned)
        .with_context(|| format!("no TOTP code: {code}"))
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

/// One end-to-end story as a test: `$start` (a future of a [`Stack`]) and a fresh [`Browser`]
/// run `$body`; the final screen is kept as a screenshot named after the test, and the browser
/// is closed whatever the outcome.
#[macro_export]
macro_rules! story {
    ($name:ident, $start:expr, |$stack:ident, $browser:ident| $body:block) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() -> anyhow::Result<()> {
            let $stack = $start.await?;
            let $browser = $crate::Browser::start().await?;
            let outcome: anyhow::Result<()> = async { $body }.await;
            let shot = $browser.screenshot(stringify!($name)).await;
            $browser.close().await?;
            outcome?;
            shot.map(|_| ())
        }
    };
}
