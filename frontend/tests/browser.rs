//! Session logic in a real browser (headless Chromium through `wasm-bindgen-test-runner`):
//! the token store in IndexedDB, recovery from corrupt state, the refresh decision, and
//! single-flight refreshes within a tab and across tabs (Web Locks).
//!
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//!  cargo test -p frontend --target wasm32-unknown-unknown`

#![allow(clippy::unwrap_used)]

use std::cell::Cell;
use std::rc::Rc;

use frontend::api::asks_for_nonce;
use frontend::idb;
use frontend::locks;
use frontend::refresh::{RefreshGate, should_refresh};
use frontend::session::{
    LEGACY_STORAGE_KEY, SESSION_ENDED_NOTICE, SESSION_EXPIRED_NOTICE, SESSION_KEY, StoredSession,
    store,
};
use shared::store::ErrorCode;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::js_sys::Promise;

wasm_bindgen_test_configure!(run_in_browser);

fn session(token: &str) -> StoredSession {
    StoredSession {
        token: token.to_owned(),
        refresh_token: Some("refresh-1".to_owned()),
        refresh_token_id: Some("rid-1".to_owned()),
        display_name: Some("Zoë Tester".to_owned()),
        email: Some("zoe@example.com".to_owned()),
        jkt: None,
    }
}

/// A device-bound session: no refresh token, the device key's thumbprint.
fn bound(token: &str, jkt: &str) -> StoredSession {
    StoredSession {
        refresh_token: None,
        jkt: Some(jkt.to_owned()),
        ..session(token)
    }
}

