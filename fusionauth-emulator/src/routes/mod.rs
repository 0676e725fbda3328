//! Every route, wired in one place for the server and for Kickstart's in-process replay.

mod admin;
mod emulator;
mod jwt;
mod login;
mod user_action;
mod webhook;
mod well_known;

use actix_web::{HttpRequest, web};

use crate::error::{ApiError, Result};
use crate::http::ApiKey;
use crate::model::Tenant;
use crate::state::AppState;
use crate::store;

pub fn configure(cfg: &mut web::ServiceConfig, test_hooks: bool) {
    cfg.service(login::login)
        .service(login::two_factor_login)
        .service(login::logout)
        .service(jwt::refresh)
        .service(jwt::revoke)
        .service(jwt::revoke_by_id)
        .service(jwt::retrieve_for_user)
        .service(jwt::retrieve_by_id)
        .service(jwt::validate)
        .service(jwt::public_key)
        .service(well_known::jwks)
        .service(well_known::openid_configuration)
        .service(well_known::openid_configuration_for_tenant)
        .service(well_known::tenant_openid_configuration)
        .service(admin::generate_key)
        .service(admin::generate_key_without_id)
        .service(admin::import_key)
        .service(admin::import_key_without_id)
        .service(admin::retrieve_key)
        .service(admin::patch_tenant)
        .service(admin::retrieve_tenant)
        .service(admin::create_application)
        .service(admin::create_application_without_id)
        .service(admin::retrieve_application)
        .service(admin::register)
        .service(admin::register_without_id)
        .service(admin::retrieve_registration)
        .service(admin::patch_system_configuration)
        .service(admin::retrieve_system_configuration)
        .service(admin::retrieve_user)
        .service(admin::patch_user)
        .service(admin::search_user)
        .service(webhook::create_webhook)
        .service(webhook::create_webhook_without_id)
        .service(webhook::retrieve_webhook)
        .service(webhook::retrieve_webhooks)
        .service(webhook::delete_webhook)
        .service(user_action::create_user_action)
        .service(user_action::create_user_action_without_id)
        .service(user_action::retrieve_user_action);
    if test_hooks {
        cfg.service(emulator::clock)
            .service(emulator::expire_refresh_token);
    }
}

/// The tenant a request addresses: `X-FusionAuth-TenantId`, else the API key's tenant, else the
/// default tenant.
pub async fn resolve_tenant(
    state: &AppState,
    req: &HttpRequest,
    api_key: Option<&ApiKey>,
) -> Result<Tenant> {
    let header = req
        .headers()
        .get("X-FusionAuth-TenantId")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let wanted = header.or_else(|| api_key.and_then(|key| key.tenant_id.as_deref()));
    let tenant = match wanted {
        Some(id) => store::tenant(&state.pool, id).await?,
        None => store::default_tenant(&state.pool).await?,
    };
    tenant.ok_or_else(|| {
        ApiError::Validation(shared::fusionauth::Errors::general(
            shared::fusionauth::ErrorCode::new(shared::fusionauth::Rule::Invalid, "tenantId"),
            "The tenant id is invalid.",
        ))
    })
}
