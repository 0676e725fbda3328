//! The `fusionauth-emulator` binary: flags, the ready line, and a clean stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the child if the test fails before stopping it.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the binary on a free port and an in-memory database, with what `configure` adds;
/// returns it (killed when dropped) once it has announced its URL, and the URL.
async fn start(configure: impl FnOnce(&mut Command)) -> (Guard, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_fusionauth-emulator"));
    command
        .args(["--listen", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    configure(&mut command);
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let guard = Guard(Some(child));
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("a line");
        line
    })
    .await
    .expect("read");
    let url = line
        .trim()
        .strip_prefix("FusionAuth emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (guard, url)
}

#[tokio::test]
async fn the_binary_announces_its_url_serves_and_stops_cleanly_on_sigterm() {
    let kickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../fusionauth/kickstart.json");
    let (mut guard, url) = start(|command| {
        command.env("FUSIONAUTH_EMULATOR_KICKSTART", kickstart);
    })
    .await;
    assert!(url.starts_with("http://127.0.0.1:"));
    let jwks = reqwest::get(format!("{url}/.well-known/jwks.json"))
        .await
        .expect("served");
    assert_eq!(jwks.status(), 200);

    let child = guard.0.as_mut().expect("running");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    // The server stops within its graceful-shutdown window; waiting here is bounded by it.
    let exit = child.wait().expect("wait");
    guard.0 = None;
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
}

#[tokio::test]
async fn kickstart_var_overrides_a_variable_of_the_kickstart_file() {
    let kickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../fusionauth/kickstart.json");
    let origin = "http://store.test:4321";
    let (guard, url) = start(|command| {
        command
            .args(["--kickstart", kickstart])
            .args(["--kickstart-var", &format!("storeOrigin={origin}")]);
    })
    .await;

    let client = reqwest::Client::new();
    let preflight = |from: &'static str| {
        client
            .request(reqwest::Method::OPTIONS, format!("{url}/api/login"))
            .header("Origin", from)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .send()
    };
    let allowed = preflight(origin).await.expect("answered");
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        origin,
        "the overridden storeOrigin is the CORS origin"
    );
    let replaced = preflight("http://127.0.0.1:8080").await.expect("answered");
    assert_eq!(replaced.status(), 403, "the file's own value was replaced");
    drop(guard);
}

#[test]
fn kickstart_var_without_equals_sign_is_refused_with_a_clear_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_fusionauth-emulator"))
        .args(["--kickstart", "fusionauth/kickstart.json"])
        .args(["--kickstart-var", "storeOrigin"])
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expected NAME=VALUE"), "{stderr}");
}
