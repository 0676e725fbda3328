//! The administrative APIs Kickstart files use (API key): keys, tenants, applications,
//! users + registrations, system configuration — <https://fusionauth.io/docs/apis/>

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use shared::fusionauth::{ErrorCode, Errors, Rule};

use crate::domain::tokens::{self, JwtRequest};
use crate::infra::crypto::{self, SigningKey};
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, bearer_jwt, ok_json};
use crate::model;
use crate::model::ApiKey;
use crate::routes::auth::ApiKeyStatus;
use crate::routes::auth::resolve_tenant;
use crate::routes::jwt::verify_jwt;
use crate::state::AppState;
use crate::store::{self, RegistrationRow, UserRow};
use shared::fusionauth::CorsConfiguration;

fn object<'a>(body: &'a Value, name: &str) -> Result<&'a Map<String, Value>> {
    body.get(name).and_then(Value::as_object).ok_or_else(|| {
        ApiError::field(
            Rule::Missing,
            name,
            &format!("You must specify the [{name}] object."),
        )
    })
}

fn string<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

// ------------------------------------------------------------------------------------ keys

/// `POST /api/key/generate/{keyId}`: generates an RSA (`RS256`, 2048/3072/4096 bits), EC
/// (`ES256`, P-256) or HMAC (`HS256`, 256-bit secret) key.
#[post("/api/key/generate/{key_id}")]
#[tracing::instrument(skip_all)]
pub async fn generate_key(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let id = parse_uuid(&path, "keyId")?;
    new_key(&state, id, &body).await
}

/// `POST /api/key/generate` (a new key id).
#[post("/api/key/generate")]
pub async fn generate_key_without_id(
    state: web::Data<AppState>,
    _key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    new_key(&state, uuid::Uuid::new_v4().to_string(), &body).await
}

async fn new_key(state: &AppState, id: String, body: &Value) -> Result<HttpResponse> {
    let key = object(body, "key")?;
    let algorithm = string(key, "algorithm").unwrap_or("RS256").to_owned();
    if !["RS256", "ES256", "HS256"].contains(&algorithm.as_str()) {
        return Err(ApiError::field(
            Rule::Invalid,
            "key.algorithm",
            "The emulator generates RS256, ES256 and HS256 keys.",
        ));
    }
    let name = string(key, "name").ok_or_else(|| {
        ApiError::field(
            Rule::Blank,
            "key.name",
            "You must specify the [key.name] property.",
        )
    })?;
    let requested = key.get("length").and_then(Value::as_u64);
    let bits = match (algorithm.as_str(), requested) {
        ("RS256", None) => 2048,
        ("RS256", Some(bits @ (2048 | 3072 | 4096))) => u32::try_from(bits).unwrap_or(2048),
        ("ES256", None | Some(256)) | ("HS256", None | Some(256)) => 256,
        _ => {
            return Err(ApiError::field(
                Rule::Invalid,
                "key.length",
                "RS256 keys are 2048, 3072 or 4096 bits; ES256 and HS256 keys 256.",
            ));
        }
    };
    if store::keys::exists(&state.pool, &id).await? {
        return Err(ApiError::field(
            Rule::Duplicate,
            "keyId",
            "A key with this id already exists.",
        ));
    }
    let now = state.clock.now_ms();
    let (owned_id, owned_name) = (id.clone(), name.to_owned());
    let (signing_key, stored) =
        web::block(move || SigningKey::generate_for(&algorithm, &owned_id, &owned_name, bits, now))
            .await
            .map_err(|e| ApiError::Internal(e.into()))??;
    store::keys::insert(&state.pool, &signing_key, &stored).await?;
    let response = key_json(&signing_key);
    state.add_key(signing_key);
    tracing::info!(key_id = id, "signing key generated");
    Ok(ok_json(&json!({ "key": response })))
}

/// `POST /api/key/import/{keyId}`: imports an HMAC (`HS256`) key from its standard Base64
/// `secret` (at least 32 bytes). RSA/EC import (PEM) is not emulated: 400 `[invalid]key.algorithm`.
#[post("/api/key/import/{key_id}")]
#[tracing::instrument(skip_all)]
pub async fn import_key(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let id = parse_uuid(&path, "keyId")?;
    imported_key(&state, id, &body).await
}

