//! The signed-in devices (`/api/account/sessions`), in both `APP_DEVICE_BINDING` modes, against
//! the real emulator: the list, and signing one device, every other device or every device out,
//! after which the device's next request is refused.

use reqwest::{Method, StatusCode};
use shared::fusionauth::{RefreshRequest, RefreshTokensResponse};
use shared::store::{DeviceBinding, ErrorCode, SignedInDevices};

use crate::device_client::{Device, await_answer, spawn_bound_app};
use crate::helpers::{
    API_KEY, BACKEND_API_KEY, Sent, Session, TestApp, assert_error, assert_session_expired,
    error_code, sid_omitted, spawn_app_on_postgres_with, spawn_app_with,
};

/// `off` mode with the least-privilege key.
async fn spawn_app_with_devices() -> TestApp {
    spawn_app_with(|settings| {
        settings.device_binding = DeviceBinding::Off;
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
    })
    .await
}

/// `required` mode with the least-privilege key.
async fn spawn_bound_app_with_devices() -> TestApp {
    spawn_app_with(|settings| {
        settings.device_binding = DeviceBinding::Required;
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
    })
    .await
}

async fn bearer(app: &TestApp, method: Method, path: &str, jwt: &str) -> reqwest::Response {
    app.with_jwt(method, path, jwt).sent().await
}

/// The device list as the holder of `jwt` sees it, and the raw answer.
async fn list(app: &TestApp, jwt: &str) -> (SignedInDevices, String) {
    let response = bearer(app, Method::GET, "/api/account/sessions", jwt).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("a body");
    (serde_json::from_str(&text).expect("SignedInDevices"), text)
}

