//! Passwords: forgot-password, change-password (by id, JWT, API key + loginId), the 203 path,
//! the tenant's password rules, single use and expiry of `changePasswordId` —
//! <https://fusionauth.io/docs/apis/users#start-forgot-password-workflow>,
//! <https://fusionauth.io/docs/apis/users#change-a-users-password>
//! (Over 500 lines: one test per documented path and error of the two APIs, kept together.)
//!
//! (Over 500 lines: one test per documented answer of the three password APIs, kept together.)

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Sent, TestEmulator, spawn_emulator, spawn_emulator_with_receiver};

const EMAIL: &str = "forgetful@example.com";
const OLD: &str = "old-password-1";
const NEW: &str = "new-password-2";

async fn with_user() -> (TestEmulator, String) {
    let emulator = spawn_emulator().await;
    let id = emulator
        .register_user(json!({"email": EMAIL, "password": OLD}), true)
        .await;
    (emulator, id)
}

/// `POST /api/user/forgot-password` with the API key and no email: the `changePasswordId`.
async fn change_password_id(emulator: &TestEmulator) -> String {
    let response = emulator
        .admin(Method::POST, "/api/user/forgot-password")
        .json(&json!({"loginId": EMAIL, "sendForgotPasswordEmail": false}))
        .expect_status(200)
        .await;
    let body: Value = response.json().await.expect("JSON");
    body["changePasswordId"].as_str().expect("id").to_owned()
}

async fn change(emulator: &TestEmulator, id: &str, password: &str) -> reqwest::Response {
    emulator
        .post_json(
            "/api/user/change-password",
            &json!({"changePasswordId": id, "password": password}),
        )
        .await
}

async fn outbox(emulator: &TestEmulator) -> Vec<Value> {
    let body = emulator.get_json("/_emulator/outbox.json").await;
    body["messages"].as_array().expect("messages").clone()
}

