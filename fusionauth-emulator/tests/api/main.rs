//! Black-box tests of the emulator over HTTP, written from FusionAuth's documentation.

mod admin;
mod cors;
mod helpers;
mod jwt;
mod keys;
mod login;
mod login_outcomes;
mod permissions;
mod refresh;
mod restart;
mod webauthn;
mod webhooks;
