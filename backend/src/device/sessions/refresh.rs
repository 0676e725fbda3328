//! The refresh of a device-bound session: one FusionAuth call per session across instances
//! (the row's lease); every other request waits for the generation to move (a notification or
//! a short poll) and is served with the winner's JWT.

use super::*;

impl DeviceSessions {
    /// A fresh JWT for `session`, whose client presented the expired `presented`: the one
    /// another request already obtained, or a new one from FusionAuth (one call per session,
    /// across instances).
    pub(super) async fn refresh(
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
        let user = (session.issuer.clone(), session.subject.clone());
        let tokens = match auth.exchange(&refresh_token, latest, user).await {
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
            Err(RefreshFailure::Limited(wait)) => {
                release().await;
                return Err(crate::auth::too_many_refreshes(&session.subject, wait));
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
}
