//! `cargo xtask test`: the project's test command, also what `.ci/run` calls.

use std::process::Command;
use std::time::Instant;

use anyhow::bail;

use crate::dist;
use crate::postgres;
use crate::processes;
use crate::steps::{self, Summary};
use crate::tools;

/// Tests that can run on PostgreSQL read its URL from this variable.
pub const POSTGRES_URL_VARIABLE: &str = "STORE_TEST_POSTGRES_URL";

/// `cargo test` of every crate but the PWA (wasm32) and the end-to-end suite: the unit and
/// integration tests, run again on PostgreSQL with the same selection so nothing is rebuilt.
const NATIVE_TESTS: [&str; 6] = [
    "test",
    "--workspace",
    "--exclude",
    "frontend",
    "--exclude",
    "tests",
];

#[derive(Debug, Default)]
pub struct Options {
    e2e: bool,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self { e2e: true };
        for arg in args {
            match arg.as_str() {
                "--no-e2e" => options.e2e = false,
                other => bail!("unknown option `{other}` for `cargo xtask test`"),
            }
        }
        Ok(options)
    }
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let root = crate::workspace_root();
    let mut summary = Summary::default();
    let result = run_steps(&options, &root, &mut summary);
    match &result {
        Ok(()) => summary.print("all checks passed"),
        Err(error) if processes::is_interrupted(error) => summary.print("stopped by a signal"),
        Err(_) => summary.print("FAILED (see the error below)"),
    }
    result
}

fn run_steps(
    options: &Options,
    root: &std::path::Path,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let started = Instant::now();
    steps::announce("checking tools (installing what is missing)");
    tools::ensure_wasm_toolchain(root)?;
    let (compat_python, compat_node_path) = tools::ensure_official_clients(root)?;
    if options.e2e {
        tools::ensure_chromium()?;
    }
    summary.record("tools", started.elapsed());

    let cargo = || {
        let mut command = Command::new(env!("CARGO"));
        command.current_dir(root);
        command
    };
    summary.run(
        "cargo fmt --check",
        cargo().args(["fmt", "--all", "--check"]),
    )?;
    summary.run(
        "clippy (native crates, all targets)",
        cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]),
    )?;
    summary.run(
        "clippy (frontend, wasm32)",
        cargo().args([
            "clippy",
            "--package",
            "frontend",
            "--target",
            tools::WASM_TARGET,
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    let started = Instant::now();
    let postgres = postgres::Cluster::start()?;
    summary.record("PostgreSQL for the tests", started.elapsed());
    summary.run(
        "unit and integration tests (SQLite and PostgreSQL)",
        cargo()
            .args(NATIVE_TESTS)
            .env(POSTGRES_URL_VARIABLE, postgres.url())
            .env("FUSIONAUTH_COMPAT_PYTHON", &compat_python)
            .env("FUSIONAUTH_COMPAT_NODE_PATH", &compat_node_path),
    )?;
    summary.run(
        "the backend's API suite again, every test on PostgreSQL",
        cargo()
            // The same package selection as the first pass, so nothing is rebuilt; `--test api`
            // then also re-runs the emulator's API suite, which takes seconds.
            .args(NATIVE_TESTS)
            .args(["--test", "api"])
            .env(POSTGRES_URL_VARIABLE, postgres.url())
            .env("STORE_TEST_DATABASE", "postgres"),
    )?;
    summary.run(
        "the backend's API suite again, with FusionAuth tokens that carry no sid or profile claims",
        cargo()
            // Issue #12, item 7: the backend must not depend on claims FusionAuth does not
            // document for Login-API tokens (the emulator's switches, read by the testkit).
            .args(["test", "--package", "backend", "--test", "api"])
            .env("FUSIONAUTH_EMULATOR_OMIT_LOGIN_SID", "true")
            .env("FUSIONAUTH_EMULATOR_STRICT_LOGIN_CLAIMS", "true"),
    )?;
    drop(postgres);
    if !options.e2e {
        return Ok(());
    }
    summary.run(
        "frontend tests in headless Chromium (wasm-bindgen-test)",
        tools::tool(env!("CARGO"))
            .current_dir(root)
            .args([
                "test",
                "--package",
                "frontend",
                "--target",
                tools::WASM_TARGET,
            ])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", tools::CHROMEDRIVER),
    )?;
    summary.record("release PWA build (trunk + split)", dist::build(root)?);
    summary.run(
        "end-to-end tests (headless Chromium)",
        cargo()
            .args(["test", "--package", "tests"])
            .env("STORE_DIST_DIR", root.join(tools::RELEASE_DIST))
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("CHROMIUM", tools::CHROMIUM),
    )?;
    Ok(())
}
