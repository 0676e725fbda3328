//! The signed-in session: the tokens FusionAuth issued and who they belong to.
//!
//! Kept in IndexedDB ([`store`]) as JSON so a reload keeps the user signed in; anything
//! unreadable there counts as signed out (and is removed), never as an error. Every change is
//! announced on the [`CHANNEL`] `BroadcastChannel`, so all tabs adopt new tokens and logouts at
//! once (a one-time-use refresh token must never be sent after another tab spent it).

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::wire::fusionauth::{LoginResponse, User};

/// The `localStorage` key that held the session before IndexedDB (migrated once, then deleted).
pub const LEGACY_STORAGE_KEY: &str = "store.session";
/// The IndexedDB key holding the session.
pub const SESSION_KEY: &str = "session";
/// The `BroadcastChannel` that announces new tokens (the session's JSON) and logouts (`null`).
pub const CHANNEL: &str = "store-session";

/// Shown on the login page after the backend said the session is over (workflow steps 12–14).
pub const SESSION_EXPIRED_NOTICE: &str = "Your session has expired. Please sign in again.";
/// Shown on the login page after the backend ended a device-bound session (refused, revoked,
/// or its refresh token used elsewhere).
pub const SESSION_ENDED_NOTICE: &str = "Your session has ended. Please sign in again.";

/// What the app keeps about a signed-in user.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    /// The access token (JWT) sent as `Authorization: Bearer …` (or `DPoP …`).
    pub token: String,
    /// Sent as `X-Refresh-Token` when the JWT is (nearly) expired. Never kept for a device-bound
    /// session: the backend holds it.
    pub refresh_token: Option<String>,
    /// Stable id of the refresh token (it survives rotation).
    pub refresh_token_id: Option<String>,
    /// A name to greet the user with.
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// The RFC 7638 thumbprint of the device key a device-bound session is bound to (`None`:
    /// `off` mode, Bearer + refresh token). The key itself is kept beside it in IndexedDB.
    pub jkt: Option<String>,
}

shared::debug_fields!(StoredSession {
    refresh_token_id,
    email,
    jkt
});

impl StoredSession {
    /// The session a successful (200) login answer describes, or `None` without a JWT.
    pub fn from_login(response: LoginResponse) -> Option<Self> {
        let token = response.token?;
        let (display_name, email) = match &response.user {
            Some(user) => (display_name(user), user.email.clone()),
            None => (None, None),
        };
        Some(Self {
            token,
            refresh_token: response.refresh_token,
            refresh_token_id: response.refresh_token_id,
            display_name,
            email,
            jkt: None,
        })
    }

    /// Reads a stored session; `None` for anything unreadable or without a token.
    pub fn parse(json: &str) -> Option<Self> {
        let json = crate::json::Json::parse(json)?;
        Some(Self {
            token: json.get("token").str().filter(|t| !t.is_empty())?,
            refresh_token: json.get("refreshToken").str(),
            refresh_token_id: json.get("refreshTokenId").str(),
            display_name: json.get("displayName").str(),
            email: json.get("email").str(),
            jkt: json.get("jkt").str(),
        })
    }

    /// The session as JSON (the stored and announced form; [`Self::parse`] reads it back).
    pub fn to_json(&self) -> Option<String> {
        use crate::json::{object, opt, stringify};
        stringify(&object(&[
            ("token", JsValue::from_str(&self.token)),
            ("refreshToken", opt(self.refresh_token.as_deref())),
            ("refreshTokenId", opt(self.refresh_token_id.as_deref())),
            ("displayName", opt(self.display_name.as_deref())),
            ("email", opt(self.email.as_deref())),
            ("jkt", opt(self.jkt.as_deref())),
        ]))
    }

    /// Whether `self` and `other` come from the same sign-in: the same device key when both are
    /// device-bound, else the same refresh token id (it survives rotation), else the same
    /// tokens. A tab that signed someone else in meanwhile is never the same sign-in.
    pub fn same_sign_in(&self, other: &Self) -> bool {
        match (&self.jkt, &other.jkt) {
            (Some(mine), Some(theirs)) => mine == theirs,
            (None, None) => match (&self.refresh_token_id, &other.refresh_token_id) {
                (Some(mine), Some(theirs)) => mine == theirs,
                _ => {
                    self.token == other.token
                        || (self.refresh_token.is_some()
                            && self.refresh_token == other.refresh_token)
                }
            },
            _ => false,
        }
    }

