//! `POST /api/jwt/refresh` — exchanges a refresh token for a new JWT (workflow steps 7–8, 11–12).
//! <https://fusionauth.io/docs/apis/jwt#refresh-a-jwt>
//!
//! Single-flight: concurrent requests carrying the same refresh token share one call to
//! FusionAuth (keyed by the token's SHA-256, so the map never holds the secret), and the outcome
//! is kept for [`KEEP_OUTCOME`] so the stragglers of one burst get the same new tokens instead of
//! spending a one-time token twice. Whoever presents the token later asks FusionAuth again, whose
//! one-time-use grace period decides. Keeping outcomes longer would act as a second grace period
//! that FusionAuth's policy cannot shorten, so [`KEEP_OUTCOME`] stays well below any sensible
//! grace period (the Kickstart's is 10 s).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::digest::{SHA256, digest};
use reqwest::StatusCode;
use shared::fusionauth::{RefreshRequest, RefreshResponse};
use tokio::sync::OnceCell;

use crate::clock::Clock;

/// How long FusionAuth may take to answer.
const TIMEOUT: Duration = Duration::from_secs(5);
/// How long a completed refresh is remembered, by the backend's clock.
pub const KEEP_OUTCOME: Duration = Duration::from_secs(2);

/// What FusionAuth handed back.
#[derive(Clone)]
pub(crate) struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    /// FusionAuth's id of the refresh token, when its answer named one.
    pub refresh_token_id: Option<String>,
}

shared::debug_fields!(Tokens {});

/// Why no new JWT was obtained.
#[derive(Clone, Debug)]
pub(crate) enum RefreshFailure {
    /// FusionAuth refused the refresh token (400/404): the session is over.
    Refused,
    /// FusionAuth could not be reached, timed out or failed: the session may still be alive.
    Unavailable(String),
    /// Too many refreshes for this user right now; FusionAuth was not called.
    Limited(Duration),
}

/// When the call completed (backend clock, ms) and what it yielded.
type Outcome = (i64, Result<Tokens, RefreshFailure>);

#[derive(Default)]
struct Flight {
    outcome: OnceCell<Outcome>,
}

pub(crate) struct Refresher {
    endpoint: Endpoint,
    flights: Mutex<HashMap<[u8; 32], Arc<Flight>>>,
    clock: Clock,
}

/// FusionAuth's refresh endpoint.
#[derive(Clone)]
struct Endpoint {
    client: reqwest::Client,
    url: String,
}

impl Refresher {
    pub fn new(client: reqwest::Client, fusionauth_url: &str, clock: Clock) -> Self {
        Self {
            endpoint: Endpoint {
                client,
                url: format!("{}/api/jwt/refresh", fusionauth_url.trim_end_matches('/')),
            },
            flights: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// A new JWT for `refresh_token`; `expired_jwt` is passed along as FusionAuth's `token`.
    /// `admit` is asked only when this starts a new call to FusionAuth (not when it joins one).
    pub async fn refresh(
        &self,
        refresh_token: &str,
        expired_jwt: &str,
        admit: impl FnOnce() -> Result<(), Duration>,
    ) -> Result<Tokens, RefreshFailure> {
        let key = fingerprint(refresh_token);
        let flight = {
            let now = self.clock.now_millis();
            let keep = i64::try_from(KEEP_OUTCOME.as_millis()).unwrap_or(i64::MAX);
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            flights.retain(|_, flight| {
                flight
                    .outcome
                    .get()
                    .is_none_or(|(done, _)| now.saturating_sub(*done) < keep)
            });
            if !flights.contains_key(&key) {
                admit().map_err(RefreshFailure::Limited)?;
            }
            Arc::clone(flights.entry(key).or_default())
        };
        // The call runs in its own task: when the client goes away mid-refresh, the outcome is
        // still recorded, so its retry gets the new tokens instead of spending the old one again.
        let endpoint = self.endpoint.clone();
        let (refresh_token, expired_jwt) = (refresh_token.to_owned(), expired_jwt.to_owned());
        let task_flight = Arc::clone(&flight);
        let clock = self.clock.clone();
        let span = tracing::Span::current();
        let task = tokio::spawn(tracing::Instrument::instrument(
            async move {
                let (_, result) = task_flight
                    .outcome
                    .get_or_init(|| async move {
                        let result = endpoint.call(&refresh_token, &expired_jwt).await;
                        (clock.now_millis(), result)
                    })
                    .await;
                result.clone()
            },
            span,
        ));
        let result = task.await.unwrap_or_else(|error| {
            Err(RefreshFailure::Unavailable(format!(
                "the refresh task failed: {error}"
            )))
        });
        if matches!(result, Err(RefreshFailure::Unavailable(_))) {
            // Do not remember outages: the next attempt should try FusionAuth again.
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            if flights
                .get(&key)
                .is_some_and(|current| Arc::ptr_eq(current, &flight))
            {
                flights.remove(&key);
            }
        }
        result
    }
}

impl Endpoint {
    #[tracing::instrument(skip_all)]
    async fn call(&self, refresh_token: &str, expired_jwt: &str) -> Result<Tokens, RefreshFailure> {
        let body = RefreshRequest {
            refresh_token: Some(refresh_token.to_owned()),
            token: Some(expired_jwt.to_owned()),
        };
        let response = self
            .client
            .post(&self.url)
            .json(&body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| {
                RefreshFailure::Unavailable(format!("POST {}: {}", self.url, e.without_url()))
            })?;
        let status = response.status();
        match status {
            StatusCode::OK => {
                let body: RefreshResponse = response.json().await.map_err(|e| {
                    RefreshFailure::Unavailable(format!(
                        "POST {}: unreadable answer: {}",
                        self.url,
                        e.without_url()
                    ))
                })?;
                tracing::info!("FusionAuth issued a new JWT");
                Ok(Tokens {
                    access_token: body.token,
                    refresh_token: body.refresh_token.filter(|t| !t.is_empty()),
                    refresh_token_id: body.refresh_token_id.filter(|id| !id.is_empty()),
                })
            }
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => {
                tracing::info!(
                    status = status.as_u16(),
                    "FusionAuth refused the refresh token"
                );
                Err(RefreshFailure::Refused)
            }
            other => Err(RefreshFailure::Unavailable(format!(
                "POST {} answered {other}",
                self.url
            ))),
        }
    }
}

fn fingerprint(refresh_token: &str) -> [u8; 32] {
    let mut key = [0_u8; 32];
    key.copy_from_slice(digest(&SHA256, refresh_token.as_bytes()).as_ref());
    key
}
