//! `cargo xtask dev`: the whole system on this machine, rebuilt on change.
//!
//! Builds the PWA, starts the FusionAuth emulator and the backend (which also serves the PWA,
//! so app and API share one origin), watches `frontend/` and `shared/` with `trunk watch`, and
//! stops everything on Ctrl-C.

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::steps;
use crate::tools;

/// The Kickstart file's demo user (`fusionauth/kickstart.json` variables).
const DEMO_EMAIL: &str = "shopper@example.com";
const DEMO_PASSWORD: &str = "store-demo-pass";

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
    steps::run(
        "building the PWA (trunk)",
        tools::tool("trunk").current_dir(&root).arg("build"),
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
        .arg("--database")
        .arg(sqlite_url(&data.join("fusionauth-emulator.db")));
    services.spawn("fusionauth-emulator", &mut emulator)?;

    steps::announce(&format!("starting the backend on {app_origin}"));
    let mut backend = Command::new(root.join("target/debug/backend"));
    backend
        .current_dir(&root)
        .env("APP_LISTEN", format!("127.0.0.1:{}", options.port))
        .env("APP_STATIC_DIR", root.join("target/dist"))
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
        watch.current_dir(&root).arg("watch");
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

/// Child processes, each in its own process group so that stopping one stops all it started.
#[derive(Debug, Default)]
struct Services {
    children: Vec<(&'static str, Child)>,
}

impl Services {
    fn spawn(&mut self, name: &'static str, command: &mut Command) -> anyhow::Result<()> {
        let child = command
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {name}: `{}`", steps::display(command)))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Waits until every port accepts connections; fails if a service exits first.
    fn wait_until_listening(
        &mut self,
        ports: &[(&str, u16)],
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        for (name, port) in ports {
            let address = SocketAddr::from(([127, 0, 0, 1], *port));
            while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
                self.fail_if_exited()?;
                if stop.load(Ordering::SeqCst) {
                    bail!("interrupted");
                }
                if Instant::now() > deadline {
                    bail!("{name} did not start listening on port {port} within 60 s");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            println!("    {name} is listening on 127.0.0.1:{port}");
        }
        Ok(())
    }

    fn fail_if_exited(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait().context("checking a service")? {
                bail!("{name} stopped unexpectedly ({status}); see its output above");
            }
        }
        Ok(())
    }

    /// Runs until Ctrl-C or until a service stops on its own.
    fn supervise(&mut self, stop: &AtomicBool) -> anyhow::Result<()> {
        loop {
            if stop.load(Ordering::SeqCst) {
                println!("\n==> stopping");
                return Ok(());
            }
            self.fail_if_exited()?;
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Asks every service to stop (SIGTERM to its process group), then kills what is left.
    fn stop(&mut self) {
        for (_, child) in &self.children {
            signal_group(child.id(), "-TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for (name, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("    {name} did not stop in time; killing it");
                        signal_group(child.id(), "-KILL");
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            println!("    {name} stopped");
        }
        self.children.clear();
    }
}

fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .status();
}
