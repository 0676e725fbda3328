// Over 500 lines: one report, five measurements and the wrk/curl plumbing they share.
//! `cargo xtask bench`: the system's speed and cost, each figure measured side by side with its
//! baseline in one run, on release builds, with `wrk` (Debian) as the load generator. Writes
//! `BENCHMARKS.md` and fails when a goal is missed.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use testkit::{EventCounter, KickstartFacts, REFRESH_EVENT, free_port};

use crate::dist;
use crate::lighthouse;
use crate::processes;
use crate::services::Services;
use crate::steps;
use crate::tools;

/// The PWA's transfer budget: the first screen's wasm + JS + CSS, brotli (issue #15: with every
/// feature on board; the chunks loaded later are listed, not counted).
const PWA_BUDGET_BROTLI: u64 = 130 * 1024;
const CONCURRENT_REFRESHES: usize = 100;
/// wrk's open connections in every load run.
const CONNECTIONS: usize = 32;
/// Sessions whose refresh tokens the refresh/s run presents in turn: one per connection.
const REFRESH_SESSIONS: usize = CONNECTIONS;

#[derive(Debug)]
struct Options {
    seconds: u64,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self { seconds: 10 };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--seconds" => {
                    let value = crate::option_value(arg, &mut rest)?;
                    options.seconds = match value.parse() {
                        Ok(seconds) if (1..=300).contains(&seconds) => seconds,
                        _ => bail!("--seconds takes a whole number from 1 to 300"),
                    };
                }
                other => bail!("unknown option `{other}` for `cargo xtask bench`"),
            }
        }
        Ok(options)
    }
}

/// One line of the results table.
#[derive(Debug)]
struct Row {
    what: String,
    measured: String,
    baseline: String,
    ratio: String,
    goal: String,
    met: Option<bool>,
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
    notes: Vec<String>,
}

impl Report {
    fn add(&mut self, row: Row) {
        let verdict = match row.met {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "info",
        };
        println!(
            "    {}: {} vs {} → {} (goal {}: {verdict})",
            row.what, row.measured, row.baseline, row.ratio, row.goal
        );
        self.rows.push(row);
    }

    fn missed(&self) -> Vec<&str> {
        self.rows
            .iter()
            .filter(|row| row.met == Some(false))
            .map(|row| row.what.as_str())
            .collect()
    }

