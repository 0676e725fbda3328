//! Installs the tools a fresh machine lacks, each at the version that is known to work here
//! (see `../shared/TOOLCHAIN.md`): nothing is downloaded from anywhere but the package
//! registries.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::steps::{self, output};

pub const TRUNK_VERSION: &str = "0.21.14";
pub const BINARYEN_VERSION: &str = "132.0.0";
/// `wasm-split-cli`, which splits the release wasm (see `dist.rs`).
pub const WASM_SPLIT_VERSION: &str = "0.2.4";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The release build of the PWA (`cargo xtask dist`: Trunk, then the split, see `dist.rs`), used
/// by the end-to-end tests, the benchmark and production. `cargo xtask dev` builds into its own folder.
pub const RELEASE_DIST: &str = "target/dist";
/// npm's binaryen goes here; Debian's own (108) corrupts wasm-bindgen output and must never win.
const BINARYEN_PREFIX: &str = "/usr/local";

/// What the PWA build needs: the wasm32 target, trunk, wasm-bindgen-cli, wasm-opt and
/// wasm-split-cli.
pub fn ensure_wasm_toolchain(root: &Path) -> anyhow::Result<()> {
    ensure_wasm_target()?;
    ensure_trunk()?;
    ensure_wasm_bindgen(root)?;
    ensure_binaryen()?;
    ensure_wasm_split()?;
    Ok(())
}

fn ensure_wasm_split() -> anyhow::Result<()> {
    // The binary has no `--version`; cargo's list of installed packages has it.
    let wanted = format!("wasm_split_cli_support v{WASM_SPLIT_VERSION}:");
    let installed = output(Command::new("cargo").args(["install", "--list"])).unwrap_or_default();
    if installed.lines().any(|line| line == wanted) {
        return Ok(());
    }
    cargo_install(
        "wasm-split-cli",
        "wasm_split_cli_support",
        WASM_SPLIT_VERSION,
        &["--features", "build-binary", "--locked"],
        "about 2 minutes",
    )
}

fn ensure_wasm_target() -> anyhow::Result<()> {
    let installed = output(Command::new("rustup").args(["target", "list", "--installed"]))
        .context("rustup is needed to add the wasm32 target")?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        return Ok(());
    }
    steps::run(
        "installing the wasm32-unknown-unknown target",
        Command::new("rustup").args(["target", "add", WASM_TARGET]),
    )?;
    Ok(())
}

fn ensure_trunk() -> anyhow::Result<()> {
    if reports_version("trunk", TRUNK_VERSION) {
        return Ok(());
    }
    cargo_install(
        "trunk",
        "trunk",
        TRUNK_VERSION,
        &["--locked"],
        "about 6 minutes",
    )
}

fn ensure_wasm_bindgen(root: &Path) -> anyhow::Result<()> {
    let version = locked_version(root, "wasm-bindgen")?;
    if reports_version("wasm-bindgen", &version) {
        return Ok(());
    }
    // `--locked` fails for wasm-bindgen-cli here (a pinned dependency is missing from the
    // registry mirror), so the version pin is the only lock.
    cargo_install(
        "wasm-bindgen-cli",
        "wasm-bindgen-cli",
        &version,
        &["--force"],
        "about 2 minutes",
    )
}

/// Whether `<program> --version` (found through [`tool_path`]) says `<program> <version>`.
fn reports_version(program: &str, version: &str) -> bool {
    output(tool(program).arg("--version")) == Some(format!("{program} {version}"))
}

/// `cargo install <package> --version <version> <more…>`, announced as installing `what` from
/// crates.io, which takes `how_long` (once).
fn cargo_install(
    what: &str,
    package: &str,
    version: &str,
    more: &[&str],
    how_long: &str,
) -> anyhow::Result<()> {
    steps::run(
        &format!("installing {what} {version} from crates.io ({how_long}, once)"),
        Command::new("cargo")
            .args(["install", package, "--version", version])
            .args(more),
    )?;
    Ok(())
}

