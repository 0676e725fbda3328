//! Black-box tests of the store API against the real FusionAuth emulator, named after the
//! workflow's steps (see `/work/shared` or the top README).

mod account;
mod auth_refresh;
mod bad_input;
mod binary;
mod cart;
mod device_binding;
mod device_client;
mod device_refresh;
mod devices;
mod forgery;
mod hardening;
mod helpers;
mod hmac;
mod key_rotation;
mod login_proxy;
mod passkeys;
mod postgres;
mod public;
mod refresh_abuse;
mod revocation;
mod validate_mode;
mod webhook_e2e;
mod webhook_signatures;
