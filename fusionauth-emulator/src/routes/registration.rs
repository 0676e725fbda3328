//! The Registration API (API key): `POST /api/user/registration[/{userId}]` (combined user +
//! registration, or an existing user), `GET /api/user/registration/{userId}/{applicationId}` —
//! <https://fusionauth.io/docs/apis/registrations>

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};
use shared::fusionauth::{
    AuthenticationType, Errors, LoginMetaData, RegistrationResponse, RegistrationRetrieveResponse,
    Rule,
};

use super::auth::resolve_tenant;
use super::input::{Create, object, parse_uuid, string};
use super::table::Routes;
use crate::domain::session::{self, SessionRequest};
use crate::domain::{passwords, users, verification};
use crate::infra::crypto;
use crate::infra::error::{ApiError, Result, found};
use crate::infra::http::ok_json;
use crate::model::{self, ApiKey};
use crate::state::{AppState, State};
use crate::store::{self, RegistrationRow, UserRow};

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/user/registration", register)
        .post("/api/user/registration/{userId}", register)
        .get(
            "/api/user/registration/{user_id}/{application_id}",
            retrieve,
        );
}

/// `POST /api/user/registration[/{userId}]`: creates the user and the registration (combined
/// form, `user` and `registration`), or registers an existing user (`{userId}` and only
/// `registration`). The combined form signs the new user in (a `REGISTRATION` JWT, and a
/// refresh token when the application generates them).
#[tracing::instrument(skip_all)]
async fn register(
    req: HttpRequest,
    state: State,
    key: ApiKey,
    new: Create,
) -> Result<HttpResponse> {
    let (path_user_id, body) = (new.id, new.body);
    let tenant = resolve_tenant(&state, &req, Some(&key)).await?;
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
                validate_new_user(&state, &tenant, user, path_user_id.clone(), &mut errors).await?;
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
    ApiError::check(errors)?;
    let Some(application) = application else {
        // Unreachable: a missing application is a field error above.
        return Err(ApiError::Validation(Errors::default()));
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
    let created = new_user.is_some();
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

    let user = found(store::users::find(&state.pool, &user_id).await?)?;
    if created && tenant.verify_email() && !user.verified && user.email.is_some() {
        let own_url = super::user_password::own_url(&req);
        verification::start(&state, &tenant, Some(&application), &user, &own_url, true).await?;
    }
    let registrations = store::registrations::of_user(&state.pool, &user_id).await?;
    let issued = session::issue(
        &state,
        &SessionRequest {
            tenant: &tenant,
            user: &user,
            registered: Some((&application, &registration)),
            authentication_type: AuthenticationType::Registration,
            meta_data: &LoginMetaData::default(),
        },
    )
    .await?;
    let (refresh_token, refresh_token_id) = match issued.refresh_token {
        Some(token) => (Some(token.value), Some(token.id)),
        None => (None, None),
    };
    tracing::info!(user_id, application_id = application.id, "user registered");
    Ok(ok_json(&RegistrationResponse {
        token: Some(issued.jwt.token),
        token_expiration_instant: Some(issued.jwt.expiration_ms),
        refresh_token,
        refresh_token_id,
        user: Some(users::user(&user, &registrations)),
        registration: users::registration(&registration),
    }))
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
    passwords::check_rules(tenant, &password, "user.password", errors);
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
    let profile = users::profile(user.clone(), errors);
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

pub(super) fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// `GET /api/user/registration/{userId}/{applicationId}`.
async fn retrieve(
    state: State,
    _key: ApiKey,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let (user_id, application_id) = path.into_inner();
    let registration =
        found(store::registrations::find(&state.pool, &user_id, &application_id).await?)?;
    Ok(ok_json(&RegistrationRetrieveResponse {
        registration: users::registration(&registration),
    }))
}
