//! The built PWA at `/`, with `index.html` for unknown page paths (`/cart`, `/login`) so a
//! reload of a client-side route works.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{Responder, ResponseError};

use crate::error::Error;

/// Files from `dir`; unknown GET page paths get `index.html`.
pub fn service(dir: &Path) -> Files {
    let index = dir.join("index.html");
    Files::new("/", dir)
        .index_file("index.html")
        .default_handler(fn_service(move |req: ServiceRequest| {
            let index = index.clone();
            async move { spa_fallback(req, index).await }
        }))
}

async fn spa_fallback(
    req: ServiceRequest,
    index: PathBuf,
) -> Result<ServiceResponse, actix_web::Error> {
    let (req, _payload) = req.into_parts();
    let path = req.path();
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    let is_page = matches!(*req.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !last_segment.contains('.');
    if !is_page {
        let response = Error::NotFound(format!("No such file: {path}.")).error_response();
        return Ok(ServiceResponse::new(req, response));
    }
    let file = NamedFile::open_async(&index).await?;
    let mut response = file.respond_to(&req).map_into_boxed_body();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(ServiceResponse::new(req, response))
}
