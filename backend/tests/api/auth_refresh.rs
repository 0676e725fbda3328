//! Steps 4–14: the JWT on every call, refreshed at FusionAuth when it has merely expired, and
//! the end of the session when FusionAuth refuses.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::headers::{NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, REFRESH_TOKEN};
use shared::store::{Cart, ErrorCode};

use crate::forgery::decode_part;
use crate::helpers::{
    PAST_JWT_LIFETIME, Sent, Session, TestApp, assert_error, assert_refused_without_new_jwt,
    assert_session_expired, assert_unavailable_for_now, error_code, header, join_all, quantities,
    spawn_app, spawn_app_with, spawn_app_with_kickstart,
};

#[tokio::test]
async fn step_04_requests_without_a_bearer_jwt_are_unauthorized() {
    let app = spawn_app().await;
    let cases: [(&str, Option<&str>); 4] = [
        ("no Authorization", None),
        ("Basic credentials", Some("Basic c2hvcHBlcjpwYXNz")),
        ("empty Bearer", Some("Bearer ")),
        ("garbage Bearer", Some("Bearer not-a-jwt")),
    ];
    for (name, authorization) in cases {
        let mut request = app.client.get(app.url("/api/cart"));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.sent().await;
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::Unauthorized,
            "{name}"
        );
    }
}

#[tokio::test]
async fn step_06_09_expired_jwt_with_refresh_token_returns_cart_and_new_jwt() {
    check_expired_jwt_is_refreshed(&spawn_app().await).await;
}

/// Also run on PostgreSQL by `postgres.rs`.
pub async fn check_expired_jwt_is_refreshed(app: &TestApp) {
    let session = app.login().await;
    app.add_item(&session.jwt, "coffee-beans", 2).await;

    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart_as(&session).await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    let new_jwt = header(&response, NEW_ACCESS_TOKEN).expect("a new JWT");
    assert_ne!(new_jwt, session.jwt);
    // The Kickstart's refresh tokens are one-time-use: the rotated value comes back too.
    let new_refresh_token = header(&response, NEW_REFRESH_TOKEN).expect("a rotated refresh token");
    assert_ne!(new_refresh_token, session.refresh_token);
    let exposed = header(&response, "access-control-expose-headers").expect("exposed headers");
    assert!(
        exposed.contains(NEW_ACCESS_TOKEN) && exposed.contains(NEW_REFRESH_TOKEN),
        "{exposed}"
    );
    let cart: Cart = response.json().await.expect("cart");
    assert_eq!(quantities(&cart), [("coffee-beans".to_owned(), 2)]);

    // The new JWT works on its own.
    let response = app.get_cart(&new_jwt, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), None);

    // And the rotated refresh token carries the session through the next expiry.
    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart(&new_jwt, Some(&new_refresh_token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, NEW_ACCESS_TOKEN).is_some());
}

/// The Kickstart with the access-token key it used to create: RSA, 2048 bits.
fn with_an_rs256_key(kickstart: &mut Value) {
    let key_request = kickstart["requests"]
        .as_array_mut()
        .expect("requests")
        .iter_mut()
        .find(|request| {
            request["url"]
                .as_str()
                .is_some_and(|url| url.starts_with("/api/key/generate/"))
        })
        .expect("the Kickstart generates the access-token key");
    assert_eq!(key_request["body"]["key"]["algorithm"], "ES256");
    key_request["body"]["key"] =
        json!({"algorithm": "RS256", "name": "RSA access-token key", "length": 2048});
}

#[tokio::test]
async fn an_rs256_access_token_key_is_verified_and_refreshed_when_app_jwt_algorithms_names_it() {
    let app = spawn_app_with_kickstart(with_an_rs256_key, |settings| {
        settings.jwt_algorithms = vec!["RS256".parse().expect("an algorithm")];
    })
    .await;
    let session = app.login().await;
    assert_eq!(decode_part(&session.jwt, 0)["alg"], "RS256");
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );
    check_expired_jwt_is_refreshed(&app).await;
}

