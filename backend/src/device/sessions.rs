//! [`DeviceSessions`]: the request path of device-bound mode (`APP_DEVICE_BINDING=required`).
//!
//! A request is served when its JWT verifies, its DPoP proof verifies (`ath` = this JWT), the
//! JWT's hash belongs to a live session, and that session's issuer, subject and key thumbprint
//! are the JWT's and the proof's. `sid` is never read. Known JWT hashes are cached in memory,
//! so a fresh, known JWT costs no query; a session's end drops its hashes here at once and, on
//! PostgreSQL, on every other instance through `NOTIFY` ([`super::events`]).
//!
//! An expired JWT with a valid proof is refreshed with the session's sealed refresh token: one
//! FusionAuth call per session even across instances (the row's lease), everyone else waits
//! for the generation to move and is served with the winner's JWT.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use shared::store::{DeviceSession, SessionHandOff};
use sqlx::AnyPool;

use super::events::{Change, Events};
use super::{ProofError, ProofRequest, ProofVerdict, ProofVerifier, Sealed, Sealer, token_hash};
use crate::auth::{AuthUser, Authenticator, CallerSession, JwtFacts, JwtStatus, RefreshFailure};
use crate::clock::Clock;
use crate::error::{DpopRefusal, Error};
use crate::store::{self, SessionSelection, StoredDeviceSession};

mod hand_off;
mod refresh;
mod sign_out;

/// How long a refresh lease is held at most (FusionAuth's answer takes at most 5 s).
const LEASE_MILLIS: i64 = 15_000;
/// How long a request waits for another's refresh before answering 503.
const REFRESH_WAIT: Duration = Duration::from_secs(20);
/// How often a waiter re-reads the row when no notification came.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// A session's `last_used_at` is written at most this often.
const TOUCH_EVERY_MILLIS: i64 = 60_000;
/// Above this many cached hashes, expired ones are dropped at the next insert.
const CACHE_PRUNE_ABOVE: usize = 100_000;

/// A device-bound request's credentials.
#[derive(Clone, Copy)]
pub(crate) struct DpopRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The JWT of `Authorization: DPoP <JWT>`.
    pub access_token: &'a str,
    /// The one `DPoP` header.
    pub proof: &'a str,
}

shared::debug_fields!(DpopRequest<'_> { method, path });

/// A served device-bound request.
#[derive(Clone)]
pub(crate) struct Bound {
    pub user: AuthUser,
    pub session_id: String,
    /// The JWT that replaces the client's (after a refresh, or a refresh another request did).
    pub new_access_token: Option<String>,
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bound")
            .field("user", &self.user)
            .field("session_id", &self.session_id)
            .field("refreshed", &self.new_access_token.is_some())
            .finish()
    }
}

/// A cached JWT hash: whose it is.
#[derive(Clone, Debug)]
struct Known {
    session_id: String,
    issuer: String,
    subject: String,
    jkt: String,
    expires_at_millis: i64,
    touched_at_millis: i64,
}

/// Which sessions a revocation ends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ending<'a> {
    RefreshTokenId(&'a str),
    /// Every session of this subject (of the configured issuer).
    User {
        subject: &'a str,
    },
    Application(&'a str),
}

/// The device-bound sessions of one instance; shared by every worker.
pub(crate) struct DeviceSessions {
    pool: AnyPool,
    proofs: ProofVerifier,
    sealer: Sealer,
    clock: Clock,
    issuer: String,
    application_id: String,
    client: reqwest::Client,
    logout_url: String,
    /// Token hash → its session.
    cache: RwLock<HashMap<String, Known>>,
    events: Arc<Events>,
    /// Names this instance's refresh leases.
    instance: String,
}

shared::debug_fields!(DeviceSessions { proofs, instance });

/// What the webhook, logout and a refused refresh do: delete, forget, announce.
fn proof_refusal(error: ProofError) -> Error {
    match error.verdict() {
        ProofVerdict::UseNonce => Error::Dpop(DpopRefusal::UseNonce, proof_reason(error)),
        ProofVerdict::Invalid => Error::Dpop(DpopRefusal::InvalidProof, proof_reason(error)),
        ProofVerdict::Overloaded => Error::Unavailable(anyhow::anyhow!("{error}")),
    }
}

/// A static reason for the log (the error's text is static too, but formatted).
fn proof_reason(error: ProofError) -> &'static str {
    match error {
        ProofError::TooLong => "the proof is too long",
        ProofError::NotCompactJws => "the proof is not a compact JWS",
        ProofError::MalformedHeader => "the proof's header is malformed",
        ProofError::WrongType => "the proof's typ is not dpop+jwt",
        ProofError::UnsupportedAlgorithm => "the proof's alg is not ES256",
        ProofError::CriticalHeader => "the proof has crit",
        ProofError::InvalidKey => "the proof's jwk is not a P-256 public key",
        ProofError::PrivateKey => "the proof's jwk carries a private key",
        ProofError::BadSignature => "the proof's signature does not verify",
        ProofError::MalformedClaims => "the proof's claims are malformed",
        ProofError::InvalidJti => "the proof's jti is empty or too long",
        ProofError::WrongMethod => "the proof's htm is not the request's method",
        ProofError::WrongUri => "the proof's htu is not the request's URL",
        ProofError::WrongAccessTokenHash => "the proof's ath is not the access token's hash",
        ProofError::StaleIssuedAt => "the proof has no nonce and a stale or future iat",
        ProofError::BadNonce => "the proof's nonce is stale or unknown",
        ProofError::Replayed => "the proof's jti was already used",
        ProofError::ReplayCacheFull => "too many recent proofs",
    }
}

