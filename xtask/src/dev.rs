//! `cargo xtask dev`: the whole system on this machine, rebuilt on change.
//!
//! Checks that its ports are free, builds the backend, the emulator and the PWA's development
//! build (into `target/dist-dev`, never the release folder `target/dist`), starts the FusionAuth
//! emulator and the backend (which also serves the PWA, so app and API share one origin), waits
//! until the processes it started answer on their ports, watches `frontend/` and `shared/` with
//! `trunk watch`, and stops everything on SIGINT, SIGTERM or SIGHUP.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::ports;
use crate::processes;
use crate::services::{Ready, Services};
use crate::steps;
use crate::tools;

/// The Kickstart file's demo user (`fusionauth/kickstart.json` variables).
const DEMO_EMAIL: &str = "shopper@example.com";
const DEMO_PASSWORD: &str = "store-demo-pass";
/// The development build of the PWA, served by `cargo xtask dev` only. Release builds go to
/// [`tools::RELEASE_DIST`].
pub const DEV_DIST: &str = "target/dist-dev";
/// The databases of `cargo xtask dev`, unless `--data-dir` says otherwise.
const DEFAULT_DATA_DIR: &str = "target/dev-data";
const EMULATOR_DATABASE: &str = "fusionauth-emulator.db";
const STORE_DATABASE: &str = "store.db";
/// The backend's `APP_SESSION_KEY`, made once per data directory and kept (it seals the stored
/// refresh tokens of device-bound sessions; a new key would sign everyone out).
const SESSION_KEY_FILE: &str = "session.key";

#[derive(Debug)]
pub struct Options {
    port: u16,
    emulator_port: u16,
    fresh: bool,
    watch: bool,
    build: bool,
    data_dir: Option<PathBuf>,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            port: 8080,
            emulator_port: 9011,
            fresh: false,
            watch: true,
            build: true,
            data_dir: None,
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--port" => options.port = parse_port(crate::option_value(arg, &mut rest)?)?,
                "--emulator-port" => {
                    options.emulator_port = parse_port(crate::option_value(arg, &mut rest)?)?;
                }
                "--fresh" => options.fresh = true,
                "--no-watch" => options.watch = false,
                "--no-build" => options.build = false,
                "--data-dir" => {
                    options.data_dir = Some(PathBuf::from(crate::option_value(arg, &mut rest)?));
                }
                other => bail!("unknown option `{other}` for `cargo xtask dev`"),
            }
        }
        if options.port == options.emulator_port {
            bail!("--port and --emulator-port must differ");
        }
        Ok(options)
    }
}

fn parse_port(value: &str) -> anyhow::Result<u16> {
    match value.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => bail!("`{value}` is not a port number (1–65535)"),
    }
}

pub fn run(options: Options) -> anyhow::Result<()> {
    match start_and_supervise(&options) {
        Err(error) if processes::is_interrupted(&error) => {
            steps::say("\n==> stopped");
            Ok(())
        }
        outcome => outcome,
    }
}

