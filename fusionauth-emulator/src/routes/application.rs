//! The Application API (API key): `POST /api/application[/{applicationId}]`,
//! `GET /api/application/{applicationId}` — <https://fusionauth.io/docs/apis/applications>

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value, json};
use shared::fusionauth::{ApplicationResponse, ErrorCode, Errors, Rule};

use super::auth::resolve_tenant;
use super::input::{Create, check_booleans, object, required, string, validate_jwt_configuration};
use super::table::Routes;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::ok_json;
use crate::model::{self, ApiKey};
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/application", create)
        .post("/api/application/{applicationId}", create)
        .get("/api/application/{application_id}", retrieve);
}

/// `POST /api/application[/{applicationId}]`: creates an application (FusionAuth's defaults,
/// roles given by name or as objects, `loginConfiguration` and `jwtConfiguration` checked).
#[tracing::instrument(skip_all)]
async fn create(req: HttpRequest, state: State, key: ApiKey, new: Create) -> Result<HttpResponse> {
    let (id, body) = (new.id_or_new(), new.body);
    let request = object(&body, "application")?.clone();
    required(&request, "application", "name")?;
    if store::applications::find(&state.pool, &id).await?.is_some() {
        return Err(ApiError::field(
            Rule::Duplicate,
            "applicationId",
            "An application with this id already exists.",
        ));
    }
    let tenant = match string(&request, "tenantId") {
        Some(tenant_id) => store::tenants::find(&state.pool, tenant_id)
            .await?
            .ok_or_else(|| {
                ApiError::field(Rule::Invalid, "application.tenantId", "No such tenant.")
            })?,
        None => resolve_tenant(&state, &req, Some(&key)).await?,
    };
    let now = state.clock.now_ms();
    let mut data = model::default_application(&id, &tenant.id, now);
    let mut patch = Value::Object(request);
    let mut roles = Vec::new();
    if let Some(object) = patch.as_object_mut() {
        object.remove("id");
        object.remove("tenantId");
        if let Some(Value::Array(requested)) = object.remove("roles") {
            for role in requested {
                let mut role = match role {
                    Value::Object(role) => role,
                    Value::String(name) => {
                        let mut role = Map::new();
                        role.insert("name".into(), json!(name));
                        role
                    }
                    _ => continue,
                };
                if role
                    .get("name")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
                {
                    let mut errors = Errors::default();
                    errors.add_field_code(
                        "application.roles",
                        ErrorCode::new(Rule::Blank, "application.roles.name"),
                        "Every role needs a name.",
                    );
                    return Err(ApiError::Validation(errors));
                }
                role.entry("id")
                    .or_insert_with(|| json!(uuid::Uuid::new_v4().to_string()));
                role.entry("isDefault").or_insert(json!(false));
                role.entry("isSuperRole").or_insert(json!(false));
                role.insert("insertInstant".into(), json!(now));
                roles.push(Value::Object(role));
            }
        }
    }
    model::merge(&mut data, patch);
    if let Some(object) = data.as_object_mut() {
        object.insert("roles".into(), Value::Array(roles));
    }
    let mut errors = Errors::default();
    let booleans = [
        "loginConfiguration/requireAuthentication",
        "loginConfiguration/generateRefreshTokens",
        "loginConfiguration/allowTokenRefresh",
    ];
    check_booleans(&data, "application", &booleans, &mut errors);
    if let Some(config) = data.get("jwtConfiguration") {
        validate_jwt_configuration(config, "application.jwtConfiguration", &mut errors);
        if let Some(key_id) = config.get("accessTokenKeyId").and_then(Value::as_str)
            && state.key(key_id).is_none()
        {
            let path = "application.jwtConfiguration.accessTokenKeyId";
            errors.add_field(Rule::Invalid, path, "No key with this id exists.");
        }
    }
    ApiError::check(errors)?;
    let application = model::Application {
        id: id.clone(),
        tenant_id: tenant.id.clone(),
        data,
    };
    store::applications::insert(&state.pool, &application).await?;
    tracing::info!(application_id = id, "application created");
    Ok(ok_json(&ApplicationResponse {
        application: application.data,
    }))
}

/// `GET /api/application/{applicationId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let application = found(store::applications::find(&state.pool, &path).await?)?;
    Ok(ok_json(&ApplicationResponse {
        application: application.data,
    }))
}