/// `POST /api/key/import` (a new key id).
#[post("/api/key/import")]
#[tracing::instrument(skip_all)]
pub async fn import_key_without_id(
    state: web::Data<AppState>,
    _key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    imported_key(&state, uuid::Uuid::new_v4().to_string(), &body).await
}

async fn imported_key(state: &AppState, id: String, body: &Value) -> Result<HttpResponse> {
    use base64::Engine as _;
    let key = object(body, "key")?;
    if string(key, "algorithm") != Some("HS256") {
        return Err(ApiError::field(
            Rule::Invalid,
            "key.algorithm",
            "The emulator imports HS256 (HMAC) keys only; RSA and EC keys can be generated.",
        ));
    }
    let name = string(key, "name").ok_or_else(|| {
        ApiError::field(
            Rule::Blank,
            "key.name",
            "You must specify the [key.name] property.",
        )
    })?;
    let encoded = string(key, "secret").ok_or_else(|| {
        ApiError::field(
            Rule::Blank,
            "key.secret",
            "You must specify the [key.secret] property for an HMAC key.",
        )
    })?;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .filter(|secret| secret.len() >= 32)
        .ok_or_else(|| {
            ApiError::field(
                Rule::Invalid,
                "key.secret",
                "The [key.secret] must be standard Base64 of at least 32 bytes.",
            )
        })?;
    if store::keys::exists(&state.pool, &id).await? {
        return Err(ApiError::field(
            Rule::Duplicate,
            "keyId",
            "A key with this id already exists.",
        ));
    }
    let kid = match string(key, "kid") {
        Some(kid) => kid.to_owned(),
        None => crypto::random_string::<20>().map_err(ApiError::Internal)?,
    };
    let now = state.clock.now_ms();
    let signing_key = SigningKey::from_stored(&id, &kid, "HS256", name, now, &secret)
        .map_err(ApiError::Internal)?;
    store::keys::insert(&state.pool, &signing_key, &secret).await?;
    let response = key_json(&signing_key);
    state.add_key(signing_key);
    tracing::info!(key_id = id, "signing key imported");
    Ok(ok_json(&json!({ "key": response })))
}

fn key_json(key: &SigningKey) -> Value {
    let mut json = json!({
        "id": key.id,
        "algorithm": key.algorithm,
        "name": key.name,
        "kid": key.kid,
        "length": key.length(),
        "type": key.key_type(),
        "hasPrivateKey": key.public_pem().is_some(),
        "insertInstant": key.insert_instant
    });
    if let Some(object) = json.as_object_mut() {
        if let Some(pem) = key.public_pem() {
            object.insert("publicKey".into(), json!(pem));
        }
        if let Some(secret) = key.secret_b64() {
            object.insert("secret".into(), json!(secret));
        }
    }
    json
}

/// `GET /api/key/{keyId}`.
#[get("/api/key/{key_id}")]
pub async fn retrieve_key(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let key = state.key(&path).ok_or(ApiError::NotFound)?;
    Ok(ok_json(&json!({ "key": key_json(&key) })))
}

pub(super) fn parse_uuid(text: &str, field: &str) -> Result<String> {
    uuid::Uuid::parse_str(text)
        .map(|id| id.to_string())
        .map_err(|_| ApiError::field(Rule::Invalid, field, "The id is not a valid UUID."))
}

// ------------------------------------------------------------------------------------ tenants

