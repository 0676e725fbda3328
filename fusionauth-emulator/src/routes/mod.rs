//! The HTTP API, one module per FusionAuth API (each opens with its endpoints and docs link):
//!
//! | module | endpoints |
//! |---|---|
//! | [`login`] | `POST /api/login`, `POST /api/logout` |
//! | [`two_factor`] | `POST /api/two-factor/login` |
//! | [`jwt`] | `/api/jwt/refresh` (refresh, revoke, retrieve), `/api/jwt/validate`, `/api/jwt/public-key` |
//! | [`well_known`] | `/.well-known/jwks.json`, the OpenID configuration |
//! | [`key`] | `/api/key/…` |
//! | [`tenant`] | `/api/tenant/{tenantId}` |
//! | [`application`] | `/api/application[/{applicationId}]` |
//! | [`registration`] | `/api/user/registration/…` |
//! | [`user`] | `/api/user[/{userId}]` |
//! | [`user_password`] | `/api/user/forgot-password`, `/api/user/change-password[/{id}]` |
//! | [`user_verify`] | `/api/user/verify-email[/{verificationId}]` |
//! | [`system_configuration`] | `/api/system-configuration` |
//! | [`webhook`] | `/api/webhook[/{webhookId}]` |
//! | [`user_action`] | `/api/user-action[/{userActionId}]` |
//! | [`outbox`] | `/_emulator/outbox[.json]`: the emails sent (always served) |
//! | [`webauthn`] | `/api/webauthn/…` (passkeys) |
//! | [`emulator`] | `/_emulator/…` test hooks (only with `--test-hooks`) |
//!
//! Each module's `routes` registers its handlers in the [`table`]; [`configure`] wires them all,
//! for the server and Kickstart's in-process replay alike, and derives from the same table the
//! endpoint names API-key permissions use. [`auth`] reads who is calling; [`input`] reads the
//! configuration documents of the API-key calls.

mod application;
pub mod auth;
mod emulator;
mod input;
mod jwt;
mod key;
mod login;
mod outbox;
mod registration;
mod system_configuration;
pub mod table;
mod tenant;
mod two_factor;
mod user;
mod user_action;
mod user_password;
mod user_verify;
mod webauthn;
mod webhook;
mod well_known;

use actix_web::web;

use table::Routes;

/// Every FusionAuth API, in registration order.
const APIS: &[fn(&mut Routes<'_>)] = &[
    login::routes,
    two_factor::routes,
    jwt::routes,
    well_known::routes,
    key::routes,
    tenant::routes,
    application::routes,
    registration::routes,
    system_configuration::routes,
    // Before `user`: `/api/user/change-password` and `/api/user/verify-email` must not be read
    // as `/api/user/{userId}`.
    user_password::routes,
    user_verify::routes,
    user::routes,
    webhook::routes,
    user_action::routes,
    outbox::routes,
    webauthn::routes,
];

/// Registers every route (the test hooks too when `test_hooks`) and the endpoint names derived
/// from them (app data for [`auth::ApiKeyStatus`]).
pub fn configure(cfg: &mut web::ServiceConfig, test_hooks: bool) {
    let mut routes = Routes::new(cfg);
    register(&mut routes, test_hooks);
    let endpoints = routes.endpoints();
    cfg.app_data(web::Data::new(endpoints));
}

fn register(routes: &mut Routes<'_>, test_hooks: bool) {
    for api in APIS {
        api(routes);
    }
    if test_hooks {
        emulator::routes(routes);
    }
}

#[cfg(test)]
mod tests;
