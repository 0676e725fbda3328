//! What every response carries: a request id, security headers (a CSP that lets the PWA run
//! and reach FusionAuth), caching rules by path, and CORS for allowlisted origins on `/api`.
//!
//! [`Hardening`] is built once at start and registered as its own `web::Data`, which the two
//! middleware functions read; this module knows nothing of `AppState` or the routes.

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tracing::Instrument as _;

/// The request id header, read (when well-formed) or generated, and echoed.
pub const REQUEST_ID: &str = "x-request-id";
/// How often `index.html` is checked for a rebuild (`trunk watch` rewrites its inline script).
const INDEX_RECHECK: Duration = Duration::from_secs(1);
/// Headers an allowlisted origin may send and read.
const CORS_ALLOW_HEADERS: &str = "Authorization, Content-Type, DPoP, X-Refresh-Token, X-Request-Id";
const CORS_ALLOW_METHODS: &str = "GET, POST, PATCH, DELETE";

/// The security configuration, built once at start.
#[derive(Debug)]
pub struct Hardening {
    csp: Csp,
    cors_origins: Vec<String>,
}

impl Hardening {
    pub fn new(
        static_dir: Option<&std::path::Path>,
        fusionauth_public_url: &str,
        cors_origins: &[String],
    ) -> Self {
        Self {
            csp: Csp::new(
                static_dir.map(|dir| dir.join("index.html")),
                origin_of(fusionauth_public_url),
            ),
            cors_origins: cors_origins
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_owned())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    fn allows_origin(&self, origin: &str) -> bool {
        self.cors_origins.iter().any(|allowed| allowed == origin)
    }
}

/// `scheme://host[:port]` of a URL (the URL itself when it cannot be parsed).
fn origin_of(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    match trimmed.find("://") {
        Some(scheme_end) => {
            let rest = &trimmed[scheme_end + 3..];
            let host_end = rest.find('/').unwrap_or(rest.len());
            format!("{}://{}", &trimmed[..scheme_end], &rest[..host_end])
        }
        None => trimmed.to_owned(),
    }
}

/// The Content-Security-Policy, with the hashes of `index.html`'s inline scripts and styles
/// (recomputed when the file changes).
#[derive(Debug)]
struct Csp {
    index: Option<PathBuf>,
    connect_origin: String,
    cached: Mutex<CachedCsp>,
}

#[derive(Debug)]
struct CachedCsp {
    checked: Option<Instant>,
    modified: Option<SystemTime>,
    value: HeaderValue,
}

impl Csp {
    fn new(index: Option<PathBuf>, connect_origin: String) -> Self {
        let csp = Self {
            index,
            connect_origin,
            cached: Mutex::new(CachedCsp {
                checked: None,
                modified: None,
                value: HeaderValue::from_static("default-src 'self'"),
            }),
        };
        csp.refresh(&mut csp.cached.lock().unwrap_or_else(PoisonError::into_inner));
        csp
    }

    fn value(&self) -> HeaderValue {
        let mut cached = self.cached.lock().unwrap_or_else(PoisonError::into_inner);
        if cached
            .checked
            .is_none_or(|at| at.elapsed() >= INDEX_RECHECK)
        {
            self.refresh(&mut cached);
        }
        cached.value.clone()
    }

    fn refresh(&self, cached: &mut CachedCsp) {
        cached.checked = Some(Instant::now());
        let modified = self
            .index
            .as_deref()
            .and_then(|path| std::fs::metadata(path).ok())
            .and_then(|meta| meta.modified().ok());
        if cached.modified.is_some() && modified == cached.modified {
            return;
        }
        let html = self
            .index
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        let policy = policy(&html, &self.connect_origin);
        match HeaderValue::from_str(&policy) {
            Ok(value) => {
                if cached.modified.is_some() {
                    tracing::info!("index.html changed; Content-Security-Policy recomputed");
                }
                cached.value = value;
                cached.modified = modified;
            }
            Err(error) => tracing::error!(%error, "cannot build the Content-Security-Policy"),
        }
    }
}

/// The policy for a PWA whose `index.html` is `html`, talking to FusionAuth at `connect_origin`.
fn policy(html: &str, connect_origin: &str) -> String {
    let hashes = |tag: &str| {
        inline_contents(html, tag)
            .iter()
            .map(|content| {
                format!(
                    " 'sha256-{}'",
                    STANDARD.encode(digest(&SHA256, content.as_bytes()).as_ref())
                )
            })
            .collect::<String>()
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self'{}; \
         img-src 'self' data:; connect-src 'self' {connect_origin}; manifest-src 'self'; \
         worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
         object-src 'none'",
        hashes("script"),
        hashes("style"),
    )
}

/// The text of every inline `<tag>…</tag>` (scripts with a `src` are not inline).
fn inline_contents<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let (open, close) = (format!("<{tag}"), format!("</{tag}"));
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find(&open).map(|i| i + from) {
        let after_name = start + open.len();
        // `<scripts>` or `<styled-thing>` are other elements.
        if !lower[after_name..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            from = after_name;
            continue;
        }
        let Some(tag_end) = lower[after_name..].find('>').map(|i| i + after_name) else {
            break;
        };
        let Some(content_end) = lower[tag_end..].find(&close).map(|i| i + tag_end) else {
            break;
        };
        let attributes = &lower[after_name..tag_end];
        if !attributes.contains("src=") {
            found.push(&html[tag_end + 1..content_end]);
        }
        from = content_end + close.len();
    }
    found
}

