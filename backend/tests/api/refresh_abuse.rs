//! Issue #12 item 15: someone's own genuine expired JWT sent with another user's refresh token
//! must not cost that user their session, and refreshes are limited per user.

use std::time::Duration;

use reqwest::StatusCode;
use shared::headers::{NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN};
use shared::store::ErrorCode;

use crate::helpers::{
    PAST_JWT_LIFETIME, assert_too_many_requests, error_code, header, spawn_app, spawn_app_with,
};

/// Past the Kickstart's 10 s one-time-use grace period: a spent value is refused by then.
const PAST_GRACE_PERIOD: Duration = Duration::from_secs(15);

#[tokio::test]
async fn an_attackers_own_expired_jwt_with_a_stolen_refresh_token_does_not_log_its_owner_out() {
    let app = spawn_app().await;
    let (victim, mallory) = app
        .shopper_and_another_user(("notebook", 2), ("mallory@example.com", "mallory-pass-123"))
        .await;
    let mallory_jwt = mallory.token.expect("a JWT");
    app.advance_time(PAST_JWT_LIFETIME).await;

    // Mallory's genuine JWT with the victim's refresh token: FusionAuth refreshes the victim's
    // session (spending the one-time value) and the backend refuses Mallory.
    for attempt in 1..=2 {
        let response = app
            .get_cart(&mallory_jwt, Some(&victim.refresh_token))
            .await;
        assert_eq!(
            header(&response, NEW_ACCESS_TOKEN),
            None,
            "attempt {attempt}"
        );
        assert_eq!(
            header(&response, NEW_REFRESH_TOKEN),
            None,
            "attempt {attempt}"
        );
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::Unauthorized,
            "attempt {attempt}"
        );
    }
    // The second attempt is refused before FusionAuth is asked.
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 1);

    // Long after FusionAuth's grace period, the victim's own refresh still works.
    app.advance_time(PAST_GRACE_PERIOD).await;
    let response = app.get_cart_as(&victim).await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_jwt = header(&response, NEW_ACCESS_TOKEN).expect("a new JWT");
    let new_refresh_token = header(&response, NEW_REFRESH_TOKEN).expect("the rotated value");
    assert_ne!(new_refresh_token, victim.refresh_token);
    app.assert_cart(&new_jwt, &[("notebook", 2)]).await;

    // And the value the victim now holds carries the session through the next expiry.
    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart(&new_jwt, Some(&new_refresh_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn refreshes_past_the_per_user_limit_answer_429_without_asking_fusionauth() {
    let app = spawn_app_with(|settings| settings.refresh_attempts_per_minute = 2).await;
    let sessions = [app.login().await, app.login().await, app.login().await];
    app.advance_time(PAST_JWT_LIFETIME).await;
    for session in &sessions[..2] {
        let response = app.get_cart_as(session).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let third = &sessions[2];
    let response = app.get_cart_as(third).await;
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), None);
    assert_too_many_requests(response, 31).await;
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 2);
}
