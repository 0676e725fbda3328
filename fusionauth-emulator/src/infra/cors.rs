//! FusionAuth's CORS filter, driven by `systemConfiguration.corsConfiguration`
//! (<https://fusionauth.io/docs/operate/secure-and-monitor/cors>).
//!
//! Disabled (the default): requests pass through and no CORS header is ever added, so browsers
//! block cross-origin reads. Enabled: a request from an allowed origin with an allowed method
//! gets `Access-Control-Allow-Origin`; a preflight is answered here (204) when origin, method
//! and headers are all allowed; any other cross-origin request is refused with 403.

use std::sync::{PoisonError, RwLock};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use shared::fusionauth::CorsConfiguration;

const EXCLUDED_PREFIXES: &[&str] = &["/account", "/admin", "/support", "/ajax"];

/// The configuration in force, changed by `PATCH /api/system-configuration`; read by the
/// filter from the app data.
#[derive(Debug, Default)]
pub struct CorsPolicy(RwLock<CorsConfiguration>);

impl CorsPolicy {
    pub fn get(&self) -> CorsConfiguration {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set(&self, config: CorsConfiguration) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = config;
    }
}

pub async fn filter(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Only requests with an Origin pay for reading the configuration.
    let config = origin.as_ref().and_then(|_| {
        req.app_data::<web::Data<CorsPolicy>>()
            .map(|policy| policy.get())
    });
    let (Some(origin), Some(config)) = (origin, config) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let path = req.path();
    if !config.enabled || EXCLUDED_PREFIXES.iter().any(|p| path.starts_with(p)) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !origin_allowed(&config, &origin) {
        return Ok(forbidden(req, &config, "origin not allowed"));
    }
    if preflight {
        let method = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !method_allowed(&config, &method) {
            return Ok(forbidden(req, &config, "method not allowed"));
        }
        let requested: Vec<String> = req
            .headers()
            .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .collect();
        if !requested.iter().all(|h| {
            config
                .allowed_headers
                .iter()
                .any(|allowed| allowed.eq_ignore_ascii_case(h))
        }) {
            return Ok(forbidden(req, &config, "header not allowed"));
        }
        let mut response = HttpResponse::NoContent();
        let mut response = response.finish();
        let headers = response.headers_mut();
        allow_origin(headers, &config, &origin);
        insert(
            headers,
            header::ACCESS_CONTROL_ALLOW_METHODS,
            &config.allowed_methods.join(","),
        );
        insert(
            headers,
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            &config.allowed_headers.join(","),
        );
        insert(
            headers,
            header::ACCESS_CONTROL_MAX_AGE,
            &config.preflight_max_age_in_seconds.to_string(),
        );
        return Ok(req.into_response(response).map_into_right_body());
    }
    if !method_allowed(&config, req.method().as_str()) {
        return Ok(forbidden(req, &config, "method not allowed"));
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    allow_origin(headers, &config, &origin);
    if !config.exposed_headers.is_empty() {
        insert(
            headers,
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            &config.exposed_headers.join(","),
        );
    }
    Ok(response.map_into_left_body())
}

fn origin_allowed(config: &CorsConfiguration, origin: &str) -> bool {
    config
        .allowed_origins
        .iter()
        .any(|allowed| allowed == "*" || allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

fn method_allowed(config: &CorsConfiguration, method: &str) -> bool {
    config
        .allowed_methods
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(method))
}

fn allow_origin(headers: &mut HeaderMap, config: &CorsConfiguration, origin: &str) {
    let any = config.allowed_origins.iter().any(|o| o == "*");
    if any && !config.allow_credentials {
        insert(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    } else {
        insert(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    if config.allow_credentials {
        insert(headers, header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
    }
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn forbidden<B>(
    req: ServiceRequest,
    config: &CorsConfiguration,
    reason: &str,
) -> ServiceResponse<EitherBody<B>> {
    if config.debug {
        tracing::info!(reason, path = req.path(), "CORS request refused");
    } else {
        tracing::debug!(reason, path = req.path(), "CORS request refused");
    }
    req.into_response(HttpResponse::Forbidden().finish())
        .map_into_right_body()
}
