//! `POST /api/jwt/refresh` with the Kickstart's policy: OneTimeUse, 10 s grace period,
//! reuse revocation, sliding window of 7 days capped at 30 days.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{Sent, TestEmulator, decode_part, set_cookies, spawn_emulator};

#[tokio::test]
async fn refresh_returns_a_new_jwt_and_a_rotated_token_with_the_same_id() {
    let emulator = spawn_emulator().await;
    let login = emulator.login().await;
    let first = login["refreshToken"].as_str().expect("refresh token");
    let response = emulator.refresh(first).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.starts_with("refresh_token="))
    );
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("tokenExpirationInstant").is_none());
    let second = body["refreshToken"].as_str().expect("rotated");
    assert_ne!(second, first, "OneTimeUse rotates the value");
    assert_eq!(body["refreshTokenId"], login["refreshTokenId"]);

    let claims = emulator
        .verified_claims(body["token"].as_str().expect("token"))
        .await;
    let original = decode_part(login["token"].as_str().expect("token"), 1);
    assert_eq!(claims["authenticationType"], "REFRESH_TOKEN");
    assert_eq!(claims["auth_time"], original["auth_time"]);
    assert_eq!(claims["sid"], original["sid"]);
    assert_eq!(claims["roles"], json!(["customer"]));
    assert_ne!(claims["jti"], original["jti"]);

    let third = emulator.refresh(second).await;
    assert_eq!(third.status(), 200, "the new value works");
}

/// Logs in, rotates the refresh token once and, `seconds` later, refreshes with the
/// rotated-away value: the rotation's answer and the late refresh's.
async fn reuse_after(emulator: &TestEmulator, seconds: i64) -> (Value, reqwest::Response) {
    let first = emulator.login_refresh_token().await;
    let rotated: Value = emulator.refresh(&first).await.json().await.expect("JSON");
    emulator.advance_clock(seconds).await;
    (rotated, emulator.refresh(&first).await)
}

#[tokio::test]
async fn the_previous_value_within_the_grace_period_returns_the_current_value() {
    let emulator = spawn_emulator().await;
    let (rotated, again) = reuse_after(&emulator, 5).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("JSON");
    assert_eq!(
        again["refreshToken"], rotated["refreshToken"],
        "no second rotation"
    );
    let current = emulator.refresh_login(&rotated).await;
    assert_eq!(current.status(), 200);
}

#[tokio::test]
async fn the_previous_value_after_the_grace_period_is_refused_and_revokes_the_session() {
    let emulator = spawn_emulator().await;
    let (rotated, stale) = reuse_after(&emulator, 11).await;
    assert_eq!(stale.status(), 400);
    let body: shared::fusionauth::Errors = stale.json().await.expect("Errors");
    assert_eq!(
        body.field_errors["refreshToken"][0].code,
        "[invalid]refreshToken"
    );
    let current = emulator.refresh_login(&rotated).await;
    assert_eq!(
        current.status(),
        400,
        "onOneTimeTokenReuse revoked the whole session"
    );
}

#[tokio::test]
async fn an_unknown_or_missing_refresh_token_gets_400_invalid_refresh_token() {
    let emulator = spawn_emulator().await;
    for body in [
        json!({"refreshToken": "not-a-token"}),
        json!({}),
        json!({"refreshToken": ""}),
    ] {
        let response = emulator.post_json("/api/jwt/refresh", &body).await;
        assert_eq!(response.status(), 400, "{body}");
        let errors: shared::fusionauth::Errors = response.json().await.expect("Errors");
        assert_eq!(
            errors.field_errors["refreshToken"][0].code,
            "[invalid]refreshToken"
        );
    }
}

#[tokio::test]
async fn the_refresh_token_cookie_wins_over_the_body() {
    let emulator = spawn_emulator().await;
    let value = emulator.login_refresh_token().await;
    emulator
        .client
        .post(emulator.url("/api/jwt/refresh"))
        .header("Cookie", format!("refresh_token={value}"))
        .json(&json!({"refreshToken": "garbage"}))
        .expect_status(200)
        .await;
}

/// Sends `count` concurrent refreshes of `value`; returns (status, refresh token) per call.
async fn concurrent_refreshes(
    emulator: &TestEmulator,
    value: &str,
    count: usize,
) -> Vec<(u16, Option<String>)> {
    concurrent_refreshes_of(emulator, &[value.to_owned()], count)
        .await
        .into_iter()
        .map(|(_, status, successor)| (status, successor))
        .collect()
}

