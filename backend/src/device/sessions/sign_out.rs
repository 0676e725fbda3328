//! Ending a device-bound session by its owner: from the device itself (`DELETE /api/session`)
//! or from another of their devices (`/api/account/sessions`, `crate::routes::devices`).

use super::*;
use crate::auth::logout;

impl DeviceSessions {
    /// The sessions of the user `subject` of `issuer`, oldest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub(crate) async fn of_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Vec<StoredDeviceSession>, Error> {
        Ok(store::list_device_sessions(&self.pool, issuer, subject).await?)
    }

    /// Ends `session` for its owner: logs its refresh token out at
    /// FusionAuth, deletes it, and tells every instance, so the device's next request is
    /// refused. When FusionAuth cannot be reached the session is still deleted: its refresh
    /// token lived only here.
    ///
    /// # Errors
    /// When the database refuses.
    pub(crate) async fn sign_out(&self, session: &StoredDeviceSession) -> Result<(), Error> {
        match self.sealer.open(
            Sealed::RefreshToken,
            &session.id,
            &session.sealed_refresh_token,
        ) {
            Ok(opened) => {
                logout::log_out(
                    &self.client,
                    &self.logout_url,
                    opened.value,
                    "the session is deleted anyway",
                )
                .await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot open a session's refresh token to log it out")
            }
        }
        self.end(&session.id).await?;
        Ok(())
    }
}
