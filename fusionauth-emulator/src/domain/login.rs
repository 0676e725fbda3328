//! A login, once the request is known to be well-formed and allowed: the checks in FusionAuth's
//! order (423, 409, 404, 410, then 242, 203, 212, 202), the failure count, the events, and the
//! session — <https://fusionauth.io/docs/apis/login>

use shared::fusionauth::{
    AuthenticationType, ChangePasswordReason, EventInfo, EventPayload, LoginFailedReason,
    LoginMetaData, LoginResponse, LoginStatus, UserLoginFailedEvent, UserLoginSuccessEvent,
};

use super::session::{self, SessionRequest};
use super::{events, lockout, two_factor, users};
use crate::infra::crypto::{self, verify_password};
use crate::infra::error::{ApiError, Result, found};
use crate::model::{Application, Tenant};
use crate::state::AppState;
use crate::store::{self, UserRow, two_factor::Challenge, two_factor::ChallengeData};

/// How long a `twoFactorId` stays valid when the tenant does not say
/// (`externalIdentifierConfiguration.twoFactorIdTimeToLiveInSeconds`).
const TWO_FACTOR_TTL_S: i64 = 300;

/// How many codes one `twoFactorId` may try (right or wrong); FusionAuth documents no number.
pub const TWO_FACTOR_ATTEMPTS: i64 = 5;

/// What the login asked for, carried through a two-factor challenge.
#[derive(Debug)]
pub struct LoginOptions {
    /// As sent (the application may not exist: then 202).
    pub application_id: Option<String>,
    pub no_jwt: bool,
    pub meta_data: Option<LoginMetaData>,
    /// The client's address.
    pub ip_address: String,
}

/// A successful (2xx) answer: its status and body, and when its refresh token expires (for the
/// cookie).
#[derive(Debug)]
pub struct LoginOutcome {
    pub status: LoginStatus,
    pub body: LoginResponse,
    pub refresh_token_expires_ms: Option<i64>,
}

impl LoginOutcome {
    fn new(status: LoginStatus, body: LoginResponse) -> Self {
        Self {
            status,
            body,
            refresh_token_expires_ms: None,
        }
    }
}

/// A login with `login_id` and `password` in `tenant`.
pub async fn with_password(
    state: &AppState,
    tenant: &Tenant,
    application: Option<Application>,
    login_id: &str,
    password: &str,
    options: LoginOptions,
) -> Result<LoginOutcome> {
    let user = store::users::by_login_id(&state.pool, &tenant.id, login_id).await?;
    if let Some(user) = &user {
        if !user.active {
            return Err(ApiError::Locked);
        }
        not_prevented(state, user).await?;
    }
    let stored = user
        .as_ref()
        .map(UserRow::password)
        .unwrap_or_else(|| state.dummy_password.clone());
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let user = match user {
        Some(user) if matches => user,
        Some(user) => {
            failed(state, tenant, &user, &options).await?;
            return Err(ApiError::NotFound);
        }
        None => return Err(ApiError::NotFound),
    };
    not_expired(state, &user)?;
    let methods = two_factor::methods(&user);
    if !methods.is_empty() {
        let two_factor_id = crypto::random_string::<32>()?;
        let data = ChallengeData {
            application_id: options.application_id,
            no_jwt: options.no_jwt,
            meta_data: options.meta_data,
        };
        let now = state.clock.now_ms();
        store::two_factor::insert_challenge(&state.pool, &two_factor_id, &user.id, now, &data)
            .await?;
        tracing::info!("login needs a second factor");
        return Ok(LoginOutcome::new(
            LoginStatus::TwoFactorRequired,
            LoginResponse {
                two_factor_id: Some(two_factor_id),
                methods: Some(methods.iter().map(|m| m.without_secrets()).collect()),
                ..LoginResponse::default()
            },
        ));
    }
    let password = AuthenticationType::Password;
    complete(state, tenant, user, application, &options, password).await
}

/// A wrong password for an existing user: the `user.login.failed` event and the lockout count.
async fn failed(
    state: &AppState,
    tenant: &Tenant,
    user: &UserRow,
    options: &LoginOptions,
) -> Result<()> {
    let registrations = store::registrations::of_user(&state.pool, &user.id).await?;
    // FusionAuth omits `applicationId` when the user is not registered to it.
    let application_id = options
        .application_id
        .clone()
        .filter(|id| registrations.iter().any(|r| &r.application_id == id));
    let event = UserLoginFailedEvent {
        application_id,
        authentication_type: Some(AuthenticationType::Password),
        ip_address: Some(options.ip_address.clone()),
        reason: Some(LoginFailedReason {
            code: LoginFailedReason::CREDENTIALS.to_owned(),
            ..LoginFailedReason::default()
        }),
        user: users::user(user, &registrations),
    };
    let payload = EventPayload::UserLoginFailed(Box::new(event));
    events::emit(state, tenant, payload, info(options)).await?;
    lockout::record_failure(state, tenant, user).await
}

