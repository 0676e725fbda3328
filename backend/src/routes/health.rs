//! `GET /health/live` and `GET /health/ready`, for orchestrators.

use actix_web::{HttpResponse, web};

use crate::state::AppState;
use crate::store;

/// 200 while the process serves requests.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// 200 when the database answers and FusionAuth's signing keys have been fetched (a fetch is
/// attempted here when they have not, rate-limited), 503 otherwise. The JSON body says which.
#[tracing::instrument(skip_all)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let database = store::is_ready(&state.pool).await;
    let keys = state.auth.has_keys() || state.auth.try_fetch_keys().await;
    let body = serde_json::json!({
        "database": if database { "up" } else { "down" },
        "fusionAuthKeys": if keys { "fetched" } else { "missing" },
    });
    if database && keys {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(database, keys, "not ready");
        HttpResponse::ServiceUnavailable().json(body)
    }
}