    /// `current` with the tokens the backend returned to a request `sender` made (workflow
    /// step 9), or `None` when `current` is not the sign-in that sent it (issue #12, item 16).
    /// A device-bound session never takes a refresh token.
    pub fn rotated(
        current: &Self,
        sender: &Self,
        access_token: Option<String>,
        refresh_token: Option<String>,
    ) -> Option<Self> {
        if !current.same_sign_in(sender) {
            return None;
        }
        let mut session = current.clone();
        if let Some(token) = access_token.filter(|t| !t.is_empty()) {
            session.token = token;
        }
        if let Some(refresh) = refresh_token.filter(|t| !t.is_empty() && session.jkt.is_none()) {
            session.refresh_token = Some(refresh);
        }
        Some(session)
    }

    /// The sentence the login page shows once this session is over.
    pub fn ended_notice(&self) -> &'static str {
        if self.jkt.is_some() {
            SESSION_ENDED_NOTICE
        } else {
            SESSION_EXPIRED_NOTICE
        }
    }

    /// The name to greet the user with: their display name, else their email.
    pub fn greeting_name(&self) -> Option<&str> {
        self.display_name.as_deref().or(self.email.as_deref())
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The friendliest name FusionAuth gave us for a user.
fn display_name(user: &User) -> Option<String> {
    if let Some(full) = non_empty(&user.full_name) {
        return Some(full.to_owned());
    }
    match (non_empty(&user.first_name), non_empty(&user.last_name)) {
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (Some(name), None) | (None, Some(name)) => Some(name.to_owned()),
        (None, None) => non_empty(&user.username).map(str::to_owned),
    }
}

/// The session, shared through context. Cheap to copy.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    state: RwSignal<Option<StoredSession>>,
    notice: RwSignal<Option<String>>,
    /// False until the stored session has been read.
    ready: RwSignal<bool>,
    channel: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
}

impl Session {
    /// Starts reading the session saved by an earlier visit (see [`Self::is_ready`]) and follows
    /// the other tabs' changes.
    pub fn restore() -> Self {
        let channel = web_sys::BroadcastChannel::new(CHANNEL).ok();
        let session = Self {
            state: RwSignal::new(None),
            notice: RwSignal::new(None),
            ready: RwSignal::new(false),
            channel: StoredValue::new_local(channel.clone()),
        };
        if let Some(channel) = channel {
            let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |event: web_sys::MessageEvent| session.adopt(&event.data()),
            );
            channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // Lives as long as the app.
            on_message.forget();
        }
        leptos::task::spawn_local(async move {
            let stored = store::load().await;
            let _ = session.state.try_set(stored);
            let _ = session.ready.try_set(true);
        });
        session
    }

    /// Another tab announced its tokens (a JSON string) or its logout (`null`).
    fn adopt(&self, data: &JsValue) {
        let announced = data
            .as_string()
            .and_then(|json| StoredSession::parse(&json));
        if announced.is_none() && !data.is_null() {
            return;
        }
        if announced.is_some() {
            self.notice.set(None);
        }
        if self.state.with_untracked(|current| *current != announced) {
            self.state.set(announced);
        }
    }

    /// Tells the other tabs about `session` (`None`: logged out).
    fn announce(&self, session: Option<&StoredSession>) {
        let message = session
            .and_then(StoredSession::to_json)
            .map_or(JsValue::NULL, |json| JsValue::from_str(&json));
        self.channel.with_value(|channel| {
            if let Some(channel) = channel {
                let _ = channel.post_message(&message);
            }
        });
    }

    /// Re-reads the stored session and adopts it when it differs (another tab may have rotated
    /// the tokens). A missing stored session is ignored here: logouts arrive on the channel.
    pub async fn reload(&self) {
        if let Some(stored) = store::load().await
            && self
                .state
                .with_untracked(|current| current.as_ref() != Some(&stored))
        {
            self.state.set(Some(stored));
        }
    }

    /// Whether the stored session has been read (reactive).
    pub fn is_ready(&self) -> bool {
        self.ready.get()
    }

    /// Whether someone is signed in (reactive).
    pub fn is_signed_in(&self) -> bool {
        self.state.with(Option::is_some)
    }

    /// The current session without subscribing to changes.
    pub fn current(&self) -> Option<StoredSession> {
        self.state.get_untracked()
    }

    /// The name to greet the user with (reactive).
    pub fn greeting_name(&self) -> Option<String> {
        self.state.with(|s| {
            s.as_ref()
                .and_then(|s| s.greeting_name().map(str::to_owned))
        })
    }

    /// Starts a session after a successful login; it is saved and announced in the background.
    pub fn start(&self, session: StoredSession) {
        self.notice.set(None);
        self.state.set(Some(session.clone()));
        let this = *self;
        leptos::task::spawn_local(async move {
            store::save(&session).await;
            this.announce(Some(&session));
        });
    }

    /// Replaces the tokens with the ones the backend obtained by refreshing (workflow step 9)
    /// for a request `sender` made, and returns once they are saved and announced. Does nothing
    /// when signed out, or when this tab or the stored session is another sign-in by now (see
    /// [`StoredSession::rotated`]).
    pub async fn rotate(
        &self,
        sender: &StoredSession,
        access_token: Option<String>,
        refresh_token: Option<String>,
    ) {
        let Some(current) = self.current() else {
            return;
        };
        // Another tab may have saved a new sign-in that its announcement has not brought yet.
        if store::load()
            .await
            .is_some_and(|stored| !stored.same_sign_in(sender))
        {
            return;
        }
        let Some(session) = StoredSession::rotated(&current, sender, access_token, refresh_token)
        else {
            return;
        };
        self.state.set(Some(session.clone()));
        store::save(&session).await;
        self.announce(Some(&session));
    }

    /// Signs out: forgets the tokens (and the device key) here, in storage and in the other tabs.
    pub fn end(&self) {
        self.state.set(None);
        self.announce(None);
        leptos::task::spawn_local(async {
            store::clear().await;
            let _ = crate::device::DeviceKey::forget().await;
        });
    }

    /// The backend said the session is over: forget the tokens and the key, and tell the user
    /// why.
    pub fn expire(&self) {
        let notice = self
            .current()
            .map_or(SESSION_EXPIRED_NOTICE, |s| s.ended_notice());
        self.end();
        self.notice.set(Some(notice.to_owned()));
    }

    /// Why the user was signed out, if it was not their choice (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }
}