/// The challenge `two_factor_id` names, with its user and tenant; 404 when it is unknown or has
/// expired (an expired one is deleted).
pub async fn pending_two_factor(
    state: &AppState,
    two_factor_id: &str,
) -> Result<(Challenge, UserRow, Tenant)> {
    let challenge = found(store::two_factor::challenge(&state.pool, two_factor_id).await?)?;
    let user = found(store::users::find(&state.pool, &challenge.user_id).await?)?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    let ttl_s = tenant
        .data
        .pointer("/externalIdentifierConfiguration/twoFactorIdTimeToLiveInSeconds")
        .and_then(serde_json::Value::as_i64)
        .filter(|ttl| *ttl > 0)
        .unwrap_or(TWO_FACTOR_TTL_S);
    let expires = challenge
        .create_instant
        .saturating_add(ttl_s.saturating_mul(1000));
    if expires <= state.clock.now_ms() {
        store::two_factor::delete_challenge(&state.pool, two_factor_id).await?;
        return Err(ApiError::NotFound);
    }
    Ok((challenge, user, tenant))
}

/// Completes a login that answered 242 with the authenticator `code`, with the statuses
/// FusionAuth documents for it: a user deactivated meanwhile makes the `twoFactorId` invalid
/// (404: 423 is not among them), one expired meanwhile answers 410. Each `twoFactorId` takes
/// [`TWO_FACTOR_ATTEMPTS`] codes, then is gone (404); a wrong code answers 421 and counts toward
/// the tenant's failed-authentication lockout like a wrong password; a login-preventing action
/// answers 409 here too. The first correct code uses the challenge up.
pub async fn with_second_factor(
    state: &AppState,
    tenant: &Tenant,
    user: UserRow,
    application: Option<Application>,
    two_factor_id: &str,
    code: &str,
    options: LoginOptions,
) -> Result<LoginOutcome> {
    if !user.active {
        store::two_factor::delete_challenge(&state.pool, two_factor_id).await?;
        return Err(ApiError::NotFound);
    }
    not_prevented(state, &user).await?;
    not_expired(state, &user)?;
    if !store::two_factor::take_attempt(&state.pool, two_factor_id, TWO_FACTOR_ATTEMPTS).await? {
        store::two_factor::delete_challenge(&state.pool, two_factor_id).await?;
        tracing::warn!(user_id = user.id, "two-factor attempts exhausted");
        return Err(ApiError::NotFound);
    }
    if !two_factor::verify_code(&user, code, state.clock.now_s()) {
        lockout::record_failure(state, tenant, &user).await?;
        return Err(ApiError::InvalidTwoFactorCode);
    }
    if !store::two_factor::delete_challenge(&state.pool, two_factor_id).await? {
        return Err(ApiError::NotFound);
    }
    let password = AuthenticationType::Password;
    complete(state, tenant, user, application, &options, password).await
}

/// A passkey login (`POST /api/webauthn/login`) once the assertion verified: 423, 409 and 410
/// as for a password, then as a password login with `authenticationType` `WebAuthn`.
pub async fn with_passkey(
    state: &AppState,
    tenant: &Tenant,
    user: UserRow,
    application: Option<Application>,
    options: LoginOptions,
) -> Result<LoginOutcome> {
    may_log_in(state, &user).await?;
    let webauthn = AuthenticationType::Other("WebAuthn".to_owned());
    complete(state, tenant, user, application, &options, webauthn).await
}

