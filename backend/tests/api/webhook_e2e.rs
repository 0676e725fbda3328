//! Steps 19–20 end to end: FusionAuth (the emulator, as the Kickstart configures it) signs and
//! delivers `jwt.refresh-token.revoke` to the backend, and a stolen JWT dies with its session.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::store::ErrorCode;

use crate::helpers::{
    Sent, Session, TENANT_ID, TestApp, assert_revoked_session_refused, assert_session_expired,
    error_code, spawn_app,
};
use crate::revocation::revoke_at_fusionauth;

/// Waits (a few seconds at most) until the backend refuses `session`'s JWT; the Kickstart
/// delivers the event in the background (transactionType `None`). A JWT of the revocation's own
/// second is refused alone (`refresh_required`) and with its refresh token FusionAuth revoked.
async fn assert_refused_soon(app: &TestApp, session: &Session) {
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let response = app.get_cart(&session.jwt, None).await;
            if response.status() == StatusCode::UNAUTHORIZED {
                return response;
            }
            assert_eq!(response.status(), StatusCode::OK);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the JWT is refused within 5 s of the revocation");
    let code = error_code(refused, StatusCode::UNAUTHORIZED).await;
    assert!(
        matches!(code, ErrorCode::SessionExpired | ErrorCode::RefreshRequired),
        "{code:?}"
    );
    assert_session_expired(app, &session.jwt, Some(&session.refresh_token)).await;
}

/// `POST /api/logout` at FusionAuth with the session's refresh token (`global`: every session of
/// its user), as the PWA signs out; asserts FusionAuth's 200.
pub async fn logout(app: &TestApp, session: &Session, global: bool) {
    let response = app
        .client
        .post(format!("{}/api/logout", app.fusionauth_url))
        .json(&json!({"refreshToken": session.refresh_token, "global": global}))
        .sent()
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn step_19_20_stolen_jwt_is_refused_after_the_victim_logs_out() {
    check_logout_refuses_the_stolen_jwt(&spawn_app().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_logout_refuses_the_stolen_jwt(app: &TestApp) {
    let victim = app.login().await;
    let stolen_jwt = victim.jwt.clone();
    assert_eq!(
        app.get_cart(&stolen_jwt, None).await.status(),
        StatusCode::OK
    );

    logout(app, &victim, false).await;
    // Refused at once (the JWT itself is valid for five more minutes).
    assert_refused_soon(app, &victim).await;
}

#[tokio::test]
async fn step_19_20_a_single_session_logout_leaves_the_users_other_sessions_alone() {
    let app = spawn_app().await;
    let phone = app.login().await;
    let laptop = app.login().await;
    logout(&app, &phone, false).await;
    assert_refused_soon(&app, &phone).await;
    // (Without `sid` in the JWTs, the laptop's refresh token proves its session is not the
    // revoked one.)
    let response = app.get_cart_as(&laptop).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn step_19_20_global_logout_revokes_every_session_of_the_user() {
    let app = spawn_app().await;
    let phone = app.login().await;
    let laptop = app.login().await;
    logout(&app, &phone, true).await;
    assert_refused_soon(&app, &phone).await;
    assert_refused_soon(&app, &laptop).await;
}

#[tokio::test]
async fn step_19_20_revoking_a_users_refresh_tokens_at_fusionauth_revokes_their_jwts() {
    let app = spawn_app().await;
    let phone = app.login().await;
    let laptop = app.login().await;
    revoke_at_fusionauth(&app, &phone.user_id).await;
    assert_refused_soon(&app, &phone).await;
    assert_refused_soon(&app, &laptop).await;

    app.assert_a_later_login_is_accepted().await;
}

#[tokio::test]
async fn step_19_20_with_a_transactional_webhook_the_jwt_is_refused_before_logout_returns() {
    let app = spawn_app().await;
    app.admin(
        Method::PATCH,
        &format!("/api/tenant/{TENANT_ID}"),
        json!({"tenant": {"eventConfiguration": {"events": {
            "jwt.refresh-token.revoke": {"enabled": true, "transactionType": "Any"}
        }}}}),
    )
    .await;
    let victim = app.login().await;
    logout(&app, &victim, false).await;
    // No waiting: FusionAuth answered only after the backend recorded the revocation.
    assert_revoked_session_refused(&app, &victim.jwt).await;
    assert_session_expired(&app, &victim.jwt, Some(&victim.refresh_token)).await;
}