#[tokio::test]
async fn an_rs256_access_token_key_is_refused_and_never_refreshed_under_the_default_es256() {
    let app = spawn_app_with_kickstart(with_an_rs256_key, |_| {}).await;
    let session = app.login().await;
    assert_eq!(decode_part(&session.jwt, 0)["alg"], "RS256");
    let response = app.get_cart(&session.jwt, None).await;
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart_as(&session).await;
    assert_refused_without_new_jwt(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
        .await;
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);
}

/// A new app and a shopper signed in to it, their JWT just expired.
async fn signed_in_past_jwt_lifetime() -> (TestApp, Session) {
    let app = spawn_app().await;
    let session = app.login().await;
    app.advance_time(PAST_JWT_LIFETIME).await;
    (app, session)
}

#[tokio::test]
async fn step_07_09_a_refresh_during_a_cart_change_applies_the_change_and_returns_new_tokens() {
    let (app, session) = signed_in_past_jwt_lifetime().await;
    let response = app.add_item_refreshing(&session, "notebook", 1).await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_jwt = header(&response, NEW_ACCESS_TOKEN).expect("a new JWT");
    app.assert_cart(&new_jwt, &[("notebook", 1)]).await;
}

#[tokio::test]
async fn step_07_new_tokens_are_returned_even_when_the_request_itself_fails() {
    // A rotated one-time refresh token must never be lost, or the session strands.
    let (app, session) = signed_in_past_jwt_lifetime().await;
    let response = app.add_item_refreshing(&session, "unicorn", 1).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(header(&response, NEW_ACCESS_TOKEN).is_some());
    assert!(header(&response, NEW_REFRESH_TOKEN).is_some());
}

#[tokio::test]
async fn step_06_an_expired_jwt_without_refresh_token_asks_for_it_and_ends_nothing() {
    // A client whose clock is behind believes its JWT fresh and sends no refresh token: the
    // answer tells it to resend with one (issue #12, item 17), and the session lives on.
    let (app, session) = signed_in_past_jwt_lifetime().await;
    app.assert_refresh_required_then_works(&session).await;
}

#[tokio::test]
async fn a_jwt_within_the_leeway_is_still_accepted_without_refresh() {
    let app = spawn_app().await;
    let session = app.login().await;
    app.clock.advance(Duration::from_secs(302)); // exp + 2 s, within the 5 s leeway
    let response = app.get_cart_as(&session).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), None);
}

#[tokio::test]
async fn step_10_14_an_expired_refresh_token_answers_401_session_expired() {
    let app = spawn_app().await;
    let session = app.login().await;
    // The Kickstart's refresh tokens live 7 days without use.
    app.advance_time(Duration::from_secs(7 * 24 * 3600 + 3600))
        .await;
    assert_session_expired(&app, &session.jwt, Some(&session.refresh_token)).await;
}

#[tokio::test]
async fn step_12_13_refused_refresh_answers_401_session_expired() {
    let app = spawn_app().await;
    let session = app.login().await;
    // Revoke the session at FusionAuth (as a logout elsewhere would).
    crate::webhook_e2e::logout(&app, &session, false).await;

    app.advance_time(PAST_JWT_LIFETIME).await;
    assert_session_expired(&app, &session.jwt, Some(&session.refresh_token)).await;
}

#[tokio::test]
async fn step_14_after_a_refused_refresh_logging_in_again_restores_the_cart() {
    let app = spawn_app().await;
    let session = app.login().await;
    app.add_item(&session.jwt, "water-bottle", 1).await;
    app.advance_time(Duration::from_secs(8 * 24 * 3600)).await;
    assert_session_expired(&app, &session.jwt, Some(&session.refresh_token)).await;

    let again = app.login().await;
    app.assert_cart(&again.jwt, &[("water-bottle", 1)]).await;
}

#[tokio::test]
async fn a_jwt_expired_longer_than_a_refresh_token_lives_is_never_refreshed() {
    let app = spawn_app_with(|settings| settings.max_refresh_age_minutes = 60).await;
    let session = app.login().await;
    app.advance_time(Duration::from_secs(2 * 3600)).await;
    // With FusionAuth unreachable, any attempt to refresh would answer 503.
    app.stop_fusionauth();
    assert_session_expired(&app, &session.jwt, Some(&session.refresh_token)).await;
}

