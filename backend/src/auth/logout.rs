//! FusionAuth's Logout API for a refresh token the backend holds (`POST /api/logout
//! {refreshToken}`; no API key): a device-bound session's sign-out, and the session the
//! Registration API opens at sign-up, which nobody holds.

use std::time::Duration;

use shared::fusionauth::LogoutRequest;

/// How long FusionAuth may take to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Ends `refresh_token` at FusionAuth (`logout_url` is `{FusionAuth}/api/logout`). Never
/// fails: a refusal or an unreachable FusionAuth is logged with `context` (what happens
/// instead), and the token then lives until it expires or is revoked.
pub(crate) async fn log_out(
    client: &reqwest::Client,
    logout_url: &str,
    refresh_token: String,
    context: &str,
) {
    let body = LogoutRequest {
        global: None,
        refresh_token: Some(refresh_token),
    };
    let outcome = client
        .post(logout_url)
        .json(&body)
        .timeout(TIMEOUT)
        .send()
        .await;
    match outcome {
        Ok(response) if response.status().is_success() => {}
        Ok(response) => tracing::warn!(
            status = response.status().as_u16(),
            "FusionAuth did not log the refresh token out; {context}"
        ),
        Err(error) => tracing::warn!(
            error = %error.without_url(),
            "cannot reach FusionAuth to log the refresh token out; {context}"
        ),
    }
}
