//! `spawn_app()`: the workspace's one harness (`testkit::Stack`) with the real FusionAuth
//! emulator (Kickstart applied, test hooks on, database in memory) and the real backend, each on
//! port 0, the backend on a fresh SQLite file (or PostgreSQL database) and reaching FusionAuth
//! through a relay the tests can switch off; plus typed helpers.
//! (Over 500 lines: every API test's setup and its typed calls, one place for all of them.)

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use shared::fusionauth::{
    LoginRequest, LoginResponse, NewRegistration, NewUser, RegistrationRequest,
};
use shared::store::{ApiError, Cart, ErrorCode};
use testkit::{Relay, Stack};

pub const DEMO_EMAIL: &str = "shopper@example.com";
pub const DEMO_PASSWORD: &str = "store-demo-pass";
pub const APPLICATION_ID: &str = "b0029271-d049-43fa-9a64-ade04b85bf15";
pub const DEMO_USER_ID: &str = "f811228e-a7d3-40c4-8d40-7ac2088d9e28";
pub const TENANT_ID: &str = "e6bf416f-8c1a-41d6-96ea-9635017d7e3d";
pub const API_KEY: &str = "dev-only-api-key-Kh4tI2W5Ax9a4zWWetKgSDwGmwSZU5F5ZHDPykkk";
/// The Kickstart's least-privilege key for the login proxy (`POST /api/login` only).
pub const BACKEND_API_KEY: &str = "dev-only-backend-key-Zq8vN3cR6tY1wE5uI9oP2aS7dF4gH0jK";
/// The Kickstart's access-token lifetime is 300 s and the backend tolerates 5 s of skew:
/// 301 s past the leeway expires a JWT.
pub const PAST_JWT_LIFETIME: Duration = Duration::from_secs(306);

/// A backend and the emulator it trusts.
pub struct TestApp {
    pub address: String,
    /// The emulator, directly (tests log in here, as the PWA does).
    pub fusionauth_url: String,
    pub client: reqwest::Client,
    pub clock: backend::Clock,
    stack: Stack,
    _db: TestDb,
}

/// What FusionAuth returned at login.
#[derive(Clone, Debug)]
pub struct Session {
    pub jwt: String,
    pub refresh_token: String,
    /// FusionAuth's `refreshTokenId` (what its revoke events name).
    pub refresh_token_id: String,
    pub user_id: String,
}

impl Session {
    /// FusionAuth's refresh token id, which a JWT's `sid` equals when it carries one (the tests
    /// also run with the emulator's `--omit-login-sid`).
    pub fn sid(&self) -> String {
        self.refresh_token_id.clone()
    }

    /// From a Login API answer with tokens.
    pub fn from_login(body: LoginResponse) -> Self {
        Self {
            jwt: body.token.expect("a JWT"),
            refresh_token: body.refresh_token.expect("a refresh token"),
            refresh_token_id: body.refresh_token_id.expect("a refresh token id"),
            user_id: body.user.expect("a user").id,
        }
    }
}

/// Sends a request a test built; not reaching the server fails the test.
pub trait Sent {
    fn sent(self) -> impl Future<Output = Response>;
}

