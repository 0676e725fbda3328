//! A thin `fetch` wrapper (instead of gloo-net, which brings the `http` crate and streams the
//! app never uses): one request, its status, headers and whole body as text.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::json::Read;

/// An answer with its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    headers: web_sys::Headers,
    pub body: String,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A response header.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    /// The body read as a `T`.
    pub fn json<T: Read>(&self) -> Option<T> {
        crate::json::from_str(&self.body)
    }
}

/// What to send.
#[derive(Clone, Copy, Debug, Default)]
pub struct Call<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// A JSON body (sent with `Content-Type: application/json`).
    pub json: Option<&'a str>,
    /// Cross-origin calls to FusionAuth go without cookies.
    pub omit_credentials: bool,
    pub signal: Option<&'a web_sys::AbortSignal>,
}

/// Sends `call`; `Err` when no answer arrived (offline, DNS, CORS, aborted) or the body could
/// not be read.
pub async fn send(call: Call<'_>) -> Result<Reply, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(call.method);
    let headers = web_sys::Headers::new()?;
    headers.set("Accept", "application/json")?;
    for (name, value) in call.headers {
        headers.set(name, value)?;
    }
    if let Some(body) = call.json {
        headers.set("Content-Type", "application/json")?;
        init.set_body(&JsValue::from_str(body));
    }
    init.set_headers(&headers);
    if call.omit_credentials {
        init.set_credentials(web_sys::RequestCredentials::Omit);
    }
    init.set_signal(call.signal);
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(call.url, &init))
            .await?
            .dyn_into()?;
    let body = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    Ok(Reply {
        status: response.status(),
        headers: response.headers(),
        body,
    })
}
