//! Emails: the content of FusionAuth's stock Forgot Password and Email Verification templates
//! (rendered by the emulator; the Email Template API is not emulated), kept in the outbox and,
//! when the tenant's `emailConfiguration` names an SMTP `host`, sent over SMTP —
//! <https://fusionauth.io/docs/customize/email-and-messages/email-templates>

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::{Map, Value};

use crate::infra::error::Result;
use crate::model::{Application, Tenant};
use crate::state::AppState;
use crate::store::{self, UserRow, account::OutboxRow};

/// FusionAuth's default sender when the tenant names none.
const DEFAULT_FROM: &str = "change-me@example.com";
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// What a link in an email points at: the application's `baseURL`, else the tenant's, else
/// the emulator's own address (FusionAuth 1.68's order).
pub fn base_url(tenant: &Tenant, application: Option<&Application>, own: &str) -> String {
    let configured = |data: &Value| {
        data.get("baseURL")
            .and_then(Value::as_str)
            .filter(|url| !url.trim().is_empty())
            .map(|url| url.trim_end_matches('/').to_owned())
    };
    application
        .and_then(|app| configured(&app.data))
        .or_else(|| configured(&tenant.data))
        .unwrap_or_else(|| own.trim_end_matches('/').to_owned())
}

/// The link's query: `client_id` (the application's OAuth client id, may be empty),
/// `tenantId`, then the workflow's `state` (except those two keys).
fn query(
    tenant: &Tenant,
    application: Option<&Application>,
    state: Option<&Map<String, Value>>,
) -> String {
    let client_id = application
        .and_then(|app| app.data.pointer("/oauthConfiguration/clientId"))
        .and_then(Value::as_str)
        .or(application.map(|app| app.id.as_str()))
        .unwrap_or_default();
    let mut query = format!(
        "client_id={}&tenantId={}",
        encode(client_id),
        encode(&tenant.id)
    );
    for (key, value) in state.into_iter().flatten() {
        if key == "tenantId" || key == "client_id" {
            continue;
        }
        let value = match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        query.push_str(&format!("&{}={}", encode(key), encode(&value)));
    }
    query
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A rendered email, before it is addressed.
#[derive(Debug)]
pub struct Rendered {
    pub template: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The Forgot Password email: one link to `{baseUrl}/password/change/{changePasswordId}`.
pub fn forgot_password(
    base_url: &str,
    tenant: &Tenant,
    application: Option<&Application>,
    change_password_id: &str,
    state: Option<&Map<String, Value>>,
) -> Rendered {
    let link = format!(
        "{base_url}/password/change/{change_password_id}?{}",
        query(tenant, application, state)
    );
    Rendered {
        template: "ForgotPassword",
        subject: "Reset your password".to_owned(),
        text: format!(
            "Someone asked to change the password of this account. To choose a new password, \
             open this link:\n\n{link}\n\nIf it was not you, ignore this email: your password \
             stays as it is.\n\n- FusionAuth Admin\n"
        ),
        html: format!(
            "<p>Someone asked to change the password of this account. To choose a new password, \
             open this link:</p><p><a href=\"{0}\">{0}</a></p><p>If it was not you, ignore this \
             email: your password stays as it is.</p><p>- FusionAuth Admin</p>",
            escape_html(&link)
        ),
    }
}

/// The Email Verification email: the code to type (`FormField`), else a link to
/// `{baseUrl}/email/verify/{verificationId}`.
pub fn email_verification(
    base_url: &str,
    tenant: &Tenant,
    application: Option<&Application>,
    verification_id: &str,
    one_time_code: Option<&str>,
) -> Rendered {
    let (text, html) = match one_time_code {
        Some(code) => (
            format!("To verify your email address, enter this code in the form: {code}\n"),
            format!(
                "<p>To verify your email address, enter this code in the form: <b>{}</b></p>",
                escape_html(code)
            ),
        ),
        None => {
            let link = format!(
                "{base_url}/email/verify/{verification_id}?{}",
                query(tenant, application, None)
            );
            (
                format!("To verify your email address, open this link:\n\n{link}\n"),
                format!(
                    "<p>To verify your email address, open this link:</p><p><a href=\"{0}\">{0}</a></p>",
                    escape_html(&link)
                ),
            )
        }
    };
    Rendered {
        template: "EmailVerification",
        subject: "Verify your email address".to_owned(),
        text: format!("{text}\n- FusionAuth Admin\n"),
        html: format!("{html}<p>- FusionAuth Admin</p>"),
    }
}

/// The Password Update email (sent after a change when the tenant names a
/// `passwordUpdateEmailTemplateId`): no link, a warning to act if it was not the user.
pub fn password_update() -> Rendered {
    Rendered {
        template: "PasswordUpdate",
        subject: "Your password was changed".to_owned(),
        text: "The password of this account was just changed. If it was not you, reset it now \
               with \"Forgot password?\" on the sign-in page.\n\n- FusionAuth Admin\n"
            .to_owned(),
        html: "<p>The password of this account was just changed. If it was not you, reset it \
               now with \"Forgot password?\" on the sign-in page.</p><p>- FusionAuth Admin</p>"
            .to_owned(),
    }
}

/// Where a user's emails go: `user.data.email` when set (so users without a login email, or
/// sharing one, can get mail), else `user.email`.
pub fn recipient(user: &UserRow) -> Option<String> {
    serde_json::from_str::<Value>(&user.data)
        .ok()
        .and_then(|data| {
            data.pointer("/data/email")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|email| !email.trim().is_empty())
        .or_else(|| user.email.clone())
}

/// Keeps `email` to `user` in the outbox and, when the tenant names an SMTP host, sends it
/// (waiting at most 10 s; a failure is recorded as the message's `delivery`, not an error).
/// Its content (which holds the secret link) is never logged.
pub async fn send(
    state: &AppState,
    tenant: &Tenant,
    user: &UserRow,
    email: Rendered,
) -> Result<()> {
    let config = tenant
        .data
        .get("emailConfiguration")
        .cloned()
        .unwrap_or_default();
    let text = |name: &str| config.get(name).and_then(Value::as_str).map(str::to_owned);
    let from = text("defaultFromEmail").unwrap_or_else(|| DEFAULT_FROM.to_owned());
    let to = recipient(user).unwrap_or_default();
    let smtp_host = text("host").filter(|host| !host.trim().is_empty());
    let row = OutboxRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: tenant.id.clone(),
        template: email.template.to_owned(),
        to: to.clone(),
        from: from.clone(),
        subject: email.subject.clone(),
        text_body: email.text.clone(),
        html_body: email.html.clone(),
        delivery: if smtp_host.is_some() {
            "smtp-pending"
        } else {
            "outbox"
        }
        .to_owned(),
        create_instant: state.clock.now_ms(),
    };
    store::account::insert_outbox(&state.pool, &row).await?;
    tracing::info!(
        template = row.template,
        message_id = row.id,
        "email in the outbox"
    );
    let Some(host) = smtp_host else {
        return Ok(());
    };
    let delivery = match smtp(&config, &host, &from, &text("defaultFromName"), &to, email).await {
        Ok(()) => {
            tracing::info!(message_id = row.id, host, "email sent over SMTP");
            "smtp"
        }
        Err(error) => {
            tracing::warn!(message_id = row.id, host, %error, "SMTP delivery failed");
            "smtp-failed"
        }
    };
    store::account::set_delivery(&state.pool, &row.id, delivery).await?;
    Ok(())
}

async fn smtp(
    config: &Value,
    host: &str,
    from: &str,
    from_name: &Option<String>,
    to: &str,
    email: Rendered,
) -> anyhow::Result<()> {
    let port = config
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(25);
    let security = config
        .get("security")
        .and_then(Value::as_str)
        .unwrap_or("NONE");
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .timeout(Some(SMTP_TIMEOUT));
    builder = match security {
        "SSL" => builder.tls(Tls::Wrapper(TlsParameters::new(host.to_owned())?)),
        "TLS" => builder.tls(Tls::Required(TlsParameters::new(host.to_owned())?)),
        _ => builder.tls(Tls::None),
    };
    if let (Some(username), Some(password)) = (
        config.get("username").and_then(Value::as_str),
        config.get("password").and_then(Value::as_str),
    ) {
        builder = builder.credentials(Credentials::new(username.to_owned(), password.to_owned()));
    }
    let from = Mailbox::new(from_name.clone(), from.parse()?);
    let message = Message::builder()
        .from(from)
        .to(to.parse()?)
        .subject(email.subject)
        .multipart(MultiPart::alternative_plain_html(email.text, email.html))?;
    builder.build().send(message).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tenant(data: Value) -> Tenant {
        Tenant {
            id: "t-1".into(),
            data,
        }
    }

    #[test]
    fn links_use_the_application_then_the_tenant_base_url_then_the_emulator() {
        let app = Application {
            id: "a-1".into(),
            tenant_id: "t-1".into(),
            data: json!({"baseURL": "https://app.example/"}),
        };
        let plain = tenant(json!({}));
        let with_base = tenant(json!({"baseURL": "https://tenant.example"}));
        assert_eq!(
            base_url(&with_base, Some(&app), "http://own"),
            "https://app.example"
        );
        assert_eq!(
            base_url(&with_base, None, "http://own"),
            "https://tenant.example"
        );
        assert_eq!(base_url(&plain, None, "http://own/"), "http://own");
    }

    #[test]
    fn the_forgot_password_link_carries_the_id_tenant_and_state_encoded() {
        let state = json!({"redirect": "/a b", "tenantId": "ignored"});
        let email = forgot_password(
            "https://app",
            &tenant(json!({})),
            None,
            "ID123",
            state.as_object(),
        );
        assert!(email.text.contains(
            "https://app/password/change/ID123?client_id=&tenantId=t-1&redirect=%2Fa%20b\n"
        ));
        assert!(email.html.contains("&amp;tenantId=t-1"));
    }
}
