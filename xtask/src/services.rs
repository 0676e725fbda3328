//! Services started by xtask (the emulator, the backend, `trunk watch`): one process group,
//! stopped as a whole, and ready only when the process started here answers on its port.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::ports::{self, Listener};
use crate::processes::{self, GRACE};
use crate::steps::{self, say};

/// How long a service may take to answer after it started.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Child processes sharing one process group (the first one's), so that one signal reaches
/// them and everything they started.
#[derive(Debug, Default)]
pub struct Services {
    children: Vec<Service>,
    group: Option<Pid>,
}

#[derive(Debug)]
struct Service {
    name: &'static str,
    child: Child,
    /// Waited for: its pid may belong to another process by now, so it is never signalled.
    reaped: bool,
}

/// A service's readiness: its own process listens on `port` and `GET path` answers 200.
#[derive(Debug)]
pub struct Ready {
    pub name: &'static str,
    pub port: u16,
    pub path: &'static str,
    /// The option that picks another port (`--port`).
    pub flag: &'static str,
}

impl Services {
    pub fn spawn(&mut self, name: &'static str, command: &mut Command) -> anyhow::Result<()> {
        command.process_group(self.group.map_or(0, Pid::as_raw));
        let child = processes::spawn(command)
            .with_context(|| format!("starting {name}: `{}`", steps::display(command)))?;
        self.group.get_or_insert(processes::pid_of(&child));
        self.children.push(Service {
            name,
            child,
            reaped: false,
        });
        Ok(())
    }

    /// Waits until each service's own process listens on its port and answers 200 there. Fails
    /// when a service exits, when another process answers on its port, or on a stop request.
    pub fn wait_until_ready(&mut self, checks: &[Ready]) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        for check in checks {
            let pid = self
                .children
                .iter()
                .find(|service| service.name == check.name)
                .map(|service| service.child.id())
                .with_context(|| format!("{} was not started", check.name))?;
            loop {
                self.fail_if_exited()?;
                processes::check()?;
                match ports::listener(check.port, pid) {
                    Listener::Process
                        if ports::http_status(check.port, check.path) == Some(200) =>
                    {
                        break;
                    }
                    Listener::Process | Listener::Nobody => {}
                    Listener::Other => bail!(
                        "port {} is answered by {}, not by the {} started here: stop that \
                         process, or choose another port with `{} N`",
                        check.port,
                        ports::holder(check.port).unwrap_or_else(|| "another process".into()),
                        check.name,
                        check.flag
                    ),
                }
                if Instant::now() > deadline {
                    bail!(
                        "{} did not answer GET {} on port {} within {} s",
                        check.name,
                        check.path,
                        check.port,
                        READY_WITHIN.as_secs()
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            println!("    {} is ready on 127.0.0.1:{}", check.name, check.port);
        }
        Ok(())
    }

    pub fn fail_if_exited(&mut self) -> anyhow::Result<()> {
        for service in self.children.iter_mut().filter(|service| !service.reaped) {
            if let Some(status) = service.child.try_wait().context("checking a service")? {
                service.reaped = true;
                processes::forget(&service.child);
                bail!(
                    "{} stopped unexpectedly ({status}); see its output above",
                    service.name
                );
            }
        }
        Ok(())
    }

    /// Runs until a signal asks to stop (`Ok`) or until a service stops on its own (`Err`).
    pub fn supervise(&mut self) -> anyhow::Result<()> {
        let mut polls = 0u32;
        loop {
            if processes::stop_requested() {
                say("\n==> stopping");
                return Ok(());
            }
            self.fail_if_exited()?;
            polls = polls.wrapping_add(1);
            if polls.is_multiple_of(50) {
                processes::reap_orphans();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM to the group, SIGKILL to the group if a service is still there after [`GRACE`].
    /// Processes that left the group are ended by [`processes::Guard`].
    pub fn stop(&mut self) {
        self.signal(Signal::SIGTERM);
        let deadline = Instant::now() + GRACE;
        loop {
            for service in self.children.iter_mut().filter(|s| !s.reaped) {
                if !matches!(service.child.try_wait(), Ok(None)) {
                    service.reaped(false);
                }
            }
            if self.children.iter().all(|s| s.reaped) {
                break;
            }
            if Instant::now() > deadline {
                // At least one service is not reaped, so the group id is still the group's.
                self.signal(Signal::SIGKILL);
                for service in self.children.iter_mut().filter(|s| !s.reaped) {
                    let _ = service.child.wait();
                    service.reaped(true);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.children.clear();
        self.group = None;
    }

    /// Sends `signal` to the group and to each service not yet reaped (in case one left the
    /// group). Nothing is sent once every service is reaped: the ids may be reused by then.
    fn signal(&self, signal: Signal) {
        let living: Vec<&Service> = self.children.iter().filter(|s| !s.reaped).collect();
        if living.is_empty() {
            return;
        }
        if let Some(group) = self.group {
            let _ = killpg(group, signal);
        }
        for service in living {
            let _ = kill(processes::pid_of(&service.child), signal);
        }
    }
}

impl Service {
    fn reaped(&mut self, killed: bool) {
        self.reaped = true;
        processes::forget(&self.child);
        if killed {
            say(&format!("    {} did not stop in time: killed", self.name));
        } else {
            say(&format!("    {} stopped", self.name));
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop();
    }
}
