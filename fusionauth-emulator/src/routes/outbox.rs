//! The outbox: every email the emulator sent, newest first — `GET /_emulator/outbox` (an HTML
//! page for people) and `GET /_emulator/outbox.json` (`{"messages": [...]}` for tests). Served
//! on every emulator (like Firebase's emulator UI), not only with `--test-hooks`: development
//! needs it. Not a FusionAuth API.

use actix_web::HttpResponse;
use actix_web::http::header::ContentType;
use serde_json::json;

use super::table::Routes;
use crate::infra::error::Result;
use crate::infra::http::ok_json;
use crate::state::State;
use crate::store;

/// The most messages either form shows.
const LIMIT: i64 = 200;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .get("/_emulator/outbox", page)
        .get("/_emulator/outbox.json", messages);
}

/// `GET /_emulator/outbox.json`: `{"messages": [{id, tenantId, template, to, from, subject,
/// textBody, htmlBody, delivery, createInstant}]}`, newest first.
async fn messages(state: State) -> Result<HttpResponse> {
    let messages = store::account::outbox(&state.pool, LIMIT).await?;
    Ok(ok_json(&json!({ "messages": messages })))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /_emulator/outbox`: the same messages as a page (each email's own HTML shown as sent).
async fn page(state: State) -> Result<HttpResponse> {
    let messages = store::account::outbox(&state.pool, LIMIT).await?;
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Outbox · FusionAuth emulator</title><style>\
         body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}\
         article{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}\
         .meta{color:#555;font-size:.9rem}</style></head><body><h1>Outbox</h1>\
         <p>Every email the FusionAuth emulator sent, newest first. Reload to see new ones.</p>",
    );
    if messages.is_empty() {
        html.push_str("<p>No email yet.</p>");
    }
    for message in &messages {
        html.push_str(&format!(
            "<article><h2>{}</h2><p class=\"meta\">To {} · from {} · {} · delivery: {} · \
             sent at {} ms</p><div>{}</div></article>",
            escape(&message.subject),
            escape(&message.to),
            escape(&message.from),
            escape(&message.template),
            escape(&message.delivery),
            message.create_instant,
            message.html_body,
        ));
    }
    html.push_str("</body></html>");
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(html))
}
