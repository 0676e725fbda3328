//! A TCP relay between the backend and FusionAuth that can be switched off ("FusionAuth is
//! down", cutting open connections too) and counts request lines on the wire: all of them, and
//! `POST /api/jwt/refresh`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The request line of a refresh call, as it crosses the wire.
const REFRESH_REQUEST_LINE: &[u8] = b"POST /api/jwt/refresh HTTP/1.1\r\n";
/// The end of every request line (a status line starts with `HTTP/1.1`, it does not end so).
const REQUEST_LINE_END: &[u8] = b" HTTP/1.1\r\n";

/// What the relay counted.
#[derive(Debug, Default)]
struct Counts {
    refresh_calls: AtomicUsize,
    calls: AtomicUsize,
}

/// A switchable relay to `upstream`; see the module docs.
#[derive(Debug)]
pub struct Relay {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    switch: watch::Sender<bool>,
    counts: Arc<Counts>,
}

impl Relay {
    /// Starts relaying connections on a free port to `upstream`.
    ///
    /// # Errors
    /// When no port can be bound.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let up = Arc::new(AtomicBool::new(true));
        let (switch, watcher) = watch::channel(true);
        let accepting = Arc::clone(&up);
        let counts = Arc::new(Counts::default());
        let counter = Arc::clone(&counts);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut watcher = watcher.clone();
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (inbound_read, mut inbound_write) = inbound.into_split();
                    let (mut outbound_read, outbound_write) = outbound.into_split();
                    let relay = async {
                        tokio::join!(
                            copy_counting(inbound_read, outbound_write, counter),
                            tokio::io::copy(&mut outbound_read, &mut inbound_write),
                        )
                    };
                    tokio::select! {
                        _ = relay => {}
                        _ = watcher.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Ok(Self {
            address,
            up,
            switch,
            counts,
        })
    }

    /// `http://<relay address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Up: connections are relayed. Down: every open one is cut and new ones are refused.
    pub fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        let _ = self.switch.send(up);
    }

    /// How many `POST /api/jwt/refresh` request lines crossed towards `upstream`.
    pub fn refresh_calls(&self) -> usize {
        self.counts.refresh_calls.load(Ordering::SeqCst)
    }

    /// How many HTTP requests (of any method and path) crossed towards `upstream`.
    pub fn calls(&self) -> usize {
        self.counts.calls.load(Ordering::SeqCst)
    }
}

/// How many times `needle` occurs in `window` ending after its first `old` bytes (those were
/// counted with the previous read).
fn occurrences(window: &[u8], old: usize, needle: &[u8]) -> usize {
    window
        .windows(needle.len())
        .enumerate()
        .filter(|(start, candidate)| start + needle.len() > old && *candidate == needle)
        .count()
}

/// Copies `from` to `to`, counting request lines and [`REFRESH_REQUEST_LINE`]s (also when split
/// across reads).
async fn copy_counting(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, counts: Arc<Counts>) {
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut window: Vec<u8> = Vec::new();
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let old = window.len();
        window.extend_from_slice(&buffer[..read]);
        counts.refresh_calls.fetch_add(
            occurrences(&window, old, REFRESH_REQUEST_LINE),
            Ordering::SeqCst,
        );
        counts.calls.fetch_add(
            occurrences(&window, old, REQUEST_LINE_END),
            Ordering::SeqCst,
        );
        let keep = REFRESH_REQUEST_LINE.len() - 1;
        if window.len() > keep {
            window.drain(..window.len() - keep);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_split_across_reads_is_counted_once() {
        let line = b"GET /x HTTP/1.1\r\n";
        let mut window = line[..10].to_vec();
        assert_eq!(occurrences(&window, 0, REQUEST_LINE_END), 0);
        let old = window.len();
        window.extend_from_slice(&line[10..]);
        assert_eq!(occurrences(&window, old, REQUEST_LINE_END), 1);
        // Kept as the tail of the next read's window: not counted again.
        let old = window.len();
        window.extend_from_slice(b"body");
        assert_eq!(occurrences(&window, old, REQUEST_LINE_END), 0);
    }
}
