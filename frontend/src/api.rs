//! The typed client: one `async fn` per endpoint, taking and returning `shared` types.
//!
//! - The store API (`/api/products`, `/api/cart…`) is same-origin and takes the JWT as
//!   `Authorization: Bearer …`. When the JWT has expired or is about to, the refresh token goes
//!   along as `X-Refresh-Token` and the backend may answer with rotated tokens in
//!   `X-New-Access-Token` / `X-New-Refresh-Token`, which are stored before anything else
//!   (workflow steps 4–13). Non-2xx answers are decoded into [`ApiError`].
//! - FusionAuth's Login API (`POST {fusionAuthUrl}/api/login`, workflow steps 2–3) and Logout API
//!   are called cross-origin, without an API key and without cookies.

use std::fmt;
use std::time::Duration;

use leptos::prelude::*;
use shared::fusionauth::DeviceInfo;
use shared::headers::{NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, REFRESH_TOKEN};
use shared::store::{
    AddCartItem, ApiError, AppConfig, Cart, ErrorCode, ProductList, SetCartQuantity,
};
use wasm_bindgen::JsValue;
use web_sys::js_sys;

use crate::connectivity::Connectivity;
use crate::fusionauth::{LoginAnswer, ValidationErrors};
use crate::http::{self, Call, Reply};
use crate::json::{object, opt, stringify};
use crate::refresh::{self, LOCK_WAIT_MS, RefreshGate};
use crate::session::{Session, StoredSession};

/// Where the deployment tells the app how to reach FusionAuth.
pub const APP_CONFIG_PATH: &str = "/app-config.json";
/// Shown while the store API cannot be reached; the session is kept.
pub const UNREACHABLE_STORE: &str =
    "Can't reach the store right now. You're still signed in — try again in a moment.";
/// Shown when FusionAuth cannot be reached during sign-in.
pub const UNREACHABLE_SIGN_IN: &str =
    "Can't reach the sign-in service. Check your connection and try again.";

const LOGIN_TIMEOUT: Duration = Duration::from_secs(20);
const LOGOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a store API call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiFailure {
    /// No one is signed in, so there is no token to send.
    SignedOut,
    /// The request never got an answer (offline, DNS, CORS, aborted).
    Unreachable,
    /// A non-2xx answer and its decoded body.
    Api { status: u16, error: ApiError },
    /// A 2xx answer whose body was not what the endpoint documents.
    BadResponse,
}

impl ApiFailure {
    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            Self::SignedOut => "Please sign in to continue.".to_owned(),
            Self::Unreachable => UNREACHABLE_STORE.to_owned(),
            Self::BadResponse => {
                "The store sent an answer this app could not read. Please try again.".to_owned()
            }
            Self::Api { error, .. } => match error.code {
                ErrorCode::Unauthorized | ErrorCode::SessionExpired => {
                    crate::session::SESSION_EXPIRED_NOTICE.to_owned()
                }
                ErrorCode::Unavailable => UNREACHABLE_STORE.to_owned(),
                ErrorCode::TooManyRequests => {
                    "Too many requests. Please wait a moment and try again.".to_owned()
                }
                ErrorCode::NotFound => "That product is no longer available.".to_owned(),
                ErrorCode::InvalidRequest if !error.message.is_empty() => error.message.clone(),
                _ => "Something went wrong on our side. Please try again.".to_owned(),
            },
        }
    }

    /// True when there is no session (any more): the app is on its way to the login page, so the
    /// cart badge must not be written to.
    pub fn signs_out(&self) -> bool {
        matches!(self, Self::SignedOut | Self::Api { status: 401, .. })
    }

    /// True when trying again later may succeed and the session must be kept.
    pub fn is_temporary(&self) -> bool {
        match self {
            Self::Unreachable => true,
            Self::Api { status, error } => {
                error.code == ErrorCode::Unavailable || matches!(status, 502..=504)
            }
            _ => false,
        }
    }
}