/// `PATCH /api/tenant/{tenantId}`: merges `tenant` into the stored tenant.
#[patch("/api/tenant/{tenant_id}")]
#[tracing::instrument(skip_all)]
pub async fn patch_tenant(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let mut tenant = store::tenants::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut patch = Value::Object(object(&body, "tenant")?.clone());
    if let Some(patch) = patch.as_object_mut() {
        patch.remove("id");
    }
    let mut data = tenant.data.clone();
    model::merge(&mut data, patch);
    let mut errors = Errors::default();
    for field in ["accessTokenKeyId", "idTokenKeyId"] {
        if let Some(key_id) = data
            .pointer(&format!("/jwtConfiguration/{field}"))
            .and_then(Value::as_str)
            && state.key(key_id).is_none()
        {
            let path = format!("tenant.jwtConfiguration.{field}");
            errors.add_field(Rule::Invalid, &path, "No key with this id exists.");
        }
    }
    if data
        .get("issuer")
        .and_then(Value::as_str)
        .is_none_or(|s| s.trim().is_empty())
    {
        errors.add_field(
            Rule::Blank,
            "tenant.issuer",
            "You must specify the [tenant.issuer] property.",
        );
    }
    if let Some(config) = data.get("jwtConfiguration") {
        validate_jwt_configuration(config, "tenant.jwtConfiguration", &mut errors);
    }
    validate_event_configuration(&data, &mut errors);
    if let Some(config) = data.get("failedAuthenticationConfiguration") {
        validate_failed_authentication(&state, config, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(object) = data.as_object_mut() {
        object.insert("lastUpdateInstant".into(), json!(state.clock.now_ms()));
    }
    store::tenants::update(&state.pool, &tenant.id, &data).await?;
    tenant.data = data;
    tracing::info!(tenant_id = tenant.id, "tenant updated");
    Ok(ok_json(&json!({ "tenant": tenant.data })))
}

/// `GET /api/tenant/{tenantId}`.
#[get("/api/tenant/{tenant_id}")]
pub async fn retrieve_tenant(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let tenant = store::tenants::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_json(&json!({ "tenant": tenant.data })))
}

/// Checks `failedAuthenticationConfiguration`: positive numbers, a known unit, an existing
/// user action.
async fn validate_failed_authentication(
    state: &AppState,
    config: &Value,
    errors: &mut Errors,
) -> Result<()> {
    let prefix = "tenant.failedAuthenticationConfiguration";
    for field in ["tooManyAttempts", "resetCountInSeconds", "actionDuration"] {
        if config
            .get(field)
            .is_some_and(|v| v.as_i64().is_none_or(|n| n < 1))
        {
            let path = format!("{prefix}.{field}");
            errors.add_field(Rule::Invalid, &path, "Must be a positive number.");
        }
    }
    if config.get("actionDurationUnit").is_some_and(|v| {
        v.as_str()
            .and_then(crate::domain::lockout::unit_ms)
            .is_none()
    }) {
        let path = format!("{prefix}.actionDurationUnit");
        errors.add_field(
            Rule::Invalid,
            &path,
            "Allowed values: MINUTES, HOURS, DAYS, WEEKS, MONTHS, YEARS.",
        );
    }
    match config.get("userActionId") {
        None | Some(Value::Null) => {}
        Some(id) => {
            let known = match id.as_str() {
                Some(id) => store::user_actions::find(&state.pool, id).await?.is_some(),
                None => false,
            };
            if !known {
                let path = format!("{prefix}.userActionId");
                errors.add_field(Rule::Invalid, &path, "No user action with this id exists.");
            }
        }
    }
    Ok(())
}

/// Checks `eventConfiguration.events.<type>.{enabled, transactionType}`.
fn validate_event_configuration(tenant: &Value, errors: &mut Errors) {
    let Some(events) = tenant.pointer("/eventConfiguration/events") else {
        return;
    };
    let Some(events) = events.as_object() else {
        errors.add_field(
            Rule::Invalid,
            "tenant.eventConfiguration.events",
            "Must map event types to their configuration.",
        );
        return;
    };
    for (event_type, config) in events {
        let prefix = format!("tenant.eventConfiguration.events['{event_type}']");
        if config.get("enabled").is_some_and(|v| !v.is_boolean()) {
            let path = format!("{prefix}.enabled");
            errors.add_field(Rule::Invalid, &path, "Must be true or false.");
        }
        if let Some(value) = config.get("transactionType")
            && !value
                .as_str()
                .is_some_and(|v| crate::domain::events::TRANSACTION_TYPES.contains(&v))
        {
            let path = format!("{prefix}.transactionType");
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!(
                    "Allowed values: {}.",
                    crate::domain::events::TRANSACTION_TYPES.join(", ")
                ),
            );
        }
    }
}

