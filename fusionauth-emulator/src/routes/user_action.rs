//! The User Action API (API key): `POST /api/user-action[/{userActionId}]`,
//! `GET /api/user-action/{userActionId}` — <https://fusionauth.io/docs/apis/user-actions>

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};
use shared::fusionauth::{Errors, Rule, UserActionResponse};

use super::input::{Create, check_booleans, check_not_blank, object};
use super::table::Routes;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::ok_json;
use crate::model::ApiKey;
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/user-action", create)
        .post("/api/user-action/{userActionId}", create)
        .get("/api/user-action/{user_action_id}", retrieve);
}

/// `POST /api/user-action[/{userActionId}]`: creates a user action (`name`, `preventLogin`,
/// `temporal`).
#[tracing::instrument(skip_all)]
async fn create(state: State, _key: ApiKey, new: Create) -> Result<HttpResponse> {
    let (id, body) = (new.id_or_new(), new.body);
    let mut data = object(&body, "userAction")?.clone();
    let mut errors = Errors::default();
    let name = data.get("name").and_then(Value::as_str);
    check_not_blank(&mut errors, name, "userAction.name");
    check_booleans(
        &body["userAction"],
        "userAction",
        &["preventLogin", "temporal"],
        &mut errors,
    );
    if store::user_actions::find(&state.pool, &id).await?.is_some() {
        errors.add_field(
            Rule::Duplicate,
            "userActionId",
            "A user action with this id already exists.",
        );
    }
    ApiError::check(errors)?;
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
    Ok(ok_json(&UserActionResponse { user_action: data }))
}

/// `GET /api/user-action/{userActionId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let action = found(store::user_actions::find(&state.pool, &path).await?)?;
    Ok(ok_json(&UserActionResponse {
        user_action: action,
    }))
}