/// The body a non-2xx answer should have had, when it had none or another one.
fn fallback_error(status: u16) -> ApiError {
    let code = match status {
        400 | 422 => ErrorCode::InvalidRequest,
        401 => ErrorCode::Unauthorized,
        404 => ErrorCode::NotFound,
        413 => ErrorCode::PayloadTooLarge,
        429 => ErrorCode::TooManyRequests,
        502..=504 => ErrorCode::Unavailable,
        500..=599 => ErrorCode::Internal,
        _ => ErrorCode::Unknown,
    };
    ApiError::new(code, "")
}

/// Where a sign-in attempt got to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginStep {
    /// Signed in (200).
    SignedIn(StoredSession),
    /// 242: a code is needed; complete with [`ApiClient::two_factor_login`] and this id.
    TwoFactor(String),
}

/// Why signing in failed: one variant per answer of `POST /api/login` (and
/// `POST /api/two-factor/login`) the user can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// 404: unknown email or wrong password.
    WrongCredentials,
    /// 400 (or checked before sending): validation errors, by field.
    Invalid(std::sync::Arc<ValidationErrors>),
    /// 202: the user exists but is not registered for the store application.
    NotRegistered,
    /// 203: FusionAuth wants the password changed first.
    PasswordChangeRequired,
    /// 212 / 213: email or registration not verified.
    NotVerified,
    /// 421 from the two-factor login: a wrong code.
    WrongCode,
    /// 404 from the two-factor login: the two-factor id expired; start again.
    CodeExpired,
    /// 409: a user action (e.g. lockout after failed attempts) prevents login; until when, in
    /// epoch milliseconds, if the action ends.
    Locked(Option<i64>),
    /// 410: the account has expired.
    Expired,
    /// 423: the account is disabled.
    Disabled,
    /// 401: FusionAuth refused an anonymous login (deployment misconfigured).
    NotAllowed,
    /// 429.
    TooManyAttempts,
    /// Network failure, timeout or 5xx.
    Unreachable,
    /// Any other answer, or a 200 without a token.
    Unexpected,
}

impl LoginFailure {
    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            Self::WrongCredentials => "Wrong email or password.".to_owned(),
            Self::Invalid(errors) => errors
                .general_errors
                .first()
                .map(|e| e.message.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Please check the highlighted fields.".to_owned()),
            Self::NotRegistered => "This account is not registered for the store.".to_owned(),
            Self::PasswordChangeRequired => {
                "You need to change your password before you can sign in.".to_owned()
            }
            Self::NotVerified => "Please verify your email address first.".to_owned(),
            Self::WrongCode => "That code isn't right.".to_owned(),
            Self::CodeExpired => "That code has expired. Please sign in again.".to_owned(),
            Self::Locked(Some(until)) => format!(
                "This account is locked until {}. Please try again then or contact support.",
                crate::format::local_time(*until)
            ),
            Self::Locked(None) => {
                "This account is locked. Please try again later or contact support.".to_owned()
            }
            Self::Expired => "This account has expired. Please contact support.".to_owned(),
            Self::Disabled => "This account has been disabled. Please contact support.".to_owned(),
            Self::NotAllowed => {
                "The store is not allowed to sign you in right now. Please try again later."
                    .to_owned()
            }
            Self::TooManyAttempts => {
                "Too many sign-in attempts. Please wait a moment and try again.".to_owned()
            }
            Self::Unreachable => UNREACHABLE_SIGN_IN.to_owned(),
            Self::Unexpected => {
                "Something went wrong while signing in. Please try again.".to_owned()
            }
        }
    }

    /// The first error for a request field (`loginId`, `password`, `code`).
    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            Self::Invalid(errors) => errors
                .field_errors
                .get(field)
                .and_then(|list| list.first())
                .map(|e| {
                    if e.message.is_empty() {
                        "This field is required.".to_owned()
                    } else {
                        e.message.clone()
                    }
                }),
            _ => None,
        }
    }

    /// Checks a form before sending it: every named field must be filled in.
    pub fn check_filled(fields: &[(&str, &str, &str)]) -> Result<(), Self> {
        let mut errors = ValidationErrors::default();
        for (field, value, message) in fields {
            if value.trim().is_empty() {
                errors.field_errors.insert(
                    (*field).to_owned(),
                    vec![crate::fusionauth::ErrorMessage {
                        message: (*message).to_owned(),
                    }],
                );
            }
        }
        if errors.field_errors.is_empty() {
            Ok(())
        } else {
            Err(Self::Invalid(errors.into()))
        }
    }
}

