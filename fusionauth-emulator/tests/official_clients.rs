//! FusionAuth's official client libraries (Python `fusionauth-client` 1.69.0 and TypeScript
//! `@fusionauth/typescript-client` 1.69.0), unchanged, against the emulator: the scripts in
//! `compat/` exit 0 only when every check passes.
//!
//! `FUSIONAUTH_COMPAT_PYTHON` names a python3 with `fusionauth-client` installed;
//! `FUSIONAUTH_COMPAT_NODE_PATH` a `node_modules` directory holding the TypeScript client. When
//! one is unset its test says so loudly and passes (see compat/README.md for the installs).

use std::path::PathBuf;

use fusionauth_emulator::{Application, Kickstart, Settings};

const KICKSTART: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fusionauth/kickstart.json");

fn compat_script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("compat")
        .join(name)
}

/// Says loudly that a test did not run: written straight to stderr, so the test harness's
/// output capture does not hide it.
fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** official_clients: skipped: set {what} (see fusionauth-emulator/compat/README.md) ***\n"
    );
}

async fn start_emulator() -> String {
    let settings = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: "sqlite::memory:".to_owned(),
        kickstart: Some(Kickstart::from_path(KICKSTART.as_ref()).expect("kickstart parses")),
        test_hooks: false,
        omit_login_sid: false,
        strict_login_claims: false,
    };
    let application = Application::build(settings).await.expect("emulator builds");
    let base_url = application.base_url();
    tokio::spawn(application.run_until_stopped());
    base_url
}

/// Runs `command`, prints its output, and checks it passed every check.
async fn run_checks(mut command: tokio::process::Command, what: &str) {
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        command.kill_on_drop(true).output(),
    )
    .await
    .unwrap_or_else(|_| panic!("{what} did not finish within 120 s"))
    .unwrap_or_else(|e| panic!("{what} could not be started: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("--- {what} stdout ---\n{stdout}\n--- {what} stderr ---\n{stderr}");
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("ALL CHECKS PASSED"),
        "{what} did not report success"
    );
    assert!(
        !stdout.lines().any(|line| line.starts_with("FAIL")),
        "{what} reported a failed check"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_works_unchanged_against_the_emulator() {
    let Some(python) = std::env::var_os("FUSIONAUTH_COMPAT_PYTHON") else {
        skipped("FUSIONAUTH_COMPAT_PYTHON to a python3 with fusionauth-client==1.69.0 installed");
        return;
    };
    let base_url = start_emulator().await;
    let mut command = tokio::process::Command::new(python);
    command
        .arg(compat_script("python_client.py"))
        .env("FUSIONAUTH_URL", &base_url);
    run_checks(command, "the Python client script").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_typescript_client_works_unchanged_against_the_emulator() {
    let Some(node_path) = std::env::var_os("FUSIONAUTH_COMPAT_NODE_PATH") else {
        skipped(
            "FUSIONAUTH_COMPAT_NODE_PATH to a node_modules directory with @fusionauth/typescript-client@1.69.0",
        );
        return;
    };
    let base_url = start_emulator().await;
    let node = std::env::var_os("FUSIONAUTH_COMPAT_NODE").unwrap_or_else(|| "node".into());
    let mut command = tokio::process::Command::new(node);
    command
        .arg(compat_script("typescript_client.js"))
        .env("NODE_PATH", node_path)
        .env("FUSIONAUTH_URL", &base_url);
    run_checks(command, "the TypeScript client script").await;
}