impl Sent for reqwest::RequestBuilder {
    async fn sent(self) -> Response {
        self.send().await.expect("sent")
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// As [`spawn_app`], with settings changed by `configure` before the backend is built.
pub async fn spawn_app_with(configure: impl FnOnce(&mut backend::Settings)) -> TestApp {
    spawn_app_on(TestDb::for_suite().await, configure).await
}

/// As [`spawn_app`], on a fresh PostgreSQL database; `None` (the test is skipped) when
/// `STORE_TEST_POSTGRES_URL` is not set.
pub async fn spawn_app_on_postgres() -> Option<TestApp> {
    spawn_app_on_postgres_with(|_| {}).await
}

/// As [`spawn_app_on_postgres`], with settings changed by `configure`.
pub async fn spawn_app_on_postgres_with(
    configure: impl FnOnce(&mut backend::Settings),
) -> Option<TestApp> {
    match TestDb::postgres().await {
        Some(db) => Some(spawn_app_on(db, configure).await),
        None => {
            eprintln!("skipped: {POSTGRES_URL_VARIABLE} is not set");
            None
        }
    }
}

/// As [`spawn_app_with`], with FusionAuth set up by the project's Kickstart JSON after `edit`
/// changed it (e.g. another signing key).
pub async fn spawn_app_with_kickstart(
    edit: impl FnOnce(&mut Value),
    configure: impl FnOnce(&mut backend::Settings),
) -> TestApp {
    spawn_app_from(TestDb::for_suite().await, edit, configure).await
}

async fn spawn_app_on(db: TestDb, configure: impl FnOnce(&mut backend::Settings)) -> TestApp {
    spawn_app_from(db, |_| {}, configure).await
}

async fn spawn_app_from(
    db: TestDb,
    edit_kickstart: impl FnOnce(&mut Value),
    configure: impl FnOnce(&mut backend::Settings),
) -> TestApp {
    let stack = Stack::builder()
        .kickstart(edit_kickstart)
        .emulator_in_memory()
        .backend_database(db.url())
        .through_relay()
        .configure(configure)
        .start()
        .await
        .expect("the emulator and the backend start");
    TestApp {
        address: stack.app_url.clone(),
        fusionauth_url: stack.fusionauth_url.clone(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client builds"),
        clock: stack.backend_clock(),
        stack,
        _db: db,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Another backend instance on the same database and FusionAuth; its base URL and clock.
    pub async fn another_instance(&self) -> (String, backend::Clock) {
        self.stack
            .another_backend()
            .await
            .expect("second backend builds")
    }

    /// Steps 2–3: the PWA posts the credentials straight to FusionAuth.
    pub async fn login(&self) -> Session {
        self.login_to(APPLICATION_ID).await
    }

    pub async fn login_to(&self, application_id: &str) -> Session {
        let response = self
            .fusionauth_login(DEMO_EMAIL, DEMO_PASSWORD, application_id)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "demo user logs in");
        let body: LoginResponse = response.json().await.expect("login body");
        let session = Session::from_login(body);
        let sid = &crate::forgery::decode_part(&session.jwt, 1)["sid"];
        match sid_omitted() {
            true => assert!(sid.is_null(), "--omit-login-sid leaves sid out: {sid}"),
            false => assert_eq!(sid.as_str(), Some(session.refresh_token_id.as_str())),
        }
        session
    }

    /// `POST /api/login` at FusionAuth, as the PWA sends it.
    async fn fusionauth_login(
        &self,
        login_id: &str,
        password: &str,
        application_id: &str,
    ) -> Response {
        self.client
            .post(format!("{}/api/login", self.fusionauth_url))
            .json(&LoginRequest {
                login_id: login_id.to_owned(),
                password: password.to_owned(),
                application_id: Some(application_id.to_owned()),
                ..LoginRequest::default()
            })
            .sent()
            .await
    }

    /// Moves both the backend's and FusionAuth's clocks forward.
    pub async fn advance_time(&self, by: Duration) {
        self.stack
            .travel(by.as_secs())
            .await
            .expect("both clocks move");
    }

    /// An admin call to the emulator with the Kickstart's API key.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        self.stack
            .administer(method.as_str(), path, body)
            .await
            .expect("the admin call succeeds")
    }

    /// An admin `GET` at the emulator with the Kickstart's API key; the answer.
    pub async fn admin_get(&self, path: &str) -> Value {
        self.admin(reqwest::Method::GET, path, Value::Null).await
    }

    /// FusionAuth's record of `user_id`'s refresh tokens (`refreshTokens` of
    /// `GET /api/jwt/refresh?userId=`), read with the admin key.
    pub async fn refresh_tokens_of(&self, user_id: &str) -> Value {
        let path = format!("/api/jwt/refresh?userId={user_id}");
        self.admin_get(&path).await["refreshTokens"].clone()
    }

    /// `GET path` at the emulator without credentials, as anyone may read it; the JSON answer.
    pub async fn fusionauth_json(&self, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.fusionauth_url))
            .sent()
            .await
            .json()
            .await
            .expect("a JSON body")
    }