fn invalid_token(reason: &'static str) -> Error {
    Error::Dpop(DpopRefusal::InvalidToken, reason)
}

fn session_expired(reason: &'static str) -> Error {
    Error::Dpop(DpopRefusal::SessionExpired, reason)
}

fn sealing(error: super::SealError) -> Error {
    Error::Internal(anyhow::anyhow!("device session seal: {error}"))
}

impl DeviceSessions {
    #[allow(
        clippy::too_many_arguments,
        reason = "the services it is built from, once"
    )]
    pub(crate) fn new(
        pool: AnyPool,
        proofs: ProofVerifier,
        sealer: Sealer,
        clock: Clock,
        (issuer, application_id): (&str, &str),
        client: reqwest::Client,
        fusionauth_url: &str,
        events: Events,
    ) -> Self {
        Self {
            pool,
            proofs,
            sealer,
            clock,
            issuer: issuer.to_owned(),
            application_id: application_id.to_owned(),
            client,
            logout_url: format!("{}/api/logout", fusionauth_url.trim_end_matches('/')),
            cache: RwLock::new(HashMap::new()),
            events: Arc::new(events),
            instance: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// A nonce for an answer's `DPoP-Nonce`.
    pub(crate) fn fresh_nonce(&self) -> String {
        self.proofs.fresh_nonce()
    }

    /// Applies another instance's (or this one's) announcement.
    pub(crate) fn apply(&self, change: Change, id: &str) {
        if change == Change::Ended {
            self.forget(id);
        }
        self.events.changed.notify_waiters();
    }

    fn forget(&self, session_id: &str) {
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|_, known| known.session_id != session_id);
    }

    fn remember(&self, hash: String, session: &StoredDeviceSession, expires_at_millis: i64) {
        let now = self.clock.now_millis();
        let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
        if cache.len() > CACHE_PRUNE_ABOVE {
            cache.retain(|_, known| known.expires_at_millis >= now);
        }
        cache.insert(
            hash,
            Known {
                session_id: session.id.clone(),
                issuer: session.issuer.clone(),
                subject: session.subject.clone(),
                jkt: session.jkt.clone(),
                expires_at_millis,
                touched_at_millis: now,
            },
        );
    }

    fn verify_proof(&self, request: &DpopRequest<'_>) -> Result<String, Error> {
        self.proofs
            .verify(
                request.proof,
                &ProofRequest {
                    method: request.method,
                    path: request.path,
                    access_token: request.access_token,
                },
            )
            .map(|proof| proof.jkt)
            .map_err(proof_refusal)
    }

    /// The JWT, verified: fresh, or expired less than `APP_MAX_REFRESH_AGE_MINUTES` ago.
    async fn check_jwt(&self, auth: &Authenticator, token: &str) -> Result<JwtStatus, Error> {
        let status = auth.check_jwt(token).await.map_err(|error| match error {
            Error::Unauthorized(reason) => invalid_token(reason),
            other => other,
        })?;
        if let JwtStatus::Expired { seconds_ago, .. } = &status
            && *seconds_ago > auth.max_refresh_age_seconds()
        {
            return Err(session_expired(
                "JWT expired longer ago than any refresh token lives",
            ));
        }
        Ok(status)
    }

    /// Authenticates a device-bound request, refreshing an expired JWT on its behalf.
    ///
    /// # Errors
    /// [`Error::Dpop`] for a refused proof or JWT or an ended session; [`Error::Unavailable`]
    /// when FusionAuth or the database cannot be reached.
    pub(crate) async fn authenticate(
        &self,
        auth: &Authenticator,
        request: &DpopRequest<'_>,
    ) -> Result<Bound, Error> {
        let status = self.check_jwt(auth, request.access_token).await?;
        let jkt = self.verify_proof(request)?;
        let hash = token_hash(request.access_token);
        match status {
            JwtStatus::Fresh(facts) => {
                let known = self.known(&hash, &facts).await?;
                if known.issuer != facts.issuer || known.subject != facts.subject {
                    return Err(invalid_token("the JWT's session belongs to another user"));
                }
                if known.jkt != jkt {
                    return Err(invalid_token("the proof's key is not the session's"));
                }
                self.touch(&hash, &known).await;
                Ok(Bound {
                    user: AuthUser {
                        issuer: facts.issuer,
                        subject: facts.subject,
                        session: CallerSession::Device(known.session_id.clone()),
                    },
                    session_id: known.session_id,
                    new_access_token: None,
                })
            }
            JwtStatus::Expired { facts, .. } => {
                let session = self.session_of_expired(&hash, &facts, &jkt).await?;
                let session_id = session.id.clone();
                let jwt = self.refresh(auth, session, request.access_token).await?;
                Ok(Bound {
                    user: AuthUser {
                        issuer: facts.issuer,
                        subject: facts.subject,
                        session: CallerSession::Device(session_id.clone()),
                    },
                    session_id,
                    new_access_token: Some(jwt),
                })
            }
        }
    }

    /// The session a fresh JWT was issued to: from the cache, else from the database.
    async fn known(&self, hash: &str, facts: &JwtFacts) -> Result<Known, Error> {
        let now = self.clock.now_millis();
        let cached = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(hash)
            .cloned();
        if let Some(known) = cached {
            return Ok(known);
        }
        let session = store::find_device_session_by_token(&self.pool, hash, now)
            .await?
            .ok_or(invalid_token("the JWT was not issued to a live session"))?;
        let expires_at_millis = facts.expires_at.saturating_mul(1000);
        self.remember(hash.to_owned(), &session, expires_at_millis);
        Ok(Known {
            session_id: session.id,
            issuer: session.issuer,
            subject: session.subject,
            jkt: session.jkt,
            expires_at_millis,
            touched_at_millis: session.last_used_at,
        })
    }

    /// Writes `last_used_at` about once a minute per session, never failing the request.
    async fn touch(&self, hash: &str, known: &Known) {
        let now = self.clock.now_millis();
        if now.saturating_sub(known.touched_at_millis) < TOUCH_EVERY_MILLIS {
            return;
        }
        if let Some(entry) = self
            .cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(hash)
        {
            entry.touched_at_millis = now;
        }
        let older_than = now.saturating_sub(TOUCH_EVERY_MILLIS);
        if let Err(error) =
            store::touch_device_session(&self.pool, &known.session_id, now, older_than).await
        {
            tracing::warn!(%error, "cannot record a session's last use");
        }
    }

    /// The session an expired JWT was issued to, checked against the JWT and the proof's key.
    async fn session_of_expired(
        &self,
        hash: &str,
        facts: &JwtFacts,
        jkt: &str,
    ) -> Result<StoredDeviceSession, Error> {
        let session = store::find_device_session_by_token(&self.pool, hash, i64::MIN)
            .await?
            .ok_or(session_expired("the JWT's session has ended"))?;
        if session.issuer != facts.issuer || session.subject != facts.subject {
            return Err(invalid_token("the JWT's session belongs to another user"));
        }
        if session.jkt != jkt {
            return Err(invalid_token("the proof's key is not the session's"));
        }
        Ok(session)
    }

    /// Deletes one session, forgets it, tells the other instances.
    async fn end(&self, session_id: &str) -> Result<bool, Error> {
        let existed = store::delete_device_session(&self.pool, session_id).await?;
        self.forget(session_id);
        self.events
            .announce(&self.pool, Change::Ended, session_id)
            .await;
        Ok(existed)
    }

    /// Ends the sessions a FusionAuth revocation names; how many.
    ///
    /// # Errors
    /// When the database refuses.
    pub(crate) async fn end_sessions(&self, ending: Ending<'_>) -> Result<usize, Error> {
        let selection = match ending {
            Ending::RefreshTokenId(id) => SessionSelection::RefreshTokenId(id),
            Ending::User { subject } => SessionSelection::User {
                issuer: &self.issuer,
                subject,
            },
            Ending::Application(id) => SessionSelection::Application(id),
        };
        let ids = store::delete_device_sessions(&self.pool, selection).await?;
        for id in &ids {
            self.forget(id);
            self.events.announce(&self.pool, Change::Ended, id).await;
        }
        Ok(ids.len())
    }

    /// The periodic fallback: forgets cached sessions that no longer exist (ended on an
    /// instance whose notification did not arrive), and expired hashes.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub(crate) async fn resync(&self) -> Result<(), sqlx::Error> {
        let now = self.clock.now_millis();
        let ids: Vec<String> = {
            let mut cache = self.cache.write().unwrap_or_else(PoisonError::into_inner);
            cache.retain(|_, known| known.expires_at_millis >= now);
            let mut ids: Vec<String> = cache.values().map(|k| k.session_id.clone()).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        for id in ids {
            if store::find_device_session(&self.pool, &id).await?.is_none() {
                self.forget(&id);
            }
        }
        Ok(())
    }

    /// Deletes the hashes of JWTs that expired longer ago than `keep_seconds` (the longest an
    /// expired JWT is still refreshed).
    ///
    /// # Errors
    /// When the database refuses.
    pub(crate) async fn prune(&self, keep_seconds: i64) -> Result<u64, sqlx::Error> {
        let before = self
            .clock
            .now_millis()
            .saturating_sub(keep_seconds.saturating_mul(1000));
        store::prune_device_session_tokens(&self.pool, before).await
    }
}