/// Lets the browser run other tasks for `ms` milliseconds.
async fn pause(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        let _ = web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

fn local_storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// A compact JWT (unsigned: the browser never verifies) whose payload is `payload`.
fn jwt(payload: &str) -> String {
    let encoded = web_sys::window().unwrap().btoa(payload).unwrap();
    let url_safe: String = encoded
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    format!("eyJhbGciOiJub25lIn0.{url_safe}.sig")
}

#[wasm_bindgen_test]
async fn the_token_store_round_trips_through_indexeddb() {
    store::clear().await;
    assert_eq!(store::load().await, None, "empty store reads as signed out");
    let saved = session("a.b.c");
    store::save(&saved).await;
    assert_eq!(store::load().await, Some(saved.clone()));
    let rotated = StoredSession {
        token: "d.e.f".to_owned(),
        ..saved
    };
    store::save(&rotated).await;
    assert_eq!(store::load().await, Some(rotated));
    store::clear().await;
    assert_eq!(store::load().await, None);
}

#[wasm_bindgen_test]
async fn corrupt_stored_state_reads_as_signed_out_and_is_removed() {
    for corrupt in [
        JsValue::from_f64(42.0),
        JsValue::from_str("{not json"),
        JsValue::from_str(r#"{"token":""}"#),
        JsValue::from_str(r#"{"refreshToken":"r"}"#),
        JsValue::from_str("[]"),
        JsValue::TRUE,
    ] {
        idb::put(SESSION_KEY, &corrupt).await.unwrap();
        assert_eq!(store::load().await, None, "{corrupt:?}");
        let left = idb::get(SESSION_KEY).await.unwrap();
        assert!(left.is_undefined(), "corrupt state removed: {left:?}");
    }
}

#[wasm_bindgen_test]
async fn the_old_local_storage_session_moves_to_indexeddb_once() {
    store::clear().await;
    let legacy = session("l.e.g");
    local_storage()
        .set_item(LEGACY_STORAGE_KEY, &legacy.to_json().unwrap())
        .unwrap();
    assert_eq!(store::load().await, Some(legacy.clone()));
    assert_eq!(local_storage().get_item(LEGACY_STORAGE_KEY).unwrap(), None);
    assert_eq!(store::load().await, Some(legacy), "kept in IndexedDB");

    // A corrupt old entry is dropped and does not replace a good session.
    local_storage()
        .set_item(LEGACY_STORAGE_KEY, "{oops")
        .unwrap();
    assert!(store::load().await.is_some());
    assert_eq!(local_storage().get_item(LEGACY_STORAGE_KEY).unwrap(), None);
    store::clear().await;
}

#[wasm_bindgen_test]
fn the_refresh_token_goes_along_only_when_the_jwt_is_expired_or_nearly_so() {
    let now = 1_800_000_000;
    let expiring = |exp: i64| jwt(&format!(r#"{{"sub":"u1","exp":{exp}}}"#));
    assert!(should_refresh(&expiring(now - 10), now), "expired");
    assert!(should_refresh(&expiring(now), now), "expires now");
    assert!(should_refresh(&expiring(now + 30), now), "within 30 s");
    assert!(!should_refresh(&expiring(now + 31), now), "31 s left");
    assert!(!should_refresh(&expiring(now + 3600), now), "fresh");
    assert!(should_refresh("garbage", now), "unreadable token");
    assert!(should_refresh(&jwt(r#"{"sub":"u1"}"#), now), "no exp");
    assert!(should_refresh("a.%%%.c", now), "bad base64");
}

#[wasm_bindgen_test]
async fn refreshes_in_one_tab_run_one_at_a_time() {
    let gate = RefreshGate::new();
    let first = gate.enter(5_000).await;
    assert!(first.holds_cross_tab_lock(), "Web Locks are available");
    assert!(gate.is_busy());

    let second_in = Rc::new(Cell::new(false));
    let flag = second_in.clone();
    let other = gate.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let pass = other.enter(5_000).await;
        flag.set(true);
        drop(pass);
    });
    pause(50).await;
    assert!(!second_in.get(), "the second refresh waits for the first");
    drop(first);
    for _ in 0..50 {
        if second_in.get() {
            break;
        }
        pause(10).await;
    }
    assert!(second_in.get(), "then it goes");
}

#[wasm_bindgen_test]
async fn the_cross_tab_lock_waits_a_bounded_time_then_falls_back() {
    let held = locks::acquire("test-lock", 1_000).await.expect("granted");
    // Another holder (a second tab) times out instead of waiting forever.
    let started = web_sys::js_sys::Date::now();
    assert!(locks::acquire("test-lock", 100).await.is_none());
    assert!(web_sys::js_sys::Date::now() - started < 1_000.0);
    drop(held);
    let again = locks::acquire("test-lock", 1_000).await;
    assert!(again.is_some(), "released on drop");
}

#[wasm_bindgen_test]
fn a_request_is_sent_again_only_when_the_backend_asks_for_a_nonce_and_gives_one() {
    let challenge =
        Some(r#"DPoP error="use_dpop_nonce", error_description="Resend with this nonce""#);
    let other = Some(r#"DPoP error="invalid_dpop_proof", error_description="use_dpop_nonce""#);
    let cases = [
        // (status, WWW-Authenticate, body code, DPoP-Nonce, sent again)
        (401, challenge, ErrorCode::UseDpopNonce, Some("n1"), true),
        (401, challenge, ErrorCode::Unknown, Some("n1"), true),
        (401, None, ErrorCode::UseDpopNonce, Some("n1"), true),
        (401, challenge, ErrorCode::UseDpopNonce, None, false),
        (401, challenge, ErrorCode::UseDpopNonce, Some(""), false),
        (401, other, ErrorCode::InvalidDpopProof, Some("n1"), false),
        (401, None, ErrorCode::SessionExpired, Some("n1"), false),
        (
            401,
            Some(r#"DPoP error="invalid_token""#),
            ErrorCode::Unauthorized,
            Some("n1"),
            false,
        ),
        (400, challenge, ErrorCode::UseDpopNonce, Some("n1"), false),
        (200, None, ErrorCode::Unknown, Some("n1"), false),
    ];
    for (status, www_authenticate, code, nonce, again) in cases {
        assert_eq!(
            asks_for_nonce(status, www_authenticate, code, nonce),
            again,
            "{status} {www_authenticate:?} {code:?} {nonce:?}"
        );
    }
}

#[wasm_bindgen_test]
fn new_tokens_go_only_to_the_sign_in_that_sent_the_request() {
    let new = || (Some("new.jwt.x".to_owned()), Some("refresh-2".to_owned()));
    let other_user = StoredSession {
        refresh_token_id: Some("rid-2".to_owned()),
        refresh_token: Some("refresh-9".to_owned()),
        ..session("other.jwt.x")
    };
    // (this tab's session now, the session that sent the request, the session kept after)
    let off_rotated = StoredSession {
        token: "new.jwt.x".to_owned(),
        refresh_token: Some("refresh-2".to_owned()),
        ..session("a.b.c")
    };
    let cases = [
        (
            session("a.b.c"),
            session("a.b.c"),
            Some(off_rotated.clone()),
        ),
        // another request rotated the JWT meanwhile: the same refresh token id, the same sign-in
        (session("d.e.f"), session("a.b.c"), Some(off_rotated)),
        // another tab signed someone else in meanwhile
        (other_user.clone(), session("a.b.c"), None),
        (session("a.b.c"), other_user, None),
        // device-bound: the same key takes the JWT (and never a refresh token)
        (
            bound("a.b.c", "key-1"),
            bound("a.b.c", "key-1"),
            Some(bound("new.jwt.x", "key-1")),
        ),
        (
            bound("d.e.f", "key-1"),
            bound("a.b.c", "key-1"),
            Some(bound("new.jwt.x", "key-1")),
        ),
        (bound("a.b.c", "key-2"), bound("a.b.c", "key-1"), None),
        (bound("a.b.c", "key-1"), session("a.b.c"), None),
        (session("a.b.c"), bound("a.b.c", "key-1"), None),
    ];
    for (current, sender, kept) in cases {
        let (access, refresh) = new();
        assert_eq!(
            StoredSession::rotated(&current, &sender, access, refresh),
            kept,
            "now {current:?}, sent by {sender:?}"
        );
    }
    // Without refresh token ids, the tokens themselves tell sign-ins apart.
    let bare = |token: &str, refresh: &str| StoredSession {
        refresh_token_id: None,
        refresh_token: Some(refresh.to_owned()),
        ..session(token)
    };
    assert!(bare("a", "r1").same_sign_in(&bare("a", "r2")));
    assert!(bare("a", "r1").same_sign_in(&bare("b", "r1")));
    assert!(!bare("a", "r1").same_sign_in(&bare("b", "r2")));
}

#[wasm_bindgen_test]
async fn a_device_bound_session_is_kept_without_a_refresh_token_and_ends_with_its_own_notice() {
    store::clear().await;
    let saved = bound("a.b.c", "key-1");
    store::save(&saved).await;
    let raw = idb::get(SESSION_KEY).await.unwrap().as_string().unwrap();
    assert!(!raw.contains(r#""refreshToken":"#), "{raw}");
    assert!(raw.contains(r#""jkt":"key-1""#), "{raw}");
    assert_eq!(store::load().await, Some(saved.clone()));
    assert_eq!(saved.ended_notice(), SESSION_ENDED_NOTICE);
    assert_eq!(session("a.b.c").ended_notice(), SESSION_EXPIRED_NOTICE);
    store::clear().await;
}