/// Reads an answer of `POST /api/login`, or of `POST /api/two-factor/login` when `two_factor`
/// (FusionAuth docs, response codes; the contract's §1.4).
pub fn read_login_answer(
    status: u16,
    body: &str,
    two_factor: bool,
) -> Result<LoginStep, LoginFailure> {
    let answer = || crate::json::from_str::<LoginAnswer>(body);
    match status {
        200 => answer()
            .and_then(StoredSession::from_login)
            .map(LoginStep::SignedIn)
            .ok_or(LoginFailure::Unexpected),
        202 => Err(LoginFailure::NotRegistered),
        203 => Err(LoginFailure::PasswordChangeRequired),
        212 | 213 => Err(LoginFailure::NotVerified),
        242 => answer()
            .and_then(|a| a.two_factor_id)
            .filter(|id| !id.is_empty())
            .map(LoginStep::TwoFactor)
            .ok_or(LoginFailure::Unexpected),
        400 => Err(LoginFailure::Invalid(
            crate::json::from_str::<ValidationErrors>(body)
                .unwrap_or_default()
                .into(),
        )),
        401 => Err(LoginFailure::NotAllowed),
        404 if two_factor => Err(LoginFailure::CodeExpired),
        404 => Err(LoginFailure::WrongCredentials),
        409 => {
            Err(LoginFailure::Locked(answer().and_then(|a| {
                a.actions.first().and_then(|action| action.expiry)
            })))
        }
        410 => Err(LoginFailure::Expired),
        421 => Err(LoginFailure::WrongCode),
        423 => Err(LoginFailure::Disabled),
        429 => Err(LoginFailure::TooManyAttempts),
        500..=599 => Err(LoginFailure::Unreachable),
        _ => Err(LoginFailure::Unexpected),
    }
}

