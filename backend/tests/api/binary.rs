//! The `backend` binary itself: it starts from environment variables, serves, and stops cleanly
//! on SIGTERM (graceful shutdown, at most 10 s).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;

#[tokio::test]
async fn the_binary_serves_and_stops_cleanly_on_sigterm() {
    let database = std::env::temp_dir().join(format!("backend-bin-{}.db", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_backend"))
        .env("APP_LISTEN", "127.0.0.1:0")
        .env(
            "APP_DATABASE_URL",
            format!("sqlite:{}?mode=rwc", database.display()),
        )
        // Nothing listens there: the keys are fetched later (only a warning now).
        .env("APP_FUSIONAUTH_URL", "http://127.0.0.1:9")
        .env("APP_FUSIONAUTH_API_KEY", "not-logged-anywhere-5d1c")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
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
        .send()
        .await
        .expect("live");
    assert_eq!(response.status(), StatusCode::OK);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = exit_tx.send(child.wait());
    });
    let exit = exit_rx
        .recv_timeout(Duration::from_secs(15))
        .expect("the backend stops within its 10 s shutdown timeout")
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
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut file = database.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}
