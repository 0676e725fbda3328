//! `GET /health/live` and `GET /health/ready`, for orchestrators.

use actix_web::{HttpResponse, web};

use crate::state::AppState;
use crate::store;

/// 200 while the process serves requests.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// 200 when the database answers, 503 otherwise.
#[tracing::instrument(skip_all)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if store::is_ready(&state.pool).await {
        HttpResponse::Ok().body("ready")
    } else {
        tracing::warn!("not ready: the database does not answer");
        HttpResponse::ServiceUnavailable().body("database unavailable")
    }
}