/// The end of a login once the credentials (and second factor) are good: 203 when a password
/// change is required, 212 when the tenant gates unverified emails, else 200 (202 when not
/// registered to the application) with the session. The user's failure streak ends here, and
/// only here: a password alone does not reset the count its second factor's wrong codes add to.
async fn complete(
    state: &AppState,
    tenant: &Tenant,
    mut user: UserRow,
    application: Option<Application>,
    options: &LoginOptions,
    authentication_type: AuthenticationType,
) -> Result<LoginOutcome> {
    store::failed_logins::clear(&state.pool, &user.id).await?;
    if user.password_change_required() {
        tracing::info!("login needs a password change");
        return Ok(LoginOutcome::new(
            LoginStatus::PasswordChangeRequired,
            LoginResponse {
                change_password_id: Some(
                    super::passwords::new_change_password_id(state, tenant, &user.id, false, None)
                        .await?,
                ),
                change_password_reason: Some(ChangePasswordReason::Administrative),
                ..LoginResponse::default()
            },
        ));
    }
    let mut registrations = store::registrations::of_user(&state.pool, &user.id).await?;
    if tenant.email_verification_gated() && !user.verified {
        tracing::info!("login gated: email not verified");
        return Ok(LoginOutcome::new(
            LoginStatus::EmailVerificationRequired,
            LoginResponse {
                user: Some(users::user(&user, &registrations)),
                ..LoginResponse::default()
            },
        ));
    }
    let registered = application.as_ref().and_then(|app| {
        let index = registrations
            .iter()
            .position(|r| r.application_id == app.id)?;
        Some((app, index))
    });
    let now_ms = state.clock.now_ms();
    store::users::record_login(
        &state.pool,
        &user.id,
        registered.map(|(app, _)| app.id.as_str()),
        now_ms,
    )
    .await?;
    user.last_login_instant = Some(now_ms);
    if let Some((_, index)) = registered
        && let Some(registration) = registrations.get_mut(index)
    {
        registration.last_login_instant = Some(now_ms);
    }
    let status = match (&options.application_id, registered) {
        (Some(_), None) => LoginStatus::NotRegistered,
        _ => LoginStatus::Success,
    };
    let view = users::user(&user, &registrations);
    let event = UserLoginSuccessEvent {
        application_id: options.application_id.clone(),
        authentication_type: Some(authentication_type.clone()),
        ip_address: Some(options.ip_address.clone()),
        user: view.clone(),
        ..UserLoginSuccessEvent::default()
    };
    let payload = EventPayload::UserLoginSuccess(Box::new(event));
    events::emit(state, tenant, payload, info(options)).await?;

    let mut outcome = LoginOutcome::new(status, LoginResponse::default());
    if !options.no_jwt {
        let meta_data = options.meta_data.clone().unwrap_or_default();
        let issued = session::issue(
            state,
            &SessionRequest {
                tenant,
                user: &user,
                registered: registered
                    .and_then(|(app, index)| Some((app, registrations.get(index)?))),
                authentication_type,
                meta_data: &meta_data,
            },
        )
        .await?;
        if let Some(refresh_token) = issued.refresh_token {
            outcome.refresh_token_expires_ms = Some(refresh_token.expires_ms);
            outcome.body.refresh_token = Some(refresh_token.value);
            outcome.body.refresh_token_id = Some(refresh_token.id);
        }
        outcome.body.token = Some(issued.jwt.token);
        outcome.body.token_expiration_instant = Some(issued.jwt.expiration_ms);
    }
    outcome.body.user = Some(view);
    tracing::info!(status = status.code(), "login succeeded");
    Ok(outcome)
}

/// A login with the one-time password a password change returned (single use, the tenant's
/// `oneTimePasswordTimeToLiveInSeconds`): the same checks and outcomes as a password login
/// once the password is known to be right.
pub async fn with_one_time_password(
    state: &AppState,
    tenant: &Tenant,
    application: Option<Application>,
    one_time_password: &str,
    options: LoginOptions,
) -> Result<LoginOutcome> {
    let user = super::passwords::redeem_one_time_password(state, one_time_password).await?;
    if user.tenant_id != tenant.id {
        return Err(ApiError::NotFound);
    }
    may_log_in(state, &user).await?;
    let one_time_password = AuthenticationType::OneTimePassword;
    complete(
        state,
        tenant,
        user,
        application,
        &options,
        one_time_password,
    )
    .await
}

/// 423 for a deactivated user, 409 for a login-preventing action (the lockout), 410 for an
/// expired user: the checks every login makes once the credential is known to be good.
async fn may_log_in(state: &AppState, user: &UserRow) -> Result<()> {
    if !user.active {
        return Err(ApiError::Locked);
    }
    not_prevented(state, user).await?;
    not_expired(state, user)
}

/// 409 while a login-preventing action (the lockout) is in force on the user.
async fn not_prevented(state: &AppState, user: &UserRow) -> Result<()> {
    match lockout::login_prevented(state, &user.id).await? {
        Some(actions) => Err(ApiError::LoginPrevented(actions)),
        None => Ok(()),
    }
}

/// 410 once the user has expired.
fn not_expired(state: &AppState, user: &UserRow) -> Result<()> {
    if user
        .expiry()
        .is_some_and(|expiry| expiry <= state.clock.now_ms())
    {
        return Err(ApiError::Expired);
    }
    Ok(())
}

/// The login events' `info`.
fn info(options: &LoginOptions) -> EventInfo {
    EventInfo {
        ip_address: Some(options.ip_address.clone()),
        ..EventInfo::default()
    }
}
