//! `cargo xtask bench`'s device-bound measurements (issue #11), run in-process on release
//! builds through `testkit::Stack` (the real emulator and backend, a relay counting every call
//! the backend makes to FusionAuth), with proofs signed by `testkit::DeviceKey`:
//!
//! - device-bound `GET /api/cart` vs Bearer `GET /api/cart` (same load loop, same data);
//! - FusionAuth calls per 1,000 verified device-bound requests;
//! - on PostgreSQL (`STORE_BENCH_POSTGRES_URL`): 100 concurrent requests with one expired JWT
//!   split over two instances → FusionAuth refreshes; a session ended on one instance → how long
//!   until the other refuses it (p99).
//!
//! Prints one `BENCH_ROW {json}` line per result for `xtask/src/bench.rs`.
//! `cargo run --release -p backend --example device_bench -- --seconds 8`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use reqwest::StatusCode;
use serde_json::json;
use shared::store::DeviceBinding;
use testkit::{DeviceKey, Stack, StackBuilder};

/// Concurrent request loops in a throughput run (as wrk's connections in the other rows).
const TASKS: usize = 32;
/// Turns each of the two throughput loads takes, alternating.
const TURNS: u32 = 4;
const CONCURRENT_REFRESHES: usize = 100;
/// Sessions ended (one at a time) to measure the propagation to the other instance.
const PROPAGATION_SAMPLES: usize = 40;

/// A result row, as `xtask/src/bench.rs` prints it.
fn row(
    what: &str,
    measured: String,
    baseline: String,
    ratio: String,
    goal: &str,
    met: Option<bool>,
) {
    let row = json!({"what": what, "measured": measured, "baseline": baseline, "ratio": ratio,
                     "goal": goal, "met": met});
    println!("BENCH_ROW {row}");
}

/// One signed-in device: its key, its JWT (after the hand-off), the backend's origin.
struct Device {
    key: Arc<DeviceKey>,
    jwt: String,
    base: String,
    nonce: Option<String>,
}

/// Every measurement's stack: the emulator in memory, the backend reaching it through the
/// relay (which counts its calls), in `binding` mode.
fn bench_stack<'a>(binding: DeviceBinding) -> StackBuilder<'a> {
    Stack::builder()
        .emulator_in_memory()
        .through_relay()
        .device_binding(binding)
}

async fn login(client: &reqwest::Client, stack: &Stack) -> anyhow::Result<(String, String)> {
    let response = client
        .post(format!("{}/api/login", stack.fusionauth_url))
        .json(
            &json!({"loginId": stack.facts.demo_email, "password": stack.facts.demo_password,
                      "applicationId": stack.facts.application_id}),
        )
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::OK,
        "login: {}",
        response.status()
    );
    let body: serde_json::Value = response.json().await?;
    Ok((
        body["token"].as_str().context("a JWT")?.to_owned(),
        body["refreshToken"]
            .as_str()
            .context("a refresh token")?
            .to_owned(),
    ))
}

/// `method path` with a proof; one retry on `use_dpop_nonce`. Keeps the nonce and new JWT.
async fn call(
    client: &reqwest::Client,
    device: &mut Device,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<StatusCode> {
    for _ in 0..2 {
        let url = format!("{}{path}", device.base);
        let proof = device
            .key
            .proof(method.as_str(), &url, &device.jwt, device.nonce.as_deref());
        let mut request = client
            .request(method.clone(), &url)
            .header("Authorization", format!("DPoP {}", device.jwt))
            .header("DPoP", proof);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await?;
        if let Some(nonce) = response.headers().get("DPoP-Nonce") {
            device.nonce = Some(nonce.to_str()?.to_owned());
        }
        if let Some(jwt) = response.headers().get("X-New-Access-Token") {
            device.jwt = jwt.to_str()?.to_owned();
        }
        let status = response.status();
        let challenged = response
            .headers()
            .get("WWW-Authenticate")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("use_dpop_nonce"));
        if !challenged {
            return Ok(status);
        }
    }
    bail!("challenged twice for a nonce")
}

/// Signs in and hands the session off to the backend at `base`.
async fn sign_in(client: &reqwest::Client, stack: &Stack, base: &str) -> anyhow::Result<Device> {
    let (jwt, refresh_token) = login(client, stack).await?;
    let mut device = Device {
        key: Arc::new(DeviceKey::new()),
        jwt,
        base: base.to_owned(),
        nonce: None,
    };
    let status = call(
        client,
        &mut device,
        reqwest::Method::POST,
        "/api/session",
        Some(json!({ "refreshToken": refresh_token })),
    )
    .await?;
    ensure!(status == StatusCode::CREATED, "hand-off answered {status}");
    Ok(device)
}