fn ids(devices: &SignedInDevices) -> Vec<String> {
    let mut ids: Vec<String> = devices.devices.iter().map(|d| d.id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

/// Whether FusionAuth still exchanges `session`'s refresh token.
async fn refresh_token_lives(app: &TestApp, session: &Session) -> bool {
    app.client
        .post(format!("{}/api/jwt/refresh", app.fusionauth_url))
        .json(&RefreshRequest {
            refresh_token: Some(session.refresh_token.clone()),
            token: None,
        })
        .sent()
        .await
        .status()
        == StatusCode::OK
}

/// The refresh token ids FusionAuth holds for `user_id` (with the Kickstart's full key).
async fn fusionauth_token_ids(app: &TestApp, user_id: &str) -> Vec<String> {
    let answer: RefreshTokensResponse = app
        .client
        .get(format!(
            "{}/api/jwt/refresh?userId={user_id}",
            app.fusionauth_url
        ))
        .header("Authorization", API_KEY)
        .sent()
        .await
        .json()
        .await
        .expect("JSON");
    sorted(answer.refresh_tokens.into_iter().map(|t| t.id).collect())
}

#[tokio::test]
async fn the_list_shows_each_signed_in_device_once_with_this_device_first_and_no_token() {
    let app = spawn_app_with_devices().await;
    let phone = app.login().await;
    let laptop = app.login().await;
    let (devices, text) = list(&app, &laptop.jwt).await;
    let listed = ids(&devices);
    assert_eq!(listed, fusionauth_token_ids(&app, &laptop.user_id).await);
    assert!(listed.contains(&phone.sid()) && listed.contains(&laptop.sid()));
    // Off mode marks this device by the JWT's `sid`; without it nothing is marked.
    let marked: Vec<String> = devices
        .devices
        .iter()
        .filter(|device| device.this_device)
        .map(|device| device.id.clone())
        .collect();
    let expected = if sid_omitted() {
        vec![]
    } else {
        vec![laptop.sid()]
    };
    assert_eq!(marked, expected);
    for token in [&phone.refresh_token, &laptop.refresh_token] {
        assert!(!text.contains(token.as_str()), "a refresh token in {text}");
    }
}

#[tokio::test]
async fn device_a_signs_device_b_out_and_b_is_refused_at_its_next_request() {
    let app = spawn_app_with_devices().await;
    let a = app.login().await;
    let b = app.login().await;
    let path = format!("/api/account/sessions/{}", b.sid());
    let response = bearer(&app, Method::DELETE, &path, &a.jwt).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert_session_expired(&app, &b.jwt, Some(&b.refresh_token)).await;
    assert!(!refresh_token_lives(&app, &b).await);
    // A's JWT still works (without `sid` it proves itself once with A's live refresh token).
    let a_cart = app.get_cart_as(&a).await;
    assert_eq!(a_cart.status(), StatusCode::OK);
    let listed = fusionauth_token_ids(&app, &a.user_id).await;
    assert!(listed.contains(&a.sid()) && !listed.contains(&b.sid()));
}

#[tokio::test]
async fn another_users_session_is_not_found_and_nothing_changes() {
    let app = spawn_app_with_devices().await;
    let mine = app.login().await;
    let theirs = app
        .register_and_login("other.shopper@example.com", "another-good-pass")
        .await;
    let their_id = theirs.refresh_token_id.clone().expect("a refresh token id");
    let their_user = theirs.user.clone().expect("a user").id;
    let before = fusionauth_token_ids(&app, &their_user).await;
    for path in [
        format!("/api/account/sessions/{their_id}"),
        "/api/account/sessions/no-such-session".to_owned(),
    ] {
        let response = bearer(&app, Method::DELETE, &path, &mine.jwt).await;
        assert_eq!(
            error_code(response, StatusCode::NOT_FOUND).await,
            ErrorCode::NotFound,
            "{path}"
        );
    }
    assert_eq!(fusionauth_token_ids(&app, &their_user).await, before);
    let their_jwt = theirs.token.expect("a JWT");
    assert_eq!(
        app.get_cart(&their_jwt, None).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        ids(&list(&app, &mine.jwt).await.0),
        fusionauth_token_ids(&app, &mine.user_id).await
    );
}

#[tokio::test]
async fn signing_out_every_other_device_keeps_only_this_one() {
    let app = spawn_app_with_devices().await;
    let this = app.login().await;
    let others = [app.login().await, app.login().await];
    let path = "/api/account/sessions?keep=this";
    let response = bearer(&app, Method::DELETE, path, &this.jwt).await;
    if sid_omitted() {
        // Off mode without `sid`: this device cannot be told apart, so nothing is ended.
        let code = error_code(response, StatusCode::BAD_REQUEST).await;
        assert_eq!(code, ErrorCode::InvalidRequest);
        let listed = ids(&list(&app, &this.jwt).await.0);
        assert!(others.iter().all(|other| listed.contains(&other.sid())));
        return;
    }
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for other in &others {
        assert_session_expired(&app, &other.jwt, Some(&other.refresh_token)).await;
    }
    assert_eq!(app.get_cart(&this.jwt, None).await.status(), StatusCode::OK);
    assert_eq!(ids(&list(&app, &this.jwt).await.0), vec![this.sid()]);
}

#[tokio::test]
async fn signing_out_everywhere_ends_this_device_too() {
    let app = spawn_app_with_devices().await;
    let this = app.login().await;
    let other = app.login().await;
    let response = bearer(&app, Method::DELETE, "/api/account/sessions", &this.jwt).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for session in [&this, &other] {
        assert_session_expired(&app, &session.jwt, Some(&session.refresh_token)).await;
        assert!(!refresh_token_lives(&app, session).await);
    }
    assert_eq!(
        fusionauth_token_ids(&app, &this.user_id).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_sign_out_of_many_with_an_unknown_parameter_is_refused_and_changes_nothing() {
    let app = spawn_app_with_devices().await;
    let this = app.login().await;
    let other = app.login().await;
    for query in ["keep=that", "keep=", "all=1", "keep=this&keep=that"] {
        let path = format!("/api/account/sessions?{query}");
        let response = bearer(&app, Method::DELETE, &path, &this.jwt).await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST).await,
            ErrorCode::InvalidRequest,
            "{query}"
        );
    }
    assert_eq!(
        app.get_cart(&other.jwt, None).await.status(),
        StatusCode::OK
    );
    let listed = ids(&list(&app, &this.jwt).await.0);
    assert_eq!(listed, fusionauth_token_ids(&app, &this.user_id).await);
    assert!(listed.contains(&this.sid()) && listed.contains(&other.sid()));
}

#[tokio::test]
async fn without_an_api_key_or_a_jwt_there_is_no_device_list() {
    let app = spawn_app_with(|settings| settings.device_binding = DeviceBinding::Off).await;
    let session = app.login().await;
    let response = bearer(&app, Method::GET, "/api/account/sessions", &session.jwt).await;
    assert_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let app = spawn_app_with_devices().await;
    let response = app.get("/api/account/sessions").await;
    assert_error(response, StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized).await;
}

#[tokio::test]
async fn bound_devices_are_listed_by_their_sessions_and_one_signs_another_out() {
    let app = spawn_bound_app_with_devices().await;
    let (mut a, a_session) = Device::sign_in(&app).await;
    let (mut b, b_session) = Device::sign_in(&app).await;
    let answer = a.call(&app, Method::GET, "/api/account/sessions").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let devices: SignedInDevices = serde_json::from_value(answer.body).expect("SignedInDevices");
    let listed = ids(&devices);
    assert_eq!(listed, fusionauth_token_ids(&app, &a_session.user_id).await);
    assert!(listed.contains(&a_session.sid()) && listed.contains(&b_session.sid()));
    let first = &devices.devices[0];
    assert_eq!(
        (first.id.clone(), first.this_device),
        (a_session.sid(), true)
    );
    let bound = devices.devices.iter().find(|d| d.id == b_session.sid());
    let bound = bound.expect("B is listed");
    assert_eq!(bound.device_label, "Chrome on Android");
    assert!(bound.last_used_at.is_some());

    let path = format!("/api/account/sessions/{}", b_session.sid());
    let answer = a.call(&app, Method::DELETE, &path).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    let refused = b.call(&app, Method::GET, "/api/cart").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );
    let answer = a.call(&app, Method::GET, "/api/account/sessions").await;
    let devices: SignedInDevices = serde_json::from_value(answer.body).expect("SignedInDevices");
    let listed = ids(&devices);
    assert_eq!(listed, fusionauth_token_ids(&app, &a_session.user_id).await);
    assert!(listed.contains(&a_session.sid()) && !listed.contains(&b_session.sid()));
}

#[tokio::test]
async fn a_bound_device_signs_out_every_other_device_then_everywhere() {
    let app = spawn_bound_app_with_devices().await;
    let (mut a, a_session) = Device::sign_in(&app).await;
    let (mut b, _) = Device::sign_in(&app).await;
    // A refresh token no device-bound session holds (e.g. another client's) is listed too.
    let plain = app.login().await;
    let answer = a
        .call(&app, Method::DELETE, "/api/account/sessions?keep=this")
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    assert_eq!(
        b.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(!refresh_token_lives(&app, &plain).await);
    assert_eq!(
        a.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::OK
    );

    let answer = a.call(&app, Method::DELETE, "/api/account/sessions").await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    assert_eq!(
        a.call(&app, Method::GET, "/api/cart").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fusionauth_token_ids(&app, &a_session.user_id).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn on_postgresql_a_device_signed_out_on_one_instance_is_refused_on_another() {
    let Some(app) = spawn_app_on_postgres_with(|settings| {
        settings.device_binding = DeviceBinding::Required;
        settings.fusionauth_api_key = Some(BACKEND_API_KEY.into());
    })
    .await
    else {
        return;
    };
    let (mut a, _) = Device::sign_in(&app).await;
    let (b, b_session) = Device::sign_in(&app).await;
    let (second, _clock) = app.another_instance().await;
    let mut b_elsewhere = b.on(&second);
    assert_eq!(
        b_elsewhere
            .call(&app, Method::GET, "/api/cart")
            .await
            .status,
        StatusCode::OK,
        "B is known to the second instance"
    );
    let path = format!("/api/account/sessions/{}", b_session.sid());
    let answer = a.call(&app, Method::DELETE, &path).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    // The other instance learns it by NOTIFY, which arrives on its own time.
    await_answer(&app, &mut b_elsewhere, |answer| {
        answer.status == StatusCode::UNAUTHORIZED
    })
    .await;
}

#[tokio::test]
async fn the_bound_app_without_an_api_key_has_no_device_list() {
    let app = spawn_bound_app().await;
    let (mut device, _) = Device::sign_in(&app).await;
    let answer = device
        .call(&app, Method::GET, "/api/account/sessions")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_fusionauth_down_the_list_and_sign_outs_are_503_and_nothing_changes() {
    let app = spawn_app_with_devices().await;
    let this = app.login().await;
    let other = app.login().await;
    app.stop_fusionauth();
    for (method, path) in [
        (Method::GET, "/api/account/sessions".to_owned()),
        (
            Method::DELETE,
            format!("/api/account/sessions/{}", other.sid()),
        ),
        // Everywhere: `keep=this` needs `sid` in off mode (400 without it, tested above).
        (Method::DELETE, "/api/account/sessions".to_owned()),
    ] {
        let response = bearer(&app, method.clone(), &path, &this.jwt).await;
        assert_eq!(
            error_code(response, StatusCode::SERVICE_UNAVAILABLE).await,
            ErrorCode::Unavailable,
            "{method} {path}"
        );
    }
    app.start_fusionauth();
    assert_eq!(
        app.get_cart(&other.jwt, None).await.status(),
        StatusCode::OK
    );
    assert!(refresh_token_lives(&app, &other).await);
}