    /// `load`: the machine's load averages around the measurements, for reading the figures.
    fn markdown(&self, cores: usize, seconds: u64, load: &str) -> String {
        let mut out = String::from(
            "# Benchmarks\n\nWritten by `cargo xtask bench`; every figure is measured in the same \
             run as its baseline, on release builds, with `wrk` as the load generator.\n\n",
        );
        let _ = writeln!(
            out,
            "Machine: {cores} cores; load average (1 min) {load} the measurements. Load runs: \
             {seconds} s each, 2 wrk threads, {CONNECTIONS} connections.\n"
        );
        out.push_str(
            "| measure | measured | baseline | ratio | goal | |\n|---|---|---|---|---|---|\n",
        );
        for row in &self.rows {
            let verdict = match row.met {
                Some(true) => "met",
                Some(false) => "**missed**",
                None => "",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {verdict} |",
                row.what, row.measured, row.baseline, row.ratio, row.goal
            );
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n\n");
            for note in &self.notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let options = Options::parse(args)?;
    let root = crate::workspace_root();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("==> benchmarking on {cores} cores");
    tools::ensure_wasm_toolchain(&root)?;
    ensure_bench_tools()?;
    steps::run(
        "building the backend and the emulator (release)",
        Command::new(env!("CARGO")).current_dir(&root).args([
            "build",
            "--release",
            "--package",
            "backend",
            "--package",
            "fusionauth-emulator",
        ]),
    )?;
    dist::build(&root)?;

    let scratch = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut report = Report::default();
    let load_before = load_average();
    let outcome = measure(&root, &scratch, &options, &mut report);
    let load = format!("{load_before} before, {} after", load_average());
    let _ = std::fs::remove_dir_all(&scratch);
    outcome?;

    let markdown = report.markdown(cores, options.seconds, &load);
    std::fs::write(root.join("BENCHMARKS.md"), &markdown).context("writing BENCHMARKS.md")?;
    println!("\n{markdown}");
    let missed = report.missed();
    if !missed.is_empty() {
        bail!("goals missed: {}", missed.join("; "));
    }
    println!("==> all goals met; results in BENCHMARKS.md");
    Ok(())
}

fn measure(
    root: &Path,
    scratch: &Path,
    options: &Options,
    report: &mut Report,
) -> anyhow::Result<()> {
    steps::announce("PWA transfer size");
    pwa_size(&root.join(tools::RELEASE_DIST), report)?;

    steps::announce("cold start to ready");
    let mut system = System::start(root, scratch, report)?;

    steps::announce(&format!(
        "first paint: Lighthouse, mobile, median of {} runs",
        lighthouse::RUNS
    ));
    first_paint(root, scratch, &system.url("/"), report)?;

    steps::announce(&format!(
        "{CONCURRENT_REFRESHES} concurrent requests with one expired JWT and its refresh token"
    ));
    concurrent_refresh(&system, report)?;

    steps::announce("authenticated GET /api/cart vs public GET /api/products");
    let bearer = [format!("Authorization: Bearer {}", system.login()?.jwt)];
    let products = wrk(&system.url("/api/products"), &[], &[], options.seconds)?;
    let cart = wrk(&system.url("/api/cart"), &bearer, &[], options.seconds)?;
    let ratio = cart.requests_per_second / products.requests_per_second;
    report.add(Row {
        what: "GET /api/cart (JWT verified) vs GET /api/products".into(),
        measured: cart.summary(),
        baseline: products.summary(),
        ratio: format!("{ratio:.2}×"),
        goal: "≥ 0.7×".into(),
        met: Some(ratio >= 0.7),
    });
    steps::announce("local JWKS verification vs FusionAuth's /api/jwt/validate per request");
    let validating = system.start_validating_backend()?;
    let remote = wrk(
        &format!("{validating}/api/cart"),
        &bearer,
        &[],
        options.seconds,
    )?;
    let ratio = cart.requests_per_second / remote.requests_per_second;
    report.add(Row {
        what: "GET /api/cart: local JWKS verification vs /api/jwt/validate per request".into(),
        measured: cart.summary(),
        baseline: remote.summary(),
        ratio: format!("{ratio:.1}×"),
        // Retired as a goal (issue #11): on one machine with the emulator it measures the HTTP
        // stack, not FusionAuth. "FusionAuth calls per 1,000 verified requests" replaces it.
        goal: "– (information)".into(),
        met: None,
    });

    steps::announce("emulator: login/s vs refresh/s (default PBKDF2 factor 24,000)");
    system.set_tenant_jwt(json!({ "refreshTokenUsagePolicy": "Reusable" }))?;
    // One session per connection, taken in turn: distinct tokens, as many users refreshing.
    let mut refresh_bodies = Vec::with_capacity(REFRESH_SESSIONS);
    for _ in 0..REFRESH_SESSIONS {
        let session = system.login()?;
        refresh_bodies.push(json!({ "refreshToken": session.refresh_token }).to_string());
    }
    let login_body = json!({
        "loginId": system.email, "password": system.password,
        "applicationId": system.application_id,
    });
    let logins = wrk(
        &format!("{}/api/login", system.emulator),
        &["Content-Type: application/json".into()],
        &[login_body.to_string()],
        options.seconds,
    )?;
    let refreshes = wrk(
        &format!("{}/api/jwt/refresh", system.emulator),
        &["Content-Type: application/json".into()],
        &refresh_bodies,
        options.seconds,
    )?;
    let ratio = refreshes.requests_per_second / logins.requests_per_second;
    report.add(Row {
        what: "emulator POST /api/jwt/refresh vs POST /api/login".into(),
        measured: format!("{:.0} refresh/s", refreshes.requests_per_second),
        baseline: format!("{:.0} login/s", logins.requests_per_second),
        ratio: format!("{ratio:.1}×"),
        goal: "≥ 20×".into(),
        met: Some(ratio >= 20.0),
    });
    drop(system);

    steps::announce("device-bound sessions (in-process, PostgreSQL for two instances)");
    device_bound(root, options, report)?;
    report.notes.push(format!(
        "The refresh/s run presents {REFRESH_SESSIONS} sessions' refresh tokens in turn under \
             the `Reusable` policy; the Kickstart's `OneTimeUse` would revoke a token replayed \
             after its grace period."
    ));
    Ok(())
}

/// Issue #11's rows: `backend/examples/device_bench.rs` (release, in-process: it signs DPoP
/// proofs and moves the backends' clocks, which wrk and separate processes cannot), with a
/// throw-away PostgreSQL cluster for the two-instance rows. Each `BENCH_ROW {json}` line it
/// prints is one row.
fn device_bound(root: &Path, options: &Options, report: &mut Report) -> anyhow::Result<()> {
    let cluster = crate::postgres::Cluster::start()?;
    let output = processes::output(
        Command::new(env!("CARGO"))
            .current_dir(root)
            .args([
                "run",
                "--release",
                "--quiet",
                "--package",
                "backend",
                "--example",
                "device_bench",
                "--",
                "--seconds",
            ])
            .arg(options.seconds.to_string())
            .env("STORE_BENCH_POSTGRES_URL", cluster.url())
            .env("RUST_LOG", "warn"),
    )
    .context("running the device-bound benchmark")?;
    drop(cluster);
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success(),
        "the device-bound benchmark failed:\n{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut rows = 0;
    for line in text.lines() {
        let Some(json) = line.strip_prefix("BENCH_ROW ") else {
            continue;
        };
        let row: Value = serde_json::from_str(json).context("a BENCH_ROW line")?;
        let field = |name: &str| row[name].as_str().unwrap_or("–").to_owned();
        report.add(Row {
            what: field("what"),
            measured: field("measured"),
            baseline: field("baseline"),
            ratio: field("ratio"),
            goal: field("goal"),
            met: row["met"].as_bool(),
        });
        rows += 1;
    }
    ensure!(
        rows == 4,
        "the device-bound benchmark gave {rows} rows, not 4:\n{text}"
    );
    report.notes.push(
        "Device-bound rows run in one process (load loop, emulator, backend, relay) on release \
         builds; the Bearer baseline of the first one is measured there too, with the same loop. \
         Each device-bound request carries a fresh proof (signed beforehand), whose ES256 \
         verification (~55 µs here) is the main cost; a Bearer JWT's verification is cached."
            .to_owned(),
    );
    Ok(())
}

/// The 1-minute load average (`/proc/loadavg`), or "unknown" where there is none: other work
/// on the machine moves every throughput figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The release emulator and backend, on free ports, with fresh databases.
struct System {
    services: Services,
    backend_binary: PathBuf,
    scratch: PathBuf,
    emulator: String,
    backend: String,
    api_key: String,
    tenant_id: String,
    application_id: String,
    email: String,
    password: String,
}

struct Session {
    jwt: String,
    refresh_token: String,
}

impl System {
    fn start(root: &Path, scratch: &Path, report: &mut Report) -> anyhow::Result<Self> {
        let kickstart_path = KickstartFacts::path();
        let facts = KickstartFacts::load()?;
        let emulator_port = free_port()?;
        let backend_port = free_port()?;
        let emulator = format!("http://127.0.0.1:{emulator_port}");
        let backend = format!("http://127.0.0.1:{backend_port}");
        let emulator_command = |database: &Path| {
            let mut command = Command::new(root.join("target/release/fusionauth-emulator"));
            command
                .args(["--listen", &format!("127.0.0.1:{emulator_port}")])
                .arg("--kickstart")
                .arg(&kickstart_path)
                .arg("--kickstart-var")
                .arg(format!("storeOrigin={backend}"))
                .arg("--kickstart-var")
                .arg(format!("storeWebhookUrl={backend}/webhooks/fusionauth"))
                .arg("--database")
                .arg(format!("sqlite:{}?mode=rwc", database.display()))
                .arg("--test-hooks")
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null());
            command
        };
        let database = scratch.join("fusionauth.db");
        let mut services = Services::default();

        // First start: creates the database and applies the Kickstart file (RSA key, user …).
        let started = Instant::now();
        services.spawn("fusionauth-emulator", &mut emulator_command(&database))?;
        wait_until_ok(&format!("{emulator}/.well-known/jwks.json"), &mut services)?;
        let first_start = started.elapsed();
        services.stop();

        let started = Instant::now();
        services.spawn("fusionauth-emulator", &mut emulator_command(&database))?;
        wait_until_ok(&format!("{emulator}/.well-known/jwks.json"), &mut services)?;
        let restart = started.elapsed();

        let started = Instant::now();
        let mut backend_command = Command::new(root.join("target/release/backend"));
        backend_command
            .env("APP_LISTEN", format!("127.0.0.1:{backend_port}"))
            .env(
                "APP_DATABASE_URL",
                format!("sqlite:{}?mode=rwc", scratch.join("store.db").display()),
            )
            .env("APP_FUSIONAUTH_URL", &emulator)
            // The Bearer figures: the workflow's `off` mode, said explicitly (the default is
            // `required`).
            .env("APP_DEVICE_BINDING", "off")
            .env("APP_STATIC_DIR", root.join(tools::RELEASE_DIST))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        services.spawn("backend", &mut backend_command)?;
        wait_until_ok(&format!("{backend}/health/ready"), &mut services)?;
        let backend_start = started.elapsed();

        report.add(Row {
            what: "cold start to ready: backend (fresh database, migrations, catalogue)".into(),
            measured: ms(backend_start),
            baseline: "–".into(),
            ratio: "–".into(),
            goal: "–".into(),
            met: None,
        });
        report.add(Row {
            what:
                "cold start to ready: emulator, first start (Kickstart: signing key, webhook, user)"
                    .into(),
            measured: ms(first_start),
            baseline: format!("restart {}", ms(restart)),
            ratio: format!("{:.1}×", first_start.as_secs_f64() / restart.as_secs_f64()),
            goal: "–".into(),
            met: None,
        });

        Ok(Self {
            services,
            backend_binary: root.join("target/release/backend"),
            scratch: scratch.to_path_buf(),
            emulator,
            backend,
            api_key: facts.api_key,
            tenant_id: facts.tenant_id,
            application_id: facts.application_id,
            email: facts.demo_email,
            password: facts.demo_password,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.backend)
    }

    /// A second backend that asks FusionAuth's `/api/jwt/validate` about every JWT
    /// (`APP_JWT_VERIFICATION=fusionauth`, which exists for this comparison); returns its URL.
    fn start_validating_backend(&mut self) -> anyhow::Result<String> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(&self.backend_binary);
        command
            .env("APP_LISTEN", format!("127.0.0.1:{port}"))
            .env(
                "APP_DATABASE_URL",
                format!(
                    "sqlite:{}?mode=rwc",
                    self.scratch.join("store-validate.db").display()
                ),
            )
            .env("APP_FUSIONAUTH_URL", &self.emulator)
            .env("APP_DEVICE_BINDING", "off")
            .env("APP_JWT_VERIFICATION", "fusionauth")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        self.services
            .spawn("backend (validate mode)", &mut command)?;
        wait_until_ok(&format!("{url}/health/ready"), &mut self.services)?;
        Ok(url)
    }

    fn login(&self) -> anyhow::Result<Session> {
        let (status, body) = http(
            "POST",
            &format!("{}/api/login", self.emulator),
            &["Content-Type: application/json".into()],
            Some(
                &json!({
                    "loginId": self.email, "password": self.password,
                    "applicationId": self.application_id,
                })
                .to_string(),
            ),
        )?;
        ensure!(status == 200, "login answered {status}");
        let body: Value = serde_json::from_str(&body)?;
        Ok(Session {
            jwt: body["token"].as_str().unwrap_or_default().to_owned(),
            refresh_token: body["refreshToken"].as_str().unwrap_or_default().to_owned(),
        })
    }

    /// Changes the tenant's `jwtConfiguration` through FusionAuth's Tenant API.
    fn set_tenant_jwt(&self, jwt_configuration: Value) -> anyhow::Result<()> {
        let (status, body) = http(
            "PATCH",
            &format!("{}/api/tenant/{}", self.emulator, self.tenant_id),
            &[
                "Content-Type: application/json".into(),
                format!("Authorization: {}", self.api_key),
            ],
            Some(&json!({ "tenant": { "jwtConfiguration": jwt_configuration } }).to_string()),
        )?;
        ensure!(status == 200, "PATCH /api/tenant answered {status}: {body}");
        Ok(())
    }

    /// Subscribes a counter to FusionAuth's `jwt.refresh` event and returns it: the honest count
    /// of refreshes FusionAuth performed.
    fn count_refreshes(&self) -> anyhow::Result<EventCounter> {
        let counter = EventCounter::start(REFRESH_EVENT)?;
        let (status, body) = http(
            "POST",
            &format!("{}/api/webhook", self.emulator),
            &[
                "Content-Type: application/json".into(),
                format!("Authorization: {}", self.api_key),
            ],
            Some(&testkit::event_subscription(counter.url(), REFRESH_EVENT).to_string()),
        )?;
        ensure!(status == 200, "POST /api/webhook answered {status}: {body}");
        self.enable_event(REFRESH_EVENT, true)?;
        Ok(counter)
    }

    /// Turns one of the tenant's webhook events on or off (never transactional).
    fn enable_event(&self, event: &str, enabled: bool) -> anyhow::Result<()> {
        let (status, body) = http(
            "PATCH",
            &format!("{}/api/tenant/{}", self.emulator, self.tenant_id),
            &[
                "Content-Type: application/json".into(),
                format!("Authorization: {}", self.api_key),
            ],
            Some(&testkit::tenant_event(event, enabled).to_string()),
        )?;
        ensure!(
            status == 200,
            "turning {event} to {enabled} answered {status}: {body}"
        );
        Ok(())
    }
}

impl Drop for System {
    fn drop(&mut self) {
        self.services.stop();
    }
}

/// Scenario 3: one expired JWT and its refresh token, sent by 100 requests at once.
fn concurrent_refresh(system: &System, report: &mut Report) -> anyhow::Result<()> {
    let counter = system.count_refreshes()?;
    system.set_tenant_jwt(json!({ "timeToLiveInSeconds": 1 }))?;
    let session = system.login()?;
    system.set_tenant_jwt(json!({ "timeToLiveInSeconds": 300 }))?;

    // Wait (on the condition, not a guess) until the backend deems the JWT expired.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _) = http(
            "GET",
            &system.url("/api/cart"),
            &[format!("Authorization: Bearer {}", session.jwt)],
            None,
        )?;
        if status == 401 {
            break;
        }
        ensure!(
            Instant::now() < deadline,
            "the short-lived JWT never expired"
        );
        std::thread::sleep(Duration::from_millis(250));
    }

    let config = std::env::temp_dir().join(format!("store-bench-curl-{}", std::process::id()));
    let mut lines = String::new();
    for index in 0..CONCURRENT_REFRESHES {
        if index > 0 {
            // Options are global in a curl config unless `next` separates the transfers.
            lines.push_str("next\n");
        }
        let _ = writeln!(
            lines,
            "url = \"{}\"\noutput = \"/dev/null\"\nwrite-out = \"%{{http_code}}\\n\"\n\
             header = \"Authorization: Bearer {}\"\nheader = \"X-Refresh-Token: {}\"",
            system.url("/api/cart"),
            session.jwt,
            session.refresh_token
        );
    }
    std::fs::write(&config, lines)?;
    let started = Instant::now();
    let output = processes::output(
        Command::new("curl")
            .args([
                "--silent",
                "--parallel",
                "--parallel-immediate",
                "--parallel-max",
            ])
            .arg(CONCURRENT_REFRESHES.to_string())
            .arg("--config")
            .arg(&config),
    );
    let _ = std::fs::remove_file(&config);
    let output = output.context("running curl")?;
    let took = started.elapsed();
    let codes = String::from_utf8_lossy(&output.stdout);
    let ok = codes.lines().filter(|code| code.trim() == "200").count();
    let refreshes = counter.settle(Duration::from_secs(3));
    // Stop the event before anything else is measured: every later refresh would try to
    // deliver it to the counter.
    system.enable_event(REFRESH_EVENT, false)?;
    ensure!(
        ok == CONCURRENT_REFRESHES,
        "only {ok} of {CONCURRENT_REFRESHES} requests succeeded: {codes}"
    );
    report.add(Row {
        what: format!(
            "refresh calls FusionAuth saw for {CONCURRENT_REFRESHES} concurrent expired requests"
        ),
        measured: format!("{refreshes} call(s), all answered in {}", ms(took)),
        baseline: format!("{CONCURRENT_REFRESHES} requests"),
        ratio: "–".into(),
        goal: "exactly 1".into(),
        met: Some(refreshes == 1),
    });
    Ok(())
}

