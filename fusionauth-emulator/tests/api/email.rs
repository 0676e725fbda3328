//! Email verification (`verifyEmail`, `Gated` → 212, verify and resend) and delivery: the
//! outbox, and SMTP when the tenant names a host —
//! <https://fusionauth.io/docs/apis/users#verify-a-users-email>

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::helpers::{Sent, TestEmulator, spawn_emulator};

const EMAIL: &str = "new-user@example.com";
const PASSWORD: &str = "verify-me-please";

async fn outbox(emulator: &TestEmulator) -> Vec<Value> {
    let body = emulator.get_json("/_emulator/outbox.json").await;
    body["messages"].as_array().expect("messages").clone()
}

/// The verification id in the newest email's link.
async fn emailed_verification_id(emulator: &TestEmulator) -> String {
    let messages = outbox(emulator).await;
    let text = messages[0]["textBody"].as_str().expect("text");
    text.split("/email/verify/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("a verification link")
        .to_owned()
}

/// An emulator whose tenant verifies emails with `strategy` and gates unverified users, with a
/// new, unverified user ([`EMAIL`], [`PASSWORD`]); and the user's id.
async fn gated_emulator_with_user(strategy: &str) -> (TestEmulator, String) {
    let emulator = spawn_emulator().await;
    emulator
        .patch_default_tenant(json!({"emailConfiguration": {"verifyEmail": true,
            "verificationStrategy": strategy, "unverified": {"behavior": "Gated"}}}))
        .await;
    let user_id = emulator
        .register_user(json!({"email": EMAIL, "password": PASSWORD}), false)
        .await;
    (emulator, user_id)
}

/// `PUT /api/user/verify-email?email=…&sendVerifyEmail=false` for [`EMAIL`] with the API key:
/// a new verification id, not emailed.
async fn verification_id_without_email(emulator: &TestEmulator) -> reqwest::Response {
    emulator
        .admin(
            Method::PUT,
            &format!("/api/user/verify-email?email={EMAIL}&sendVerifyEmail=false"),
        )
        .sent()
        .await
}

#[tokio::test]
async fn a_new_user_gets_a_verification_email_and_signs_in_once_verified() {
    let (emulator, _) = gated_emulator_with_user("ClickableLink").await;
    let messages = outbox(&emulator).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["template"], "EmailVerification");
    assert_eq!(messages[0]["to"], EMAIL);
    let id = emailed_verification_id(&emulator).await;
    assert_eq!(emulator.login_as(EMAIL, PASSWORD).await.status(), 212);

    let client = &emulator;
    let verify =
        |body: Value| async move { client.post_json("/api/user/verify-email", &body).await };
    assert_eq!(verify(json!({})).await.status(), 400);
    assert_eq!(
        verify(json!({"verificationId": "unknown"})).await.status(),
        404
    );
    let response = verify(json!({"verificationId": id})).await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(emulator.login_as(EMAIL, PASSWORD).await.status(), 200);
    assert_eq!(
        verify(json!({"verificationId": id})).await.status(),
        404,
        "used once"
    );
}

#[tokio::test]
async fn resending_replaces_the_id_and_an_api_key_may_only_generate_one() {
    let (emulator, _) = gated_emulator_with_user("ClickableLink").await;
    let first = emailed_verification_id(&emulator).await;
    let response = emulator
        .client
        .put(emulator.url(&format!("/api/user/verify-email?email={EMAIL}")))
        .expect_status(200)
        .await;
    assert!(response.bytes().await.expect("body").is_empty());
    assert_eq!(outbox(&emulator).await.len(), 2);
    let second = emailed_verification_id(&emulator).await;
    assert_ne!(first, second);
    let stale = emulator
        .post_json("/api/user/verify-email", &json!({"verificationId": first}))
        .await;
    assert_eq!(stale.status(), 404, "a resend replaces the earlier id");

    let response = verification_id_without_email(&emulator).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(outbox(&emulator).await.len(), 2, "no email sent");
    let response = emulator
        .post_json(
            "/api/user/verify-email",
            &json!({"verificationId": body["verificationId"]}),
        )
        .await;
    assert_eq!(response.status(), 200);

    let missing = [
        "/api/user/verify-email?email=nobody@example.com",
        "/api/user/verify-email",
    ];
    for (path, status) in missing.iter().zip([404, 400]) {
        let response = emulator.client.put(emulator.url(path)).sent().await;
        assert_eq!(response.status(), status, "{path}");
    }
}

