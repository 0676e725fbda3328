//! Free ports, and waiting for one to accept connections.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A port nothing listens on right now (the OS's pick for port 0).
///
/// # Errors
/// When no socket can be bound.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts connections on `127.0.0.1:port`.
///
/// # Errors
/// When nothing does within `patience`.
pub fn wait_for_port(port: u16, patience: Duration) -> anyhow::Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + patience;
    while TcpStream::connect_timeout(&address, Duration::from_millis(100)).is_err() {
        anyhow::ensure!(
            Instant::now() <= deadline,
            "nothing listens on port {port} after {patience:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
