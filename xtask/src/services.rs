//! Services started by xtask (the emulator, the backend, `trunk watch`), each in its own process
//! group, stopped together.

use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::steps;

/// Child processes, each in its own process group so that stopping one stops all it started.
#[derive(Debug, Default)]
pub struct Services {
    children: Vec<(&'static str, Child)>,
}

impl Services {
    pub fn spawn(&mut self, name: &'static str, command: &mut Command) -> anyhow::Result<()> {
        let child = command
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {name}: `{}`", steps::display(command)))?;
        self.children.push((name, child));
        Ok(())
    }

    /// Waits until every port accepts connections; fails if a service exits first.
    pub fn wait_until_listening(
        &mut self,
        ports: &[(&str, u16)],
        stop: &AtomicBool,
    ) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        for (name, port) in ports {
            let address = SocketAddr::from(([127, 0, 0, 1], *port));
            while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
                self.fail_if_exited()?;
                if stop.load(Ordering::SeqCst) {
                    bail!("interrupted");
                }
                if Instant::now() > deadline {
                    bail!("{name} did not start listening on port {port} within 60 s");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            println!("    {name} is listening on 127.0.0.1:{port}");
        }
        Ok(())
    }

    pub fn fail_if_exited(&mut self) -> anyhow::Result<()> {
        for (name, child) in &mut self.children {
            if let Some(status) = child.try_wait().context("checking a service")? {
                bail!("{name} stopped unexpectedly ({status}); see its output above");
            }
        }
        Ok(())
    }

    /// Runs until Ctrl-C or until a service stops on its own.
    pub fn supervise(&mut self, stop: &AtomicBool) -> anyhow::Result<()> {
        loop {
            if stop.load(Ordering::SeqCst) {
                println!("\n==> stopping");
                return Ok(());
            }
            self.fail_if_exited()?;
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Asks every service to stop (SIGTERM to its process group), then kills what is left.
    pub fn stop(&mut self) {
        for (_, child) in &self.children {
            signal_group(child.id(), "-TERM");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for (name, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        eprintln!("    {name} did not stop in time; killing it");
                        signal_group(child.id(), "-KILL");
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            println!("    {name} stopped");
        }
        self.children.clear();
    }
}

fn signal_group(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pid}")])
        .status();
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop();
    }
}