/// `metaData.device` for a login from this browser: a readable name and `MOBILE` or `BROWSER`.
pub fn describe_device(user_agent: &str) -> DeviceInfo {
    // A plain byte-window search: `str::contains` links the two-way searcher (~2 KB of wasm).
    let has = |needle: &str| {
        user_agent
            .as_bytes()
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    let mobile = has("Mobi") || has("Android") || has("iPhone") || has("iPad");
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let platform = if has("Android") {
        Some("Android")
    } else if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    let name = match platform {
        Some(platform) => format!("{browser} on {platform}"),
        None => browser.to_owned(),
    };
    DeviceInfo {
        name: Some(format!("Store app ({name})")),
        device_type: Some(if mobile { "MOBILE" } else { "BROWSER" }.to_owned()),
        ..DeviceInfo::default()
    }
}

/// The API client, shared through context. Cheap to copy.
#[derive(Clone, Copy)]
pub struct ApiClient {
    session: Session,
    config: RwSignal<Option<AppConfig>>,
    notice: RwSignal<Option<String>>,
    /// Held by a request that carries the refresh token, so only one refresh is in flight
    /// (in this tab and across tabs).
    refresh: StoredValue<RefreshGate>,
    connectivity: Connectivity,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient").finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(session: Session) -> Self {
        Self {
            session,
            config: RwSignal::new(None),
            notice: RwSignal::new(None),
            refresh: StoredValue::new(RefreshGate::new()),
            connectivity: Connectivity::start(),
        }
    }

    /// Retries and the online state.
    pub fn connectivity(&self) -> Connectivity {
        self.connectivity
    }

    /// A non-blocking notice about the store being unreachable (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    /// Hides the notice.
    pub fn dismiss_notice(&self) {
        self.notice.set(None);
    }

    /// `GET /app-config.json`, fetched once and then remembered.
    ///
    /// # Errors
    /// [`ApiFailure::Unreachable`] or [`ApiFailure::BadResponse`]; the next call tries again.
    pub async fn config(&self) -> Result<AppConfig, ApiFailure> {
        if let Some(config) = self.config.get_untracked() {
            return Ok(config);
        }
        let reply = http::send(Call {
            method: "GET",
            url: APP_CONFIG_PATH,
            ..Call::default()
        })
        .await
        .map_err(|_| ApiFailure::Unreachable)?;
        if !reply.ok() {
            return Err(ApiFailure::Unreachable);
        }
        let mut config: AppConfig = reply.json().ok_or(ApiFailure::BadResponse)?;
        config.fusion_auth_url = config.fusion_auth_url.trim_end_matches('/').to_owned();
        self.config.set(Some(config.clone()));
        Ok(config)
    }

    /// `POST {fusionAuthUrl}/api/login` with the user's credentials (workflow steps 2–3).
    ///
    /// # Errors
    /// A [`LoginFailure`] for every answer other than a 200 with a JWT or a 242.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginStep, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let user_agent = web_sys::window()
            .and_then(|w| w.navigator().user_agent().ok())
            .unwrap_or_default();
        let device = describe_device(&user_agent);
        let request = object(&[
            ("loginId", JsValue::from_str(email.trim())),
            ("password", JsValue::from_str(password)),
            ("applicationId", JsValue::from_str(&config.application_id)),
            (
                "metaData",
                object(&[(
                    "device",
                    object(&[
                        ("name", opt(device.name.as_deref())),
                        ("type", opt(device.device_type.as_deref())),
                    ]),
                )]),
            ),
        ]);
        let body = stringify(&request).ok_or(LoginFailure::Unexpected)?;
        post_login(
            &format!("{}/api/login", config.fusion_auth_url),
            body,
            false,
        )
        .await
    }

    /// `POST {fusionAuthUrl}/api/two-factor/login`: completes a login that answered 242.
    ///
    /// # Errors
    /// [`LoginFailure::WrongCode`] (421), [`LoginFailure::CodeExpired`] (404), and the rest as
    /// for [`Self::login`].
    pub async fn two_factor_login(
        &self,
        two_factor_id: &str,
        code: &str,
    ) -> Result<LoginStep, LoginFailure> {
        let config = self.config().await.map_err(|_| LoginFailure::Unreachable)?;
        let body = stringify(&object(&[
            ("twoFactorId", JsValue::from_str(two_factor_id)),
            ("code", JsValue::from_str(code.trim())),
            ("applicationId", JsValue::from_str(&config.application_id)),
        ]))
        .ok_or(LoginFailure::Unexpected)?;
        let url = format!("{}/api/two-factor/login", config.fusion_auth_url);
        post_login(&url, body, true).await
    }

    /// Best-effort `POST {fusionAuthUrl}/api/logout` revoking the refresh token; failures are
    /// ignored. Then forgets the session.
    pub async fn logout(&self) {
        let refresh_token = self.session.current().and_then(|s| s.refresh_token);
        if let (Some(refresh_token), Ok(config)) = (refresh_token, self.config().await) {
            let abort = Timeout::start(LOGOUT_TIMEOUT);
            let body = stringify(&object(&[(
                "refreshToken",
                JsValue::from_str(&refresh_token),
            )]));
            if let Some(body) = body {
                let _ = http::send(Call {
                    method: "POST",
                    url: &format!("{}/api/logout", config.fusion_auth_url),
                    json: Some(&body),
                    omit_credentials: true,
                    signal: abort.signal().as_ref(),
                    ..Call::default()
                })
                .await;
            }
        }
        self.session.end();
        self.notice.set(None);
    }

    /// `GET /api/products`.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn products(&self) -> Result<ProductList, ApiFailure> {
        read_json(&self.send("GET", "/api/products", None).await?)
    }

    /// `GET /api/cart` (workflow steps 4–5).
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn cart(&self) -> Result<Cart, ApiFailure> {
        read_json(&self.send("GET", "/api/cart", None).await?)
    }

    /// `POST /api/cart/items`: adds to the cart and answers with the whole cart.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn add_to_cart(&self, item: &AddCartItem) -> Result<Cart, ApiFailure> {
        let body = stringify(&object(&[
            ("productId", JsValue::from_str(&item.product_id)),
            ("quantity", JsValue::from(item.quantity.get())),
        ]))
        .ok_or(ApiFailure::BadResponse)?;
        let reply = self.send("POST", "/api/cart/items", Some(body)).await?;
        self.cart_answer(&reply).await
    }

    /// `PATCH /api/cart/items/{productId}`: sets a line's quantity.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn set_quantity(
        &self,
        product_id: &str,
        change: &SetCartQuantity,
    ) -> Result<Cart, ApiFailure> {
        let body = stringify(&object(&[(
            "quantity",
            JsValue::from(change.quantity.get()),
        )]))
        .ok_or(ApiFailure::BadResponse)?;
        let reply = self
            .send("PATCH", &cart_item_path(product_id), Some(body))
            .await?;
        self.cart_answer(&reply).await
    }

    /// `DELETE /api/cart/items/{productId}`: removes a line.
    ///
    /// # Errors
    /// See [`ApiFailure`].
    pub async fn remove_from_cart(&self, product_id: &str) -> Result<Cart, ApiFailure> {
        let reply = self
            .send("DELETE", &cart_item_path(product_id), None)
            .await?;
        self.cart_answer(&reply).await
    }

    /// A cart change answers with the cart; a bodiless 204 is followed by a fresh `GET`.
    async fn cart_answer(&self, reply: &Reply) -> Result<Cart, ApiFailure> {
        if reply.status == 204 {
            return self.cart().await;
        }
        read_json(reply)
    }

    /// Sends one store API request with the session's tokens and handles what every endpoint
    /// shares: token rotation, session expiry, the unreachable notice and retries.
    async fn send(
        &self,
        method: &str,
        path: &str,
        json_body: Option<String>,
    ) -> Result<Reply, ApiFailure> {
        let initial = self.session.current().ok_or(ApiFailure::SignedOut)?;
        // The refresh token goes along: take the refresh lock first, then look at the tokens
        // again — another request or tab may have refreshed them meanwhile.
        let pass = if refresh::should_refresh(&initial.token, now_secs()) {
            let pass = self.refresh.get_value().enter(LOCK_WAIT_MS).await;
            self.session.reload().await;
            Some(pass)
        } else {
            None
        };
        let session = self.session.current().ok_or(ApiFailure::SignedOut)?;
        let refresh_token = session
            .refresh_token
            .as_deref()
            .filter(|_| refresh::should_refresh(&session.token, now_secs()));

        let authorization = format!("Bearer {}", session.token);
        let mut headers = vec![("Authorization", authorization.as_str())];
        if let Some(refresh_token) = refresh_token {
            headers.push((REFRESH_TOKEN, refresh_token));
        }
        let Ok(reply) = http::send(Call {
            method,
            url: path,
            headers: &headers,
            json: json_body.as_deref(),
            ..Call::default()
        })
        .await
        else {
            self.temporary_failure();
            return Err(ApiFailure::Unreachable);
        };

        // New tokens first: whatever else happens, the old refresh token may be spent already.
        let new_access = reply.header(NEW_ACCESS_TOKEN);
        let new_refresh = reply.header(NEW_REFRESH_TOKEN);
        let rotated = new_access.is_some() || new_refresh.is_some();
        if rotated {
            self.session.rotate(new_access, new_refresh).await;
        }
        drop(pass);

        if reply.ok() {
            self.notice.set(None);
            self.connectivity.succeeded();
            return Ok(reply);
        }
        let status = reply.status;
        let error = reply
            .json::<ApiError>()
            .unwrap_or_else(|| fallback_error(status));
        let session_over = status == 401
            && matches!(
                error.code,
                ErrorCode::SessionExpired | ErrorCode::Unauthorized
            );
        let failure = ApiFailure::Api { status, error };
        if session_over {
            // Unless a newer session (another tab's login) replaced the one this request used.
            let same_session = self
                .session
                .current()
                .is_some_and(|current| rotated || current.token == session.token);
            if same_session {
                self.notice.set(None);
                self.session.expire();
            }
        } else if failure.is_temporary() {
            self.temporary_failure();
        }
        Err(failure)
    }

    /// 503 or no answer: keep the tokens, show the notice, retry later.
    fn temporary_failure(&self) {
        self.notice.set(Some(UNREACHABLE_STORE.to_owned()));
        self.connectivity.failed();
    }
}