fn pwa_size(dist: &Path, report: &mut Report) -> anyhow::Result<()> {
    // The first screen's files; the chunks loaded later (and the service worker, which installs
    // after `load`) are not counted, only listed.
    let (files, later) = dist::first_screen_and_later(dist)?;
    let (mut raw, mut gzip, mut brotli) = (0, 0, 0);
    let mut parts = Vec::new();
    for file in &files {
        let size = std::fs::metadata(file)?.len();
        let gz = compressed_size(file, "gzip", &["-9", "-c"])?;
        let br = compressed_size(file, "brotli", &["-q", "11", "-c"])?;
        raw += size;
        gzip += gz;
        brotli += br;
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        parts.push(format!(
            "{}: {} raw, {} gzip, {} brotli",
            name.unwrap_or_default(),
            kb(size),
            kb(gz),
            kb(br)
        ));
    }
    report.add(Row {
        what: "PWA transfer size, first screen (wasm + JS + CSS)".into(),
        measured: format!("{} brotli", kb(brotli)),
        baseline: format!("{} raw, {} gzip", kb(raw), kb(gzip)),
        ratio: format!(
            "{:.0}% of budget",
            brotli as f64 * 100.0 / PWA_BUDGET_BROTLI as f64
        ),
        goal: format!("≤ {} brotli", kb(PWA_BUDGET_BROTLI)),
        met: Some(brotli <= PWA_BUDGET_BROTLI),
    });
    report
        .notes
        .push(format!("PWA files: {}.", parts.join("; ")));
    let mut later_parts = Vec::new();
    for file in &later {
        let br = compressed_size(file, "brotli", &["-q", "11", "-c"])?;
        later_parts.push(format!(
            "{}: {} raw, {} brotli",
            file.file_name().unwrap_or_default().to_string_lossy(),
            kb(std::fs::metadata(file)?.len()),
            kb(br)
        ));
    }
    if !later_parts.is_empty() {
        report.notes.push(format!(
            "Loaded later (not counted above: the pages of `pages::later`, fetched when first shown): {}.",
            later_parts.join("; ")
        ));
    }
    Ok(())
}

