//! Black-box tests of the store API against the real FusionAuth emulator, named after the
//! workflow's steps (see `/work/shared` or the top README).

mod auth_refresh;
mod bad_input;
mod binary;
mod cart;
mod forgery;
mod hardening;
mod helpers;
mod hmac;
mod login_proxy;
mod passkeys;
mod postgres;
mod public;
mod revocation;
mod validate_mode;
mod webhook_e2e;