/// Sends a login request to FusionAuth (cross-origin, no cookies) and reads the answer.
async fn post_login(url: &str, body: String, two_factor: bool) -> Result<LoginStep, LoginFailure> {
    let abort = Timeout::start(LOGIN_TIMEOUT);
    let reply = http::send(Call {
        method: "POST",
        url,
        json: Some(&body),
        omit_credentials: true,
        signal: abort.signal().as_ref(),
        ..Call::default()
    })
    .await
    .map_err(|_| LoginFailure::Unreachable)?;
    let (status, body) = (reply.status, reply.body);
    read_login_answer(status, &body, two_factor)
}

fn read_json<T: crate::json::Read>(reply: &Reply) -> Result<T, ApiFailure> {
    reply.json().ok_or(ApiFailure::BadResponse)
}

fn cart_item_path(product_id: &str) -> String {
    let encoded: String = js_sys::encode_uri_component(product_id).into();
    format!("/api/cart/items/{encoded}")
}

fn now_secs() -> i64 {
    (js_sys::Date::now() / 1000.0) as i64
}

/// Aborts a request that takes longer than a deadline.
struct Timeout {
    controller: Option<web_sys::AbortController>,
}

impl Timeout {
    fn start(after: Duration) -> Self {
        let controller = web_sys::AbortController::new().ok();
        if let Some(controller) = controller.clone() {
            set_timeout(move || controller.abort(), after);
        }
        Self { controller }
    }

    fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.controller
            .as_ref()
            .map(web_sys::AbortController::signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn login_statuses_map_to_what_the_user_can_do() {
        let cases = [
            (202, LoginFailure::NotRegistered),
            (203, LoginFailure::PasswordChangeRequired),
            (212, LoginFailure::NotVerified),
            (242, LoginFailure::Unexpected),
            (401, LoginFailure::NotAllowed),
            (404, LoginFailure::WrongCredentials),
            (409, LoginFailure::Locked(None)),
            (410, LoginFailure::Expired),
            (423, LoginFailure::Disabled),
            (500, LoginFailure::Unreachable),
            (503, LoginFailure::Unreachable),
            (302, LoginFailure::Unexpected),
        ];
        for (status, expected) in cases {
            assert_eq!(
                read_login_answer(status, "", false),
                Err(expected),
                "{status}"
            );
        }
        assert_eq!(
            LoginFailure::WrongCredentials.message(),
            "Wrong email or password."
        );
        assert_eq!(
            LoginFailure::NotVerified.message(),
            "Please verify your email address first."
        );
        assert_eq!(LoginFailure::Unreachable.message(), UNREACHABLE_SIGN_IN);
    }

    #[test]
    fn two_factor_answers_have_their_own_meaning() {
        assert_eq!(
            read_login_answer(242, r#"{"twoFactorId":"tf1","methods":[]}"#, false),
            Ok(LoginStep::TwoFactor("tf1".to_owned()))
        );
        assert_eq!(
            read_login_answer(421, "", true),
            Err(LoginFailure::WrongCode)
        );
        assert_eq!(
            read_login_answer(404, "", true),
            Err(LoginFailure::CodeExpired)
        );
        assert_eq!(LoginFailure::WrongCode.message(), "That code isn't right.");
        assert_eq!(
            LoginFailure::CodeExpired.message(),
            "That code has expired. Please sign in again."
        );
        assert_eq!(
            read_login_answer(409, r#"{"actions":[{"expiry":1764400000000}]}"#, false),
            Err(LoginFailure::Locked(Some(1_764_400_000_000)))
        );
    }

    #[test]
    fn a_200_login_needs_a_token() {
        assert_eq!(
            read_login_answer(200, "{}", false),
            Err(LoginFailure::Unexpected)
        );
        assert_eq!(
            read_login_answer(200, "oops", false),
            Err(LoginFailure::Unexpected)
        );
        let ok = read_login_answer(200, r#"{"token":"a.b.c","refreshToken":"r"}"#, false);
        let Ok(LoginStep::SignedIn(session)) = ok else {
            panic!("signed in: {ok:?}");
        };
        assert_eq!(session.refresh_token.as_deref(), Some("r"));
    }

    #[test]
    fn validation_errors_are_shown_per_field() {
        let body =
            r#"{"fieldErrors":{"password":[{"code":"[blank]password","message":"Required"}]}}"#;
        let failure = read_login_answer(400, body, false).expect_err("400 fails");
        assert_eq!(failure.field_error("password").as_deref(), Some("Required"));
        assert_eq!(failure.field_error("loginId"), None);
        assert_eq!(failure.message(), "Please check the highlighted fields.");
        let bare = read_login_answer(400, "", false).expect_err("400 fails");
        assert_eq!(
            bare,
            LoginFailure::Invalid(ValidationErrors::default().into())
        );
        let unfilled = LoginFailure::check_filled(&[
            ("loginId", " ", "Enter your email."),
            ("password", "x", "Enter your password."),
        ])
        .expect_err("email missing");
        assert_eq!(
            unfilled.field_error("loginId").as_deref(),
            Some("Enter your email.")
        );
        assert_eq!(unfilled.field_error("password"), None);
    }

    #[test]
    fn devices_are_named_and_typed_from_the_user_agent() {
        let pixel = describe_device(
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
        );
        assert_eq!(pixel.device_type.as_deref(), Some("MOBILE"));
        assert_eq!(pixel.name.as_deref(), Some("Store app (Chrome on Android)"));
        let desktop = describe_device(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        );
        assert_eq!(desktop.device_type.as_deref(), Some("BROWSER"));
        assert_eq!(
            desktop.name.as_deref(),
            Some("Store app (Firefox on Linux)")
        );
    }

    #[test]
    fn store_errors_without_a_body_get_a_code_from_their_status() {
        assert_eq!(fallback_error(503).code, ErrorCode::Unavailable);
        assert_eq!(fallback_error(401).code, ErrorCode::Unauthorized);
        let busy = ApiFailure::Api {
            status: 503,
            error: fallback_error(503),
        };
        assert!(busy.is_temporary());
        assert!(ApiFailure::Unreachable.is_temporary());
        let gone = ApiFailure::Api {
            status: 401,
            error: ApiError::new(ErrorCode::SessionExpired, "x"),
        };
        assert!(!gone.is_temporary());
    }
}
