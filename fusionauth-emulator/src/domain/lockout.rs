//! Failed-login lockout (`tenant.failedAuthenticationConfiguration`) and login-preventing user
//! actions — <https://fusionauth.io/docs/apis/user-actions>

use serde_json::{Value, json};
use shared::fusionauth::{LoginPreventedAction, LoginPreventedResponse};

use crate::infra::error::Result;
use crate::model::Tenant;
use crate::state::AppState;
use crate::store::{self, UserRow};

/// Milliseconds in one `actionDurationUnit`.
pub fn unit_ms(unit: &str) -> Option<i64> {
    Some(match unit {
        "MINUTES" => 60_000,
        "HOURS" => 3_600_000,
        "DAYS" => 86_400_000,
        "WEEKS" => 7 * 86_400_000,
        "MONTHS" => 30 * 86_400_000,
        "YEARS" => 365 * 86_400_000,
        _ => return None,
    })
}

/// The tenant's failed-authentication settings, with FusionAuth's defaults.
struct Config {
    too_many_attempts: i64,
    reset_count_ms: i64,
    action_duration_ms: i64,
    user_action_id: Option<String>,
}

impl Config {
    fn of(tenant: &Tenant) -> Self {
        let config = tenant
            .data
            .get("failedAuthenticationConfiguration")
            .cloned()
            .unwrap_or_else(|| json!({}));
        let number = |name: &str, default: i64| {
            config
                .get(name)
                .and_then(Value::as_i64)
                .filter(|n| *n > 0)
                .unwrap_or(default)
        };
        let unit = config
            .get("actionDurationUnit")
            .and_then(Value::as_str)
            .and_then(unit_ms)
            .unwrap_or(60_000);
        Self {
            too_many_attempts: number("tooManyAttempts", 5),
            reset_count_ms: number("resetCountInSeconds", 60).saturating_mul(1000),
            action_duration_ms: number("actionDuration", 3).saturating_mul(unit),
            user_action_id: config
                .get("userActionId")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// Counts a failed login of `user`; when the streak reaches `tooManyAttempts` and the tenant
/// names a user action, applies it for `actionDuration` (revoking the user's refresh tokens
/// first when it prevents login and `onLoginPrevented` is on).
pub async fn record_failure(state: &AppState, tenant: &Tenant, user: &UserRow) -> Result<()> {
    let config = Config::of(tenant);
    let now = state.clock.now_ms();
    let count =
        store::failed_logins::record(&state.pool, &user.id, now, config.reset_count_ms).await?;
    if count < config.too_many_attempts {
        return Ok(());
    }
    let Some(action_id) = config.user_action_id else {
        return Ok(());
    };
    let Some(action) = store::user_actions::find(&state.pool, &action_id).await? else {
        return Ok(());
    };
    let prevent_login = action.get("preventLogin").and_then(Value::as_bool) == Some(true);
    let revoke = tenant
        .data
        .pointer("/jwtConfiguration/refreshTokenRevocationPolicy/onLoginPrevented")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    if prevent_login && revoke {
        crate::domain::revocation::revoke_user(state, &user.id, None).await?;
    }
    let name = action.get("name").cloned().unwrap_or_else(|| json!(""));
    store::user_actions::apply(
        &state.pool,
        &user.id,
        &action_id,
        now,
        Some(now.saturating_add(config.action_duration_ms)),
        &json!({"name": name, "preventLogin": prevent_login}),
    )
    .await?;
    store::failed_logins::clear(&state.pool, &user.id).await?;
    tracing::warn!(
        user_id = user.id,
        action_id,
        "too many failed logins: user action applied"
    );
    Ok(())
}

/// The 409 body when login-preventing actions are in force on the user.
pub async fn login_prevented(
    state: &AppState,
    user_id: &str,
) -> Result<Option<LoginPreventedResponse>> {
    let actions: Vec<LoginPreventedAction> =
        store::user_actions::active_for_user(&state.pool, user_id, state.clock.now_ms())
            .await?
            .into_iter()
            .filter(|(_, _, data)| data.get("preventLogin").and_then(Value::as_bool) == Some(true))
            .map(|(action_id, expiry, data)| {
                let name = data.get("name").and_then(Value::as_str).map(str::to_owned);
                LoginPreventedAction {
                    action_id,
                    expiry,
                    localized_name: name.clone(),
                    name,
                    ..LoginPreventedAction::default()
                }
            })
            .collect();
    Ok((!actions.is_empty()).then_some(LoginPreventedResponse { actions }))
}