/// Latencies of one or more load runs, and the time they took.
#[derive(Default)]
struct Load {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn p99(&self) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        sorted
            .get(sorted.len().saturating_mul(99) / 100)
            .copied()
            .unwrap_or_default()
    }
}

/// One loop per entry of `headers` sending `GET url` for `duration`: with its one header
/// again and again, or with each `(Authorization, DPoP)` pair once (then it stops when they run
/// out).
async fn load(
    client: &reqwest::Client,
    url: &str,
    headers: Vec<Vec<(String, String)>>,
    per_task: usize,
    duration: Duration,
) -> anyhow::Result<Load> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for mine in headers {
        let client = client.clone();
        let url = url.to_owned();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for index in 0.. {
                if Instant::now() >= deadline {
                    break;
                }
                let mut request = client.get(&url);
                if mine.len() == 1 {
                    request = request.header(&mine[0].0, &mine[0].1);
                } else {
                    let Some((authorization, proof)) = mine.get(index) else {
                        break;
                    };
                    request = request
                        .header("Authorization", authorization)
                        .header("DPoP", proof);
                }
                let sent = Instant::now();
                let response = request.send().await?;
                let status = response.status();
                let _ = response.bytes().await?;
                ensure!(status == StatusCode::OK, "{url} answered {status}");
                latencies.push(sent.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.extend(done??);
    }
    Ok(Load {
        latencies,
        elapsed: started.elapsed().min(duration),
    })
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

async fn throughput(client: &reqwest::Client, seconds: u64) -> anyhow::Result<()> {
    let bearer_stack = bench_stack(DeviceBinding::Off).start().await?;
    let (jwt, _) = login(client, &bearer_stack).await?;
    let bearer_url = bearer_stack.url("/api/cart");
    let bearer_headers: Vec<Vec<(String, String)>> = (0..TASKS)
        .map(|_| vec![("Authorization".to_owned(), format!("Bearer {jwt}"))])
        .collect();

    let bound_stack = bench_stack(DeviceBinding::Required).start().await?;
    let mut device = sign_in(client, &bound_stack, &bound_stack.app_url).await?;
    // A nonce for every pre-signed proof (signing is the device's work, not the server's).
    call(client, &mut device, reqwest::Method::GET, "/api/cart", None).await?;
    let url = bound_stack.url("/api/cart");
    let authorization = format!("DPoP {}", device.jwt);
    let relay = bound_stack.relay().context("the relay")?;
    let calls_before = relay.calls();

    // The two loads take turns, so that whatever else the machine does meanwhile weighs on
    // both alike.
    let turn = Duration::from_secs(seconds) / TURNS;
    let mut bearer = Load::default();
    let mut bound = Load::default();
    for _ in 0..TURNS {
        bearer.add(load(client, &bearer_url, bearer_headers.clone(), 0, turn).await?);
        let per_task =
            (bearer.per_second() * turn.as_secs_f64() * 1.5 / TASKS as f64).ceil() as usize + 100;
        let proofs: Vec<Vec<(String, String)>> = (0..TASKS)
            .map(|_| {
                (0..per_task)
                    .map(|_| {
                        let proof =
                            device
                                .key
                                .proof("GET", &url, &device.jwt, device.nonce.as_deref());
                        (authorization.clone(), proof)
                    })
                    .collect()
            })
            .collect();
        bound.add(load(client, &url, proofs, per_task, turn).await?);
    }
    let calls = relay.calls() - calls_before;

    let ratio = bound.per_second() / bearer.per_second();
    row(
        "device-bound GET /api/cart (DPoP proof + session) vs Bearer GET /api/cart, in-process",
        format!("{:.0} req/s, p99 {}", bound.per_second(), ms(bound.p99())),
        format!("{:.0} req/s, p99 {}", bearer.per_second(), ms(bearer.p99())),
        format!("{ratio:.2}×"),
        "≥ 0.7×",
        Some(ratio >= 0.7),
    );
    let per_thousand = calls as f64 * 1000.0 / bound.latencies.len().max(1) as f64;
    row(
        "FusionAuth calls per 1,000 verified device-bound requests",
        format!(
            "{per_thousand:.2} ({calls} calls, {} requests)",
            bound.latencies.len()
        ),
        "–".into(),
        "–".into(),
        "0",
        Some(calls == 0),
    );
    Ok(())
}

async fn two_instances(
    server: &str,
    sync_seconds: u64,
) -> anyhow::Result<(Stack, String, backend::Clock)> {
    let stack = bench_stack(DeviceBinding::Required)
        .backend_database(backend::store::create_scratch_database(server, "store_bench").await?)
        .configure(|settings| {
            settings.revocation_sync_seconds = sync_seconds;
            // Every sample signs the demo user in again: each hand-off is a refresh at
            // FusionAuth, which the per-user limit (10 a minute by default) would refuse.
            settings.refresh_attempts_per_minute = (PROPAGATION_SAMPLES as u32).saturating_mul(2);
        })
        .start()
        .await?;
    let (other, clock) = stack.another_backend().await?;
    Ok((stack, other, clock))
}

async fn cross_instance_refresh(client: &reqwest::Client, server: &str) -> anyhow::Result<()> {
    let (stack, other, other_clock) = two_instances(server, 2).await?;
    let mut device = sign_in(client, &stack, &stack.app_url).await?;
    let past = 306;
    stack.travel(past).await?;
    other_clock.advance(Duration::from_secs(past));
    // The clocks moved: a nonce first (a challenge, no refresh).
    device.nonce = None;
    let url = stack.url("/api/cart");
    let challenge = client
        .get(&url)
        .header("Authorization", format!("DPoP {}", device.jwt))
        .header("DPoP", device.key.proof("GET", &url, &device.jwt, None))
        .send()
        .await?;
    device.nonce = challenge
        .headers()
        .get("DPoP-Nonce")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let relay = stack.relay().context("the relay")?;
    let before = relay.refresh_calls();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..CONCURRENT_REFRESHES {
        let base = if index % 2 == 0 {
            &stack.app_url
        } else {
            &other
        };
        let url = format!("{base}/api/cart");
        let request = client
            .get(&url)
            .header("Authorization", format!("DPoP {}", device.jwt))
            .header(
                "DPoP",
                device
                    .key
                    .proof("GET", &url, &device.jwt, device.nonce.as_deref()),
            );
        tasks.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    let started = Instant::now();
    let mut ok = 0;
    while let Some(done) = tasks.join_next().await {
        if done?? == StatusCode::OK {
            ok += 1;
        }
    }
    let took = started.elapsed();
    let refreshes = relay.refresh_calls() - before;
    row(
        &format!(
            "refresh calls FusionAuth saw for {CONCURRENT_REFRESHES} concurrent device-bound \
             requests with one expired JWT, split over two instances on PostgreSQL"
        ),
        format!("{refreshes} call(s), {ok} × 200 in {}", ms(took)),
        format!("{CONCURRENT_REFRESHES} requests"),
        "–".into(),
        "exactly 1",
        Some(refreshes == 1 && ok == CONCURRENT_REFRESHES),
    );
    Ok(())
}

async fn revocation_propagation(client: &reqwest::Client, server: &str) -> anyhow::Result<()> {
    // The periodic re-read (60 s) cannot explain anything measured here.
    let (stack, other, _) = two_instances(server, 60).await?;
    let mut samples = Vec::with_capacity(PROPAGATION_SAMPLES);
    for _ in 0..PROPAGATION_SAMPLES {
        let mut device = sign_in(client, &stack, &stack.app_url).await?;
        let mut remote = Device {
            key: Arc::clone(&device.key),
            jwt: device.jwt.clone(),
            base: other.clone(),
            nonce: None,
        };
        // The other instance caches the session.
        let status = call(client, &mut remote, reqwest::Method::GET, "/api/cart", None).await?;
        ensure!(
            status == StatusCode::OK,
            "the other instance answered {status}"
        );
        let status = call(
            client,
            &mut device,
            reqwest::Method::DELETE,
            "/api/session",
            None,
        )
        .await?;
        ensure!(status == StatusCode::NO_CONTENT, "logout answered {status}");
        let ended = Instant::now();
        loop {
            let status = call(client, &mut remote, reqwest::Method::GET, "/api/cart", None).await?;
            if status == StatusCode::UNAUTHORIZED {
                break;
            }
            ensure!(
                ended.elapsed() < Duration::from_secs(30),
                "never propagated"
            );
        }
        samples.push(ended.elapsed());
    }
    samples.sort_unstable();
    let p99 = samples[(samples.len() * 99 / 100).min(samples.len() - 1)];
    let median = samples[samples.len() / 2];
    row(
        "a session ended on one instance: until the other refuses it (PostgreSQL NOTIFY), p99",
        format!(
            "{} (median {}, {PROPAGATION_SAMPLES} sessions)",
            ms(p99),
            ms(median)
        ),
        "periodic re-read: 60 s here, 2 s by default".into(),
        "–".into(),
        "≤ 100 ms",
        Some(p99 <= Duration::from_millis(100)),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut seconds = 8;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .context("--seconds takes a number")?;
            }
            other => bail!("unknown argument {other}"),
        }
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(TASKS * 2)
        .build()?;
    throughput(&client, seconds).await?;
    match std::env::var("STORE_BENCH_POSTGRES_URL") {
        Ok(server) => {
            cross_instance_refresh(&client, &server).await?;
            revocation_propagation(&client, &server).await?;
        }
        Err(_) => {
            eprintln!("STORE_BENCH_POSTGRES_URL is not set: the cross-instance rows are skipped")
        }
    }
    Ok(())
}