/// Sends `each` concurrent refreshes of every one of `values`, all at once; returns (value,
/// status, refresh token) per call.
async fn concurrent_refreshes_of(
    emulator: &TestEmulator,
    values: &[String],
    each: usize,
) -> Vec<(String, u16, Option<String>)> {
    let mut tasks = tokio::task::JoinSet::new();
    for value in values {
        for _ in 0..each {
            let client = emulator.client.clone();
            let url = emulator.url("/api/jwt/refresh");
            let value = value.clone();
            tasks.spawn(async move {
                let response = client
                    .post(url)
                    .json(&json!({"refreshToken": value}))
                    .sent()
                    .await;
                let status = response.status().as_u16();
                let body: Value = response.json().await.expect("JSON");
                let successor = body["refreshToken"].as_str().map(str::to_owned);
                (value, status, successor)
            });
        }
    }
    tasks.join_all().await
}

/// Refreshes a new session's token `count` times at once; asserts every refresh succeeds with
/// one and the same successor, and returns the old value and the successor.
async fn converged_refreshes(emulator: &TestEmulator, count: usize) -> (String, String) {
    let value = emulator.login_refresh_token().await;
    let results = concurrent_refreshes(emulator, &value, count).await;
    assert!(
        results.iter().all(|(status, _)| *status == 200),
        "{results:?}"
    );
    let successors: HashSet<_> = results.into_iter().filter_map(|(_, v)| v).collect();
    assert_eq!(successors.len(), 1, "exactly one successor: {successors:?}");
    let successor = successors.into_iter().next().expect("one successor");
    (value, successor)
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_converge_on_a_single_successor() {
    let emulator = spawn_emulator().await;
    let (value, successor) = converged_refreshes(&emulator, 30).await;
    assert_ne!(successor, value);
}

#[tokio::test]
async fn concurrent_refreshes_on_a_database_file_also_converge() {
    let database = crate::helpers::DatabaseFile::new();
    let emulator = crate::helpers::spawn_emulator_on(&database.url).await;
    converged_refreshes(&emulator, 40).await;
}

#[tokio::test]
async fn without_a_grace_period_exactly_one_concurrent_refresh_wins() {
    let emulator = spawn_emulator().await;
    let response = emulator
        .try_patch_default_tenant(json!({"jwtConfiguration": {
            "refreshTokenOneTimeUseConfiguration": {"gracePeriodInSeconds": 0},
            "refreshTokenRevocationPolicy": {"onOneTimeTokenReuse": false}}}))
        .await;
    assert_eq!(response.status(), 200);
    let value = emulator.login_refresh_token().await;
    let results = concurrent_refreshes(&emulator, &value, 20).await;
    let winners: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(status, _)| *status == 200 || *status == 400)
    );
    let successor = winners[0].1.as_deref().expect("value");
    assert_eq!(
        emulator.refresh(successor).await.status(),
        200,
        "the session survives"
    );
}

#[tokio::test]
async fn an_unused_refresh_token_expires_after_the_sliding_window() {
    let emulator = spawn_emulator().await;
    let value = emulator.login_refresh_token().await;
    emulator.advance_clock(7 * 24 * 3600 + 1).await;
    let response = emulator.refresh(&value).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_used_refresh_token_stays_valid_past_the_window_but_not_past_the_maximum_lifetime() {
    let emulator = spawn_emulator().await;
    let mut value = emulator.login_refresh_token().await;
    for _ in 0..4 {
        emulator.advance_clock(6 * 24 * 3600).await;
        let response = emulator.refresh(&value).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        value = body["refreshToken"].as_str().expect("value").to_owned();
    }
    emulator.advance_clock(6 * 24 * 3600 + 1).await;
    let response = emulator.refresh(&value).await;
    assert_eq!(
        response.status(),
        400,
        "30 days after login the session is over"
    );
}

/// Switches the default tenant to reusable refresh tokens, sliding window of 7 days capped at 30.
async fn reusable_sliding_window(emulator: &TestEmulator) {
    emulator
        .patch_default_tenant(json!({"jwtConfiguration": {"refreshTokenUsagePolicy": "Reusable"}}))
        .await;
}

#[tokio::test]
async fn a_reusable_token_stays_valid_while_used_within_the_sliding_window() {
    let emulator = spawn_emulator().await;
    reusable_sliding_window(&emulator).await;
    let value = emulator.login_refresh_token().await;
    for _ in 0..2 {
        emulator.advance_clock(6 * 24 * 3600).await;
        let response = emulator.refresh(&value).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["refreshToken"], value,
            "a reusable token is not rotated"
        );
    }
    emulator.advance_clock(7 * 24 * 3600 + 1).await;
    assert_eq!(
        emulator.refresh(&value).await.status(),
        400,
        "7 days without a use end the session"
    );
}

