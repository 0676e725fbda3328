//! Who is calling: the FusionAuth JWT on every authenticated request, refreshed on the client's
//! behalf when it has merely expired (workflow steps 5–13), and never for anything else
//! (attack steps 15–18).
//!
//! A service: it knows nothing of `AppState` or the routes. Handlers take an [`AuthUser`]
//! (extracted by `crate::extractor`); when it had to refresh, the new tokens travel to the
//! response through the request's extensions as [`NewTokens`] and `crate::routes::api_headers`
//! writes them as headers.

mod held;
mod jwks;
pub(crate) mod logout;
mod refresh;
mod revocation;
mod verify;

use std::fmt;

use jsonwebtoken::{Algorithm, DecodingKey};

use self::held::{Claim, Held};
use self::jwks::JwksCache;
use self::refresh::Refresher;
pub(crate) use self::refresh::{RefreshFailure, Tokens};
pub use self::revocation::Revocation;
use self::revocation::{Revocations, Standing};
pub(crate) use self::verify::WEBHOOK_MAX_AGE_SECONDS;
use self::verify::{Checked, Claims, Rejection, RemoteValidation, Verifier};
use crate::clock::Clock;
use crate::error::Error;
use crate::rate_limit::RateLimiter;
use crate::settings::{JwtVerification, Settings};

/// The verified caller: the JWT's issuer and subject (FusionAuth's user id), and its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub issuer: String,
    pub subject: String,
    pub session: CallerSession,
}

/// Which of the user's sessions a request came from ("this device" in the device list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallerSession {
    /// `off` mode: the JWT's `sid` (FusionAuth's refresh token id), when it has one.
    RefreshTokenId(Option<String>),
    /// `required` mode: the device-bound session's id (`sid` is never read there).
    Device(String),
}

impl From<Claims> for AuthUser {
    fn from(claims: Claims) -> Self {
        Self {
            issuer: claims.iss,
            subject: claims.sub,
            session: CallerSession::RefreshTokenId(claims.sid),
        }
    }
}

/// Tokens obtained from FusionAuth while serving this request, for the response headers.
#[derive(Clone)]
pub struct NewTokens {
    pub access_token: String,
    /// Present only when FusionAuth rotated the refresh token.
    pub refresh_token: Option<String>,
}

