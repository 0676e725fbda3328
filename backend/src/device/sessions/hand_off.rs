//! `POST /api/session` (the hand-off) and `DELETE /api/session` (logout).

use super::*;

impl DeviceSessions {
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
            .exchange(
                presented_refresh_token,
                request.access_token,
                (facts.issuer.clone(), facts.subject.clone()),
            )
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
            Err(RefreshFailure::Limited(wait)) => {
                return Err(crate::auth::too_many_refreshes(&facts.subject, wait));
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
        let device_label = crate::device::device_label(user_agent);
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
        self.sign_out(&session).await?;
        tracing::info!(session = %session.id, "logged a device session out");
        Ok(())
    }
}