#[tokio::test]
async fn a_refresh_that_yields_another_users_jwt_is_refused_without_data() {
    let app = spawn_app().await;
    let (victim, mallory) = app
        .shopper_and_another_user(("notebook", 4), ("mallory@example.com", "mallory-pass-123"))
        .await;

    app.advance_time(PAST_JWT_LIFETIME).await;
    // The victim's expired JWT with Mallory's refresh token: FusionAuth mints Mallory's JWT.
    let response = app
        .get_cart(&victim.jwt, mallory.refresh_token.as_deref())
        .await;
    assert_refused_without_new_jwt(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
        .await;
}

#[tokio::test]
async fn fusionauth_down_still_serves_valid_jwts_and_answers_503_to_refreshes() {
    let app = spawn_app().await;
    let session = app.login().await;
    app.stop_fusionauth();

    let response = app.get_cart_as(&session).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a valid JWT never needs FusionAuth"
    );

    app.advance_time(PAST_JWT_LIFETIME).await;
    let response = app.get_cart_as(&session).await;
    assert_unavailable_for_now(response).await;

    // Not a logout: once FusionAuth is back, the same tokens refresh.
    app.start_fusionauth();
    app.assert_the_refresh_works(&session).await;
}

/// `n` cart calls at once through `client`, each with the session's JWT and refresh token: each
/// one's status and the new JWT and refresh token it got.
async fn concurrent_cart_calls(
    app: &TestApp,
    client: &reqwest::Client,
    session: &Session,
    n: usize,
) -> Vec<(StatusCode, Option<String>, Option<String>)> {
    let requests = (0..n)
        .map(|_| {
            let (client, url) = (client.clone(), app.url("/api/cart"));
            let (jwt, refresh_token) = (session.jwt.clone(), session.refresh_token.clone());
            async move {
                let response = client
                    .get(url)
                    .bearer_auth(jwt)
                    .header(REFRESH_TOKEN, refresh_token)
                    .sent()
                    .await;
                (
                    response.status(),
                    header(&response, NEW_ACCESS_TOKEN),
                    header(&response, NEW_REFRESH_TOKEN),
                )
            }
        })
        .collect();
    join_all(requests).await
}

#[tokio::test]
async fn concurrent_requests_with_one_refresh_token_share_one_refresh() {
    let (app, session) = signed_in_past_jwt_lifetime().await;
    let results = concurrent_cart_calls(&app, &app.client, &session, 8).await;
    let first = results[0].clone();
    assert_eq!(first.0, StatusCode::OK);
    assert!(first.1.is_some() && first.2.is_some());
    for result in &results {
        assert_eq!(result, &first, "every caller gets the same new tokens");
    }

    // A late arrival with the same stale tokens gets the same answer too.
    let response = app.get_cart_as(&session).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, NEW_ACCESS_TOKEN), first.1);
}

#[tokio::test]
async fn step_06_09_a_hundred_concurrent_requests_with_one_expired_jwt_make_exactly_one_refresh_call()
 {
    let (app, session) = signed_in_past_jwt_lifetime().await;
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 0);

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(100)
        .build()
        .expect("client");
    let results = concurrent_cart_calls(&app, &client, &session, 100).await;

    assert_eq!(results.len(), 100);
    let new_jwt = results[0].1.clone().expect("a new JWT");
    for (status, jwt, _) in &results {
        assert_eq!(*status, StatusCode::OK);
        assert_eq!(
            jwt.as_deref(),
            Some(new_jwt.as_str()),
            "the same new JWT for all"
        );
    }
    // Counted where FusionAuth receives them, not inside the backend.
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 1);
}

#[tokio::test]
async fn the_relay_counts_every_refresh_call_that_reaches_fusionauth() {
    // The counter used above is honest: two refreshes of two sessions are two calls.
    let app = spawn_app().await;
    let (first, second) = (app.login().await, app.login().await);
    app.advance_time(PAST_JWT_LIFETIME).await;
    for session in [&first, &second] {
        let response = app.get_cart_as(session).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.refresh_calls_seen_by_fusionauth(), 2);
}