/// Issue #15's rows: Lighthouse's figures for the login screen of the release build, served by
/// the backend.
fn first_paint(root: &Path, scratch: &Path, url: &str, report: &mut Report) -> anyhow::Result<()> {
    let figures = lighthouse::measure(root, scratch, url)?;
    let rows = [
        (
            "first paint: largest contentful paint (login screen)",
            format!("{:.2} s", figures.lcp_ms / 1000.0),
            "≤ 1.2 s",
            figures.lcp_ms <= 1200.0,
        ),
        (
            "first paint: total blocking time",
            format!("{:.0} ms", figures.tbt_ms),
            "≤ 50 ms",
            figures.tbt_ms <= 50.0,
        ),
        (
            "first paint: cumulative layout shift",
            format!("{:.3}", figures.cls),
            "0",
            // Lighthouse shows 0 below 0.0005.
            figures.cls < 0.0005,
        ),
        (
            "Lighthouse performance score",
            format!("{:.0}", figures.performance),
            "100",
            figures.performance >= 100.0,
        ),
        (
            "Lighthouse accessibility score",
            format!("{:.0}", figures.accessibility),
            "100",
            figures.accessibility >= 100.0,
        ),
    ];
    for (what, measured, goal, met) in rows {
        report.add(Row {
            what: what.into(),
            measured,
            baseline: "–".into(),
            ratio: "–".into(),
            goal: goal.into(),
            met: Some(met),
        });
    }
    report.notes.push(format!(
        "First-paint rows: Lighthouse {} (npm) in Debian's Chromium, its default mobile emulation \
         (simulated slow 4G, 4× CPU slowdown), median of {} runs on `/` of the release build \
         served by the backend.",
        lighthouse::VERSION,
        lighthouse::RUNS
    ));
    Ok(())
}