/// The persisted session in IndexedDB; every failure reads as "signed out".
pub mod store {
    use wasm_bindgen::JsValue;

    use super::{LEGACY_STORAGE_KEY, SESSION_KEY, StoredSession};
    use crate::idb;

    /// The stored session, after a one-time move from `localStorage`. Anything unreadable is
    /// removed and reads as `None`.
    pub async fn load() -> Option<StoredSession> {
        migrate_from_local_storage().await;
        let raw = idb::get(SESSION_KEY).await.ok()?;
        if raw.is_undefined() || raw.is_null() {
            return None;
        }
        let session = raw.as_string().and_then(|json| StoredSession::parse(&json));
        if session.is_none() {
            let _ = idb::delete(SESSION_KEY).await;
        }
        session
    }

    /// Saves the session; failures are ignored (the session then lasts until the tab closes).
    pub async fn save(session: &StoredSession) {
        if let Some(json) = session.to_json() {
            let _ = idb::put(SESSION_KEY, &JsValue::from_str(&json)).await;
        }
    }

    /// Forgets the stored session.
    pub async fn clear() {
        let _ = idb::delete(SESSION_KEY).await;
    }

    /// Round 1 kept the session in `localStorage`: move a readable one over (unless IndexedDB
    /// already has one), then delete the old entry either way.
    async fn migrate_from_local_storage() {
        let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
            return;
        };
        let Ok(Some(raw)) = storage.get_item(LEGACY_STORAGE_KEY) else {
            return;
        };
        if let Some(session) = StoredSession::parse(&raw) {
            let empty = idb::get(SESSION_KEY)
                .await
                .is_ok_and(|v| v.is_undefined() || v.is_null());
            if empty {
                save(&session).await;
            }
        }
        let _ = storage.remove_item(LEGACY_STORAGE_KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn corrupt_or_empty_storage_reads_as_signed_out() {
        for raw in [
            "",
            "null",
            "{",
            "[]",
            r#"{"token":""}"#,
            r#"{"refreshToken":"r"}"#,
        ] {
            assert!(StoredSession::parse(raw).is_none(), "{raw:?}");
        }
        let session = StoredSession::parse(r#"{"token":"a.b.c"}"#).expect("minimal session");
        assert_eq!(session.refresh_token, None);
    }

    #[test]
    fn login_answer_becomes_a_session_with_a_friendly_name() {
        let response: LoginResponse = crate::json::from_str(
            r#"{"token":"a.b.c","refreshToken":"rt","refreshTokenId":"rid",
                "user":{"id":"u1","email":"ana@example.com","firstName":"Ana","lastName":"Lima"}}"#,
        )
        .expect("parses");
        let session = StoredSession::from_login(response).expect("has a token");
        assert_eq!(session.refresh_token.as_deref(), Some("rt"));
        assert_eq!(session.greeting_name(), Some("Ana Lima"));
        let json = session.to_json().expect("serializes");
        assert_eq!(StoredSession::parse(&json), Some(session.clone()));
        assert!(!format!("{session:?}").contains("rt\""));
        assert!(StoredSession::from_login(LoginResponse::default()).is_none());
    }
}
