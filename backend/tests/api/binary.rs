//! The `backend` binary itself: it starts from environment variables, serves, and stops cleanly
//! on SIGTERM (graceful shutdown, at most 10 s).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{Sent, TestDb};

/// The binary on `database`, listening on a free port, its stderr piped; FusionAuth's URL is
/// one nothing listens on (the keys are fetched later: only a warning at start).
fn backend(database: &TestDb) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backend"));
    command
        .env("APP_LISTEN", "127.0.0.1:0")
        .env("APP_DATABASE_URL", database.url())
        .env("APP_FUSIONAUTH_URL", "http://127.0.0.1:9")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

/// Runs `wait` (a wait for the child) on a thread of its own; what it returns, unless `limit`
/// passes first: then the test fails, saying `expected`.
fn within<T: Send + 'static>(
    limit: Duration,
    expected: &str,
    wait: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(wait());
    });
    done_rx.recv_timeout(limit).expect(expected)
}

#[tokio::test]
async fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let database = TestDb::sqlite();
    let mut child = backend(&database)
        .env("APP_FUSIONAUTH_API_KEY", "not-logged-anywhere-5d1c")
        // The default mode (device-bound) needs a session key.
        .env(
            "APP_SESSION_KEY",
            "7fNEAbGPLUdj8OOgdv/bcRUohtSnSrM4NAr3/X7mi2A=",
        )
        .env("RUST_LOG", "info")
        .spawn()
        .expect("the backend starts");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let url = loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a `listening` line within 30 s");
        log.push(line.clone());
        if line.contains("listening") {
            let start = line.find("http://").expect("a URL in the line");
            let url: String = line[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            break url;
        }
    };

    let client = reqwest::Client::new();
    let response = client
        .get(format!("{url}/health/live"))
        .header("x-request-id", "binary-test-1")
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = within(
        Duration::from_secs(15),
        "the backend stops within its 10 s shutdown timeout",
        move || child.wait(),
    )
    .expect("wait");
    assert!(exit.success(), "{exit:?}");

    log.extend(lines_rx.try_iter());
    let log = log.join("\n");
    assert!(
        log.contains("binary-test-1"),
        "the request id is logged:\n{log}"
    );
    assert!(
        !log.contains("not-logged-anywhere-5d1c"),
        "the API key leaked:\n{log}"
    );
}

/// Runs the binary with `env` until it exits (at most 30 s); its exit success and stderr.
fn run_to_exit(env: &[(&str, &str)]) -> (bool, String) {
    let database = TestDb::sqlite();
    let mut command = backend(&database);
    command
        .env_remove("APP_SESSION_KEY")
        .env_remove("APP_DEVICE_BINDING");
    for (name, value) in env {
        command.env(name, value);
    }
    let child = command.spawn().expect("the backend starts");
    let output = within(
        Duration::from_secs(30),
        "the backend exits within 30 s",
        move || child.wait_with_output(),
    )
    .expect("its output");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn required_mode_without_a_session_key_is_refused_with_one_line_saying_how_to_make_one() {
    let (success, stderr) = run_to_exit(&[("APP_DEVICE_BINDING", "required")]);
    assert!(!success);
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("Error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(error[0].contains("APP_SESSION_KEY"), "{stderr}");
    assert!(error[0].contains("openssl rand -base64 32"), "{stderr}");
}

#[test]
fn bad_secret_settings_are_refused_without_echoing_them() {
    for (name, value) in [
        ("APP_SESSION_KEY", "c2hvcnQtc2Vzc2lvbi1rZXk="),
        ("APP_SESSION_KEY", "not-base64-session-key!"),
        ("APP_JWT_HMAC_SECRET", "not-base64-hmac-secret!"),
    ] {
        let (success, stderr) = run_to_exit(&[(name, value)]);
        assert!(!success, "{name}");
        assert!(stderr.contains("invalid value for"), "{name}: {stderr}");
        assert!(!stderr.contains(value), "{name} was echoed: {stderr}");
    }
}
