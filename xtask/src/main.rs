//! Developer commands for the mobile-login store.
//!
//! ```text
//! cargo xtask dev    [--port 8080] [--emulator-port 9011] [--fresh] [--no-watch]
//! cargo xtask test   [--no-e2e]
//! cargo xtask bench
//! ```
//!
//! Every command first installs what a fresh machine lacks (see `tools.rs`), printing each step.

mod bench;
mod dev;
mod postgres;
mod services;
mod steps;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  dev     build the PWA, run the FusionAuth emulator and the backend, rebuild on change
            --port N            backend (and app) port, default 8080
            --emulator-port N   FusionAuth emulator port, default 9011
            --fresh             start from empty databases (re-applies the Kickstart file)
            --no-watch          build the PWA once instead of watching frontend/
  test    install missing tools, then fmt, clippy, unit, integration and end-to-end tests
            --no-e2e            skip the release PWA build and the browser tests
  bench   measure the system (see BENCHMARKS.md)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, options)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match command.as_str() {
        "dev" => dev::Options::parse(options).and_then(dev::run),
        "test" => test::Options::parse(options).and_then(test::run),
        "bench" => bench::run(options),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.clone(), PathBuf::from)
}

/// Reads the value after a `--flag` option, or fails with a clear message.
fn option_value<'a>(
    flag: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> anyhow::Result<&'a String> {
    rest.next()
        .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))
}
