//! The device key in a real browser (headless Chromium through `wasm-bindgen-test-runner`):
//! WebCrypto makes it, IndexedDB keeps it, and its proofs are checked here independently of the
//! code that made them (decoded by hand, the signature verified by `crypto.subtle.verify` with
//! the key imported from the proof's own `jwk`).
//!
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//!  cargo test -p frontend --target wasm32-unknown-unknown --test device`

#![allow(clippy::unwrap_used)]

use frontend::device::{DEVICE_KEY, DeviceKey, ProofFor, PublicJwk, base64url, token_hash};
use frontend::idb;
use frontend::json::{Json, object};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::js_sys::{Array, Date, Object, Uint8Array};
use web_sys::{CryptoKey, SubtleCrypto};

wasm_bindgen_test_configure!(run_in_browser);

const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl";

fn subtle() -> SubtleCrypto {
    web_sys::window().unwrap().crypto().unwrap().subtle()
}

/// base64url → bytes, through the browser's `atob` (not the code under test).
fn decode(part: &str) -> Vec<u8> {
    let mut standard: String = part
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    let binary = web_sys::window().unwrap().atob(&standard).unwrap();
    binary
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn decode_json(part: &str) -> Json {
    Json::parse(&String::from_utf8(decode(part)).unwrap()).unwrap()
}

fn member_names(json: &Json) -> Vec<String> {
    let mut names: Vec<String> = json
        .entries()
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    names.sort();
    names
}

/// The SHA-256 of `text`, base64url, by WebCrypto and `btoa`: independent of `token_hash`.
async fn independent_sha256(text: &str) -> String {
    let digest = JsFuture::from(
        subtle()
            .digest_with_str_and_u8_array("SHA-256", text.as_bytes())
            .unwrap(),
    )
    .await
    .unwrap();
    let binary: String = Uint8Array::new(&digest)
        .to_vec()
        .into_iter()
        .map(char::from)
        .collect();
    web_sys::window()
        .unwrap()
        .btoa(&binary)
        .unwrap()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

/// WebCrypto's ECDSA parameters with one more member: `namedCurve` to import a key, `hash` to
/// verify a signature.
fn ecdsa(member: &str, value: &str) -> Object {
    object(&[
        ("name", JsValue::from_str("ECDSA")),
        (member, JsValue::from_str(value)),
    ])
    .unchecked_into()
}

/// Verifies `proof`'s signature with the key in its own header, as the backend does.
async fn signature_verifies(proof: &str) -> bool {
    let (signed, signature) = proof.rsplit_once('.').unwrap();
    let header_text = String::from_utf8(decode(signed.split('.').next().unwrap())).unwrap();
    let header = web_sys::js_sys::JSON::parse(&header_text).unwrap();
    let jwk: Object = web_sys::js_sys::Reflect::get(&header, &JsValue::from_str("jwk"))
        .unwrap()
        .unchecked_into();
    let algorithm = ecdsa("namedCurve", "P-256");
    let key: CryptoKey = JsFuture::from(
        subtle()
            .import_key_with_object("jwk", &jwk, &algorithm, true, &Array::of1(&"verify".into()))
            .unwrap(),
    )
    .await
    .unwrap()
    .unchecked_into();
    let hash = ecdsa("hash", "SHA-256");
    JsFuture::from(
        subtle()
            .verify_with_object_and_u8_array_and_u8_array(
                &hash,
                &key,
                &decode(signature),
                signed.as_bytes(),
            )
            .unwrap(),
    )
    .await
    .unwrap()
    .as_bool()
    .unwrap()
}

#[wasm_bindgen_test]
async fn a_proof_verifies_with_its_own_key_and_says_which_request_it_is_for() {
    let key = DeviceKey::create().await.unwrap();
    let before = (Date::now() / 1000.0).floor() as i64;
    let proof = key
        .proof(&ProofFor {
            method: "GET",
            url: "http://127.0.0.1:8080/api/cart?page=2#top",
            access_token: TOKEN,
            nonce: None,
        })
        .await
        .unwrap();
    let after = (Date::now() / 1000.0).floor() as i64;
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert!(!proof.contains('='), "unpadded base64url");

    let header = decode_json(parts[0]);
    assert_eq!(member_names(&header), ["alg", "jwk", "typ"]);
    assert_eq!(header.get("typ").str().as_deref(), Some("dpop+jwt"));
    assert_eq!(header.get("alg").str().as_deref(), Some("ES256"));
    let jwk = header.get("jwk");
    assert_eq!(
        member_names(&jwk),
        ["crv", "kty", "x", "y"],
        "public members only"
    );
    assert_eq!(jwk.get("kty").str().as_deref(), Some("EC"));
    assert_eq!(jwk.get("crv").str().as_deref(), Some("P-256"));
    for coordinate in ["x", "y"] {
        assert_eq!(
            decode(&jwk.get(coordinate).str().unwrap()).len(),
            32,
            "{coordinate}"
        );
    }
    assert_eq!(jwk.get("x").str().as_ref(), Some(&key.public_jwk().x));

    let claims = decode_json(parts[1]);
    assert_eq!(
        member_names(&claims),
        ["ath", "htm", "htu", "iat", "jti"],
        "no nonce"
    );
    assert_eq!(claims.get("htm").str().as_deref(), Some("GET"));
    assert_eq!(
        claims.get("htu").str().as_deref(),
        Some("http://127.0.0.1:8080/api/cart")
    );
    let iat = claims.get("iat").int().unwrap();
    assert!(
        (before..=after).contains(&iat),
        "{before} ≤ {iat} ≤ {after}"
    );
    assert_eq!(
        claims.get("ath").str(),
        Some(independent_sha256(TOKEN).await)
    );
    let jti = claims.get("jti").str().unwrap();
    assert_eq!(decode(&jti).len(), 16, "128 random bits");

    assert_eq!(decode(parts[2]).len(), 64, "raw r ‖ s");
    assert!(signature_verifies(&proof).await);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        base64url(br#"{"htm":"POST"}"#),
        parts[2]
    );
    assert!(!signature_verifies(&tampered).await);
}

#[wasm_bindgen_test]
async fn every_proof_has_its_own_jti_and_carries_the_backends_nonce_when_there_is_one() {
    let key = DeviceKey::create().await.unwrap();
    let request = ProofFor {
        method: "POST",
        url: "https://shop.example/api/session",
        access_token: TOKEN,
        nonce: Some("AAAAAGlAZJo3nW0fQ2q8Tfs1wZWa9r0x"),
    };
    let claims = async || {
        let proof = key.proof(&request).await.unwrap();
        decode_json(proof.split('.').nth(1).unwrap())
    };
    let (first, second) = (claims().await, claims().await);
    assert_eq!(first.get("nonce").str().as_deref(), request.nonce);
    assert_eq!(first.get("htm").str().as_deref(), Some("POST"));
    assert_ne!(first.get("jti").str(), second.get("jti").str());
}

#[wasm_bindgen_test]
async fn the_private_key_stays_unextractable_after_a_round_trip_through_indexeddb() {
    let key = DeviceKey::create().await.unwrap();
    key.save().await.unwrap();
    let loaded = DeviceKey::load().await.unwrap().expect("a kept key");
    assert_eq!(loaded.thumbprint(), key.thumbprint());
    assert_eq!(loaded.public_jwk(), key.public_jwk());

    let private = loaded.pair().get_private_key();
    assert!(!private.extractable());
    for format in ["jwk", "pkcs8"] {
        let export = subtle().export_key(format, &private).unwrap();
        assert!(
            JsFuture::from(export).await.is_err(),
            "{format} export refused"
        );
    }
    let stored = idb::get(DEVICE_KEY).await.unwrap();
    let stored_private: CryptoKey =
        web_sys::js_sys::Reflect::get(&stored, &JsValue::from_str("privateKey"))
            .unwrap()
            .dyn_into()
            .expect("IndexedDB holds the CryptoKey itself");
    assert!(!stored_private.extractable());

    let proof = loaded
        .proof(&ProofFor {
            method: "DELETE",
            url: "http://127.0.0.1:8080/api/session",
            access_token: TOKEN,
            nonce: None,
        })
        .await
        .unwrap();
    assert!(signature_verifies(&proof).await, "the kept key still signs");
    DeviceKey::forget().await.unwrap();
    assert!(DeviceKey::load().await.unwrap().is_none());
}

#[wasm_bindgen_test]
async fn what_is_kept_but_is_not_a_device_key_reads_as_none_and_is_deleted() {
    let extractable: JsValue = JsFuture::from(
        subtle()
            .generate_key_with_object(
                &object(&[
                    ("name", JsValue::from_str("ECDSA")),
                    ("namedCurve", JsValue::from_str("P-256")),
                ])
                .unchecked_into(),
                true,
                &Array::of2(&"sign".into(), &"verify".into()),
            )
            .unwrap(),
    )
    .await
    .unwrap();
    for (case, value) in [
        ("a string", JsValue::from_str("key")),
        ("null", JsValue::NULL),
        ("an empty object", Object::new().into()),
        ("an extractable key pair", extractable),
    ] {
        idb::put(DEVICE_KEY, &value).await.unwrap();
        assert!(DeviceKey::load().await.unwrap().is_none(), "{case}");
        assert!(
            idb::get(DEVICE_KEY).await.unwrap().is_undefined(),
            "{case} deleted"
        );
    }
}

#[wasm_bindgen_test]
async fn the_thumbprint_is_rfc_7638s_and_every_key_has_its_own() {
    // RFC 9449's example key (§4.1) and its thumbprint (§6.1).
    let jwk = PublicJwk {
        x: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs".into(),
        y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA".into(),
    };
    assert_eq!(
        jwk.thumbprint().await.unwrap(),
        "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
    );
    assert_eq!(
        token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
            .await
            .unwrap(),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo",
        "RFC 9449 §7.1's ath"
    );
    let first = DeviceKey::create().await.unwrap();
    let second = DeviceKey::create().await.unwrap();
    assert_ne!(first.thumbprint(), second.thumbprint());
    assert_eq!(
        first.thumbprint(),
        first.public_jwk().thumbprint().await.unwrap()
    );
}

/// Prints a proof for the backend's test vector (`backend/src/device/proof/tests.rs`), made
/// exactly as the app makes them; run with `--nocapture` to see it.
#[wasm_bindgen_test]
async fn a_proof_for_the_backends_test_vector() {
    let key = DeviceKey::create().await.unwrap();
    let proof = key
        .proof(&ProofFor {
            method: "POST",
            url: "http://127.0.0.1:8080/api/session",
            access_token: TOKEN,
            nonce: None,
        })
        .await
        .unwrap();
    assert!(signature_verifies(&proof).await);
    console_log!("PWA proof, thumbprint {}: {proof}", key.thumbprint());
}
