//! Test hooks (only with `--test-hooks`, only on a loopback listener): under `/_emulator` so
//! they can never collide with FusionAuth's routes.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::infra::error::Result;
use crate::infra::http::{Json, json_response};
use crate::routes::table::Routes;
use crate::state::State;

pub fn routes(routes: &mut Routes<'_>) {
    routes.post("/_emulator/clock", clock).post(
        "/_emulator/refresh-tokens/{token_id}/expire",
        expire_refresh_token,
    );
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockRequest {
    advance_seconds: i64,
}

/// `POST /_emulator/clock {"advanceSeconds": N}` moves the emulator's clock forward.
#[tracing::instrument(skip_all)]
async fn clock(state: State, Json(body): Json<ClockRequest>) -> Result<HttpResponse> {
    state.clock.advance_seconds(body.advance_seconds);
    tracing::info!(advance_seconds = body.advance_seconds, "clock moved");
    Ok(json_response(
        StatusCode::OK,
        &json!({"nowMillis": state.clock.now_ms()}),
    ))
}

/// `POST /_emulator/refresh-tokens/{tokenId}/expire` makes a refresh token expired (as if it
/// had been issued and last used at the epoch) without moving the clock. 200 empty, or 404.
#[tracing::instrument(skip_all)]
async fn expire_refresh_token(state: State, path: web::Path<String>) -> Result<HttpResponse> {
    if !crate::store::refresh_tokens::expire(&state.pool, &path).await? {
        return Err(crate::infra::error::ApiError::NotFound);
    }
    tracing::info!(refresh_token_id = path.as_str(), "refresh token expired");
    Ok(crate::infra::http::empty_ok())
}
