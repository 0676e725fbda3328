//! A webhook receiver that counts FusionAuth's events of one type, and the bodies that subscribe
//! it through FusionAuth's own Webhook and Tenant APIs.
//! <https://fusionauth.io/docs/apis/webhooks#create-a-webhook>
//!
//! Plain threads, no async runtime: the bench (synchronous) and the tests (tokio) share it.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// FusionAuth's event for every refresh it performs.
pub const REFRESH_EVENT: &str = "jwt.refresh";
/// The largest event body read.
const MAX_EVENT_BYTES: usize = 1 << 20;
/// How often a settling count is looked at.
const SETTLE_POLL: Duration = Duration::from_millis(50);

/// Receives webhook deliveries on a free port, answers each 200, and counts the events whose
/// `event.type` is the one it was started for. Stops when dropped.
#[derive(Debug)]
pub struct EventCounter {
    url: String,
    address: SocketAddr,
    count: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl EventCounter {
    /// Starts counting `event_type` deliveries at [`Self::url`].
    ///
    /// # Errors
    /// When no port can be bound.
    pub fn start(event_type: &'static str) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let count = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, done) = (Arc::clone(&count), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let seen = Arc::clone(&seen);
                std::thread::spawn(move || {
                    if read_event(stream).is_some_and(|event| event["event"]["type"] == event_type)
                    {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        Ok(Self {
            url: format!("http://{address}/fusionauth-events"),
            address,
            count,
            stop,
        })
    }

    /// Where FusionAuth should deliver the events.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The events counted so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }

    /// The count once no event has arrived for `quiet` (blocks the thread).
    pub fn settle(&self, quiet: Duration) -> u64 {
        let mut last = self.count();
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            std::thread::sleep(SETTLE_POLL);
            (last, since) = self.observe(last, since);
        }
        last
    }

    /// As [`Self::settle`], without blocking an async runtime's thread.
    #[cfg(feature = "stack")]
    pub async fn settled(&self, quiet: Duration) -> u64 {
        let mut last = self.count();
        let mut since = Instant::now();
        while since.elapsed() < quiet {
            tokio::time::sleep(SETTLE_POLL).await;
            (last, since) = self.observe(last, since);
        }
        last
    }

    /// The count now, and since when it has been that.
    fn observe(&self, last: u64, since: Instant) -> (u64, Instant) {
        let now = self.count();
        if now == last {
            (last, since)
        } else {
            (now, Instant::now())
        }
    }
}

impl Drop for EventCounter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so it sees the flag.
        if let Ok(stream) = TcpStream::connect_timeout(&self.address, Duration::from_secs(1)) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

/// Reads one HTTP request, answers 200, and returns its body as JSON (when it is JSON).
fn read_event(stream: TcpStream) -> Option<Value> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut length = 0usize;
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
        line.clear();
    }
    let mut body = vec![0; length.min(MAX_EVENT_BYTES)];
    let read = reader.read_exact(&mut body);
    let _ =
        (&stream).write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    read.ok()?;
    serde_json::from_slice(&body).ok()
}

/// The body of `POST /api/webhook` that delivers `event_type` to `url` for every tenant.
pub fn event_subscription(url: &str, event_type: &str) -> Value {
    json!({ "webhook": {
        "url": url, "global": true, "eventsEnabled": { event_type: true },
        "connectTimeout": 1000, "readTimeout": 2000,
    }})
}

/// The body of `PATCH /api/tenant/{tenantId}` that turns `event_type` on or off for the tenant
/// (never transactional: FusionAuth answers before it delivers).
pub fn tenant_event(event_type: &str, enabled: bool) -> Value {
    json!({ "tenant": { "eventConfiguration": { "events": {
        event_type: { "enabled": enabled, "transactionType": "None" }
    }}}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(counter: &EventCounter, body: &str) -> String {
        let mut stream = TcpStream::connect(counter.address).expect("the counter accepts");
        let request = format!(
            "POST /fusionauth-events HTTP/1.1\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("the request is sent");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("an answer");
        answer
    }

    #[test]
    fn only_events_of_the_counted_type_are_counted_and_every_delivery_is_acknowledged() {
        let counter = EventCounter::start(REFRESH_EVENT).expect("the counter starts");
        for body in [
            r#"{"event":{"type":"jwt.refresh"}}"#,
            r#"{"event":{"type":"user.login.success"}}"#,
            r#"{"event":{"type":"jwt.refresh","id":"2"}}"#,
            "not json",
        ] {
            assert!(
                deliver(&counter, body).starts_with("HTTP/1.1 200 OK"),
                "{body}"
            );
        }
        assert_eq!(counter.settle(Duration::from_millis(200)), 2);
    }
}
