//! Every process xtask starts ends when xtask does, however xtask is stopped.
//!
//! - xtask makes itself a child subreaper (Linux `PR_SET_CHILD_SUBREAPER`): a process whose
//!   parent exits — the PostgreSQL server `pg_ctl` leaves running, the ChromeDriver a test binary
//!   starts in its own process group — is re-parented to xtask instead of to init, so every
//!   descendant stays within reach (found through `/proc`).
//! - SIGINT, SIGTERM and SIGHUP (`ctrlc` with its `termination` feature) set one flag that every
//!   wait in xtask polls ([`wait`], [`output`], the services' loops). The command then unwinds:
//!   the running step's processes are ended, PostgreSQL is stopped cleanly by its owner, and
//!   [`Guard`] ends whatever is left (SIGTERM, [`GRACE`], SIGKILL).
//! - A second signal, or an orderly stop still running after [`FORCE_AFTER`], ends every
//!   descendant at once and exits.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::steps::say;

/// How long processes get between SIGTERM and SIGKILL.
pub const GRACE: Duration = Duration::from_secs(5);
/// How long an orderly stop may take before everything is killed.
const FORCE_AFTER: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(50);

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicUsize = AtomicUsize::new(0);
/// Children that some code waits for through a `std::process::Child`: never reaped here.
static TRACKED: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
/// Processes their owner stops in order (PostgreSQL), spared by a step's interruption.
static PROTECTED: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// What a wait returns once a signal asked xtask to stop.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stopped by a signal")
    }
}

impl std::error::Error for Interrupted {}

/// True when `error` is (or wraps) [`Interrupted`].
pub fn is_interrupted(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<Interrupted>())
}

/// Ends every descendant still running when dropped (also on a panic's unwinding).
#[derive(Debug)]
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        end_descendants(Spare::Nothing, GRACE);
        reap_all();
    }
}

/// Makes xtask a child subreaper and routes SIGINT, SIGTERM and SIGHUP to the stop flag.
pub fn install() -> anyhow::Result<Guard> {
    nix::sys::prctl::set_child_subreaper(true).context("making xtask a child subreaper (prctl)")?;
    ctrlc::set_handler(on_signal).context("installing the signal handler")?;
    Ok(Guard(()))
}

fn on_signal() {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) == 0 {
        STOP.store(true, Ordering::SeqCst);
        std::thread::spawn(|| {
            std::thread::sleep(FORCE_AFTER);
            force("still stopping after 30 s");
        });
    } else {
        force("a second signal");
    }
}

/// Kills every descendant and exits: the last resort.
fn force(why: &str) -> ! {
    say(&format!("\n==> {why}: ending every process now"));
    end_descendants(Spare::Nothing, Duration::from_secs(1));
    reap_all();
    std::process::exit(1)
}

/// True once a signal asked xtask to stop.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// `Err(Interrupted)` once a signal asked xtask to stop.
pub fn check() -> Result<(), Interrupted> {
    if stop_requested() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Starts `command`, remembering that its `Child` will be waited for by whoever holds it.
pub fn spawn(command: &mut Command) -> std::io::Result<Child> {
    let child = command.spawn()?;
    if let Ok(mut tracked) = TRACKED.lock() {
        tracked.insert(pid_of(&child).as_raw());
    }
    Ok(child)
}

/// `child` has been waited for.
pub fn forget(child: &Child) {
    if let Ok(mut tracked) = TRACKED.lock() {
        tracked.remove(&pid_of(child).as_raw());
    }
}

/// Spares `pid` and its descendants when a step is interrupted; its owner stops it.
pub fn protect(pid: i32) {
    if let Ok(mut protected) = PROTECTED.lock() {
        protected.insert(pid);
    }
}

/// Undoes [`protect`].
pub fn unprotect(pid: i32) {
    if let Ok(mut protected) = PROTECTED.lock() {
        protected.remove(&pid);
    }
}

pub fn pid_of(child: &Child) -> Pid {
    Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX))
}

