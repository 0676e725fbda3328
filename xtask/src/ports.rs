//! Who listens on a port: free, one of xtask's own services, or someone else (read from
//! `/proc/net/tcp{,6}` and the processes' open sockets under `/proc/<pid>/fd`).

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use anyhow::bail;

/// Fails with one plain line when `port` (on 127.0.0.1) is taken; `flag` is the option that
/// picks another one.
pub fn ensure_free(port: u16, flag: &str) -> anyhow::Result<()> {
    match TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "port {port} is already in use{}: stop that process, or choose another port with \
             `{flag} N`",
            held_by(port)
        ),
        Err(error) => {
            bail!("cannot listen on port {port} ({error}): choose another port with `{flag} N`")
        }
    }
}

/// ` by process 1234 (backend)`, or nothing when the holder is not visible to this user.
fn held_by(port: u16) -> String {
    holder(port)
        .map(|holder| format!(" by {holder}"))
        .unwrap_or_default()
}

/// `process 1234 (backend)` (or `processes …`) listening on `port`, when visible to this user.
pub fn holder(port: u16) -> Option<String> {
    let owners = owners(&listening_sockets(port));
    let shown: Vec<String> = owners
        .iter()
        .map(|(pid, name)| format!("{pid} ({name})"))
        .collect();
    match shown.len() {
        0 => None,
        1 => Some(format!("process {}", shown.join(""))),
        _ => Some(format!("processes {}", shown.join(", "))),
    }
}

/// Who holds the listening socket on `port`.
#[derive(Debug, PartialEq, Eq)]
pub enum Listener {
    /// Nobody listens on it.
    Nobody,
    /// Process `pid` does (among others, perhaps).
    Process,
    /// Some other process does.
    Other,
}

/// Whether `pid` holds the socket listening on `port`.
pub fn listener(port: u16, pid: u32) -> Listener {
    let sockets = listening_sockets(port);
    if sockets.is_empty() {
        Listener::Nobody
    } else if socket_inodes(pid)
        .iter()
        .any(|inode| sockets.contains(inode))
    {
        Listener::Process
    } else {
        Listener::Other
    }
}

/// The inodes of the TCP sockets in state LISTEN on `port` (any address, IPv4 or IPv6).
fn listening_sockets(port: u16) -> BTreeSet<u64> {
    const LISTEN: &str = "0A";
    let mut inodes = BTreeSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // `sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode`
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok());
            if *state == LISTEN
                && local_port == Some(port)
                && let Ok(inode) = inode.parse()
            {
                inodes.insert(inode);
            }
        }
    }
    inodes
}

/// The inodes of the sockets process `pid` has open.
fn socket_inodes(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            target
                .to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        })
        .collect()
}

/// The processes (pid, command name) holding one of `sockets`.
fn owners(sockets: &BTreeSet<u64>) -> Vec<(u32, String)> {
    if sockets.is_empty() {
        return Vec::new();
    }
    crate::processes::pids::<u32>()
        .into_iter()
        .filter(|pid| {
            socket_inodes(*pid)
                .iter()
                .any(|inode| sockets.contains(inode))
        })
        .map(|pid| {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|comm| comm.trim().to_owned())
                .unwrap_or_else(|_| "?".to_owned());
            (pid, name)
        })
        .collect()
}

/// The status code of `GET path` on 127.0.0.1:`port`, or `None` without an HTTP answer.
pub fn http_status(port: u16, path: &str) -> Option<u16> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(2)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    // `HTTP/1.1 200`
    std::str::from_utf8(head.get(9..12)?).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_held_by_this_process_is_seen_as_its_own_and_as_foreign_to_another() {
        let held = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = held.local_addr().expect("an address").port();
        assert_eq!(listener(port, std::process::id()), Listener::Process);
        // pid 1 (init, or the container's first process) holds no socket of ours.
        assert_eq!(listener(port, 1), Listener::Other);
        let message = ensure_free(port, "--port")
            .expect_err("a held port is refused")
            .to_string();
        assert!(
            message.starts_with(&format!(
                "port {port} is already in use by process {}",
                std::process::id()
            )),
            "{message}"
        );
        assert!(
            message.ends_with("choose another port with `--port N`"),
            "{message}"
        );
        drop(held);
        assert_eq!(listener(port, std::process::id()), Listener::Nobody);
        ensure_free(port, "--port").expect("a released port is free");
    }
}