/// Checks the enumerations and ranges of a `jwtConfiguration`, so that a typo in a Kickstart
/// file is an error rather than a silent default.
fn validate_jwt_configuration(config: &Value, prefix: &str, errors: &mut Errors) {
    let mut check_enum = |field: &str, allowed: &[&str]| {
        if let Some(value) = config.pointer(&format!("/{field}"))
            && !value.as_str().is_some_and(|v| allowed.contains(&v))
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!("Allowed values: {}.", allowed.join(", ")),
            );
        }
    };
    check_enum("refreshTokenUsagePolicy", &["Reusable", "OneTimeUse"]);
    check_enum(
        "refreshTokenExpirationPolicy",
        &["Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"],
    );
    for (field, min, max) in [
        ("timeToLiveInSeconds", 1, i64::MAX),
        ("refreshTokenTimeToLiveInMinutes", 1, i64::MAX),
        (
            "refreshTokenSlidingWindowConfiguration/maximumTimeToLiveInMinutes",
            1,
            i64::MAX,
        ),
        (
            "refreshTokenOneTimeUseConfiguration/gracePeriodInSeconds",
            0,
            86_400,
        ),
    ] {
        if let Some(value) = config.pointer(&format!("/{field}"))
            && !value.as_i64().is_some_and(|v| (min..=max).contains(&v))
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!("Must be a whole number from {min} to {max}."),
            );
        }
    }
    for field in [
        "refreshTokenRevocationPolicy/onOneTimeTokenReuse",
        "refreshTokenRevocationPolicy/onLoginPrevented",
        "refreshTokenRevocationPolicy/onPasswordChanged",
        "enabled",
    ] {
        if config
            .pointer(&format!("/{field}"))
            .is_some_and(|v| !v.is_boolean())
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(Rule::Invalid, &path, "Must be true or false.");
        }
    }
}

// ------------------------------------------------------------------------------------ applications

/// `POST /api/application/{applicationId}`.
#[post("/api/application/{application_id}")]
#[tracing::instrument(skip_all)]
pub async fn create_application(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let id = parse_uuid(&path, "applicationId")?;
    new_application(&req, &state, &key, id, body).await
}

/// `POST /api/application`.
#[post("/api/application")]
pub async fn create_application_without_id(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    new_application(&req, &state, &key, uuid::Uuid::new_v4().to_string(), body).await
}

async fn new_application(
    req: &HttpRequest,
    state: &AppState,
    key: &ApiKey,
    id: String,
    body: Value,
) -> Result<HttpResponse> {
    let request = object(&body, "application")?.clone();
    if string(&request, "name").is_none() {
        return Err(ApiError::field(
            Rule::Blank,
            "application.name",
            "You must specify the [application.name] property.",
        ));
    }
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
        None => resolve_tenant(state, req, Some(key)).await?,
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
    for field in [
        "requireAuthentication",
        "generateRefreshTokens",
        "allowTokenRefresh",
    ] {
        if data
            .pointer(&format!("/loginConfiguration/{field}"))
            .is_some_and(|v| !v.is_boolean())
        {
            let path = format!("application.loginConfiguration.{field}");
            errors.add_field(Rule::Invalid, &path, "Must be true or false.");
        }
    }
    if let Some(config) = data.get("jwtConfiguration") {
        validate_jwt_configuration(config, "application.jwtConfiguration", &mut errors);
        if let Some(key_id) = config.get("accessTokenKeyId").and_then(Value::as_str)
            && state.key(key_id).is_none()
        {
            let path = "application.jwtConfiguration.accessTokenKeyId";
            errors.add_field(Rule::Invalid, path, "No key with this id exists.");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let application = model::Application {
        id: id.clone(),
        tenant_id: tenant.id.clone(),
        data,
    };
    store::applications::insert(&state.pool, &application).await?;
    tracing::info!(application_id = id, "application created");
    Ok(ok_json(&json!({ "application": application.data })))
}

/// `GET /api/application/{applicationId}`.
#[get("/api/application/{application_id}")]
pub async fn retrieve_application(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let application = store::applications::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_json(&json!({ "application": application.data })))
}

// ------------------------------------------------------------------------------------ registrations

/// `POST /api/user/registration/{userId}`: creates the user and the registration (combined
/// form), or registers an existing user (only `registration` given).
#[post("/api/user/registration/{user_id}")]
#[tracing::instrument(skip_all)]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let id = parse_uuid(&path, "userId")?;
    registration(&req, &state, &key, Some(id), body).await
}

