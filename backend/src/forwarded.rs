//! A FusionAuth answer passed on to the browser unchanged (the login proxy, the passkey starts):
//! its status, its body, and its content type when it has a body.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;

use crate::error::{Error, Result};

/// FusionAuth's answer, read whole.
#[derive(Debug)]
pub struct Forwarded {
    pub status: StatusCode,
    /// FusionAuth's `Content-Type`, when it sent a usable one.
    pub content_type: Option<HeaderValue>,
    pub body: Bytes,
}

impl Forwarded {
    /// Sends `request` and reads the answer; `what` (e.g. `POST /api/login`) names the call in
    /// errors.
    ///
    /// # Errors
    /// [`Error::Unavailable`] when FusionAuth cannot be reached or its answer cannot be read.
    pub async fn fetch(request: reqwest::RequestBuilder, what: &str) -> Result<Self> {
        let unavailable = |cause: String| Error::Unavailable(anyhow::anyhow!("{what}: {cause}"));
        let response = request
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        let status = StatusCode::from_u16(response.status().as_u16())
            .map_err(|e| unavailable(e.to_string()))?;
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
        let body = response
            .bytes()
            .await
            .map_err(|e| unavailable(format!("unreadable answer: {}", e.without_url())))?;
        tracing::info!(status = status.as_u16(), what, "FusionAuth answered");
        Ok(Self {
            status,
            content_type,
            body,
        })
    }

    /// The answer for the browser: an empty body stays empty, with no content type.
    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.body.is_empty() {
            return builder.finish();
        }
        let content_type = self
            .content_type
            .unwrap_or(HeaderValue::from_static("application/json"));
        builder.insert_header((header::CONTENT_TYPE, content_type));
        builder.body(self.body)
    }
}