/// A well-formed incoming request id, or a new one.
fn request_id(headers: &HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 128
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

/// Outermost: the request id (echoed, and in every log line through the span), one log line
/// per request, the security and caching headers.
pub async fn every_response(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(req.headers());
    let span = tracing::info_span!("request", id = %id);
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let hardening = req.app_data::<web::Data<Hardening>>().cloned();
    // Over HTTPS (TLS here, or a TLS-terminating proxy's `X-Forwarded-Proto`/`Forwarded`): a
    // browser ignores the header over plain HTTP, so a spoofed scheme costs nothing.
    let https = req.connection_info().scheme().eq_ignore_ascii_case("https");
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(HeaderName::from_static(REQUEST_ID), value);
    }
    if let Some(hardening) = hardening {
        headers.insert(header::CONTENT_SECURITY_POLICY, hardening.csp.value());
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    if let Some(rule) = cache_rule(&path, status) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(rule));
    } else if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    span.in_scope(|| {
        tracing::info!(
            %method,
            path,
            status = status.as_u16(),
            millis = started.elapsed().as_millis(),
            "request"
        );
    });
    Ok(response)
}

/// The caching rule a path must have whatever the handler said; `None` keeps the handler's
/// (or `no-cache`).
fn cache_rule(path: &str, status: StatusCode) -> Option<&'static str> {
    if path.starts_with("/api/")
        || path == "/api"
        || path.starts_with("/webhooks/")
        || path.starts_with("/health/")
        || path == "/app-config.json"
    {
        return Some("no-store");
    }
    let name = path.rsplit('/').next().unwrap_or_default();
    if matches!(name, "" | "index.html" | "manifest.webmanifest" | "sw.js") {
        return Some("no-cache");
    }
    if (status.is_success() || status == StatusCode::NOT_MODIFIED) && is_hashed_asset(name) {
        return Some("public, max-age=31536000, immutable");
    }
    None
}

/// Trunk's content-hashed file names: `name-<hash>.ext` or `name-<hash>_bg.wasm`, the hash a
/// 64-bit number in hex without leading zeros (so usually, not always, 16 digits).
fn is_hashed_asset(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (10..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// On `/api`: CORS for the allowlisted origins (preflights answered here), exposing the
/// refreshed tokens. Other origins get no CORS headers, so browsers keep them out.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed = origin.filter(|origin| {
        req.app_data::<web::Data<Hardening>>()
            .is_some_and(|hardening| hardening.allows_origin(origin))
    });
    let Some(origin) = allowed else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(origin_value) = HeaderValue::from_str(&origin) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin_value))
            .insert_header((header::VARY, "Origin"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, CORS_ALLOW_METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_ALLOW_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin_value);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "X-New-Access-Token, X-New-Refresh-Token, Retry-After, X-Request-Id, WWW-Authenticate",
        ),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRUNK_INDEX: &str = r#"<html><head>
<script type="module">
import init from '/frontend-fe6bb5926f60e295.js';
await init();
</script>
<script src="/other.js"></script>
<noscript><style>#boot { display: none; }</style></noscript>
</head></html>"#;

    #[test]
    fn inline_scripts_and_styles_are_found_exactly() {
        assert_eq!(
            inline_contents(TRUNK_INDEX, "script"),
            ["\nimport init from '/frontend-fe6bb5926f60e295.js';\nawait init();\n"]
        );
        assert_eq!(
            inline_contents(TRUNK_INDEX, "style"),
            ["#boot { display: none; }"]
        );
    }

    #[test]
    fn the_policy_names_the_hashes_wasm_and_fusionauth() {
        let value = policy(TRUNK_INDEX, "https://auth.example:9011");
        assert!(value.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        assert!(value.contains("style-src 'self' 'sha256-"));
        assert!(value.contains("connect-src 'self' https://auth.example:9011;"));
        assert!(value.contains("frame-ancestors 'none'"));
        assert_eq!(
            policy("", "http://x"),
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self' http://x; manifest-src 'self'; \
             worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; \
             object-src 'none'"
        );
    }

    #[test]
    fn origins_drop_paths_and_trailing_slashes() {
        assert_eq!(origin_of("http://127.0.0.1:9011/"), "http://127.0.0.1:9011");
        assert_eq!(
            origin_of("https://auth.example/fa/"),
            "https://auth.example"
        );
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        for name in [
            "frontend-fe6bb5926f60e295.js",
            "frontend-fe6bb5926f60e295_bg.wasm",
            "style-2866cd93045b2fa8.css",
            "frontend-7411094b465a056.js",
        ] {
            assert!(is_hashed_asset(name), "{name}");
        }
        for name in [
            "icon.svg",
            "index.html",
            "coffee-beans.svg",
            "manifest.webmanifest",
            "a-cafe.js",
        ] {
            assert!(!is_hashed_asset(name), "{name}");
        }
    }

    #[test]
    fn request_ids_are_echoed_when_well_formed_and_generated_otherwise() {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static(REQUEST_ID),
            HeaderValue::from_static("abc-123"),
        );
        assert_eq!(request_id(&headers), "abc-123");
        headers.insert(
            HeaderName::from_static(REQUEST_ID),
            HeaderValue::from_static("bad id <script>"),
        );
        assert_ne!(request_id(&headers), "bad id <script>");
        assert_eq!(request_id(&HeaderMap::new()).len(), 36);
    }
}