/// Waits for `child` (started with [`spawn`]). On a stop request, ends every descendant but the
/// protected ones (the step's own processes and whatever they left behind) and returns
/// [`Interrupted`].
pub fn wait(child: &mut Child) -> anyhow::Result<ExitStatus> {
    let mut polls = 0u32;
    loop {
        if let Some(status) = child.try_wait().context("waiting for a process")? {
            forget(child);
            return Ok(status);
        }
        if stop_requested() {
            end_descendants(Spare::Protected, GRACE);
            let _ = child.wait();
            forget(child);
            return Err(Interrupted.into());
        }
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(20) {
            reap_orphans();
        }
        std::thread::sleep(POLL);
    }
}

/// Like [`Command::output`], but interrupted by a stop request (see [`wait`]). Stdin is
/// `/dev/null`.
pub fn output(command: &mut Command) -> anyhow::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = spawn(command)
        .with_context(|| format!("could not start `{}`", crate::steps::display(command)))?;
    wait_with_output(child)
}

/// Like [`Child::wait_with_output`] for a child started with [`spawn`] with piped stdout and
/// stderr, but interrupted by a stop request.
pub fn wait_with_output(mut child: Child) -> anyhow::Result<Output> {
    fn drain(
        pipe: Option<impl std::io::Read + Send + 'static>,
    ) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    drop(child.stdin.take());
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait(&mut child)?;
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Which descendants [`end_descendants`] leaves alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spare {
    Nothing,
    /// The [`protect`]ed processes and their descendants.
    Protected,
}

/// Sends SIGTERM to every living descendant (again to any that appear meanwhile), SIGKILL to
/// those still there after `grace`, and reaps the orphans among them.
pub fn end_descendants(spare: Spare, grace: Duration) {
    let started = Instant::now();
    let mut asked = BTreeSet::new();
    loop {
        let alive = descendants(spare);
        if alive.is_empty() {
            break;
        }
        let overdue = started.elapsed() >= grace;
        if started.elapsed() >= grace + Duration::from_secs(5) {
            say(&format!(
                "    could not end processes {alive:?} (stuck in the kernel?)"
            ));
            break;
        }
        for pid in alive {
            if overdue {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            } else if asked.insert(pid) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
            }
        }
        reap_orphans();
        std::thread::sleep(POLL);
    }
    reap_orphans();
}

/// One line of `/proc/<pid>/stat`.
#[derive(Clone, Copy, Debug)]
struct Stat {
    pid: i32,
    ppid: i32,
    /// `Z` for a zombie (dead, waiting to be reaped).
    state: char,
}

/// The ids of the processes `/proc` lists (none when it cannot be read).
pub fn pids<T: std::str::FromStr>() -> Vec<T> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .collect()
}

fn process_table() -> Vec<Stat> {
    pids::<i32>()
        .into_iter()
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
            let state = fields.next()?.chars().next()?;
            let ppid = fields.next()?.parse().ok()?;
            Some(Stat { pid, ppid, state })
        })
        .collect()
}

/// The living (not zombie) descendants of this process.
fn descendants(spare: Spare) -> Vec<i32> {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let spared = match spare {
        Spare::Nothing => BTreeSet::new(),
        Spare::Protected => PROTECTED.lock().map(|p| p.clone()).unwrap_or_default(),
    };
    let table = process_table();
    let mut children: BTreeMap<i32, Vec<Stat>> = BTreeMap::new();
    for stat in &table {
        children.entry(stat.ppid).or_default().push(*stat);
    }
    let mut found = Vec::new();
    let mut queue = vec![me];
    while let Some(parent) = queue.pop() {
        for child in children.get(&parent).into_iter().flatten() {
            if spared.contains(&child.pid) {
                continue;
            }
            queue.push(child.pid);
            if child.state != 'Z' && child.state != 'X' {
                found.push(child.pid);
            }
        }
    }
    found
}

/// Reaps the zombies among this process's children that nobody else waits for (orphans
/// re-parented here).
pub fn reap_orphans() {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let tracked = TRACKED.lock().map(|t| t.clone()).unwrap_or_default();
    for stat in process_table() {
        if stat.ppid == me && stat.state == 'Z' && !tracked.contains(&stat.pid) {
            let _ = waitpid(Pid::from_raw(stat.pid), Some(WaitPidFlag::WNOHANG));
        }
    }
}

/// Reaps every dead child: only once nothing waits for any of them any more.
fn reap_all() {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if status == WaitStatus::StillAlive {
            break;
        }
    }
}
