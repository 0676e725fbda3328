//! `cargo xtask dev` as a user, an IDE or a process manager meet it: stopped by SIGINT, SIGTERM
//! or SIGHUP it leaves no process and no bound port behind; a busy port is refused with one
//! plain line before anything starts; the development server serves the development build of
//! the PWA, never the release build.
//!
//! Each test runs the real `xtask dev --no-build --no-watch` on free ports with its own data
//! directory, starting the emulator and backend binaries that `cargo test --workspace` has just
//! built under `target/debug/`. Nothing is built here: a cargo nested in `cargo test` would
//! contend for the target directory and could rebuild with other features. Every wait is on a
//! condition, bounded by a deadline.

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The workspace root (this crate's parent directory).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// How long a debug emulator and backend may take to start on a busy 2-core machine.
const START_WITHIN: Duration = Duration::from_secs(120);
/// "Each within a few seconds": xtask's grace period is 5 s, and idle services stop at once.
const STOP_WITHIN: Duration = Duration::from_secs(10);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// A directory of its own under the system's temporary directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "xtask-dev-test-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `xtask dev --no-build --no-watch` on two free ports, its output collected.
struct Dev {
    child: Child,
    port: u16,
    emulator_port: u16,
    data: Scratch,
    lines: Receiver<String>,
    output: Arc<Mutex<String>>,
    /// Its descendants once it is ready.
    services: BTreeSet<Process>,
}

impl Dev {
    fn command(port: u16, emulator_port: u16, data: &Path) -> Command {
        for binary in ["backend", "fusionauth-emulator"] {
            let path = root().join("target/debug").join(binary);
            assert!(
                path.is_file(),
                "{} is missing: `cargo test --workspace` builds it (or run `cargo build -p \
                 backend -p fusionauth-emulator` before `cargo test -p xtask`)",
                path.display()
            );
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
        command
            .args(["dev", "--no-build", "--no-watch"])
            .args(["--port", &port.to_string()])
            .args(["--emulator-port", &emulator_port.to_string()])
            .arg("--data-dir")
            .arg(data)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Starts it and waits until it says the store is running.
    fn start() -> Self {
        let (port, emulator_port) = (free_port(), free_port());
        let data = Scratch::new("data");
        let mut child = Self::command(port, emulator_port, &data.0)
            .spawn()
            .expect("xtask starts");
        // Drain both pipes, so that no child ever blocks on a full one.
        let output = Arc::new(Mutex::new(String::new()));
        let (sender, lines) = channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let seen = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                seen.lock().expect("output").push_str(&format!("{line}\n"));
                let _ = sender.send(line);
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let seen = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(read @ 1..) = stderr.read(&mut buffer) {
                let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                seen.lock().expect("output").push_str(&text);
            }
        });
        let mut dev = Self {
            child,
            port,
            emulator_port,
            data,
            lines,
            output,
            services: BTreeSet::new(),
        };
        dev.wait_for_line(&format!("The store is running at http://localhost:{port}"));
        dev.services = descendants(dev.pid());
        dev
    }

    fn pid(&self) -> Pid {
        Pid::from_raw(i32::try_from(self.child.id()).expect("a pid"))
    }

    fn wait_for_line(&mut self, wanted: &str) {
        let deadline = Instant::now() + START_WITHIN;
        loop {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains(wanted) => return,
                Ok(_) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "xtask dev exited ({status}) before `{wanted}`:\n{}",
                    self.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no `{wanted}` within {START_WITHIN:?}:\n{}",
                self.output()
            );
        }
    }

    /// Waits for xtask to exit, at most `within`.
    fn wait_for_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("xtask's status") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "xtask dev still running {within:?} after the signal:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        // A failed assertion must leave nothing running, whatever xtask did.
        if let Ok(None) = self.child.try_wait() {
            let _ = kill(self.pid(), Signal::SIGTERM);
            let _ = self.child.wait();
        }
        for process in still_running(&self.services) {
            let _ = kill(Pid::from_raw(process.pid), Signal::SIGKILL);
        }
    }
}

/// A process, told apart from a later one with the same pid by its start time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Process {
    pid: i32,
    started: u64,
    name: String,
}

/// (pid, parent pid, start time, name) of every process in `/proc`.
fn process_table() -> Vec<(Process, i32)> {
    std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat.get(open + 1..close)?.to_owned();
            // After `)`: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
            // cmajflt utime stime cutime cstime priority nice num_threads itrealvalue starttime
            let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
            let ppid = fields.get(1)?.parse().ok()?;
            let started = fields.get(19)?.parse().ok()?;
            Some((Process { pid, started, name }, ppid))
        })
        .collect()
}

fn descendants(of: Pid) -> BTreeSet<Process> {
    let table = process_table();
    let mut found = BTreeSet::new();
    let mut parents = vec![of.as_raw()];
    while let Some(parent) = parents.pop() {
        for (process, ppid) in &table {
            if *ppid == parent && found.insert(process.clone()) {
                parents.push(process.pid);
            }
        }
    }
    found
}

fn still_running(processes: &BTreeSet<Process>) -> Vec<Process> {
    let now: BTreeSet<Process> = process_table().into_iter().map(|(p, _)| p).collect();
    processes.intersection(&now).cloned().collect()
}

/// Processes whose command line or environment mentions `text` (a test's own data directory:
/// the emulator's `--database`, the backend's `APP_DATABASE_URL`), wherever they were
/// re-parented.
fn processes_mentioning(text: &str) -> Vec<Process> {
    process_table()
        .into_iter()
        .map(|(process, _)| process)
        .filter(|process| {
            ["cmdline", "environ"].iter().any(|file| {
                std::fs::read(format!("/proc/{}/{file}", process.pid))
                    .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(text))
            })
        })
        .collect()
}