#[tokio::test]
async fn every_one_of_many_concurrent_uses_of_reusable_tokens_is_stored() {
    let database = crate::helpers::DatabaseFile::new();
    let emulator = crate::helpers::spawn_emulator_on(&database.url).await;
    reusable_sliding_window(&emulator).await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(emulator.login_refresh_token().await);
    }
    // Six days on, every session is used 20 times at once; each must have recorded its use,
    // so six more days later (12 after login, over the 7-day window) all are still valid.
    emulator.advance_clock(6 * 24 * 3600).await;
    // Unknown values among them (read in the same statements) are refused, and only they are.
    let unknown = ["not-a-token".to_owned(), "x".repeat(43)];
    let values: Vec<String> = sessions.iter().chain(&unknown).cloned().collect();
    let statuses = concurrent_refreshes_of(&emulator, &values, 20).await;
    for (value, status, _) in &statuses {
        let expected = if unknown.contains(value) { 400 } else { 200 };
        assert_eq!(*status, expected, "{statuses:?}");
    }
    emulator.advance_clock(6 * 24 * 3600).await;
    for value in &sessions {
        assert_eq!(emulator.refresh(value).await.status(), 200);
    }
}

/// Creates an application with the given login configuration and registers a new user to it.
async fn application_with(
    emulator: &TestEmulator,
    login_configuration: Value,
    jwt_configuration: Value,
) -> (String, String) {
    let id = uuid::Uuid::new_v4().to_string();
    emulator
        .admin(reqwest::Method::POST, &format!("/api/application/{id}"))
        .json(
            &json!({"application": {"name": "Other", "loginConfiguration": login_configuration,
                                      "jwtConfiguration": jwt_configuration}}),
        )
        .expect_status(200)
        .await;
    let email = format!("{}@example.com", uuid::Uuid::new_v4());
    emulator
        .admin(reqwest::Method::POST, "/api/user/registration")
        .json(&json!({"user": {"email": email, "password": "long-enough"},
                      "registration": {"applicationId": id}}))
        .expect_status(200)
        .await;
    let login: Value = emulator
        .login_with(&json!({"loginId": email, "password": "long-enough", "applicationId": id}))
        .await
        .json()
        .await
        .expect("JSON");
    (
        id,
        login["refreshToken"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    )
}

#[tokio::test]
async fn refresh_is_refused_when_the_application_does_not_allow_token_refresh() {
    let emulator = spawn_emulator().await;
    let (_, value) = application_with(
        &emulator,
        json!({"requireAuthentication": false, "generateRefreshTokens": true}),
        json!({}),
    )
    .await;
    let response = emulator.refresh(&value).await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_application_jwt_configuration_overrides_the_tenant_when_enabled() {
    let emulator = spawn_emulator().await;
    let (id, value) = application_with(
        &emulator,
        json!({"requireAuthentication": false, "generateRefreshTokens": true, "allowTokenRefresh": true}),
        json!({"enabled": true, "timeToLiveInSeconds": 60, "refreshTokenUsagePolicy": "Reusable"}),
    )
    .await;
    for _ in 0..2 {
        let response = emulator.refresh(&value).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(
            body["refreshToken"],
            value.as_str(),
            "Reusable keeps the value"
        );
        let claims = emulator
            .verified_claims(body["token"].as_str().expect("jwt"))
            .await;
        assert_eq!(claims["aud"], id.as_str());
        assert_eq!(
            claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
            60
        );
    }
}

#[tokio::test]
async fn the_expire_hook_ends_one_session_without_moving_the_clock() {
    let emulator = spawn_emulator().await;
    let first = emulator.login().await;
    let second = emulator.login().await;
    let id = first["refreshTokenId"].as_str().expect("id");
    emulator
        .client
        .post(emulator.url(&format!("/_emulator/refresh-tokens/{id}/expire")))
        .expect_status(200)
        .await;
    let value = first["refreshToken"].as_str().expect("value");
    assert_eq!(emulator.refresh(value).await.status(), 400);
    let other = second["refreshToken"].as_str().expect("value");
    assert_eq!(emulator.refresh(other).await.status(), 200);
    emulator
        .client
        .post(emulator.url(&format!(
            "/_emulator/refresh-tokens/{}/expire",
            uuid::Uuid::new_v4()
        )))
        .expect_status(404)
        .await;
}