fn ensure_binaryen() -> anyhow::Result<()> {
    let wasm_opt = binaryen_bin().join("wasm-opt");
    let major = BINARYEN_VERSION
        .split('.')
        .next()
        .unwrap_or(BINARYEN_VERSION);
    let reported = output(Command::new(&wasm_opt).arg("--version")).unwrap_or_default();
    if reported.contains(&format!("version {major}")) {
        return Ok(());
    }
    steps::run(
        &format!("installing wasm-opt (npm binaryen@{BINARYEN_VERSION}) under {BINARYEN_PREFIX}"),
        Command::new("npm").args([
            "install",
            "--global",
            "--prefix",
            BINARYEN_PREFIX,
            &format!("binaryen@{BINARYEN_VERSION}"),
        ]),
    )?;
    Ok(())
}

/// Chromium and ChromeDriver from Debian, for the end-to-end tests.
pub fn ensure_chromium() -> anyhow::Result<()> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    apt_install(
        &["chromium", "chromium-driver"],
        "Chromium and ChromeDriver (about a minute)",
    )
}

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// True when this process runs as root (needed for apt-get, and for `runuser` to PostgreSQL).
pub fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

pub fn apt_install(packages: &[&str], what: &str) -> anyhow::Result<()> {
    if !is_root() {
        bail!(
            "{what} missing: install them with `sudo apt-get install -y {}`",
            packages.join(" ")
        );
    }
    steps::run(
        "refreshing Debian's package lists",
        Command::new("apt-get").args(["update", "-q"]),
    )?;
    steps::run(
        &format!("installing {what}"),
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(())
}

/// Where npm's binaryen puts `wasm-opt`.
fn binaryen_bin() -> PathBuf {
    Path::new(BINARYEN_PREFIX).join("bin")
}

/// A PATH in which npm's wasm-opt and cargo-installed tools come before anything else.
pub fn tool_path() -> std::ffi::OsString {
    let mut dirs = vec![binaryen_bin()];
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// A command for one of the installed tools, found through [`tool_path`].
pub fn tool(program: &str) -> Command {
    let mut command = Command::new(program);
    command.env("PATH", tool_path());
    command
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(root: &Path, package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let name_line = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == name_line
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    bail!("{package} is not in Cargo.lock")
}

/// FusionAuth's official client libraries, for the emulator's compatibility tests: the Python
/// client in a virtualenv and the TypeScript client in a `node_modules`, both under
/// `target/compat/`. Returns (python executable, node_modules directory).
pub fn ensure_official_clients(root: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    const VERSION: &str = "1.69.0";
    let compat = root.join("target/compat");
    let venv = compat.join("venv");
    let python = venv.join("bin/python");
    let has_python_client = output(Command::new(&python).args([
        "-c",
        "import importlib.metadata as m; print(m.version('fusionauth-client'))",
    ]))
    .is_some_and(|version| version == VERSION);
    if !has_python_client {
        steps::run(
            "creating a Python virtualenv for FusionAuth's Python client",
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
        )?;
        steps::run(
            &format!("installing fusionauth-client {VERSION} from PyPI"),
            Command::new(venv.join("bin/pip")).args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("fusionauth-client=={VERSION}"),
            ]),
        )?;
    }
    let node = compat.join("node");
    ensure_npm_package(&node, "@fusionauth/typescript-client", VERSION)?;
    Ok((python, node.join("node_modules")))
}

/// Installs `package@version` from npm into `prefix/node_modules`, unless that version is there.
pub fn ensure_npm_package(prefix: &Path, package: &str, version: &str) -> anyhow::Result<()> {
    let manifest = prefix
        .join("node_modules")
        .join(package)
        .join("package.json");
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|json| json.contains(&format!("\"version\": \"{version}\"")));
    if !installed {
        std::fs::create_dir_all(prefix)?;
        steps::run(
            &format!("installing {package} {version} from npm"),
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(prefix)
                .arg(format!("{package}@{version}")),
        )?;
    }
    Ok(())
}
