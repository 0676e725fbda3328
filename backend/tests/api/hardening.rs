//! What every response carries: security headers (a CSP that lets the PWA run and reach
//! FusionAuth), caching rules, a request id, CORS for allowlisted origins; and readiness.

use base64::Engine as _;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use shared::headers::{NEW_ACCESS_TOKEN, REFRESH_TOKEN};

use crate::helpers::{PAST_JWT_LIFETIME, Sent, TestApp, header, spawn_app, spawn_app_with};

const INLINE_SCRIPT: &str = "\nimport init from '/frontend-0123456789abcdef.js';\nawait init();\n";
const INLINE_STYLE: &str = "#boot { display: none; }";

fn sha256_source(text: &str) -> String {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(hash.as_ref())
    )
}

/// A PWA laid out as Trunk builds it.
async fn spawn_app_with_pwa(cors_origin: Option<&str>) -> (TestApp, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("backend-pwa-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("static dir");
    let index = format!(
        "<!doctype html><html><head><script type=\"module\">{INLINE_SCRIPT}</script>\
         <link rel=\"manifest\" href=\"/manifest.webmanifest\">\
         <noscript><style>{INLINE_STYLE}</style></noscript></head><body></body></html>"
    );
    for (name, content) in [
        ("index.html", index.as_str()),
        (
            "frontend-0123456789abcdef.js",
            "export default function init() {}",
        ),
        ("style-2866cd93045b2fa8.css", "body {}"),
        ("manifest.webmanifest", "{}"),
        ("sw.js", "self.addEventListener('fetch', () => {});"),
        ("icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    ] {
        std::fs::write(dir.join(name), content).expect("static file");
    }
    let static_dir = dir.clone();
    let origin = cors_origin.map(str::to_owned);
    let app = spawn_app_with(move |settings| {
        settings.static_dir = Some(static_dir);
        settings.cors_allowed_origins = origin.into_iter().collect();
    })
    .await;
    (app, dir)
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.get(path).await
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_request_id() {
    let (app, dir) = spawn_app_with_pwa(None).await;
    for path in [
        "/",
        "/cart",
        "/api/products",
        "/api/cart",
        "/api/nothing",
        "/app-config.json",
        "/health/ready",
        "/missing.js",
        "/frontend-0123456789abcdef.js",
    ] {
        let response = get(&app, path).await;
        let csp = header(&response, "content-security-policy").expect("a CSP");
        assert!(csp.starts_with("default-src 'self'; "), "{path}: {csp}");
        assert_eq!(
            header(&response, "x-frame-options").as_deref(),
            Some("DENY"),
            "{path}"
        );
        assert_eq!(
            header(&response, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(
            header(&response, "referrer-policy").as_deref(),
            Some("no-referrer")
        );
        assert!(header(&response, "permissions-policy").is_some_and(|p| p.contains("camera=()")));
        let id = header(&response, "x-request-id").expect("a request id");
        assert_eq!(id.len(), 36, "{path}: a generated UUID");
    }
    let response = app
        .client
        .get(app.url("/api/products"))
        .header("x-request-id", "trace-42")
        .sent()
        .await;
    assert_eq!(
        header(&response, "x-request-id").as_deref(),
        Some("trace-42")
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_csp_allows_the_pwas_inline_module_wasm_and_fusionauth_and_nothing_else() {
    let (app, dir) = spawn_app_with_pwa(None).await;
    let csp = header(&get(&app, "/").await, "content-security-policy").expect("a CSP");
    let directives: Vec<&str> = csp.split("; ").collect();
    assert!(directives.contains(&"default-src 'self'"));
    assert!(
        directives.contains(
            &format!(
                "script-src 'self' 'wasm-unsafe-eval' {}",
                sha256_source(INLINE_SCRIPT)
            )
            .as_str()
        )
    );
    assert!(
        directives.contains(&format!("style-src 'self' {}", sha256_source(INLINE_STYLE)).as_str())
    );
    assert!(directives.contains(&format!("connect-src 'self' {}", app.fusionauth_url).as_str()));
    for directive in [
        "img-src 'self' data:",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ] {
        assert!(directives.contains(&directive), "{directive} in {csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
        "{csp}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn caching_is_no_store_for_the_api_immutable_for_hashed_assets_and_revalidated_otherwise() {
    let (app, dir) = spawn_app_with_pwa(None).await;
    for (path, expected) in [
        ("/api/products", "no-store"),
        ("/api/cart", "no-store"),
        ("/app-config.json", "no-store"),
        ("/health/live", "no-store"),
        ("/", "no-cache"),
        ("/index.html", "no-cache"),
        ("/cart", "no-cache"),
        ("/manifest.webmanifest", "no-cache"),
        ("/sw.js", "no-cache"),
        ("/icon.svg", "no-cache"),
        (
            "/frontend-0123456789abcdef.js",
            "public, max-age=31536000, immutable",
        ),
        (
            "/style-2866cd93045b2fa8.css",
            "public, max-age=31536000, immutable",
        ),
    ] {
        let response = get(&app, path).await;
        assert_eq!(
            header(&response, "cache-control").as_deref(),
            Some(expected),
            "{path}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A request to the backend's `path` from a page of `origin` (its `Origin` header).
fn from_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> RequestBuilder {
    app.client
        .request(method, app.url(path))
        .header("origin", origin)
}

/// The answer's `Access-Control-Allow-Origin`.
fn allowed_origin(response: &Response) -> Option<String> {
    header(response, "access-control-allow-origin")
}

#[tokio::test]
async fn cors_lets_allowlisted_origins_call_the_api_and_read_the_new_tokens() {
    let origin = "https://shop.example";
    let (app, dir) = spawn_app_with_pwa(Some(origin)).await;

    let preflight = from_origin(&app, Method::OPTIONS, "/api/cart/items", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-refresh-token",
        )
        .sent()
        .await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(allowed_origin(&preflight).as_deref(), Some(origin));
    let allowed = header(&preflight, "access-control-allow-headers").expect("allowed headers");
    assert!(allowed.contains("X-Refresh-Token") && allowed.contains("Authorization"));
    assert!(
        header(&preflight, "access-control-allow-methods").is_some_and(|m| m.contains("PATCH"))
    );

    let session = app.login().await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = from_origin(&app, Method::GET, "/api/cart", origin)
        .bearer_auth(&session.jwt)
        .header(REFRESH_TOKEN, &session.refresh_token)
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(allowed_origin(&response).as_deref(), Some(origin));
    let exposed = header(&response, "access-control-expose-headers").expect("exposed");
    assert!(
        exposed.contains(NEW_ACCESS_TOKEN) && exposed.contains("Retry-After"),
        "{exposed}"
    );
    assert!(header(&response, "vary").is_some_and(|v| v.contains("Origin")));

    // Any other origin gets no CORS headers: the browser keeps the answer from it.
    for other in ["https://evil.example", "https://shop.example.evil.example"] {
        let response = from_origin(&app, Method::GET, "/api/products", other)
            .sent()
            .await;
        assert_eq!(allowed_origin(&response), None, "{other}");
        let preflight = from_origin(&app, Method::OPTIONS, "/api/cart", other)
            .header("access-control-request-method", "DELETE")
            .sent()
            .await;
        assert_eq!(allowed_origin(&preflight), None, "{other}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn by_default_no_origin_gets_cors_headers() {
    let app = spawn_app().await;
    let response = from_origin(&app, Method::GET, "/api/products", "http://127.0.0.1:8080")
        .sent()
        .await;
    assert_eq!(allowed_origin(&response), None);
}

#[tokio::test]
async fn readiness_reports_the_database_and_fusionauths_keys() {
    let app = spawn_app().await;
    let response = get(&app, "/health/ready").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["database"], "up");
    assert_eq!(body["fusionAuthKeys"], "fetched");

    // A backend that never reached FusionAuth cannot verify a JWT: not ready.
    let app =
        spawn_app_with(|settings| settings.fusionauth_url = "http://127.0.0.1:9".to_owned()).await;
    let response = get(&app, "/health/ready").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["fusionAuthKeys"], "missing");
    assert_eq!(get(&app, "/health/live").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn strict_transport_security_is_sent_over_https_only() {
    let app = spawn_app().await;
    let plain = get(&app, "/api/products").await;
    assert_eq!(header(&plain, "strict-transport-security"), None);
    for (name, value) in [
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=203.0.113.1;proto=https"),
    ] {
        let response = app
            .client
            .get(app.url("/api/products"))
            .header(name, value)
            .sent()
            .await;
        assert_eq!(
            header(&response, "strict-transport-security").as_deref(),
            Some("max-age=31536000"),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_plain_http_fusionauth_url_to_another_host_is_refused_at_start_up() {
    let mut settings = backend::Settings::for_fusionauth(
        "http://fusionauth.internal.example:9011".to_owned(),
        crate::helpers::APPLICATION_ID.to_owned(),
        "https://auth.store.example".to_owned(),
        "sqlite::memory:".to_owned(),
    );
    settings.listen = "127.0.0.1:0".to_owned();
    let Err(error) = backend::Application::build(settings.clone()).await else {
        panic!("a plain-http FusionAuth URL to another host is refused");
    };
    assert!(
        error
            .to_string()
            .contains("APP_ALLOW_INSECURE_FUSIONAUTH_URL"),
        "{error}"
    );
    settings.allow_insecure_fusionauth_url = true;
    assert!(backend::Application::build(settings).await.is_ok());
}