    /// "FusionAuth is down": every connection from the backend to it is cut and refused.
    pub fn stop_fusionauth(&self) {
        self.relay().set_up(false);
    }

    /// FusionAuth is reachable again.
    pub fn start_fusionauth(&self) {
        self.relay().set_up(true);
    }

    /// How many `POST /api/jwt/refresh` requests the backend has sent to FusionAuth, counted on
    /// the wire by the relay (request lines in the backend → FusionAuth byte stream).
    pub fn refresh_calls_seen_by_fusionauth(&self) -> usize {
        self.relay().refresh_calls()
    }

    fn relay(&self) -> &Relay {
        self.stack
            .relay()
            .expect("the backend reaches FusionAuth through the relay")
    }

    /// A request to the backend's `path` with `jwt` as a Bearer token.
    pub fn with_jwt(&self, method: reqwest::Method, path: &str, jwt: &str) -> RequestBuilder {
        self.client.request(method, self.url(path)).bearer_auth(jwt)
    }

    /// `GET path` of the backend, without credentials.
    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).sent().await
    }

    /// `GET /api/cart` with the session's JWT and refresh token.
    pub async fn get_cart_as(&self, session: &Session) -> Response {
        self.get_cart(&session.jwt, Some(&session.refresh_token))
            .await
    }

    /// The session's cart call answers 200 with a new JWT: its refresh token still refreshes.
    pub async fn assert_the_refresh_works(&self, session: &Session) {
        let response = self.get_cart_as(session).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(header(&response, shared::headers::NEW_ACCESS_TOKEN).is_some());
    }

    /// `GET /api/cart` with `jwt` alone at the backend instance at `base` (this one's
    /// `address`, or the URL [`Self::another_instance`] gave).
    pub async fn get_cart_at(&self, base: &str, jwt: &str) -> Response {
        self.client
            .get(format!("{base}/api/cart"))
            .bearer_auth(jwt)
            .sent()
            .await
    }

    /// The session's JWT alone answers 401 `refresh_required` (with `WWW-Authenticate`, no new
    /// JWT), and with its refresh token it is refreshed: the client is asked for the refresh
    /// token, and the session lives on.
    pub async fn assert_refresh_required_then_works(&self, session: &Session) {
        let response = self.get_cart(&session.jwt, None).await;
        let (status, code) = (StatusCode::UNAUTHORIZED, ErrorCode::RefreshRequired);
        assert_refused_without_new_jwt(response, status, code).await;
        self.assert_the_refresh_works(session).await;
    }

    pub async fn get_cart(&self, jwt: &str, refresh_token: Option<&str>) -> Response {
        let mut request = self.with_jwt(reqwest::Method::GET, "/api/cart", jwt);
        if let Some(token) = refresh_token {
            request = request.header(shared::headers::REFRESH_TOKEN, token);
        }
        request.sent().await
    }

    /// Steps 7–9 during a cart change: `POST /api/cart/items` with an expired JWT and the
    /// session's refresh token.
    pub async fn add_item_refreshing(
        &self,
        session: &Session,
        product_id: &str,
        quantity: i64,
    ) -> Response {
        self.with_jwt(reqwest::Method::POST, "/api/cart/items", &session.jwt)
            .header(shared::headers::REFRESH_TOKEN, &session.refresh_token)
            .json(&json!({"productId": product_id, "quantity": quantity}))
            .sent()
            .await
    }

    /// Registers a new user to the store through FusionAuth's Registration API and logs them
    /// in, as [`Self::login`] does for the demo user.
    pub async fn register_and_login(&self, email: &str, password: &str) -> LoginResponse {
        let registration = RegistrationRequest {
            user: Some(NewUser {
                email: Some(email.to_owned()),
                password: password.to_owned(),
                ..NewUser::default()
            }),
            registration: NewRegistration {
                application_id: APPLICATION_ID.to_owned(),
                ..NewRegistration::default()
            },
            skip_verification: Some(true),
            ..RegistrationRequest::default()
        };
        let body = serde_json::to_value(&registration).expect("a registration request");
        self.admin(reqwest::Method::POST, "/api/user/registration", body)
            .await;
        let response = self.fusionauth_login(email, password, APPLICATION_ID).await;
        assert_eq!(response.status(), StatusCode::OK, "{email} logs in");
        response.json().await.expect("login body")
    }

    /// The demo user, signed in with `quantity` of `product_id` in the cart, and another user
    /// (`email`, `password`), registered and signed in.
    pub async fn shopper_and_another_user(
        &self,
        (product_id, quantity): (&str, i64),
        (email, password): (&str, &str),
    ) -> (Session, LoginResponse) {
        let shopper = self.login().await;
        self.add_item(&shopper.jwt, product_id, quantity).await;
        (shopper, self.register_and_login(email, password).await)
    }

    /// JWT instants are whole seconds: a login a second after a revocation is a new, accepted
    /// session.
    pub async fn assert_a_later_login_is_accepted(&self) {
        self.advance_time(Duration::from_secs(2)).await;
        let again = self.login().await;
        assert_eq!(
            self.get_cart(&again.jwt, None).await.status(),
            StatusCode::OK
        );
    }

    pub async fn add_item(&self, jwt: &str, product_id: &str, quantity: i64) -> Response {
        self.with_jwt(reqwest::Method::POST, "/api/cart/items", jwt)
            .json(&json!({"productId": product_id, "quantity": quantity}))
            .sent()
            .await
    }

    /// Adds `quantity` of `product_id` to the cart of `jwt`'s owner; the cart the answer shows.
    pub async fn cart_after_adding(&self, jwt: &str, product_id: &str, quantity: i64) -> Cart {
        let response = self.add_item(jwt, product_id, quantity).await;
        response.json().await.expect("cart")
    }

    /// The cart of `jwt`'s owner holds exactly these `(product, quantity)` lines, in order.
    pub async fn assert_cart(&self, jwt: &str, expected: &[(&str, u32)]) {
        let expected: Vec<(String, u32)> = expected
            .iter()
            .map(|(product, quantity)| ((*product).to_owned(), *quantity))
            .collect();
        assert_eq!(quantities(&self.cart_of(jwt).await), expected);
    }

    /// The cart as the owner of `jwt` sees it (the JWT must be fresh).
    pub async fn cart_of(&self, jwt: &str) -> Cart {
        let response = self.get_cart(jwt, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("cart body")
    }
}

