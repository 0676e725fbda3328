//! Revoked sessions and users (attack steps 19–20 bounded): an in-memory copy of the
//! revocation tables, consulted on every authenticated request in O(1), written through to SQL
//! by the webhook and reloaded from SQL periodically so several backend instances agree.

use std::collections::{HashMap, HashSet};
use std::sync::{PoisonError, RwLock};

use sqlx::AnyPool;

use super::verify::Claims;
use crate::clock::Clock;
use crate::store::{self, Cut};

/// One revocation, as learnt from FusionAuth.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// One session (refresh token id = the JWT's `sid`), of the user `subject` when the event
    /// names them.
    Session {
        sid: String,
        subject: Option<String>,
    },
    /// Every session of the user `subject` (of this backend's issuer): JWTs issued before
    /// `before_millis` are refused.
    User { subject: String, before_millis: i64 },
    /// Every session of this backend's application: JWTs issued before `before_millis` are
    /// refused.
    Application { before_millis: i64 },
}

/// What the revocations say of a JWT (see [`Revocations::standing`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Clear,
    /// Maybe revoked: it needs a refresh token FusionAuth still honours.
    Unproven(&'static str),
    Revoked(&'static str),
}

#[derive(Debug, Default)]
struct Snapshot {
    sessions: HashSet<String>,
    /// Subject → revoked-before (ms), for this backend's issuer.
    users: HashMap<String, i64>,
    /// Revoked-before (ms) for this backend's application.
    application: Option<i64>,
    /// Subject → when one of their sessions was last revoked (ms), for this backend's issuer.
    user_sessions: HashMap<String, i64>,
}

impl Snapshot {
    fn apply_user_session(&mut self, subject: &str, at_millis: i64) {
        let entry = self
            .user_sessions
            .entry(subject.to_owned())
            .or_insert(at_millis);
        *entry = (*entry).max(at_millis);
    }

    /// Applies `revocation`, learnt at `at_millis` (the event's instant).
    fn apply(&mut self, revocation: &Revocation, at_millis: i64) {
        match revocation {
            Revocation::Session { sid, subject } => {
                self.sessions.insert(sid.clone());
                if let Some(subject) = subject {
                    self.apply_user_session(subject, at_millis);
                }
            }
            Revocation::User {
                subject,
                before_millis,
            } => {
                let entry = self.users.entry(subject.clone()).or_insert(*before_millis);
                *entry = (*entry).max(*before_millis);
            }
            Revocation::Application { before_millis } => {
                self.application = Some(self.application.unwrap_or(i64::MIN).max(*before_millis));
            }
        }
    }
}

/// The revocations in force; one per application, shared by every worker.
pub(crate) struct Revocations {
    pool: AnyPool,
    issuer: String,
    application_id: String,
    clock: Clock,
    snapshot: RwLock<Snapshot>,
    /// Serialises reloads and writes, so a reload never drops a write it raced with.
    writer: tokio::sync::Mutex<()>,
}

impl Revocations {
    pub fn new(pool: AnyPool, issuer: &str, application_id: &str, clock: Clock) -> Self {
        Self {
            pool,
            issuer: issuer.to_owned(),
            application_id: application_id.to_owned(),
            clock,
            snapshot: RwLock::new(Snapshot::default()),
            writer: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether `claims` are revoked. In memory only: a few hash lookups.
    ///
    /// A user's or the application's revocation at instant `C` (milliseconds, FusionAuth's
    /// clock) refuses JWTs issued before `C`; `iat` has whole seconds, so a JWT whose second
    /// holds `C` may be from either side of it. Such a JWT is [`Standing::Unproven`]: it
    /// proves nothing alone, and is accepted only with a refresh token FusionAuth still
    /// honours — the revocation revoked every refresh token in its scope, so a live one was
    /// issued after it. A JWT of a later second (or whose second starts at `C`) is clear; one of
    /// an earlier second, or without `iat`, is revoked.
    ///
    /// One session's revocation refuses the JWTs whose `sid` names it. `sid` is documented for
    /// OAuth tokens only: a JWT without one, of a user who had a session revoked since it was
    /// issued, may be that session's, so it too needs a live refresh token.
    pub fn standing(&self, claims: &Claims) -> Standing {
        let snapshot = self.snapshot.read().unwrap_or_else(PoisonError::into_inner);
        if claims
            .sid
            .as_deref()
            .is_some_and(|sid| snapshot.sessions.contains(sid))
        {
            return Standing::Revoked("the session was revoked");
        }
        let ours = claims.iss == self.issuer;
        let user_cut = ours
            .then(|| snapshot.users.get(&claims.sub).copied())
            .flatten();
        let cuts = [
            (user_cut, "all of the user's sessions were revoked"),
            (
                snapshot.application,
                "all of the application's sessions were revoked",
            ),
        ];
        let mut standing = Standing::Clear;
        for (cut, reason) in cuts {
            let Some(cut) = cut else { continue };
            let Some(iat) = claims.iat else {
                return Standing::Revoked(reason);
            };
            let second_starts = iat.saturating_mul(1000);
            if second_starts.saturating_add(1000) <= cut {
                return Standing::Revoked(reason);
            }
            if second_starts < cut {
                standing = Standing::Unproven(reason);
            }
        }
        let session_cut = ours
            .then(|| snapshot.user_sessions.get(&claims.sub).copied())
            .flatten();
        if claims.sid.is_none()
            && session_cut
                .is_some_and(|cut| claims.iat.is_none_or(|iat| iat.saturating_mul(1000) < cut))
            && standing == Standing::Clear
        {
            standing = Standing::Unproven("one of the user's sessions was revoked");
        }
        standing
    }

    /// Writes `revocation` to the database (kept until `expires_at_millis`), then applies it
    /// here. Revocations for other applications are never recorded (see the webhook).
    ///
    /// # Errors
    /// When the database refuses the write; nothing is applied then.
    pub async fn record(
        &self,
        revocation: &Revocation,
        at_millis: i64,
        expires_at_millis: i64,
    ) -> Result<(), sqlx::Error> {
        let _writer = self.writer.lock().await;
        let issuer = self.issuer.as_str();
        let cut = match revocation {
            Revocation::Session { sid, subject } => {
                store::revoke_session(&self.pool, sid, at_millis, expires_at_millis).await?;
                subject
                    .as_deref()
                    .map(|subject| (Cut::UserSession { issuer, subject }, at_millis))
            }
            Revocation::User {
                subject,
                before_millis,
            } => Some((Cut::User { issuer, subject }, *before_millis)),
            Revocation::Application { before_millis } => {
                let application_id = &self.application_id;
                Some((Cut::Application { application_id }, *before_millis))
            }
        };
        if let Some((cut, before_millis)) = cut {
            store::revoke_before(&self.pool, cut, before_millis, expires_at_millis).await?;
        }
        self.snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .apply(revocation, at_millis);
        Ok(())
    }

    /// Replaces the in-memory copy with the database's (revocations recorded by other
    /// instances appear; expired ones disappear).
    ///
    /// # Errors
    /// When the database cannot be read; the current copy is kept then.
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let _writer = self.writer.lock().await;
        let stored = store::load_revocations(&self.pool, self.clock.now_millis()).await?;
        let mut snapshot = Snapshot {
            sessions: stored.sessions.into_iter().collect(),
            ..Snapshot::default()
        };
        for (issuer, subject, before_millis) in stored.users {
            if issuer == self.issuer {
                snapshot.apply(
                    &Revocation::User {
                        subject,
                        before_millis,
                    },
                    before_millis,
                );
            }
        }
        for (application_id, before_millis) in stored.applications {
            if application_id == self.application_id {
                snapshot.apply(&Revocation::Application { before_millis }, before_millis);
            }
        }
        for (issuer, subject, before_millis) in stored.user_sessions {
            if issuer == self.issuer {
                snapshot.apply_user_session(&subject, before_millis);
            }
        }
        *self
            .snapshot
            .write()
            .unwrap_or_else(PoisonError::into_inner) = snapshot;
        Ok(())
    }

    /// Deletes expired revocations from the database.
    ///
    /// # Errors
    /// When the database refuses.
    pub async fn prune(&self) -> Result<u64, sqlx::Error> {
        store::prune_revocations(&self.pool, self.clock.now_millis()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sid: Option<&str>, iat: Option<i64>) -> Claims {
        Claims {
            sub: "u1".into(),
            iss: "https://issuer".into(),
            exp: 0,
            nbf: None,
            iat,
            sid: sid.map(str::to_owned),
            ..Claims::default()
        }
    }

    #[tokio::test]
    async fn sessions_users_and_the_application_are_revoked_by_instant() {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect_lazy("sqlite::memory:")
            .expect("lazy pool");
        let revocations = Revocations::new(pool, "https://issuer", "app", Clock::default());
        let mut snapshot = Snapshot::default();
        snapshot.apply(
            &Revocation::Session {
                sid: "s1".into(),
                subject: None,
            },
            5_000,
        );
        *revocations.snapshot.write().expect("lock") = snapshot;
        assert!(matches!(
            revocations.standing(&claims(Some("s1"), Some(10))),
            Standing::Revoked(_)
        ));
        assert_eq!(
            revocations.standing(&claims(Some("s2"), Some(10))),
            Standing::Clear
        );

        revocations.snapshot.write().expect("lock").apply(
            &Revocation::User {
                subject: "u1".into(),
                before_millis: 10_500,
            },
            10_500,
        );
        // Second 9: before; second 10 (10.0–10.999 s): either side of 10.5 s; 11: after.
        let of = |iat| revocations.standing(&claims(Some("s2"), iat));
        assert!(matches!(of(Some(9)), Standing::Revoked(_)));
        assert!(matches!(of(Some(10)), Standing::Unproven(_)));
        assert_eq!(of(Some(11)), Standing::Clear);
        assert!(matches!(of(None), Standing::Revoked(_)));

        revocations.snapshot.write().expect("lock").apply(
            &Revocation::Application {
                before_millis: 20_000,
            },
            20_000,
        );
        // A revocation on the second's first millisecond: that second is after it.
        let of = |iat| revocations.standing(&claims(None, iat));
        assert!(matches!(of(Some(19)), Standing::Revoked(_)));
        assert_eq!(of(Some(20)), Standing::Clear);
        // The user's cut still refuses second 10 whatever the application's says.
        assert!(matches!(of(Some(10)), Standing::Revoked(_)));

        // One session of "u2" revoked at 30.2 s: their JWTs without `sid` issued before need a
        // live refresh token; those naming another session, or issued later, do not.
        revocations.snapshot.write().expect("lock").apply(
            &Revocation::Session {
                sid: "s3".into(),
                subject: Some("u2".into()),
            },
            30_200,
        );
        let of = |sid: Option<&str>, iat| {
            let mut claims = claims(sid, iat);
            claims.sub = "u2".into();
            revocations.standing(&claims)
        };
        assert!(matches!(of(None, Some(29)), Standing::Unproven(_)));
        assert!(matches!(of(None, Some(30)), Standing::Unproven(_)));
        // (Without `iat`, the application's revocation above refuses it outright.)
        assert!(matches!(of(None, None), Standing::Revoked(_)));
        assert_eq!(of(None, Some(31)), Standing::Clear);
        assert_eq!(of(Some("s4"), Some(29)), Standing::Clear);
        assert!(matches!(of(Some("s3"), Some(29)), Standing::Revoked(_)));
    }
}