fn compressed_size(file: &Path, program: &str, args: &[&str]) -> anyhow::Result<u64> {
    let output = processes::output(Command::new(program).args(args).arg(file))
        .with_context(|| format!("running {program}"))?;
    ensure!(
        output.status.success(),
        "{program} failed on {}",
        file.display()
    );
    Ok(output.stdout.len() as u64)
}

/// A load run's outcome.
#[derive(Debug)]
struct Load {
    requests_per_second: f64,
    p99: Duration,
}

impl Load {
    /// `N req/s, p99 X ms`, as the report shows a load.
    fn summary(&self) -> String {
        format!(
            "{:.0} req/s, p99 {}",
            self.requests_per_second,
            ms(self.p99)
        )
    }
}

/// Runs wrk against `url`: a GET without `bodies`, else POSTs taking the bodies in turn.
fn wrk(url: &str, headers: &[String], bodies: &[String], seconds: u64) -> anyhow::Result<Load> {
    let mut command = Command::new("wrk");
    command
        .args(["--threads", "2", "--latency", "--connections"])
        .arg(CONNECTIONS.to_string())
        .arg("--duration")
        .arg(format!("{seconds}s"));
    for header in headers {
        command.arg("--header").arg(header);
    }
    let script = (!bodies.is_empty()).then(|| {
        let path = std::env::temp_dir().join(format!("store-bench-{}.lua", std::process::id()));
        // JSON strings are valid Lua string literals for these ASCII bodies.
        let literals: Vec<String> = bodies
            .iter()
            .map(|body| serde_json::to_string(body).unwrap_or_default())
            .collect();
        let lua = format!(
            "wrk.method = \"POST\"\nlocal bodies = {{ {} }}\nlocal next = 0\n\
             request = function()\n  next = next % #bodies + 1\n  \
             return wrk.format(nil, nil, nil, bodies[next])\nend\n",
            literals.join(", ")
        );
        (path, lua)
    });
    if let Some((path, lua)) = &script {
        std::fs::write(path, lua)?;
        command.arg("--script").arg(path);
    }
    command.arg(url);
    println!("    wrk {seconds}s → {url}");
    let output = processes::output(&mut command);
    if let Some((path, _)) = &script {
        let _ = std::fs::remove_file(path);
    }
    let output = output.context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "wrk failed: {text}");
    ensure!(
        !text.contains("Non-2xx or 3xx responses"),
        "wrk saw error answers from {url}:\n{text}"
    );
    let requests_per_second = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse::<f64>().ok())
        .with_context(|| format!("no Requests/sec in wrk's output:\n{text}"))?;
    let p99 = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("99%"))
        .and_then(|value| parse_wrk_duration(value.trim()))
        .with_context(|| format!("no 99% latency in wrk's output:\n{text}"))?;
    Ok(Load {
        requests_per_second,
        p99,
    })
}

