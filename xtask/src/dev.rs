//! `cargo xtask dev`: the whole system on this machine, rebuilt on change.
//!
//! Builds the PWA for development into `target/dist-dev` (never the release folder
//! `target/dist`), starts the FusionAuth emulator and the backend (which also serves the PWA,
//! so app and API share one origin), watches `frontend/` and `shared/` with `trunk watch`, and
//! stops everything on Ctrl-C.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, bail};

use crate::services::Services;
use crate::steps;
use crate::tools;

/// The Kickstart file's demo user (`fusionauth/kickstart.json` variables).
const DEMO_EMAIL: &str = "shopper@example.com";
const DEMO_PASSWORD: &str = "store-demo-pass";
/// The development build of the PWA, served by `cargo xtask dev` only. Release builds go to
/// [`tools::RELEASE_DIST`].
pub const DEV_DIST: &str = "target/dist-dev";

#[derive(Debug)]
pub struct Options {
    port: u16,
    emulator_port: u16,
    fresh: bool,
    watch: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            port: 8080,
            emulator_port: 9011,
            fresh: false,
            watch: true,
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
    let root = crate::workspace_root();
    steps::announce("checking tools (installing what is missing)");
    tools::ensure_wasm_toolchain(&root)?;

    let data = root.join("target/dev-data");
    if options.fresh && data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
    }
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;

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
    let dist = root.join(DEV_DIST);
    steps::run(
        &format!("building the PWA for development into {DEV_DIST} (trunk)"),
        tools::tool("trunk")
            .current_dir(&root)
            .arg("build")
            .arg("--dist")
            .arg(&dist),
    )?;

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;

    let app_origin = format!("http://127.0.0.1:{}", options.port);
    let emulator_url = format!("http://127.0.0.1:{}", options.emulator_port);
    let mut services = Services::default();

    steps::announce(&format!(
        "starting the FusionAuth emulator on {emulator_url}"
    ));
    let mut emulator = Command::new(root.join("target/debug/fusionauth-emulator"));
    emulator
        .current_dir(&root)
        .args(["--listen", &format!("127.0.0.1:{}", options.emulator_port)])
        .args(["--kickstart", "fusionauth/kickstart.json"])
        .arg("--kickstart-var")
        .arg(format!("storeOrigin={app_origin}"))
        .arg("--kickstart-var")
        .arg(format!("storeWebhookUrl={app_origin}/webhooks/fusionauth"))
        .arg("--database")
        .arg(sqlite_url(&data.join("fusionauth-emulator.db")));
    services.spawn("fusionauth-emulator", &mut emulator)?;

    steps::announce(&format!("starting the backend on {app_origin}"));
    let mut backend = Command::new(root.join("target/debug/backend"));
    backend
        .current_dir(&root)
        .env("APP_LISTEN", format!("127.0.0.1:{}", options.port))
        .env("APP_STATIC_DIR", &dist)
        .env("APP_DATABASE_URL", sqlite_url(&data.join("store.db")))
        .env("APP_FUSIONAUTH_URL", &emulator_url);
    services.spawn("backend", &mut backend)?;

    let ready = services.wait_until_listening(
        &[
            ("fusionauth-emulator", options.emulator_port),
            ("backend", options.port),
        ],
        &stop,
    );
    if let Err(error) = ready {
        services.stop();
        return Err(error);
    }

    if options.watch {
        let mut watch = tools::tool("trunk");
        watch.current_dir(&root).arg("watch").arg("--dist").arg(&dist);
        services.spawn("trunk watch", &mut watch)?;
    }

    println!(
        "\n    The store is running at {app_origin}\n    \
         Sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}\n    \
         FusionAuth emulator: {emulator_url}\n    \
         {}Press Ctrl-C to stop.\n",
        if options.watch {
            "Edits under frontend/ and shared/ rebuild the PWA: reload the page to see them.\n    "
        } else {
            ""
        }
    );

    let outcome = services.supervise(&stop);
    services.stop();
    outcome
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}?mode=rwc", path.display())
}
