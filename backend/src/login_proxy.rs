//! The login proxy service behind `POST /api/login` (the workflow's alternative path): forwards
//! a login to FusionAuth with the server-side API key and limits attempts per client address.
//! <https://fusionauth.io/docs/apis/login#authenticate-a-user>
//!
//! The API key lets a caller choose what FusionAuth trusts only from its backend, so the body is
//! rewritten first: `applicationId` is pinned to this store's, `noJWT` is dropped and
//! `ipAddress` is the client address as this backend sees it (`X-Forwarded-For` is believed
//! only from `APP_TRUSTED_PROXIES`).
//!
//! The body — credentials — is never logged. The handler is [`crate::routes::login`].

use std::net::IpAddr;
use std::time::Duration;

use actix_web::web::Bytes;

use crate::client_address;
use crate::error::{Error, Result};
use crate::forwarded::Forwarded;
use crate::rate_limit::RateLimiter;
use crate::settings::Secret;

/// How long FusionAuth may take to answer a login.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The proxy's configuration and per-address limiter (present when `APP_FUSIONAUTH_API_KEY`
/// is set).
#[derive(Debug)]
pub struct LoginProxy {
    client: reqwest::Client,
    url: String,
    api_key: Secret,
    limiter: RateLimiter,
    application_id: String,
}

impl LoginProxy {
    pub fn new(
        client: reqwest::Client,
        fusionauth_url: &str,
        api_key: Secret,
        attempts_per_minute: u32,
        application_id: &str,
    ) -> Self {
        Self {
            client,
            url: format!("{}/api/login", fusionauth_url.trim_end_matches('/')),
            api_key,
            limiter: RateLimiter::per_minute(attempts_per_minute),
            application_id: application_id.to_owned(),
        }
    }

    /// Counts an attempt from `client_ip`.
    ///
    /// # Errors
    /// [`Error::TooManyRequests`] past the per-address limit.
    pub fn admit(&self, client_ip: IpAddr) -> Result<()> {
        client_address::admit(&self.limiter, client_ip, "login")
    }

    /// Sends `body`, pinned (see the module), to FusionAuth's `POST /api/login` on behalf of
    /// `client_ip`.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when FusionAuth cannot be reached or its answer cannot be read;
    /// [`Error::InvalidRequest`] when the body is not a JSON object.
    pub async fn forward(&self, client_ip: IpAddr, body: Bytes) -> Result<Forwarded> {
        let body = pinned(&body, &self.application_id, client_ip)?;
        let request = self
            .client
            .post(&self.url)
            .header(reqwest::header::AUTHORIZATION, self.api_key.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("x-forwarded-for", client_ip.to_string())
            .body(body)
            .timeout(TIMEOUT);
        Forwarded::fetch(request, "POST /api/login").await
    }
}

/// `body` with `applicationId` set to `application_id`, `ipAddress` to `client_ip`, and
/// `noJWT` removed (FusionAuth's spelling and any other case of it).
fn pinned(body: &[u8], application_id: &str, client_ip: IpAddr) -> Result<Vec<u8>> {
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Error::InvalidRequest("The login body is not JSON.".to_owned()))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| Error::InvalidRequest("The login body is not a JSON object.".to_owned()))?;
    object.retain(|name, _| {
        !name.eq_ignore_ascii_case("noJWT")
            && !name.eq_ignore_ascii_case("ipAddress")
            && !name.eq_ignore_ascii_case("applicationId")
    });
    object.insert("applicationId".to_owned(), application_id.into());
    object.insert("ipAddress".to_owned(), client_ip.to_string().into());
    serde_json::to_vec(&value).map_err(|e| Error::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const APP: &str = "b0029271-d049-43fa-9a64-ade04b85bf15";

    #[test]
    fn the_application_and_address_are_pinned_and_no_jwt_is_dropped() {
        let client: IpAddr = "203.0.113.9".parse().expect("address");
        let body = json!({
            "loginId": "a@example.com", "password": "p",
            "applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
            "ipAddress": "10.0.0.1", "IPADDRESS": "10.0.0.2",
            "noJWT": true, "nojwt": true, "metaData": {"device": {"name": "phone"}}
        });
        let sent: Value = serde_json::from_slice(
            &pinned(body.to_string().as_bytes(), APP, client).expect("pinned"),
        )
        .expect("JSON");
        assert_eq!(
            sent,
            json!({
                "loginId": "a@example.com", "password": "p", "applicationId": APP,
                "ipAddress": "203.0.113.9", "metaData": {"device": {"name": "phone"}}
            })
        );
    }

    #[test]
    fn bodies_that_are_not_json_objects_are_refused() {
        let client: IpAddr = "203.0.113.9".parse().expect("address");
        for body in ["", "not json", "[]", "\"text\"", "null"] {
            assert!(
                matches!(
                    pinned(body.as_bytes(), APP, client),
                    Err(Error::InvalidRequest(_))
                ),
                "{body}"
            );
        }
    }
}