/// `POST /api/user/registration` (combined form, new user id).
#[post("/api/user/registration")]
pub async fn register_without_id(
    req: HttpRequest,
    state: web::Data<AppState>,
    key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    registration(&req, &state, &key, None, body).await
}

/// Fields of `user` that are never stored in the profile blob.
const USER_RESERVED: &[&str] = &[
    "id",
    "tenantId",
    "email",
    "username",
    "password",
    "encryptionScheme",
    "factor",
    "salt",
    "active",
    "verified",
    "registrations",
    "identities",
    "insertInstant",
    "lastLoginInstant",
    "lastUpdateInstant",
    "passwordLastUpdateInstant",
];

async fn registration(
    req: &HttpRequest,
    state: &AppState,
    key: &ApiKey,
    path_user_id: Option<String>,
    body: Value,
) -> Result<HttpResponse> {
    let tenant = resolve_tenant(state, req, Some(key)).await?;
    let request = object(&body, "registration")?.clone();
    let mut errors = Errors::default();
    let application = match string(&request, "applicationId") {
        None => {
            errors.add_field(
                Rule::Blank,
                "registration.applicationId",
                "You must specify the [registration.applicationId] property.",
            );
            None
        }
        Some(app_id) => {
            let app = store::applications::find(&state.pool, app_id).await?;
            if app.is_none() {
                errors.add_field(
                    Rule::Invalid,
                    "registration.applicationId",
                    "No application with this id exists.",
                );
            }
            app
        }
    };
    let mut roles: Vec<String> = match request.get("roles") {
        Some(Value::Array(roles)) => roles
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    if let Some(app) = &application {
        let known = app.role_names();
        if roles.iter().any(|role| !known.contains(role)) {
            errors.add_field(
                Rule::Invalid,
                "registration.roles",
                "The registration names roles the application does not have.",
            );
        }
        if roles.is_empty() {
            roles = app
                .data
                .get("roles")
                .and_then(Value::as_array)
                .map(|all| {
                    all.iter()
                        .filter(|r| r.get("isDefault").and_then(Value::as_bool) == Some(true))
                        .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
        }
    }
    roles.sort();
    roles.dedup();
    let skip_verification = body
        .get("skipRegistrationVerification")
        .or_else(|| body.get("skipVerification"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let now = state.clock.now_ms();

    let new_user = match body.get("user").and_then(Value::as_object) {
        Some(user) => {
            let mut new_user =
                validate_new_user(state, &tenant, user, path_user_id.clone(), &mut errors).await?;
            new_user.0.verified = body
                .get("skipVerification")
                .and_then(Value::as_bool)
                .unwrap_or(!tenant.verify_email());
            Some(new_user)
        }
        None => None,
    };
    let user_id = match (&new_user, &path_user_id) {
        (Some((row, _)), _) => row.id.clone(),
        (None, Some(id)) => id.clone(),
        (None, None) => {
            errors.add_field(Rule::Missing, "user", "You must specify the [user] object.");
            String::new()
        }
    };
    if new_user.is_none() && !user_id.is_empty() {
        if store::users::find(&state.pool, &user_id).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        if let Some(app) = &application
            && store::registrations::find(&state.pool, &user_id, &app.id)
                .await?
                .is_some()
        {
            errors.add_field(
                Rule::Duplicate,
                "registration",
                "The user is already registered to this application.",
            );
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let Some(application) = application else {
        return Err(ApiError::Validation(errors));
    };

    let mut registration_data = request.clone();
    for field in [
        "id",
        "applicationId",
        "roles",
        "verified",
        "insertInstant",
        "lastLoginInstant",
    ] {
        registration_data.remove(field);
    }
    let registration = RegistrationRow {
        id: string(&request, "id")
            .and_then(|id| uuid::Uuid::parse_str(id).ok())
            .unwrap_or_else(uuid::Uuid::new_v4)
            .to_string(),
        user_id: user_id.clone(),
        application_id: application.id.clone(),
        roles: serde_json::to_string(&roles)?,
        data: Value::Object(registration_data).to_string(),
        verified: skip_verification,
        insert_instant: now,
        last_login_instant: None,
    };
    let mut tx = state.pool.begin().await?;
    if let Some((user, password)) = new_user {
        let hashed = web::block(move || crypto::hash_password(&password, crypto::DEFAULT_FACTOR))
            .await
            .map_err(|e| ApiError::Internal(e.into()))??;
        let user = UserRow {
            password_scheme: hashed.scheme,
            password_factor: i64::from(hashed.factor),
            password_salt: hashed.salt,
            password_hash: hashed.hash,
            ..user
        };
        store::users::insert(&mut tx, &user).await?;
    }
    store::registrations::insert(&mut tx, &registration).await?;
    tx.commit().await?;

    let user = store::users::find(&state.pool, &user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let registrations = store::registrations::of_user(&state.pool, &user_id).await?;
    let mut response = Map::new();
    let auth_time = state.clock.now_s();
    let mut sid = None;
    if application.generate_refresh_tokens() {
        let (row, value) =
            tokens::create_refresh_token(state, &user, &application, auth_time, json!({})).await?;
        response.insert("refreshToken".into(), json!(value));
        response.insert("refreshTokenId".into(), json!(row.id));
        sid = Some(row.id);
    }
    let jwt = tokens::issue_jwt(
        state,
        &JwtRequest {
            tenant: &tenant,
            registered: Some((&application, &registration)),
            user: &user,
            authentication_type: tokens::REGISTRATION,
            auth_time,
            sid: sid.as_deref(),
        },
    )?;
    response.insert("token".into(), json!(jwt.token));
    response.insert("tokenExpirationInstant".into(), json!(jwt.expiration_ms));
    response.insert("user".into(), tokens::user_json(&user, &registrations));
    response.insert(
        "registration".into(),
        tokens::registration_json(&registration),
    );
    tracing::info!(user_id, application_id = application.id, "user registered");
    Ok(ok_json(&Value::Object(response)))
}

/// Validates the `user` of a combined registration; returns the row (password not yet hashed)
/// and the password.
async fn validate_new_user(
    state: &AppState,
    tenant: &model::Tenant,
    user: &Map<String, Value>,
    path_user_id: Option<String>,
    errors: &mut Errors,
) -> Result<(UserRow, String)> {
    let email = string(user, "email").map(str::to_lowercase);
    let username = string(user, "username").map(str::to_owned);
    match &email {
        None if username.is_none() => errors.add_field(
            Rule::Blank,
            "user.email",
            "You must specify either the [user.email] or [user.username] property.",
        ),
        Some(email) if !looks_like_email(email) => errors.add_field(
            Rule::NotEmail,
            "user.email",
            "The [user.email] property is not a valid email address.",
        ),
        Some(email)
            if store::users::by_email(&state.pool, &tenant.id, email)
                .await?
                .is_some() =>
        {
            errors.add_field(
                Rule::Duplicate,
                "user.email",
                "A user with this email already exists.",
            );
        }
        _ => {}
    }
    if let Some(username) = &username
        && store::users::by_username(&state.pool, &tenant.id, username)
            .await?
            .is_some()
    {
        errors.add_field(
            Rule::Duplicate,
            "user.username",
            "A user with this username already exists.",
        );
    }
    let password = user
        .get("password")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let length = password.chars().count();
    if password.is_empty() {
        errors.add_field(
            Rule::Blank,
            "user.password",
            "You must specify the [user.password] property.",
        );
    } else if length < tenant.password_min_length() {
        errors.add_field(
            Rule::TooShort,
            "user.password",
            &format!(
                "The [user.password] must be at least {} characters.",
                tenant.password_min_length()
            ),
        );
    } else if length > tenant.password_max_length() {
        errors.add_field(
            Rule::TooLong,
            "user.password",
            &format!(
                "The [user.password] must be at most {} characters.",
                tenant.password_max_length()
            ),
        );
    }
    let id = match path_user_id.or_else(|| string(user, "id").map(str::to_owned)) {
        Some(id) => parse_uuid(&id, "userId")?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    if store::users::find(&state.pool, &id).await?.is_some() {
        errors.add_field(
            Rule::Duplicate,
            "userId",
            "A user with this id already exists.",
        );
    }
    let mut profile = user.clone();
    for field in USER_RESERVED {
        profile.remove(*field);
    }
    if let Some(two_factor) = profile.get_mut("twoFactor") {
        normalize_two_factor(two_factor, errors);
    }
    if profile
        .get("passwordChangeRequired")
        .is_some_and(|v| !v.is_boolean())
    {
        errors.add_field(
            Rule::Invalid,
            "user.passwordChangeRequired",
            "Must be true or false.",
        );
    }
    let now = state.clock.now_ms();
    let row = UserRow {
        id,
        tenant_id: tenant.id.clone(),
        email,
        username,
        active: user.get("active").and_then(Value::as_bool).unwrap_or(true),
        verified: true,
        password_scheme: String::new(),
        password_factor: 0,
        password_salt: String::new(),
        password_hash: String::new(),
        data: Value::Object(profile).to_string(),
        insert_instant: now,
        last_login_instant: None,
        last_update_instant: now,
        password_last_update_instant: now,
    };
    Ok((row, password))
}

/// Checks `user.twoFactor.methods` (only `authenticator` methods with a Base32 or Base64
/// `secret` are supported) and gives each method an `id` and the authenticator defaults.
fn normalize_two_factor(two_factor: &mut Value, errors: &mut Errors) {
    let invalid = |errors: &mut Errors, message: &str| {
        errors.add_field(Rule::Invalid, "user.twoFactor.methods", message);
    };
    let Some(methods) = two_factor.get_mut("methods").and_then(Value::as_array_mut) else {
        if two_factor.get("methods").is_some() {
            invalid(errors, "Must be a list of methods.");
        }
        return;
    };
    for method in methods {
        if tokens::two_factor_secret(method).is_none() {
            invalid(
                errors,
                "Only [authenticator] methods with a Base32 or Base64 [secret] are supported.",
            );
            return;
        }
        if let Some(object) = method.as_object_mut() {
            object.entry("id").or_insert_with(|| {
                json!(crypto::random_string::<3>().unwrap_or_else(|_| "TOTP".to_owned()))
            });
            object.entry("authenticator").or_insert_with(
                || json!({"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30}),
            );
        }
    }
}

fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// `GET /api/user/registration/{userId}/{applicationId}`.
#[get("/api/user/registration/{user_id}/{application_id}")]
pub async fn retrieve_registration(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (user_id, application_id) = path.into_inner();
    let registration = store::registrations::find(&state.pool, &user_id, &application_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(ok_json(
        &json!({ "registration": tokens::registration_json(&registration) }),
    ))
}

// ------------------------------------------------------------------------------------ users

/// `GET /api/user/{userId}`.
#[get("/api/user/{user_id}")]
pub async fn retrieve_user(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    let user = store::users::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    user_response(&state, &user).await
}

/// `PATCH /api/user/{userId}`: merges profile fields (`firstName`, `data`, `twoFactor`,
/// `passwordChangeRequired`, `expiry`, …) into the user. Identity, password and status fields
/// are not changed through this emulator call.
#[patch("/api/user/{user_id}")]
#[tracing::instrument(skip_all)]
pub async fn patch_user(
    state: web::Data<AppState>,
    _key: ApiKey,
    path: web::Path<String>,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let user = store::users::find(&state.pool, &path)
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut patch = object(&body, "user")?.clone();
    for field in USER_RESERVED {
        patch.remove(*field);
    }
    let mut errors = Errors::default();
    if let Some(two_factor) = patch.get_mut("twoFactor") {
        normalize_two_factor(two_factor, &mut errors);
    }
    if patch
        .get("passwordChangeRequired")
        .is_some_and(|v| !v.is_boolean())
    {
        errors.add_field(
            Rule::Invalid,
            "user.passwordChangeRequired",
            "Must be true or false.",
        );
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut data: Value = serde_json::from_str(&user.data).unwrap_or_else(|_| json!({}));
    if let (Some(object), Some(two_factor)) = (data.as_object_mut(), patch.get("twoFactor")) {
        // Methods are replaced, not merged index by index.
        object.insert("twoFactor".into(), two_factor.clone());
    }
    model::merge(&mut data, Value::Object(patch));
    store::users::update_data(&state.pool, &user.id, &data, state.clock.now_ms()).await?;
    let user = store::users::find(&state.pool, &user.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(user_id = user.id, "user updated");
    user_response(&state, &user).await
}

async fn user_response(state: &AppState, user: &UserRow) -> Result<HttpResponse> {
    let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
    Ok(ok_json(
        &json!({ "user": tokens::user_json(user, &registrations) }),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct UserQuery {
    email: Option<String>,
    login_id: Option<String>,
    username: Option<String>,
}

/// `GET /api/user?email=|loginId=|username=` (API key), or `GET /api/user` with a JWT: its owner.
#[get("/api/user")]
pub async fn search_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    api_key: ApiKeyStatus,
    query: web::Query<UserQuery>,
) -> Result<HttpResponse> {
    let key = match api_key {
        ApiKeyStatus::Valid(key) => key,
        _ => {
            let claims = bearer_jwt(&req)
                .and_then(|jwt| verify_jwt(&state, &jwt))
                .ok_or(ApiError::Unauthorized)?;
            let sub = claims
                .get("sub")
                .and_then(Value::as_str)
                .ok_or(ApiError::Unauthorized)?;
            let user = store::users::find(&state.pool, sub)
                .await?
                .ok_or(ApiError::NotFound)?;
            return user_response(&state, &user).await;
        }
    };
    let tenant = resolve_tenant(&state, &req, Some(&key)).await?;
    let query = query.into_inner();
    let user = if let Some(email) = query.email {
        store::users::by_email(&state.pool, &tenant.id, &email).await?
    } else if let Some(login_id) = query.login_id {
        store::users::by_login_id(&state.pool, &tenant.id, &login_id).await?
    } else if let Some(username) = query.username {
        store::users::by_username(&state.pool, &tenant.id, &username).await?
    } else {
        return Err(ApiError::NotFound);
    };
    let user = user.ok_or(ApiError::NotFound)?;
    user_response(&state, &user).await
}

// ------------------------------------------------------------------------------------ system configuration

/// `PATCH /api/system-configuration`.
#[patch("/api/system-configuration")]
#[tracing::instrument(skip_all)]
pub async fn patch_system_configuration(
    state: web::Data<AppState>,
    _key: ApiKey,
    Json(body): Json<Value>,
) -> Result<HttpResponse> {
    let patch = Value::Object(object(&body, "systemConfiguration")?.clone());
    let mut data = store::system_configuration::get(&state.pool)
        .await?
        .unwrap_or_else(model::default_system_configuration);
    model::merge(&mut data, patch);
    let cors: CorsConfiguration = serde_json::from_value(
        data.get("corsConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({})),
    )
    .map_err(|e| {
        ApiError::field(
            Rule::Invalid,
            "systemConfiguration.corsConfiguration",
            &e.to_string(),
        )
    })?;
    if cors.allowed_origins.len() > 1 && cors.allowed_origins.iter().any(|o| o == "*") {
        return Err(ApiError::field(
            Rule::Invalid,
            "systemConfiguration.corsConfiguration.allowedOrigins",
            "[*] cannot be combined with other origins.",
        ));
    }
    store::system_configuration::set(&state.pool, &data).await?;
    state.set_cors(cors);
    tracing::info!("system configuration updated");
    Ok(ok_json(&json!({ "systemConfiguration": data })))
}

/// `GET /api/system-configuration`.
#[get("/api/system-configuration")]
pub async fn retrieve_system_configuration(
    state: web::Data<AppState>,
    _key: ApiKey,
) -> Result<HttpResponse> {
    let data = store::system_configuration::get(&state.pool)
        .await?
        .unwrap_or_else(model::default_system_configuration);
    Ok(ok_json(&json!({ "systemConfiguration": data })))
}
