//! How instances learn that a device-bound session ended or was refreshed elsewhere: on
//! PostgreSQL, `NOTIFY device_sessions, '<kind>:<id>'` and a `LISTEN`ing task per instance
//! (within milliseconds); everywhere, this instance's own announcements at once. Waiters also
//! poll, and cached sessions are re-read periodically, so a lost notification (a dropped
//! listener connection, SQLite between processes) only delays, never breaks.

use std::sync::Weak;

use sqlx::AnyPool;
use tokio::sync::Notify;

use crate::settings::DatabaseUrl;

/// The PostgreSQL channel.
pub(crate) const CHANNEL: &str = "device_sessions";

/// What happened to a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Deleted (logout, revocation, FusionAuth refused its refresh token).
    Ended,
    /// A refresh was recorded (its generation moved).
    Refreshed,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ended => "ended",
            Self::Refreshed => "refreshed",
        }
    }

    /// Reads a notification's payload, `<kind>:<session id>`.
    pub(crate) fn parse(payload: &str) -> Option<(Self, &str)> {
        let (kind, id) = payload.split_once(':')?;
        let change = match kind {
            "ended" => Self::Ended,
            "refreshed" => Self::Refreshed,
            _ => return None,
        };
        (!id.is_empty()).then_some((change, id))
    }
}

/// Announces changes; wakes this instance's waiters.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// Woken on every change seen here (own or another instance's).
    pub(crate) changed: Notify,
    postgres: bool,
}

impl Events {
    pub(crate) fn new(database_url: &DatabaseUrl) -> Self {
        Self {
            changed: Notify::new(),
            postgres: is_postgres(database_url),
        }
    }

    /// Tells the other instances (PostgreSQL only; best effort: polling covers a failure).
    pub(crate) async fn announce(&self, pool: &AnyPool, change: Change, id: &str) {
        self.changed.notify_waiters();
        if !self.postgres {
            return;
        }
        let payload = format!("{}:{id}", change.as_str());
        // `pg_notify` returns `void`, which the Any driver cannot decode: select around it.
        let sent = sqlx::query("SELECT 1 FROM (SELECT pg_notify($1, $2)) AS sent")
            .bind(CHANNEL)
            .bind(payload)
            .execute(pool)
            .await;
        if let Err(error) = sent {
            tracing::warn!(%error, "cannot NOTIFY the other instances; they will poll");
        }
    }
}

fn is_postgres(url: &DatabaseUrl) -> bool {
    let url = url.expose();
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// On PostgreSQL: `LISTEN`s until `target` is dropped, handing every change to `apply`.
pub(crate) fn spawn_listener<T, F>(database_url: &DatabaseUrl, target: Weak<T>, apply: F)
where
    T: Send + Sync + 'static,
    F: Fn(&T, Change, &str) + Send + 'static,
{
    if !is_postgres(database_url) {
        return;
    }
    let url = database_url.expose().to_owned();
    tokio::spawn(async move {
        let mut listener = loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(listener) => break listener,
                Err(error) => {
                    tracing::warn!(%error, "cannot LISTEN for session changes; retrying");
                    if target.strong_count() == 0 {
                        return;
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "cannot LISTEN for session changes; polling only");
            return;
        }
        // `recv` reconnects after a lost connection; notifications sent meanwhile are missed
        // (waiters poll; cached sessions are re-read). The task ends with the first
        // notification after `target` is gone (at the latest when the runtime stops).
        loop {
            let notification = listener.recv().await;
            let Some(target) = target.upgrade() else {
                return;
            };
            match notification {
                Ok(notification) => {
                    if let Some((change, id)) = Change::parse(notification.payload()) {
                        apply(&target, change, id);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "the LISTEN connection failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_a_change_and_a_session() {
        assert_eq!(Change::parse("ended:abc"), Some((Change::Ended, "abc")));
        assert_eq!(
            Change::parse("refreshed:a:b"),
            Some((Change::Refreshed, "a:b"))
        );
        for bad in ["", "ended", "ended:", "gone:abc", ":abc"] {
            assert_eq!(Change::parse(bad), None, "{bad:?}");
        }
    }
}