/// Starts `xtask dev`, sends it `signal`, and checks that it and everything it started are gone
/// within seconds, both ports free again.
fn stopping_with(signal: Signal) {
    let mut dev = Dev::start();
    let started = dev.services.clone();
    let names: Vec<&str> = started.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"backend") && names.iter().any(|n| n.starts_with("fusionauth")),
        "xtask dev runs the backend and the emulator as its children: {names:?}"
    );
    assert!(!port_is_free(dev.port) && !port_is_free(dev.emulator_port));

    kill(dev.pid(), signal).expect("signal sent");
    let status = dev.wait_for_exit(STOP_WITHIN);

    assert_eq!(
        still_running(&started),
        [],
        "processes left behind after {signal}"
    );
    let data = dev.data.0.to_string_lossy().into_owned();
    assert_eq!(
        processes_mentioning(&data),
        [],
        "processes using this run's data directory after {signal}"
    );
    assert!(
        port_is_free(dev.port),
        "the backend's port is still bound after {signal}"
    );
    assert!(
        port_is_free(dev.emulator_port),
        "the emulator's port is still bound after {signal}"
    );
    assert!(status.success(), "{signal} is how dev stops: {status}");
    let output = dev.output();
    assert!(
        output.contains("backend stopped") && output.contains("fusionauth-emulator stopped"),
        "{output}"
    );
}

#[test]
fn sigterm_stops_every_process_and_frees_both_ports_within_seconds() {
    stopping_with(Signal::SIGTERM);
}

#[test]
fn sighup_from_a_closed_terminal_stops_every_process_and_frees_both_ports() {
    stopping_with(Signal::SIGHUP);
}

#[test]
fn ctrl_c_stops_every_process_and_frees_both_ports() {
    stopping_with(Signal::SIGINT);
}

#[test]
fn a_busy_port_is_refused_with_one_plain_line_before_anything_starts() {
    // (which port is taken, the option that picks another)
    let cases = [("backend", "--port"), ("emulator", "--emulator-port")];
    for (taken, flag) in cases {
        let holder = TcpListener::bind("127.0.0.1:0").expect("a port to hold");
        let busy = holder.local_addr().expect("its address").port();
        let free = free_port();
        let (port, emulator_port) = if taken == "backend" {
            (busy, free)
        } else {
            (free, busy)
        };
        let data = Scratch::new("busy");
        let started = Instant::now();
        let output = Dev::command(port, emulator_port, &data.0)
            .output()
            .expect("xtask runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);

        assert!(!output.status.success(), "{taken}: {stdout}{stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{taken}: refused at once"
        );
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        // "… by process 123 (name)", or "by processes …" should a fork hold the socket a moment.
        let expected_start = format!("error: port {busy} is already in use by process");
        let holder_pid = format!(" {} (", std::process::id());
        let expected_end = format!("): stop that process, or choose another port with `{flag} N`");
        assert!(
            lines.len() == 1
                && lines[0].starts_with(&expected_start)
                && lines[0].contains(&holder_pid)
                && lines[0].ends_with(&expected_end),
            "{taken}: one plain line naming the port, its holder and what to do, got:\n{stderr}"
        );
        assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
        assert!(
            !stdout.contains("The store is running"),
            "{taken}: {stdout}"
        );
        assert!(!data.0.exists(), "{taken}: nothing was created");
        drop(holder);
    }
}

/// A file written into one of the PWA's output folders for one test, removed when dropped
/// (with the folder, when the test created it).
struct Marker {
    file: PathBuf,
    created_dir: Option<PathBuf>,
}

impl Marker {
    fn write(dir: &Path, name: &str, content: &str) -> Self {
        let created_dir = (!dir.exists()).then(|| dir.to_path_buf());
        std::fs::create_dir_all(dir).expect("the output folder");
        let file = dir.join(name);
        std::fs::write(&file, content).expect("the marker");
        Self { file, created_dir }
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
        if let Some(dir) = &self.created_dir {
            // Only if nothing else was put there meanwhile.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// `GET path` on 127.0.0.1:`port`: (status, body).
fn get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: identity\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response read");
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&response[..split]).into_owned();
    let status = head
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .expect("a status code");
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "expected a plain body: {head}"
    );
    (status, response[split + 4..].to_vec())
}

#[test]
fn the_dev_server_serves_the_development_build_and_never_the_release_build() {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let tag = format!(
        "xtask-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let dev_file = format!("{tag}-dev.txt");
    let release_file = format!("{tag}-release.txt");
    let _dev_marker = Marker::write(&root().join("target/dist-dev"), &dev_file, "development");
    let _release_marker = Marker::write(&root().join("target/dist"), &release_file, "release");

    let dev = Dev::start();

    assert_eq!(
        get(dev.port, &format!("/{dev_file}")),
        (200, b"development".to_vec()),
        "the development folder is not what the dev server serves"
    );
    let (status, body) = get(dev.port, &format!("/{release_file}"));
    assert_eq!(
        status,
        404,
        "the release folder reached the dev server: {}",
        String::from_utf8_lossy(&body)
    );
    // With both builds present, the page itself is the development one.
    let dev_index = std::fs::read(root().join("target/dist-dev/index.html"));
    let release_index = std::fs::read(root().join("target/dist/index.html"));
    if let (Ok(dev_index), Ok(release_index)) = (dev_index, release_index) {
        let (status, page) = get(dev.port, "/");
        assert_eq!(status, 200);
        assert!(
            page == dev_index && page != release_index,
            "GET / is not the development build"
        );
    }
}
