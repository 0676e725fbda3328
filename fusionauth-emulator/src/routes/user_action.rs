//! The User Action API (API key) — <https://fusionauth.io/docs/apis/user-actions>

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde_json::{Value, json};
use shared::fusionauth::{Errors, Rule};

use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, json_response};
use crate::model::ApiKey;
use crate::state::AppState;
use crate::store;

/// `POST /api/user-action/{userActionId}`.
#[post("/api/user-action/{user_action_id}")]
#[tracing::instrument(skip_all)]
pub async fn create_user_action(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let id = super::admin::parse_uuid(&path, "userActionId")?;
    new_user_action(&state, id, &body).await
}

/// `POST /api/user-action`.
#[post("/api/user-action")]
pub async fn create_user_action_without_id(
    state: web::Data<AppState>,
    _key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    new_user_action(&state, uuid::Uuid::new_v4().to_string(), &body).await
}

async fn new_user_action(state: &AppState, id: String, body: &Value) -> Result<HttpResponse> {
    let mut data = body
        .get("userAction")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| {
            ApiError::field(
                Rule::Missing,
                "userAction",
                "You must specify the [userAction] object.",
            )
        })?;
    let mut errors = Errors::default();
    if data
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(|name| name.trim().is_empty())
    {
        errors.add_field(
            Rule::Blank,
            "userAction.name",
            "You must specify the [userAction.name] property.",
        );
    }
    for field in ["preventLogin", "temporal"] {
        if data.get(field).is_some_and(|v| !v.is_boolean()) {
            let path = format!("userAction.{field}");
            errors.add_field(Rule::Invalid, &path, "Must be true or false.");
        }
    }
    if store::user_actions::find(&state.pool, &id).await?.is_some() {
        errors.add_field(
            Rule::Duplicate,
            "userActionId",
            "A user action with this id already exists.",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = state.clock.now_ms();
    data.insert("id".into(), json!(id));
    data.entry("active").or_insert(json!(true));
    data.entry("preventLogin").or_insert(json!(false));
    data.entry("temporal").or_insert(json!(false));
    data.insert("insertInstant".into(), json!(now));
    data.insert("lastUpdateInstant".into(), json!(now));
    let data = Value::Object(data);
    store::user_actions::insert(&state.pool, &id, &data).await?;
    tracing::info!(user_action_id = id, "user action created");
    Ok(json_response(
        StatusCode::OK,
        &json!({ "userAction": data }),
    ))
}

/// `GET /api/user-action/{userActionId}`.
#[get("/api/user-action/{user_action_id}")]
pub async fn retrieve_user_action(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let action = store::user_actions::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "userAction": action }),
    ))
}
