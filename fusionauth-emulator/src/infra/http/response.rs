//! Writing responses: FusionAuth's JSON content type, empty bodies, and the one 500 body.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;
use shared::fusionauth::{ErrorCode, Errors, Rule};

/// FusionAuth's JSON content type.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// A JSON response with FusionAuth's content type.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> HttpResponse {
    json_builder(HttpResponse::build(status), body)
}

/// A 200 JSON response.
pub fn ok_json<T: Serialize + ?Sized>(body: &T) -> HttpResponse {
    json_response(StatusCode::OK, body)
}

/// Finishes `builder` with a JSON body.
pub fn json_builder<T: Serialize + ?Sized>(
    mut builder: HttpResponseBuilder,
    body: &T,
) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => builder
            .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
            .body(bytes),
        Err(error) => internal_error(&error.into()),
    }
}

/// An empty-bodied 200 (no content type: FusionAuth's clients reject an empty JSON body).
pub fn empty_ok() -> HttpResponse {
    HttpResponse::Ok().finish()
}

/// 500 with a `[Exception]` general error. The cause is logged (with its chain), never sent.
pub fn internal_error(cause: &anyhow::Error) -> HttpResponse {
    tracing::error!(error = format!("{cause:#}"), "request failed");
    let body = Errors::general(
        ErrorCode::general(Rule::Exception),
        "FusionAuth emulator encountered an unexpected error.",
    );
    match serde_json::to_vec(&body) {
        Ok(bytes) => HttpResponse::InternalServerError()
            .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
            .body(bytes),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}