impl fmt::Debug for NewTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewTokens")
            .field("refresh_token_rotated", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// Verifies JWTs and refreshes them; one per application, shared by every worker.
pub struct Authenticator {
    verifier: Verifier,
    refresher: Refresher,
    revocations: Revocations,
    max_refresh_age_seconds: i64,
    /// Rotated refresh tokens kept for their owner after someone else's JWT came with them.
    held: Held,
    /// Calls to FusionAuth's refresh per user (`iss`, `sub`).
    refresh_limiter: RateLimiter<(String, String)>,
    clock: Clock,
}

shared::debug_fields!(Authenticator {});

impl Authenticator {
    pub fn new(
        settings: &Settings,
        client: reqwest::Client,
        clock: Clock,
        pool: sqlx::AnyPool,
    ) -> Self {
        let algorithms: Vec<Algorithm> = settings.jwt_algorithms.iter().map(|a| a.0).collect();
        let jwks = JwksCache::new(client.clone(), &settings.fusionauth_url);
        let mut verifier = Verifier::new(
            jwks,
            algorithms,
            &settings.issuer,
            &settings.application_id,
            settings.jwt_leeway_seconds,
            clock.clone(),
            (settings.jwt_verification == JwtVerification::Fusionauth).then(|| RemoteValidation {
                client: client.clone(),
                url: format!(
                    "{}/api/jwt/validate",
                    settings.fusionauth_url.trim_end_matches('/')
                ),
                issuer: settings.issuer.clone(),
                audience: settings.application_id.clone(),
            }),
        );
        if let Some(secret) = &settings.jwt_hmac_secret {
            match DecodingKey::from_base64_secret(secret.expose()) {
                Ok(key) => verifier = verifier.with_hmac_key(key),
                Err(_) => tracing::error!("APP_JWT_HMAC_SECRET is not Base64; HS256 stays refused"),
            }
        }
        if let Some(kid) = &settings.fusionauth_webhook_kid {
            verifier = verifier.with_webhook_kid(kid.clone());
        }
        Self {
            revocations: Revocations::new(
                pool,
                &settings.issuer,
                &settings.application_id,
                clock.clone(),
            ),
            verifier,
            refresher: Refresher::new(client, &settings.fusionauth_url, clock.clone()),
            held: Held::default(),
            refresh_limiter: RateLimiter::per_minute(settings.refresh_attempts_per_minute),
            clock,
            max_refresh_age_seconds: i64::try_from(settings.max_refresh_age_minutes)
                .unwrap_or(i64::MAX / 60)
                .saturating_mul(60),
        }
    }

    /// Fetches FusionAuth's keys now; a failure is logged and retried on the first request.
    pub async fn prefetch_keys(&self) {
        // The cache logs the failure itself.
        let _ = self.verifier.jwks().prefetch().await;
    }

    /// Tries to fetch FusionAuth's keys (at most every few seconds); true when some are cached.
    pub async fn try_fetch_keys(&self) -> bool {
        self.verifier.jwks().fetch_if_due().await;
        self.has_keys()
    }

    /// True once FusionAuth's key set has been fetched at least once, or when an HMAC secret is
    /// configured (HMAC keys are never published).
    pub fn has_keys(&self) -> bool {
        self.verifier.jwks().has_keys() || self.verifier.has_hmac_key()
    }

    /// Checks FusionAuth's webhook signature JWT against the exact request body.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] when the signature does not verify; [`Error::Unavailable`] when
    /// FusionAuth's keys cannot be fetched to decide.
    pub async fn check_webhook_signature(&self, jwt: &str, body: &[u8]) -> Result<(), Error> {
        self.verifier
            .check_webhook_signature(jwt, body)
            .await
            .map_err(rejection_error)
    }

    /// Records a revocation (database first, then this instance's memory).
    ///
    /// # Errors
    /// When the database refuses the write.
    /// It is kept until no JWT it refuses can still be unexpired: `at_millis` plus the
    /// application's JWT lifetime (`jwt_ttl_seconds`, from the event) and a minute, or plus
    /// `APP_MAX_REFRESH_AGE_MINUTES` when the lifetime is unknown.
    pub async fn record_revocation(
        &self,
        revocation: &Revocation,
        at_millis: i64,
        jwt_ttl_seconds: Option<i64>,
    ) -> Result<(), Error> {
        let keep_seconds = jwt_ttl_seconds
            .filter(|ttl| *ttl > 0)
            .map_or(self.max_refresh_age_seconds, |ttl| ttl.saturating_add(60));
        let expires_at_millis = at_millis.saturating_add(keep_seconds.saturating_mul(1000));
        self.revocations
            .record(revocation, at_millis, expires_at_millis)
            .await
            .map_err(Error::from)
    }

    /// Reloads the revocations from the database (other instances' writes; expiries).
    ///
    /// # Errors
    /// When the database cannot be read; the previous copy stays in use.
    pub async fn reload_revocations(&self) -> Result<(), sqlx::Error> {
        self.revocations.reload().await
    }

    /// Deletes expired revocations from the database.
    ///
    /// # Errors
    /// When the database refuses.
    pub async fn prune_revocations(&self) -> Result<u64, sqlx::Error> {
        self.revocations.prune().await
    }

    /// Authenticates a request carrying `bearer` (and, when its JWT has expired, the refresh
    /// token). FusionAuth is called only for a genuine JWT that has merely expired.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a missing, garbage or forged JWT, or a refresh that yields
    /// another user; [`Error::RefreshRequired`] for an expired or maybe revoked JWT (see
    /// [`Revocations::standing`]) sent without a refresh token; [`Error::SessionExpired`] for a
    /// revoked JWT, or one whose refresh token FusionAuth refuses;
    /// [`Error::Unavailable`] when FusionAuth cannot be reached.
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        refresh_token: Option<&str>,
    ) -> Result<(AuthUser, Option<NewTokens>), Error> {
        let token = bearer.ok_or(Error::Unauthorized("no bearer token"))?;
        let (claims, seconds_ago) = match self.verifier.check(token).await {
            Ok(Checked::Fresh(claims)) => {
                if !self.needs_proof(&claims)? {
                    return Ok((claims.into(), None));
                }
                // Maybe revoked (issued in a revocation's second, or without `sid` before one of
                // its user's sessions was revoked): a refresh token FusionAuth still honours
                // tells.
                (claims, 0)
            }
            Ok(Checked::Expired {
                claims,
                seconds_ago,
            }) => {
                // A revoked session is over: never ask FusionAuth to extend it.
                self.needs_proof(&claims)?;
                (claims, seconds_ago)
            }
            Err(rejection) => return Err(rejection_error(rejection)),
        };
        if seconds_ago > self.max_refresh_age_seconds {
            return Err(Error::SessionExpired(
                "JWT expired longer ago than any refresh token lives",
            ));
        }
        let Some(refresh_token) = refresh_token.filter(|t| !t.is_empty()) else {
            // The client believed its JWT fresh (its clock may be behind), or it was issued in
            // a revocation's second: it resends with its refresh token.
            return Err(Error::RefreshRequired(
                "the JWT needs the refresh token and none was sent",
            ));
        };
        // A refresh token this instance saw spent for its owner by someone else's JWT: only
        // the owner may continue, with the value FusionAuth rotated it to.
        let oldest_held = self
            .clock
            .now_millis()
            .saturating_sub(self.max_refresh_age_seconds.saturating_mul(1000));
        let presented = match self
            .held
            .take(refresh_token, &claims.iss, &claims.sub, oldest_held)
        {
            Claim::None => refresh_token.to_owned(),
            Claim::Owner(current) => current,
            Claim::Other => {
                return Err(Error::Unauthorized(
                    "the refresh token belongs to another user",
                ));
            }
        };
        let user = (claims.iss.clone(), claims.sub.clone());
        let tokens = self
            .refresher
            .refresh(&presented, token, || self.refresh_limiter.check(user))
            .await
            .map_err(|failure| match failure {
                RefreshFailure::Refused => {
                    Error::SessionExpired("FusionAuth refused the refresh token")
                }
                RefreshFailure::Unavailable(cause) => {
                    Error::Unavailable(anyhow::anyhow!("refreshing the JWT: {cause}"))
                }
                RefreshFailure::Limited(wait) => too_many_refreshes(&claims.sub, wait),
            })?;
        let new_claims = match self.verifier.check(&tokens.access_token).await {
            Ok(Checked::Fresh(new_claims)) => new_claims,
            Ok(Checked::Expired { .. }) => {
                return Err(Error::Unauthorized("the refreshed JWT is already expired"));
            }
            Err(Rejection::Invalid(_)) => {
                return Err(Error::Unauthorized("the refreshed JWT is invalid"));
            }
            Err(rejection) => return Err(rejection_error(rejection)),
        };
        if new_claims.sub != claims.sub || new_claims.iss != claims.iss {
            // FusionAuth spent another user's one-time refresh token: keep its new value for
            // that user, who would otherwise be logged out at their next refresh.
            if let Some(rotated) = tokens.refresh_token.filter(|new| new != &presented) {
                self.held.hold(
                    &presented,
                    &new_claims.iss,
                    &new_claims.sub,
                    rotated,
                    self.clock.now_millis(),
                );
            }
            return Err(Error::Unauthorized(
                "the refreshed JWT belongs to another user",
            ));
        }
        // The session may have been revoked while (or since) FusionAuth refreshed it. A maybe
        // revoked JWT is fine here: FusionAuth just honoured its refresh token.
        self.needs_proof(&new_claims)?;
        tracing::info!(subject = %new_claims.sub, "refreshed an expired JWT");
        let new_tokens = NewTokens {
            access_token: tokens.access_token,
            // The client holds `refresh_token`; a held value replaced it, so send even an
            // unrotated one back.
            refresh_token: tokens
                .refresh_token
                .or_else(|| (presented != refresh_token).then(|| presented.clone()))
                .filter(|new| new != refresh_token),
        };
        Ok((new_claims.into(), Some(new_tokens)))
    }
}