#[tokio::test]
async fn the_form_field_strategy_needs_the_emailed_code() {
    let (emulator, _) = gated_emulator_with_user("FormField").await;
    let response = verification_id_without_email(&emulator).await;
    let body: Value = response.json().await.expect("JSON");
    let code = body["verificationOneTimeCode"].as_str().expect("code");
    assert_eq!(body["oneTimeCode"], code);
    assert_eq!(code.len(), 6);
    let id = &body["verificationId"];
    let client = &emulator;
    let verify =
        |body: Value| async move { client.post_json("/api/user/verify-email", &body).await };
    assert_eq!(verify(json!({"verificationId": id})).await.status(), 400);
    let wrong = if code == "AAAAAA" { "BBBBBB" } else { "AAAAAA" };
    let response = verify(json!({"verificationId": id, "oneTimeCode": wrong})).await;
    assert_eq!(response.status(), 400);
    let response = verify(json!({"verificationId": id, "oneTimeCode": code})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(emulator.login_as(EMAIL, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_duplicate_email_is_refused_and_nothing_is_stored() {
    let emulator = spawn_emulator().await;
    let register = |email: &str| {
        emulator
            .admin(Method::POST, "/api/user/registration")
            .json(&json!({"user": {"email": email, "password": PASSWORD},
                          "registration": {"applicationId": emulator.application_id}}))
            .send()
    };
    let response = register(&emulator.email.to_uppercase())
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        body["fieldErrors"]["user.email"][0]["code"],
        "[duplicate]user.email"
    );
    let user = emulator
        .get_json_with_key(&format!("/api/user?email={}", emulator.email))
        .await;
    assert_eq!(
        user["user"]["id"], emulator.user_id,
        "the first user is untouched"
    );
    assert!(outbox(&emulator).await.is_empty());
}

/// A minimal SMTP server on port 0 that accepts every message and hands over its `DATA`.
async fn smtp_sink() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(body) = data.as_mut() {
                        if line == "." {
                            let _ = sender.send(std::mem::take(body));
                            data = None;
                            let _ = write.write_all(b"250 queued\r\n").await;
                        } else {
                            body.push_str(&line);
                            body.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 sink\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, receiver)
}

/// `POST /api/user/forgot-password` for the demo user (the email goes out); asserts 200.
async fn start_the_demo_users_reset(emulator: &TestEmulator) {
    let response = emulator
        .post_json(
            "/api/user/forgot-password",
            &json!({"loginId": emulator.email}),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_tenant_with_an_smtp_host_gets_its_emails_delivered_over_smtp() {
    let (port, mut received) = smtp_sink().await;
    let emulator = spawn_emulator().await;
    emulator
        .patch_default_tenant(
            json!({"emailConfiguration": {"host": "127.0.0.1", "port": port,
            "security": "NONE", "defaultFromEmail": "store@example.com"}}),
        )
        .await;
    start_the_demo_users_reset(&emulator).await;
    let data = received.recv().await.expect("a message");
    let unfolded = data.replace("=\n", "").replace("=3D", "=");
    assert!(data.contains("Subject: Reset your password"), "{data}");
    assert!(data.contains(&format!("To: {}", emulator.email)), "{data}");
    assert!(data.contains("store@example.com"));
    assert!(unfolded.contains("/password/change/"), "{data}");
    let messages = outbox(&emulator).await;
    assert_eq!(messages[0]["delivery"], "smtp");
}

#[tokio::test]
async fn an_unreachable_smtp_host_is_recorded_and_the_workflow_still_starts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let emulator = spawn_emulator().await;
    emulator
        .patch_default_tenant(json!({"emailConfiguration": {"host": "127.0.0.1", "port": port}}))
        .await;
    start_the_demo_users_reset(&emulator).await;
    let messages = outbox(&emulator).await;
    assert_eq!(messages[0]["delivery"], "smtp-failed");
}

#[tokio::test]
async fn a_verification_id_is_refused_once_the_tenant_stops_verifying_emails() {
    let (emulator, user_id) = gated_emulator_with_user("ClickableLink").await;
    let id = emailed_verification_id(&emulator).await;
    emulator
        .patch_default_tenant(json!({"emailConfiguration": {"verifyEmail": false}}))
        .await;
    let response = emulator
        .post_json("/api/user/verify-email", &json!({"verificationId": id}))
        .await;
    assert_eq!(response.status(), 403);
    let response = emulator
        .admin(Method::POST, "/api/user/verify-email")
        .json(&json!({"userId": user_id}))
        .sent()
        .await;
    assert_eq!(
        response.status(),
        200,
        "an API key verifies administratively"
    );
    let user = emulator
        .get_json_with_key(&format!("/api/user/{user_id}"))
        .await;
    assert_eq!(user["user"]["verified"], true);
}