/// Whether the emulator leaves `sid` out of its tokens (`FUSIONAUTH_EMULATOR_OMIT_LOGIN_SID`,
/// read by the testkit): every revocation test passes in both modes.
pub fn sid_omitted() -> bool {
    std::env::var("FUSIONAUTH_EMULATOR_OMIT_LOGIN_SID").is_ok_and(|v| v == "true" || v == "1")
}

/// A JWT of a revoked session, sent alone, is refused: `session_expired` when its `sid` names
/// the session, else `refresh_required` (only a live refresh token would let it through).
pub async fn assert_revoked_session_refused(app: &TestApp, jwt: &str) {
    let response = app.get_cart(jwt, None).await;
    assert_eq!(header(&response, shared::headers::NEW_ACCESS_TOKEN), None);
    let expected = if sid_omitted() {
        ErrorCode::RefreshRequired
    } else {
        ErrorCode::SessionExpired
    };
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED).await,
        expected
    );
}

/// The cart call with `jwt` (and `refresh_token`) answers 401 `session_expired` and no new
/// tokens: the session is over.
pub async fn assert_session_expired(app: &TestApp, jwt: &str, refresh_token: Option<&str>) {
    let response = app.get_cart(jwt, refresh_token).await;
    let (status, code) = (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired);
    assert_refused_without_new_jwt(response, status, code).await;
}

/// Asserts a 503 `unavailable` answer with `Retry-After: 5` and no new JWT: "try again soon",
/// the session is not over.
pub async fn assert_unavailable_for_now(response: Response) {
    assert_eq!(header(&response, "retry-after").as_deref(), Some("5"));
    let (status, code) = (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable);
    assert_refused_without_new_jwt(response, status, code).await;
}