/// What a genuine JWT (valid signature, issuer and audience) says, for device-bound sessions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JwtFacts {
    pub issuer: String,
    pub subject: String,
    /// `exp`, epoch seconds.
    pub expires_at: i64,
}

/// A genuine JWT, fresh or expired.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JwtStatus {
    Fresh(JwtFacts),
    Expired { facts: JwtFacts, seconds_ago: i64 },
}

impl From<Claims> for JwtFacts {
    fn from(claims: Claims) -> Self {
        Self {
            issuer: claims.iss,
            subject: claims.sub,
            expires_at: claims.exp,
        }
    }
}

/// For `crate::device`: the JWT checks and the refresh call without `sid`, revocation
/// snapshots or refresh tokens from the client.
impl Authenticator {
    /// Verifies `token` as [`Authenticator::authenticate`] does, without reading `sid`.
    ///
    /// # Errors
    /// [`Error::Unauthorized`] for a garbage or forged JWT; [`Error::Unavailable`] when the keys
    /// cannot be fetched.
    pub(crate) async fn check_jwt(&self, token: &str) -> Result<JwtStatus, Error> {
        match self.verifier.check(token).await {
            Ok(Checked::Fresh(claims)) => Ok(JwtStatus::Fresh(claims.into())),
            Ok(Checked::Expired {
                claims,
                seconds_ago,
            }) => Ok(JwtStatus::Expired {
                facts: claims.into(),
                seconds_ago,
            }),
            Err(rejection) => Err(rejection_error(rejection)),
        }
    }

