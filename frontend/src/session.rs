//! The signed-in session: the tokens FusionAuth issued and who they belong to.
//!
//! Kept in `localStorage` under [`STORAGE_KEY`] as JSON so a reload keeps the user signed in.
//! Anything unreadable there counts as signed out (and is removed), never as an error.

use std::fmt;

use crate::fusionauth::{LoginAnswer, LoginUser};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The `localStorage` key holding the session.
pub const STORAGE_KEY: &str = "store.session";

/// Shown on the login page after the backend said the session is over (workflow steps 12–14).
pub const SESSION_EXPIRED_NOTICE: &str = "Your session has expired. Please sign in again.";

/// What the app keeps about a signed-in user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSession {
    /// The access token (JWT) sent as `Authorization: Bearer …`.
    pub token: String,
    /// Sent as `X-Refresh-Token` when the JWT is (nearly) expired.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Stable id of the refresh token (it survives rotation).
    #[serde(default)]
    pub refresh_token_id: Option<String>,
    /// A name to greet the user with.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("refresh_token_id", &self.refresh_token_id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl StoredSession {
    /// The session a successful (200) login answer describes, or `None` without a JWT.
    pub fn from_login(response: LoginAnswer) -> Option<Self> {
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
        })
    }

    /// Reads a stored session; `None` for anything unreadable or without a token.
    pub fn parse(json: &str) -> Option<Self> {
        serde_json::from_str::<Self>(json)
            .ok()
            .filter(|session| !session.token.is_empty())
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
fn display_name(user: &LoginUser) -> Option<String> {
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
    /// Whether `localStorage` holds the current session, so it can be trusted as the newer copy.
    persisted: StoredValue<bool>,
}

impl Session {
    /// The session saved by an earlier visit, if any.
    pub fn restore() -> Self {
        let stored = storage::read().flatten();
        Self {
            persisted: StoredValue::new(stored.is_some()),
            state: RwSignal::new(stored),
            notice: RwSignal::new(None),
        }
    }

    /// Adopts what another tab stored: its rotated tokens, or its logout. A one-time-use refresh
    /// token must never be sent after another tab has spent it.
    pub fn sync_from_storage(&self) {
        if !self.persisted.get_value() {
            return;
        }
        if let Some(stored) = storage::read()
            && self.state.with_untracked(|current| *current != stored)
        {
            self.persisted.set_value(stored.is_some());
            self.state.set(stored);
        }
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

    /// Starts a session after a successful login.
    pub fn start(&self, session: StoredSession) {
        self.persisted.set_value(storage::save(&session));
        self.notice.set(None);
        self.state.set(Some(session));
    }

    /// Replaces the tokens with the ones the backend obtained by refreshing (workflow step 9).
    /// Does nothing when signed out.
    pub fn rotate(&self, access_token: Option<String>, refresh_token: Option<String>) {
        let Some(mut session) = self.current() else {
            return;
        };
        if let Some(token) = access_token.filter(|t| !t.is_empty()) {
            session.token = token;
        }
        if let Some(refresh) = refresh_token.filter(|t| !t.is_empty()) {
            session.refresh_token = Some(refresh);
        }
        self.persisted.set_value(storage::save(&session));
        self.state.set(Some(session));
    }

    /// Signs out: forgets the tokens.
    pub fn end(&self) {
        storage::clear();
        self.persisted.set_value(false);
        self.state.set(None);
    }

    /// The backend said the session is over: forget the tokens and tell the user why.
    pub fn expire(&self) {
        self.end();
        self.notice.set(Some(SESSION_EXPIRED_NOTICE.to_owned()));
    }

    /// Why the user was signed out, if it was not their choice (reactive).
    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }
}

/// `localStorage` access; every failure (no storage, quota, private mode) is silent.
mod storage {
    use super::{STORAGE_KEY, StoredSession};

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// `None` when storage cannot be read at all; `Some(None)` when it holds no usable session
    /// (anything unreadable is removed).
    pub fn read() -> Option<Option<StoredSession>> {
        let storage = local_storage()?;
        let Some(raw) = storage.get_item(STORAGE_KEY).ok()? else {
            return Some(None);
        };
        let session = StoredSession::parse(&raw);
        if session.is_none() {
            let _ = storage.remove_item(STORAGE_KEY);
        }
        Some(session)
    }

    /// True when the session was written.
    pub fn save(session: &StoredSession) -> bool {
        let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(session)) else {
            return false;
        };
        storage.set_item(STORAGE_KEY, &json).is_ok()
    }

    pub fn clear() {
        if let Some(storage) = local_storage() {
            let _ = storage.remove_item(STORAGE_KEY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let response: LoginAnswer = serde_json::from_str(
            r#"{"token":"a.b.c","refreshToken":"rt","refreshTokenId":"rid",
                "user":{"id":"u1","email":"ana@example.com","firstName":"Ana","lastName":"Lima"}}"#,
        )
        .expect("parses");
        let session = StoredSession::from_login(response).expect("has a token");
        assert_eq!(session.refresh_token.as_deref(), Some("rt"));
        assert_eq!(session.greeting_name(), Some("Ana Lima"));
        let json = serde_json::to_string(&session).expect("serializes");
        assert_eq!(StoredSession::parse(&json), Some(session.clone()));
        assert!(!format!("{session:?}").contains("rt\""));
        assert!(StoredSession::from_login(LoginAnswer::default()).is_none());
    }
}