/// Asserts an error answer with `status` and `code` that hands out no new JWT.
pub async fn assert_refused_without_new_jwt(
    response: Response,
    status: StatusCode,
    code: ErrorCode,
) {
    assert_eq!(header(&response, shared::headers::NEW_ACCESS_TOKEN), None);
    assert_error(response, status, code).await;
}

/// Asserts a 429 `too_many_requests` answer that says to retry in 1 to `most_seconds` seconds.
pub async fn assert_too_many_requests(response: Response, most_seconds: u64) {
    let retry_after = header(&response, "retry-after").expect("Retry-After");
    assert!(
        retry_after
            .parse::<u64>()
            .is_ok_and(|s| (1..=most_seconds).contains(&s)),
        "{retry_after}"
    );
    let (status, code) = (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests);
    assert_error(response, status, code).await;
}

/// Asserts an error answer with `status` and `code`.
pub async fn assert_error(response: Response, status: StatusCode, code: ErrorCode) {
    assert_eq!(error_code(response, status).await, code);
}

/// Asserts an error answer and returns its code.
pub async fn error_code(response: Response, status: StatusCode) -> ErrorCode {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(&response, "cache-control").as_deref(),
        Some("no-store")
    );
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(
            header(&response, "www-authenticate").as_deref(),
            Some(r#"Bearer error="invalid_token""#)
        );
    }
    let body: ApiError = response.json().await.expect("an ApiError body");
    assert!(!body.message.is_empty());
    body.code
}

pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn quantities(cart: &Cart) -> Vec<(String, u32)> {
    cart.lines
        .iter()
        .map(|line| (line.product.id.clone(), line.quantity.get()))
        .collect()
}

/// Runs `futures` concurrently, each as its own task; outputs in completion order.
pub async fn join_all<T: Send + 'static>(
    futures: Vec<impl std::future::Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let mut set = tokio::task::JoinSet::new();
    for future in futures {
        set.spawn(future);
    }
    let mut outputs = Vec::new();
    while let Some(output) = set.join_next().await {
        outputs.push(output.expect("task completes"));
    }
    outputs
}

/// Set by `cargo xtask test` to a throw-away PostgreSQL cluster.
pub const POSTGRES_URL_VARIABLE: &str = "STORE_TEST_POSTGRES_URL";
/// `postgres` runs the whole suite on PostgreSQL (`cargo xtask test` does, in a second pass);
/// anything else, or nothing, on SQLite.
pub const DATABASE_VARIABLE: &str = "STORE_TEST_DATABASE";

/// The backend's database for one test: a fresh SQLite file (removed at the end) or a fresh
/// PostgreSQL database in the cluster named by [`POSTGRES_URL_VARIABLE`].
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres(String),
}

impl TestDb {
    pub fn sqlite() -> Self {
        Self::Sqlite(std::env::temp_dir().join(format!("backend-test-{}.db", uuid::Uuid::new_v4())))
    }

    /// The database the suite runs on: see [`DATABASE_VARIABLE`].
    pub async fn for_suite() -> Self {
        match std::env::var(DATABASE_VARIABLE).as_deref() {
            Ok("postgres") => Self::postgres().await.unwrap_or_else(|| {
                panic!("{DATABASE_VARIABLE}=postgres needs {POSTGRES_URL_VARIABLE}")
            }),
            _ => Self::sqlite(),
        }
    }

    /// A new, empty database, or `None` when no PostgreSQL cluster is configured.
    pub async fn postgres() -> Option<Self> {
        let server = std::env::var(POSTGRES_URL_VARIABLE).ok()?;
        let url = backend::store::create_scratch_database(&server, "store_test")
            .await
            .expect("a PostgreSQL test database");
        Some(Self::Postgres(url))
    }

    /// Its `APP_DATABASE_URL`.
    pub fn url(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite:{}?mode=rwc", path.display()),
            Self::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        // PostgreSQL test databases live in a throw-away cluster.
        if let Self::Sqlite(path) = self {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(file);
            }
        }
    }
}
