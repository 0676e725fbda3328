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

use shared::fusionauth::LogoutRequest;
use shared::store::{DeviceSession, SessionHandOff};
use sqlx::AnyPool;

use super::events::{Change, Events};
use super::{ProofError, ProofRequest, ProofVerdict, ProofVerifier, Sealed, Sealer, token_hash};
use crate::auth::{AuthUser, Authenticator, JwtFacts, JwtStatus, RefreshFailure};
use crate::clock::Clock;
use crate::error::{DpopRefusal, Error};
use crate::store::{self, StoredDeviceSession};

/// How long a refresh lease is held at most (FusionAuth's answer takes at most 5 s).
const LEASE_MILLIS: i64 = 15_000;
/// How long a request waits for another's refresh before answering 503.
const REFRESH_WAIT: Duration = Duration::from_secs(20);
/// How often a waiter re-reads the row when no notification came.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// A session's `last_used_at` is written at most this often.
const TOUCH_EVERY_MILLIS: i64 = 60_000;
/// How long FusionAuth may take to log a refresh token out.
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);
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

impl fmt::Debug for DpopRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

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

impl fmt::Debug for DeviceSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceSessions")
            .field("proofs", &self.proofs)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

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

    /// A fresh JWT for `session`, whose client presented the expired `presented`: the one
    /// another request already obtained, or a new one from FusionAuth (one call per session,
    /// across instances).
    async fn refresh(
        &self,
        auth: &Authenticator,
        mut session: StoredDeviceSession,
        presented: &str,
    ) -> Result<String, Error> {
        let deadline = tokio::time::Instant::now() + REFRESH_WAIT;
        loop {
            let latest = self
                .sealer
                .open(
                    Sealed::AccessToken,
                    &session.id,
                    &session.sealed_access_token,
                )
                .map_err(sealing)?
                .value;
            if latest != presented
                && let Ok(JwtStatus::Fresh(facts)) = auth.check_jwt(&latest).await
                && facts.subject == session.subject
                && facts.issuer == session.issuer
            {
                return Ok(latest);
            }
            let owner = format!("{}/{}", self.instance, uuid::Uuid::new_v4());
            let now = self.clock.now_millis();
            // Register for wake-ups before looking, so a change in between is not missed.
            let changed = self.events.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match store::take_refresh_lease(
                &self.pool,
                &session.id,
                &owner,
                now,
                now.saturating_add(LEASE_MILLIS),
            )
            .await?
            {
                Some(generation) if generation == session.generation => {
                    return self
                        .refresh_as_leaseholder(auth, &session, &owner, &latest)
                        .await;
                }
                Some(_) => {
                    // Refreshed between our read and our lease: give it back and re-read.
                    store::release_refresh_lease(&self.pool, &session.id, &owner).await?;
                }
                None => {
                    if tokio::time::Instant::now() >= deadline {
                        return Err(Error::Unavailable(anyhow::anyhow!(
                            "waited too long for another refresh of the session"
                        )));
                    }
                    let _ = tokio::time::timeout(POLL_EVERY, changed).await;
                }
            }
            session = store::find_device_session(&self.pool, &session.id)
                .await?
                .ok_or(session_expired("the session ended during the refresh"))?;
        }
    }

    /// Holding the lease at `session.generation`: refreshes at FusionAuth and records it.
    async fn refresh_as_leaseholder(
        &self,
        auth: &Authenticator,
        session: &StoredDeviceSession,
        owner: &str,
        latest: &str,
    ) -> Result<String, Error> {
        let release = || async {
            if let Err(error) = store::release_refresh_lease(&self.pool, &session.id, owner).await {
                tracing::warn!(%error, "cannot release a refresh lease; it runs out by itself");
            }
        };
        let refresh_token = match self.sealer.open(
            Sealed::RefreshToken,
            &session.id,
            &session.sealed_refresh_token,
        ) {
            Ok(opened) => opened.value,
            Err(error) => {
                release().await;
                return Err(sealing(error));
            }
        };
        let tokens = match auth.exchange(&refresh_token, latest).await {
            Ok(tokens) => tokens,
            Err(RefreshFailure::Refused) => {
                self.end(&session.id).await?;
                tracing::info!(session = %session.id, "FusionAuth refused the session's refresh token");
                return Err(session_expired("FusionAuth refused the refresh token"));
            }
            Err(RefreshFailure::Unavailable(cause)) => {
                release().await;
                return Err(Error::Unavailable(anyhow::anyhow!(
                    "refreshing a device session: {cause}"
                )));
            }
        };
        let facts = match auth.check_jwt(&tokens.access_token).await {
            Ok(JwtStatus::Fresh(facts))
                if facts.subject == session.subject && facts.issuer == session.issuer =>
            {
                facts
            }
            _ => {
                release().await;
                return Err(invalid_token("FusionAuth's new JWT is not the session's"));
            }
        };
        let new_refresh_token = tokens.refresh_token.unwrap_or(refresh_token);
        let sealed_refresh_token = self
            .sealer
            .seal(Sealed::RefreshToken, &session.id, &new_refresh_token)
            .map_err(sealing)?;
        let sealed_access_token = self
            .sealer
            .seal(Sealed::AccessToken, &session.id, &tokens.access_token)
            .map_err(sealing)?;
        let hash = token_hash(&tokens.access_token);
        let expires_at_millis = facts.expires_at.saturating_mul(1000);
        let recorded = store::record_refresh(
            &self.pool,
            &store::RecordedRefresh {
                id: &session.id,
                owner,
                generation: session.generation,
                refresh_token_id: tokens.refresh_token_id.as_deref(),
                sealed_refresh_token: &sealed_refresh_token,
                sealed_access_token: &sealed_access_token,
                token: store::SessionToken {
                    hash: &hash,
                    expires_at_millis,
                },
                now_millis: self.clock.now_millis(),
            },
        )
        .await?;
        if !recorded {
            return Err(Error::Unavailable(anyhow::anyhow!(
                "the refresh lease ran out before the refresh was recorded"
            )));
        }
        self.remember(hash, session, expires_at_millis);
        self.events
            .announce(&self.pool, Change::Refreshed, &session.id)
            .await;
        tracing::info!(session = %session.id, generation = session.generation + 1, "refreshed a device session");
        Ok(tokens.access_token)
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
        let ids = match ending {
            Ending::RefreshTokenId(id) => {
                store::delete_device_sessions_by_refresh_token_id(&self.pool, id).await?
            }
            Ending::User { subject } => {
                store::delete_device_sessions_of_user(&self.pool, &self.issuer, subject).await?
            }
            Ending::Application(id) => {
                store::delete_device_sessions_of_application(&self.pool, id).await?
            }
        };
        for id in &ids {
            self.forget(id);
            self.events.announce(&self.pool, Change::Ended, id).await;
        }
        Ok(ids.len())
    }

    /// `POST /api/session`: binds the signed-in session to the proof's key. Returns the session
    /// and the JWT that replaces the client's.
    ///
    /// # Errors
    /// [`Error::Dpop`] for a refused proof or JWT, a refresh token FusionAuth refuses or that is
    /// another user's (nothing is stored then); [`Error::InvalidRequest`] when the key is
    /// already bound; [`Error::Internal`] when FusionAuth does not rotate refresh tokens.
    pub(crate) async fn hand_off(
        &self,
        auth: &Authenticator,
        request: &DpopRequest<'_>,
        hand_off: &SessionHandOff,
        user_agent: Option<&str>,
    ) -> Result<(DeviceSession, String), Error> {
        let facts = match self.check_jwt(auth, request.access_token).await? {
            JwtStatus::Fresh(facts) => facts,
            JwtStatus::Expired { .. } => {
                return Err(invalid_token("the hand-off's JWT has expired"));
            }
        };
        let jkt = self.verify_proof(request)?;
        if store::find_device_session_by_jkt(&self.pool, &jkt)
            .await?
            .is_some()
        {
            return Err(Error::InvalidRequest(
                "This device key is already bound to a session; make a new key.".to_owned(),
            ));
        }
        let presented_refresh_token = hand_off.refresh_token.trim();
        if presented_refresh_token.is_empty() {
            return Err(Error::InvalidRequest(
                "refreshToken must not be empty.".to_owned(),
            ));
        }
        let tokens = match auth
            .exchange(presented_refresh_token, request.access_token)
            .await
        {
            Ok(tokens) => tokens,
            Err(RefreshFailure::Refused) => {
                return Err(invalid_token(
                    "FusionAuth refused the hand-off's refresh token",
                ));
            }
            Err(RefreshFailure::Unavailable(cause)) => {
                return Err(Error::Unavailable(anyhow::anyhow!(
                    "hand-off refresh: {cause}"
                )));
            }
        };
        let new_facts = match auth.check_jwt(&tokens.access_token).await {
            Ok(JwtStatus::Fresh(new_facts)) => new_facts,
            _ => return Err(invalid_token("FusionAuth's new JWT does not verify")),
        };
        if new_facts.subject != facts.subject || new_facts.issuer != facts.issuer {
            return Err(invalid_token(
                "the hand-off's refresh token belongs to another user",
            ));
        }
        let Some(rotated) = tokens
            .refresh_token
            .filter(|rotated| rotated != presented_refresh_token)
        else {
            // The Reusable policy: the device's copy stays valid, so binding protects nothing.
            tracing::error!(
                "FusionAuth did not rotate the refresh token: device-bound sessions need the \
                 application's refreshTokenUsagePolicy OneTimeUse; refusing the hand-off"
            );
            return Err(Error::Internal(anyhow::anyhow!(
                "FusionAuth's refresh tokens are Reusable; device binding needs OneTimeUse"
            )));
        };
        let id = uuid::Uuid::new_v4().to_string();
        let sealed_refresh_token = self
            .sealer
            .seal(Sealed::RefreshToken, &id, &rotated)
            .map_err(sealing)?;
        let sealed_access_token = self
            .sealer
            .seal(Sealed::AccessToken, &id, &tokens.access_token)
            .map_err(sealing)?;
        let device_label = super::device_label(user_agent);
        let now = self.clock.now_millis();
        let refresh_token_id = tokens
            .refresh_token_id
            .as_deref()
            .or(hand_off.refresh_token_id.as_deref());
        let login_hash = token_hash(request.access_token);
        let new_hash = token_hash(&tokens.access_token);
        let hashes = [
            (login_hash, facts.expires_at.saturating_mul(1000)),
            (new_hash, new_facts.expires_at.saturating_mul(1000)),
        ];
        let session_tokens: Vec<store::SessionToken<'_>> = hashes
            .iter()
            .map(|(hash, expires_at_millis)| store::SessionToken {
                hash,
                expires_at_millis: *expires_at_millis,
            })
            .collect();
        store::create_device_session(
            &self.pool,
            &store::NewDeviceSession {
                id: &id,
                issuer: &facts.issuer,
                subject: &facts.subject,
                application_id: &self.application_id,
                jkt: &jkt,
                refresh_token_id,
                sealed_refresh_token: &sealed_refresh_token,
                sealed_access_token: &sealed_access_token,
                device_label: &device_label,
                now_millis: now,
            },
            &session_tokens,
        )
        .await?;
        tracing::info!(session = %id, subject = %facts.subject, device = %device_label, "bound a session to a device key");
        let stored = StoredDeviceSession {
            id: id.clone(),
            issuer: facts.issuer,
            subject: facts.subject,
            application_id: self.application_id.clone(),
            jkt,
            refresh_token_id: refresh_token_id.map(str::to_owned),
            sealed_refresh_token,
            sealed_access_token,
            device_label: device_label.clone(),
            created_at: now,
            last_used_at: now,
            generation: 0,
            refresh_lease_until: None,
            refresh_lease_owner: None,
        };
        for (hash, expires_at_millis) in hashes {
            self.remember(hash, &stored, expires_at_millis);
        }
        Ok((
            DeviceSession {
                id,
                device_label,
                created_at: now,
                last_used_at: now,
            },
            tokens.access_token,
        ))
    }

    /// `DELETE /api/session`: logs the session's refresh token out at FusionAuth and deletes
    /// the session. The JWT may have expired (nothing is refreshed). When FusionAuth cannot be
    /// reached the session is still deleted: its refresh token lived only here.
    ///
    /// # Errors
    /// [`Error::Dpop`] for a refused proof or JWT or an unknown session.
    pub(crate) async fn log_out(
        &self,
        auth: &Authenticator,
        request: &DpopRequest<'_>,
    ) -> Result<(), Error> {
        let facts = match self.check_jwt(auth, request.access_token).await? {
            JwtStatus::Fresh(facts) | JwtStatus::Expired { facts, .. } => facts,
        };
        let jkt = self.verify_proof(request)?;
        let hash = token_hash(request.access_token);
        let session = self.session_of_expired(&hash, &facts, &jkt).await?;
        match self.sealer.open(
            Sealed::RefreshToken,
            &session.id,
            &session.sealed_refresh_token,
        ) {
            Ok(opened) => self.log_out_at_fusionauth(opened.value).await,
            Err(error) => {
                tracing::warn!(%error, "cannot open a session's refresh token to log it out")
            }
        }
        self.end(&session.id).await?;
        tracing::info!(session = %session.id, "logged a device session out");
        Ok(())
    }

    async fn log_out_at_fusionauth(&self, refresh_token: String) {
        let body = LogoutRequest {
            global: None,
            refresh_token: Some(refresh_token),
        };
        let outcome = self
            .client
            .post(&self.logout_url)
            .json(&body)
            .timeout(LOGOUT_TIMEOUT)
            .send()
            .await;
        match outcome {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => tracing::warn!(
                status = response.status().as_u16(),
                "FusionAuth did not log the refresh token out; the session is deleted anyway"
            ),
            Err(error) => tracing::warn!(
                error = %error.without_url(),
                "cannot reach FusionAuth to log the refresh token out; the session is deleted anyway"
            ),
        }
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

    /// The notifications' shared part, for the listener.
    pub(crate) fn events(&self) -> &Events {
        &self.events
    }
}
