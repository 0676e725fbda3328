//! `cargo xtask test`: the project's test command, also what `.ci/run` calls.

use std::process::Command;
use std::time::Instant;

use anyhow::bail;

use crate::steps::{self, Summary};
use crate::tools;

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
    summary.run(
        "unit and integration tests",
        cargo().args([
            "test",
            "--workspace",
            "--exclude",
            "frontend",
            "--exclude",
            "tests",
        ]),
    )?;
    if !options.e2e {
        return Ok(());
    }
    summary.run(
        "release PWA build (trunk)",
        tools::tool("trunk")
            .current_dir(root)
            .args(["build", "--release"]),
    )?;
    summary.run(
        "end-to-end tests (headless Chromium)",
        cargo()
            .args(["test", "--package", "tests"])
            .env("STORE_DIST_DIR", root.join("target/dist"))
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("CHROMIUM", tools::CHROMIUM),
    )?;
    Ok(())
}
