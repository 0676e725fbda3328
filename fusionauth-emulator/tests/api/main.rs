//! Black-box tests of the emulator over HTTP, written from FusionAuth's documentation.

mod admin;
mod cors;
mod email;
mod helpers;
mod jwt;
mod keys;
mod kickstart;
mod login;
mod login_outcomes;
mod passwords;
mod permissions;
mod refresh;
mod restart;
mod two_factor;
mod users;
mod webauthn;
mod webhooks;
