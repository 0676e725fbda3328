//! A throw-away PostgreSQL cluster for the test run, so the backend's suite also runs on
//! PostgreSQL. It lives in a temporary directory and is stopped when dropped (`pg_ctl stop -m
//! fast`), also when xtask is stopped by a signal: its server is protected from the ending of
//! an interrupted step's processes until then (see `processes.rs`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

use crate::processes;
use crate::steps;

#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    url: String,
    /// The server's process, once started.
    postmaster: Option<i32>,
}

impl Cluster {
    /// Installs PostgreSQL from Debian if needed, then starts a cluster on a free port.
    pub fn start() -> anyhow::Result<Self> {
        let bin = match server_bin() {
            Some(bin) => bin,
            None => {
                crate::tools::apt_install(&["postgresql"], "PostgreSQL (about a minute)")?;
                server_bin().context("PostgreSQL installed, but no initdb was found")?
            }
        };
        let data = std::env::temp_dir().join(format!("store-test-pg-{}", std::process::id()));
        if data.exists() {
            std::fs::remove_dir_all(&data)?;
        }
        std::fs::create_dir_all(&data)?;
        let as_root = crate::tools::is_root();
        if as_root {
            // initdb refuses to run as root.
            steps::run(
                "giving the test cluster's directory to the postgres user",
                Command::new("chown").args(["postgres:postgres"]).arg(&data),
            )?;
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cluster = Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            data,
            postmaster: None,
        };
        steps::run(
            "creating a throw-away PostgreSQL cluster",
            &mut cluster.pg(as_root, "initdb", |c| {
                c.arg("-D")
                    .arg(&cluster.data)
                    .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
                    .args(["--locale=C.UTF-8"])
                    .stdout(std::process::Stdio::null());
            }),
        )?;
        steps::run(
            &format!("starting PostgreSQL on 127.0.0.1:{port}"),
            &mut cluster.pg(as_root, "pg_ctl", |c| {
                c.arg("-D")
                    .arg(&cluster.data)
                    .arg("-l")
                    .arg(cluster.data.join("server.log"))
                    .args(["-w", "-t", "30", "-o"])
                    .arg(format!(
                        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                        cluster.data.display()
                    ))
                    .arg("start");
            }),
        )?;
        // `pg_ctl` daemonises the server: xtask, the subreaper, is now its parent.
        let pid_file = std::fs::read_to_string(cluster.data.join("postmaster.pid"))
            .context("reading the test cluster's postmaster.pid")?;
        if let Some(pid) = pid_file.lines().next().and_then(|l| l.trim().parse().ok()) {
            processes::protect(pid);
            cluster.postmaster = Some(pid);
        }
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:<port>/postgres`
    pub fn url(&self) -> &str {
        &self.url
    }

    fn pg(&self, as_root: bool, program: &str, configure: impl FnOnce(&mut Command)) -> Command {
        let program = self.bin.join(program);
        let mut command = if as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        configure(&mut command);
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let as_root = crate::tools::is_root();
        let _ = self
            .pg(as_root, "pg_ctl", |c| {
                c.arg("-D")
                    .arg(&self.data)
                    .args(["-m", "fast", "-w", "stop"])
                    .stdout(std::process::Stdio::null());
            })
            .status();
        if let Some(pid) = self.postmaster {
            processes::unprotect(pid);
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}
