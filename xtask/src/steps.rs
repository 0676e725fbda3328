//! Running commands as named, timed steps, with a summary at the end.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::processes;

/// Prints a step's banner, the way every long step announces itself.
pub fn announce(title: &str) {
    println!("\n==> {title}");
}

/// Prints a line without panicking when stdout is gone (a closed terminal, after SIGHUP): for
/// everything printed while stopping.
pub fn say(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// Runs `command` to completion with inherited output; fails with the step's title on a
/// non-zero exit, and stops it on a stop request (see [`processes::wait`]).
pub fn run(title: &str, command: &mut Command) -> anyhow::Result<Duration> {
    announce(title);
    println!("    $ {}", display(command));
    let started = Instant::now();
    let mut child = processes::spawn(command)
        .with_context(|| format!("could not start `{}`", display(command)))?;
    let status = processes::wait(&mut child)?;
    let took = started.elapsed();
    if !status.success() {
        bail!("step failed: {title} ({status}) after {}", human(took));
    }
    println!("    ok: {title} in {}", human(took));
    Ok(took)
}

/// Runs `command` and returns its stdout if it exits successfully, `None` otherwise (also when
/// the program does not exist).
pub fn output(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Shows a command the way a person would type it.
pub fn display(command: &Command) -> String {
    let mut shown = String::new();
    for (key, value) in command.get_envs() {
        if let Some(value) = value.filter(|_| key != "PATH") {
            let _ = write!(
                shown,
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }
    shown.push_str(&command.get_program().to_string_lossy());
    for arg in command.get_args() {
        shown.push(' ');
        shown.push_str(&quote(arg));
    }
    shown
}

fn quote(arg: &OsStr) -> String {
    let arg = arg.to_string_lossy();
    if arg.contains(' ') {
        format!("'{arg}'")
    } else {
        arg.into_owned()
    }
}

/// `1m 05s` or `4.2s`.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs >= 60.0 {
        format!(
            "{}m {:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    } else {
        format!("{secs:.1}s")
    }
}

/// Steps run so far, for the closing summary.
#[derive(Debug, Default)]
pub struct Summary {
    done: Vec<(String, Duration)>,
}

impl Summary {
    /// Runs a step and records it.
    pub fn run(&mut self, title: &str, command: &mut Command) -> anyhow::Result<()> {
        let took = run(title, command)?;
        self.done.push((title.to_owned(), took));
        Ok(())
    }

    /// Records a step that ran some other way.
    pub fn record(&mut self, title: &str, took: Duration) {
        self.done.push((title.to_owned(), took));
    }

    pub fn print(&self, outcome: &str) {
        say(&format!("\n==> summary: {outcome}"));
        let total: Duration = self.done.iter().map(|(_, took)| *took).sum();
        for (title, took) in &self.done {
            say(&format!("    {:>8}  {title}", human(*took)));
        }
        say(&format!("    {:>8}  total", human(total)));
    }
}