/// `812.00us`, `1.23ms`, `2.00s`.
fn parse_wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// One request through curl: (status, body).
fn http(
    method: &str,
    url: &str,
    headers: &[String],
    body: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let mut command = Command::new("curl");
    command
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--request",
            method,
        ])
        .args(["--write-out", "\n%{http_code}"]);
    for header in headers {
        command.arg("--header").arg(header);
    }
    if body.is_some() {
        command.args(["--data-binary", "@-"]);
    }
    command
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    let mut child = processes::spawn(&mut command).context("running curl")?;
    if let (Some(body), Some(mut stdin)) = (body, child.stdin.take()) {
        stdin.write_all(body.as_bytes())?;
    }
    let output = processes::wait_with_output(child)?;
    let text = String::from_utf8_lossy(&output.stdout);
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = status
        .trim()
        .parse()
        .with_context(|| format!("{method} {url}: no answer"))?;
    Ok((status, body.to_owned()))
}

fn wait_until_ok(url: &str, services: &mut Services) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok((200, _)) = http("GET", url, &[], None) {
            return Ok(());
        }
        processes::check()?;
        services.fail_if_exited()?;
        ensure!(
            Instant::now() < deadline,
            "{url} did not answer 200 within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `wrk` generates the load; `brotli` measures the PWA's transfer size. Both from Debian.
fn ensure_bench_tools() -> anyhow::Result<()> {
    let missing: Vec<&str> = ["wrk", "brotli"]
        .into_iter()
        .filter(|tool| !Path::new("/usr/bin").join(tool).exists())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    tools::apt_install(&missing, "the benchmark's tools (wrk, brotli)")
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}