fn start_and_supervise(options: &Options) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    // Before minutes of building: a busy port is known at once.
    check_ports(options)?;
    if options.build || options.watch {
        steps::announce("checking tools (installing what is missing)");
        tools::ensure_wasm_toolchain(&root)?;
    }

    let data = options
        .data_dir
        .clone()
        .unwrap_or_else(|| root.join(DEFAULT_DATA_DIR));
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    // The services run in the workspace root: a relative --data-dir means the caller's directory.
    let data = std::path::absolute(&data)?;
    if options.fresh {
        remove_databases(&data)?;
    }

    let dist = root.join(DEV_DIST);
    let emulator_binary = root.join("target/debug/fusionauth-emulator");
    let backend_binary = root.join("target/debug/backend");
    if options.build {
        steps::run(
            "building the backend and the FusionAuth emulator",
            Command::new(env!("CARGO")).current_dir(&root).args([
                "build",
                "--package",
                "backend",
                "--package",
                "fusionauth-emulator",
            ]),
        )?;
        steps::run(
            &format!("building the PWA for development into {DEV_DIST} (trunk)"),
            tools::tool("trunk")
                .current_dir(&root)
                .arg("build")
                .arg("--dist")
                .arg(&dist),
        )?;
    } else {
        for binary in [&emulator_binary, &backend_binary] {
            if !binary.is_file() {
                bail!(
                    "{} is missing: run `cargo build -p backend -p fusionauth-emulator`, or \
                     leave out --no-build",
                    binary.display()
                );
            }
        }
    }
    // Again: the build took a while.
    check_ports(options)?;

    // `localhost`, not the address: WebAuthn (passkeys) refuses IP-address origins, and
    // `localhost` is a secure context. The services still listen on 127.0.0.1 only.
    let app_origin = format!("http://localhost:{}", options.port);
    let emulator_url = format!("http://127.0.0.1:{}", options.emulator_port);
    let mut services = Services::default();

    steps::announce(&format!(
        "starting the FusionAuth emulator on {emulator_url}"
    ));
    let mut emulator = Command::new(&emulator_binary);
    emulator
        .current_dir(&root)
        .args(["--listen", &format!("127.0.0.1:{}", options.emulator_port)])
        .arg("--kickstart")
        .arg(kickstart_with_passkeys(&data)?)
        .arg("--kickstart-var")
        .arg(format!("storeOrigin={app_origin}"))
        .arg("--kickstart-var")
        .arg(format!("storeWebhookUrl={app_origin}/webhooks/fusionauth"))
        .arg("--database")
        .arg(sqlite_url(&data.join(EMULATOR_DATABASE)));
    services.spawn("fusionauth-emulator", &mut emulator)?;

    steps::announce(&format!("starting the backend on {app_origin}"));
    let mut backend = Command::new(&backend_binary);
    backend
        .current_dir(&root)
        .env("APP_LISTEN", format!("127.0.0.1:{}", options.port))
        .env("APP_STATIC_DIR", &dist)
        .env("APP_DATABASE_URL", sqlite_url(&data.join(STORE_DATABASE)))
        .env("APP_FUSIONAUTH_URL", &emulator_url)
        // The Kickstart's least-privilege backend key: enables the login proxy, the account API
        // and the passkey starts.
        .env(
            "APP_FUSIONAUTH_API_KEY",
            testkit::KickstartFacts::load()?.backend_api_key,
        )
        .env("APP_PUBLIC_ORIGIN", &app_origin)
        .env("APP_SESSION_KEY", session_key(&data)?);
    services.spawn("backend", &mut backend)?;

    services.wait_until_ready(&[
        Ready {
            name: "fusionauth-emulator",
            port: options.emulator_port,
            path: "/.well-known/jwks.json",
            flag: "--emulator-port",
        },
        Ready {
            name: "backend",
            port: options.port,
            path: "/health/live",
            flag: "--port",
        },
    ])?;

    if options.watch {
        let mut watch = tools::tool("trunk");
        watch
            .current_dir(&root)
            .arg("watch")
            .arg("--dist")
            .arg(&dist);
        services.spawn("trunk watch", &mut watch)?;
    }

    println!(
        "\n    The store is running at {app_origin}\n    \
         Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n    \
         FusionAuth emulator: {emulator_url}\n    \
         Emails it sends (password resets, verification): {emulator_url}/_emulator/outbox\n    \
         {}Press Ctrl-C to stop.\n",
        if options.watch {
            "Edits under frontend/ and shared/ rebuild the PWA: reload the page to see them.\n    "
        } else {
            ""
        }
    );

    let outcome = services.supervise();
    services.stop();
    outcome
}

/// Both ports must be free before anything starts.
fn check_ports(options: &Options) -> anyhow::Result<()> {
    ports::ensure_free(options.port, "--port")?;
    ports::ensure_free(options.emulator_port, "--emulator-port")
}

/// `--fresh`: the two databases (with SQLite's journal files), so the Kickstart file is applied
/// again. Only these files: `--data-dir` may name a directory that holds other things.
fn remove_databases(data: &Path) -> anyhow::Result<()> {
    for database in [EMULATOR_DATABASE, STORE_DATABASE] {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = data.join(format!("{database}{suffix}"));
            match std::fs::remove_file(&file) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    return Err(error).with_context(|| format!("removing {}", file.display()));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The data directory's session key (32 random bytes, standard Base64), made on first use with
/// owner-only permissions. Never printed.
fn session_key(data: &Path) -> anyhow::Result<String> {
    use std::io::{Read as _, Write as _};
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = data.join(SESSION_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("reading {}", path.display()));
        }
        _ => {}
    }
    let mut bytes = [0_u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("reading /dev/urandom for the session key")?;
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(key.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    steps::announce(&format!("made a session key in {}", path.display()));
    Ok(key)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}?mode=rwc", path.display())
}

/// The project's Kickstart file with the tenant's passkeys switched on for `localhost`, written
/// to the data directory (the file itself leaves WebAuthn off, as FusionAuth does by default).
fn kickstart_with_passkeys(data: &Path) -> anyhow::Result<PathBuf> {
    let mut document = testkit::KickstartFacts::document()?;
    testkit::with_passkeys(&mut document, "localhost")?;
    let path = data.join("kickstart.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&document)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
