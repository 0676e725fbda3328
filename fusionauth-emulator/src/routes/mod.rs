//! Every route, wired in one place for the server and for Kickstart's in-process replay.

mod admin;
pub mod auth;
mod emulator;
mod jwt;
mod login;
mod user_action;
mod webhook;
mod well_known;

use actix_web::web;

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