    /// Exchanges `refresh_token` at FusionAuth (`jwt` is sent along as its `token`), within
    /// the per-user refresh limit of `user` (issuer, subject).
    pub(crate) async fn exchange(
        &self,
        refresh_token: &str,
        jwt: &str,
        user: (String, String),
    ) -> Result<Tokens, RefreshFailure> {
        self.refresher
            .refresh(refresh_token, jwt, || self.refresh_limiter.check(user))
            .await
    }

    /// `APP_MAX_REFRESH_AGE_MINUTES` in seconds.
    pub(crate) fn max_refresh_age_seconds(&self) -> i64 {
        self.max_refresh_age_seconds
    }
}

impl Authenticator {
    /// Refuses revoked `claims`; true when they may be revoked and must come with a refresh
    /// token FusionAuth still honours (see [`Revocations::standing`]).
    fn needs_proof(&self, claims: &Claims) -> Result<bool, Error> {
        match self.revocations.standing(claims) {
            Standing::Clear => Ok(false),
            Standing::Unproven(reason) => {
                tracing::info!(subject = %claims.sub, reason, "a JWT that needs a live refresh token");
                Ok(true)
            }
            Standing::Revoked(reason) => Err(Error::SessionExpired(reason)),
        }
    }
}

fn rejection_error(rejection: Rejection) -> Error {
    match rejection {
        Rejection::Invalid(reason) => Error::Unauthorized(reason),
        Rejection::KeysUnavailable(cause) => {
            Error::Unavailable(cause.context("FusionAuth's signing keys are unavailable"))
        }
    }
}

/// 429 for a user past `APP_REFRESH_ATTEMPTS_PER_MINUTE`.
pub(crate) fn too_many_refreshes(subject: &str, wait: std::time::Duration) -> Error {
    tracing::warn!(%subject, "too many refreshes");
    Error::too_many_requests(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tokens_never_show_in_debug_output() {
        let tokens = NewTokens {
            access_token: "secret-jwt".into(),
            refresh_token: Some("secret-refresh".into()),
        };
        let shown = format!("{tokens:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
