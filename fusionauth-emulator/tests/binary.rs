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

#[tokio::test]
async fn the_binary_announces_its_url_serves_and_stops_cleanly_on_sigterm() {
    let kickstart = concat!(env!("CARGO_MANIFEST_DIR"), "/../fusionauth/kickstart.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fusionauth-emulator"))
        .args(["--listen", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .env("FUSIONAUTH_EMULATOR_KICKSTART", kickstart)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut guard = Guard(Some(child));
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
