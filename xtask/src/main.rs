//! Developer commands for the mobile-login store.
//!
//! ```text
//! cargo xtask dev    [--port 8080] [--emulator-port 9011] [--fresh] [--no-watch] [--no-build]
//!                    [--data-dir DIR]
//! cargo xtask dist
//! cargo xtask test   [--no-e2e]
//! cargo xtask bench  [--seconds N]
//! ```
//!
//! Every command first installs what a fresh machine lacks (see `tools.rs`), printing each step,
//! and ends every process it started when it ends, however it is stopped (see `processes.rs`).

mod bench;
mod dev;
mod dist;
mod lighthouse;
mod ports;
mod postgres;
mod processes;
mod services;
mod steps;
mod test;
mod tools;

use std::io::Write as _;
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
            --no-build          start the binaries and the PWA already built under target/
            --data-dir DIR      where the databases live, default target/dev-data
  dist    build the release PWA into target/dist (split: the pages loaded later apart)
  test    install missing tools, then fmt, clippy, unit, integration and end-to-end tests
            --no-e2e            skip the release PWA build and the browser tests
  bench   measure the system (see BENCHMARKS.md)
            --seconds N         length of each load run, default 10

SIGINT (Ctrl-C), SIGTERM and SIGHUP stop a command and every process it started.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, options)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let run: fn(&[String]) -> anyhow::Result<()> = match command.as_str() {
        "dev" => |options| dev::Options::parse(options).and_then(dev::run),
        "dist" => dist::run,
        "test" => |options| test::Options::parse(options).and_then(test::run),
        "bench" => bench::run,
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The guard ends whatever the command left running once it returns (or panics).
    let result = processes::install().and_then(|_guard| run(options));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Not `eprintln!`, which panics when the terminal is gone (after SIGHUP).
            let _ = writeln!(std::io::stderr(), "\nerror: {error:#}");
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
