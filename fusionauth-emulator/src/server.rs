//! The actix application: every route behind the access log and the CORS filter, used by the
//! server and by Kickstart's in-process replay alike.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, test, web};
use anyhow::{anyhow, bail};

use crate::infra;
use crate::kickstart::{self, Replay};
use crate::routes;
use crate::state::AppState;

/// The actix application: used by the server and by Kickstart's in-process replay.
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let test_hooks = state.test_hooks;
    let cors = web::Data::from(Arc::clone(&state.cors));
    App::new()
        .app_data(state)
        .app_data(cors)
        .app_data(web::PayloadConfig::new(infra::http::MAX_BODY_BYTES))
        .wrap(from_fn(infra::cors::filter))
        .wrap(from_fn(access_log))
        .configure(|cfg| routes::configure(cfg, test_hooks))
}

/// One log line per request: method, path (never the query string, which may carry a refresh
/// token), status and duration.
async fn access_log(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = req.method().clone();
    let path = redacted_path(req.path());
    let started = std::time::Instant::now();
    let response = next.call(req).await?;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis(),
        "request"
    );
    Ok(response)
}

/// Paths whose last segment is a secret (a change-password or email verification id): the
/// log shows `…/{redacted}` instead.
const SECRET_SEGMENT_PATHS: &[&str] = &["/api/user/change-password/", "/api/user/verify-email/"];

fn redacted_path(path: &str) -> String {
    match SECRET_SEGMENT_PATHS
        .iter()
        .find(|prefix| path.starts_with(*prefix))
    {
        Some(prefix) => format!("{prefix}{{redacted}}"),
        None => path.to_owned(),
    }
}

/// Replays a Kickstart's requests through the application, in process; the first one that does
/// not succeed stops start-up with its status and body.
pub async fn replay(state: web::Data<AppState>, replay: Replay) -> anyhow::Result<()> {
    let service = test::init_service(app(state)).await;
    for (index, request) in replay.requests.iter().enumerate() {
        let (label, call) = kickstart::request(index, request, &replay.api_key)?;
        let response = test::try_call_service(&service, call.to_request())
            .await
            .map_err(|e| anyhow!("{label} failed: {e}"))?;
        let status = response.status();
        if !status.is_success() {
            let body = response
                .into_body()
                .try_into_bytes()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default();
            bail!("{label} failed with HTTP {status}: {body}");
        }
        tracing::debug!(%status, "{label}");
    }
    tracing::info!(
        api_keys = replay.api_keys,
        requests = replay.requests.len(),
        "Kickstart applied"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::redacted_path;

    #[test]
    fn the_access_log_never_shows_a_change_password_or_verification_id() {
        let table = [
            (
                "/api/user/change-password/SECRET",
                "/api/user/change-password/{redacted}",
            ),
            (
                "/api/user/verify-email/SECRET",
                "/api/user/verify-email/{redacted}",
            ),
            ("/api/user/change-password", "/api/user/change-password"),
            ("/api/user/abc", "/api/user/abc"),
        ];
        for (path, logged) in table {
            assert_eq!(redacted_path(path), logged);
        }
    }
}
