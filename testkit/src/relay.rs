//! A TCP relay between the backend and FusionAuth that can be switched off ("FusionAuth is
//! down", cutting open connections too) and counts `POST /api/jwt/refresh` request lines on the
//! wire.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The request line of a refresh call, as it crosses the wire.
const REFRESH_REQUEST_LINE: &[u8] = b"POST /api/jwt/refresh HTTP/1.1\r\n";

/// A switchable relay to `upstream`; see the module docs.
#[derive(Debug)]
pub struct Relay {
    address: SocketAddr,
    up: Arc<AtomicBool>,
    switch: watch::Sender<bool>,
    refresh_calls: Arc<AtomicUsize>,
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
        let refresh_calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&refresh_calls);
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
            refresh_calls,
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
        self.refresh_calls.load(Ordering::SeqCst)
    }
}

/// Copies `from` to `to`, counting [`REFRESH_REQUEST_LINE`]s (also when split across reads).
async fn copy_counting(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, count: Arc<AtomicUsize>) {
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut window: Vec<u8> = Vec::new();
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        window.extend_from_slice(&buffer[..read]);
        let found = window
            .windows(REFRESH_REQUEST_LINE.len())
            .filter(|candidate| *candidate == REFRESH_REQUEST_LINE)
            .count();
        count.fetch_add(found, Ordering::SeqCst);
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