fn field_codes(body: &Value, field: &str) -> Vec<String> {
    body["fieldErrors"][field]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_change_password_id_sets_the_new_password_once_and_the_old_one_stops_working() {
    let (emulator, _) = with_user().await;
    let id = change_password_id(&emulator).await;
    assert!(outbox(&emulator).await.is_empty(), "no email was asked for");
    assert_eq!(
        emulator
            .client
            .get(emulator.url(&format!("/api/user/change-password/{id}")))
            .sent()
            .await
            .status(),
        200
    );

    let response = change(&emulator, &id, NEW).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert!(
        body["oneTimePassword"]
            .as_str()
            .is_some_and(|p| p.len() >= 32)
    );

    assert_eq!(emulator.login_as(EMAIL, OLD).await.status(), 404);
    assert_eq!(emulator.login_as(EMAIL, NEW).await.status(), 200);
    assert_eq!(
        change(&emulator, &id, "another-password").await.status(),
        404,
        "used once"
    );
    emulator
        .client
        .get(emulator.url(&format!("/api/user/change-password/{id}")))
        .expect_status(404)
        .await;
}

#[tokio::test]
async fn the_id_in_the_path_works_and_the_body_wins_over_it() {
    let (emulator, _) = with_user().await;
    let id = change_password_id(&emulator).await;
    let response = emulator
        .post_json(
            &format!("/api/user/change-password/{id}"),
            &json!({"password": NEW}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let second = change_password_id(&emulator).await;
    let response = emulator
        .post_json(
            "/api/user/change-password/not-an-id",
            &json!({"changePasswordId": second, "password": OLD}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(emulator.login_as(EMAIL, OLD).await.status(), 200);
}

#[tokio::test]
async fn a_change_password_id_expires_after_the_tenants_time_to_live() {
    let (emulator, _) = with_user().await;
    let default_ttl = change_password_id(&emulator).await;
    emulator.advance_clock(599).await;
    let still = emulator
        .client
        .get(emulator.url(&format!("/api/user/change-password/{default_ttl}")))
        .sent()
        .await;
    assert_eq!(still.status(), 200, "valid for 600 s by default");
    emulator.advance_clock(2).await;
    assert_eq!(change(&emulator, &default_ttl, NEW).await.status(), 404);

    emulator
        .patch_default_tenant(json!({"externalIdentifierConfiguration":
            {"changePasswordIdTimeToLiveInSeconds": 30}}))
        .await;
    let short = change_password_id(&emulator).await;
    emulator.advance_clock(31).await;
    assert_eq!(change(&emulator, &short, NEW).await.status(), 404);
    assert_eq!(
        emulator.login_as(EMAIL, OLD).await.status(),
        200,
        "unchanged"
    );
}

#[tokio::test]
async fn weak_passwords_are_refused_with_fusionauths_codes_and_the_id_stays_usable() {
    let (emulator, _) = with_user().await;
    emulator
        .patch_default_tenant(json!({"passwordValidationRules": {
            "minLength": 10, "maxLength": 20, "requireMixedCase": true,
            "requireNonAlpha": true, "requireNumber": true}}))
        .await;
    let id = change_password_id(&emulator).await;
    let cases = [
        ("", "[blank]password"),
        ("Sh0rt!", "[tooShort]password"),
        ("Far-too-long-Passw0rd-x", "[tooLong]password"),
        ("all-lower-case-1", "[singleCase]password"),
        ("NoSymbolsHere12", "[onlyAlpha]password"),
        ("No-Numbers-Here", "[requireNumber]password"),
    ];
    for (password, code) in cases {
        let response = change(&emulator, &id, password).await;
        assert_eq!(response.status(), 400, "{password:?}");
        let body: Value = response.json().await.expect("JSON");
        assert!(
            field_codes(&body, "password").contains(&code.to_owned()),
            "{password:?} gives {code}: {body}"
        );
    }
    assert_eq!(change(&emulator, &id, "Good-Passw0rd").await.status(), 200);

    let response = emulator
        .admin(Method::POST, "/api/user/registration")
        .json(
            &json!({"user": {"email": "weak@example.com", "password": "weakpassword"},
                      "registration": {"applicationId": emulator.application_id}}),
        )
        .expect_status(400)
        .await;
    let body: Value = response.json().await.expect("JSON");
    let codes = field_codes(&body, "user.password");
    for code in ["[singleCase]user.password", "[onlyAlpha]user.password"] {
        assert!(codes.contains(&code.to_owned()), "{code}: {body}");
    }
    let lookup = emulator
        .admin(Method::GET, "/api/user?email=weak@example.com")
        .sent()
        .await;
    assert_eq!(lookup.status(), 404, "nothing stored on refusal");
}

#[tokio::test]
async fn forgot_password_refusals_follow_the_docs() {
    let (emulator, _) = with_user().await;
    emulator
        .register_user(json!({"username": "no-email-user", "password": OLD}), true)
        .await;
    let anonymous = |body: Value| {
        let emulator = &emulator;
        async move {
            emulator
                .post_json("/api/user/forgot-password", &body)
                .await
                .status()
        }
    };
    assert_eq!(anonymous(json!({"loginId": ""})).await, 400);
    assert_eq!(
        anonymous(json!({"loginId": "nobody@example.com"})).await,
        404
    );
    assert_eq!(anonymous(json!({"loginId": "no-email-user"})).await, 422);
    emulator
        .register_user(
            json!({"username": "mail-in-data", "password": OLD,
                   "data": {"email": "shared-box@example.com"}}),
            true,
        )
        .await;
    assert_eq!(anonymous(json!({"loginId": "mail-in-data"})).await, 200);
    let messages = outbox(&emulator).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(
        messages[0]["to"], "shared-box@example.com",
        "data.email is used"
    );
    emulator
        .client
        .post(emulator.url("/api/user/forgot-password"))
        .header("Authorization", "not-a-key")
        .json(&json!({"loginId": EMAIL}))
        .expect_status(401)
        .await;
    emulator
        .patch_default_tenant(
            json!({"emailConfiguration": {"forgotPasswordEmailTemplateId": null}}),
        )
        .await;
    assert_eq!(anonymous(json!({"loginId": EMAIL})).await, 403);
    assert_eq!(outbox(&emulator).await.len(), 1, "no email on refusal");
}

#[tokio::test]
async fn forgot_password_without_a_key_emails_a_link_and_answers_empty() {
    let (emulator, user_id) = with_user().await;
    let session = emulator.login_as(EMAIL, OLD).await;
    let session: Value = session.json().await.expect("JSON");
    let response = emulator
        .post_json(
            "/api/user/forgot-password",
            &json!({"loginId": EMAIL.to_uppercase(), "applicationId": emulator.application_id,
                    "state": {"next": "/account"}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("content-type").is_none());
    assert!(response.bytes().await.expect("body").is_empty());

    let messages = outbox(&emulator).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message["to"], EMAIL);
    assert_eq!(message["template"], "ForgotPassword");
    assert_eq!(message["subject"], "Reset your password");
    let text = message["textBody"].as_str().expect("text");
    let id = text
        .split("/password/change/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("a change-password link");
    assert!(text.contains(&format!(
        "tenantId={}",
        crate::helpers::variable("defaultTenantId")
    )));
    assert!(text.contains("next=%2Faccount"));
    let page = emulator
        .client
        .get(emulator.url("/_emulator/outbox"))
        .sent()
        .await;
    assert!(
        page.headers()["content-type"]
            .to_str()
            .expect("ASCII")
            .starts_with("text/html")
    );
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("Reset your password")
    );

    let response = change(&emulator, id, NEW).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["state"], json!({"next": "/account"}));
    let refresh = emulator.refresh_login(&session).await;
    assert_eq!(
        refresh.status(),
        400,
        "the change ended the user's sessions"
    );
    let user = emulator
        .get_json_with_key(&format!("/api/user/{user_id}"))
        .await;
    assert_eq!(user["user"]["verified"], true);
}

#[tokio::test]
async fn a_203_login_is_completed_with_its_change_password_id() {
    let emulator = spawn_emulator().await;
    emulator
        .register_user(
            json!({"email": EMAIL, "password": OLD, "passwordChangeRequired": true}),
            true,
        )
        .await;
    let response = emulator.login_as(EMAIL, OLD).await;
    assert_eq!(response.status(), 203);
    let body: Value = response.json().await.expect("JSON");
    let id = body["changePasswordId"].as_str().expect("id");
    let response = change(&emulator, id, NEW).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    let signed_in =
        login_with_one_time_password(&emulator, body["oneTimePassword"].as_str().expect("OTP"))
            .await;
    assert_eq!(
        signed_in.status(),
        200,
        "the documented 203 path ends signed in"
    );
    let response = emulator.login_as(EMAIL, NEW).await;
    assert_eq!(response.status(), 200, "no longer required to change");
    let login: Value = response.json().await.expect("JSON");
    assert_eq!(login["user"]["passwordChangeRequired"], false);
}

#[tokio::test]
async fn a_signed_in_user_changes_the_password_with_the_current_one() {
    let (emulator, _) = with_user().await;
    let login: Value = emulator.login_body(EMAIL, OLD).await;
    let jwt = login["token"].as_str().expect("token");
    let with_jwt = |body: Value| {
        emulator
            .client
            .post(emulator.url("/api/user/change-password"))
            .bearer_auth(jwt)
            .json(&body)
            .send()
    };
    let cases = [
        (json!({"password": NEW}), 400),
        (
            json!({"password": NEW, "currentPassword": "wrong-password"}),
            404,
        ),
        (json!({"password": "short", "currentPassword": OLD}), 400),
    ];
    for (body, status) in cases {
        assert_eq!(
            with_jwt(body.clone()).await.expect("sent").status(),
            status,
            "{body}"
        );
    }
    let anonymous = emulator
        .post_json("/api/user/change-password", &json!({"password": NEW}))
        .await;
    assert_eq!(anonymous.status(), 401);
    let response = with_jwt(json!({"password": NEW, "currentPassword": OLD}))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert!(body["oneTimePassword"].is_string());
    let refresh = emulator.refresh_login(&login).await;
    assert_eq!(
        refresh.status(),
        400,
        "onPasswordChanged revokes by default"
    );
    assert_eq!(emulator.login_as(EMAIL, NEW).await.status(), 200);
}

#[tokio::test]
async fn sessions_survive_a_change_when_the_tenant_does_not_revoke_on_password_change() {
    let (emulator, _) = with_user().await;
    emulator
        .patch_default_tenant(json!({"jwtConfiguration": {"refreshTokenRevocationPolicy":
            {"onPasswordChanged": false}}}))
        .await;
    let login: Value = emulator.login_body(EMAIL, OLD).await;
    let id = change_password_id(&emulator).await;
    assert_eq!(change(&emulator, &id, NEW).await.status(), 200);
    let refresh = emulator.refresh_login(&login).await;
    assert_eq!(refresh.status(), 200);
}

#[tokio::test]
async fn an_api_key_changes_a_password_by_login_id() {
    let (emulator, _) = with_user().await;
    let by_key = |body: Value| {
        emulator
            .admin(Method::POST, "/api/user/change-password")
            .json(&body)
            .send()
    };
    let cases = [
        (
            json!({"loginId": "nobody@example.com", "password": NEW}),
            400,
        ),
        (
            json!({"loginId": EMAIL, "password": NEW, "currentPassword": "wrong"}),
            400,
        ),
        (json!({"password": NEW}), 400),
    ];
    for (body, status) in cases {
        assert_eq!(
            by_key(body.clone()).await.expect("sent").status(),
            status,
            "{body}"
        );
    }
    let response = by_key(json!({"loginId": EMAIL, "password": NEW}))
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(emulator.login_as(EMAIL, NEW).await.status(), 200);
}

#[tokio::test]
async fn a_tenant_with_a_password_update_template_tells_the_user_of_the_change() {
    let (emulator, _) = with_user().await;
    let id = change_password_id(&emulator).await;
    assert_eq!(change(&emulator, &id, NEW).await.status(), 200);
    assert!(outbox(&emulator).await.is_empty(), "no template, no email");
    emulator
        .patch_default_tenant(json!({"emailConfiguration":
            {"passwordUpdateEmailTemplateId": "00000000-0000-0000-0000-000000000042"}}))
        .await;
    let id = change_password_id(&emulator).await;
    assert_eq!(change(&emulator, &id, OLD).await.status(), 200);
    let messages = outbox(&emulator).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["template"], "PasswordUpdate");
    assert_eq!(messages[0]["to"], EMAIL);
}

#[tokio::test]
async fn an_api_key_may_choose_the_change_password_id() {
    let (emulator, _) = with_user().await;
    let start = |id: &'static str| {
        emulator
            .admin(Method::POST, "/api/user/forgot-password")
            .json(&json!({"loginId": EMAIL, "changePasswordId": id,
                          "sendForgotPasswordEmail": false}))
            .send()
    };
    let response = start("my-own-change-id").await.expect("sent");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["changePasswordId"], "my-own-change-id");
    let again = start("my-own-change-id").await.expect("sent");
    assert_eq!(again.status(), 400, "an outstanding id is not given twice");
    assert_eq!(
        change(&emulator, "my-own-change-id", NEW).await.status(),
        200
    );
    let anonymous = emulator
        .post_json(
            "/api/user/forgot-password",
            &json!({"loginId": EMAIL, "changePasswordId": "chosen-anonymously"}),
        )
        .await;
    assert_eq!(anonymous.status(), 200);
    assert_eq!(
        change(&emulator, "chosen-anonymously", OLD).await.status(),
        404,
        "only an API key may choose the id"
    );
}

#[tokio::test]
async fn a_password_change_tells_the_webhook_that_all_the_users_sessions_are_revoked() {
    let (emulator, receiver) = spawn_emulator_with_receiver().await;
    let login = emulator.login().await;
    emulator
        .client
        .post(emulator.url("/api/user/change-password"))
        .bearer_auth(login["token"].as_str().expect("token"))
        .json(&json!({"currentPassword": emulator.password, "password": NEW}))
        .expect_status(200)
        .await;
    let (_, event) = receiver.next_event("jwt.refresh-token.revoke").await;
    assert_eq!(event["userId"], emulator.user_id.as_str(), "{event}");
    assert!(
        event.get("refreshToken").is_none(),
        "every session of the user: {event}"
    );
}

#[tokio::test]
async fn a_signed_in_user_or_an_api_key_may_check_a_password_change() {
    let (emulator, _) = with_user().await;
    let login: Value = emulator.login_body(EMAIL, OLD).await;
    let check = |request: reqwest::RequestBuilder| async move { request.sent().await.status() };
    let url = emulator.url("/api/user/change-password");
    let jwt = login["token"].as_str().expect("token");
    assert_eq!(check(emulator.client.get(&url).bearer_auth(jwt)).await, 200);
    assert_eq!(check(emulator.client.get(&url)).await, 401);
    let by_key = |login_id: &str| {
        emulator.admin(
            Method::GET,
            &format!("/api/user/change-password?loginId={login_id}"),
        )
    };
    assert_eq!(check(by_key(EMAIL)).await, 200);
    assert_eq!(check(by_key("nobody@example.com")).await, 404);
}

async fn login_with_one_time_password(emulator: &TestEmulator, value: &str) -> reqwest::Response {
    emulator
        .login_with(&json!({"oneTimePassword": value, "applicationId": emulator.application_id}))
        .await
}

/// Changes the user's password to `password` by a change-password id; the one-time password
/// the change answers.
async fn changed_with_one_time_password(emulator: &TestEmulator, password: &str) -> String {
    let id = change_password_id(emulator).await;
    let body: Value = change(emulator, &id, password)
        .await
        .json()
        .await
        .expect("JSON");
    body["oneTimePassword"].as_str().expect("OTP").to_owned()
}

#[tokio::test]
async fn the_one_time_password_of_a_change_signs_the_user_in_once_within_a_minute() {
    let (emulator, user_id) = with_user().await;
    let one_time_password = changed_with_one_time_password(&emulator, NEW).await;
    let response = login_with_one_time_password(&emulator, &one_time_password).await;
    assert_eq!(response.status(), 200);
    let login: Value = response.json().await.expect("JSON");
    assert_eq!(login["user"]["id"], user_id.as_str());
    assert!(login["token"].is_string() && login["refreshToken"].is_string());
    assert_eq!(
        login_with_one_time_password(&emulator, &one_time_password)
            .await
            .status(),
        404,
        "used once"
    );
    assert_eq!(
        login_with_one_time_password(&emulator, "not-one")
            .await
            .status(),
        404
    );

    let one_time_password = changed_with_one_time_password(&emulator, OLD).await;
    emulator.advance_clock(61).await;
    let late = login_with_one_time_password(&emulator, &one_time_password);
    assert_eq!(late.await.status(), 404, "valid for 60 s");
}
