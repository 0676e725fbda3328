//! Proof verification: every check with a proof made the way the PWA makes them (an aws-lc-rs
//! P-256 key standing in for WebCrypto's), RFC 9449's own examples, and a proof made by the
//! PWA's code in Chromium. (Over 500 lines: the table of bad proofs is one per check.)

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _,
};
use serde_json::{Value, json};

use super::*;
use crate::device::key::{SESSION_KEY_LENGTH, SessionKey};

const ORIGIN: &str = "https://shop.example";
const TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2ln";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A device key, as the PWA holds one.
struct Device {
    pair: EcdsaKeyPair,
}

impl Device {
    fn new() -> Self {
        Self {
            pair: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("a key"),
        }
    }

    /// The public JWK, as `crypto.subtle.exportKey("jwk", publicKey)` gives it.
    fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({"kty": "EC", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..65]),
               "ext": true, "key_ops": ["verify"]})
    }

    fn jkt(&self) -> String {
        DeviceJwk::from_members(serde_json::from_value(self.jwk()).expect("members"))
            .expect("a P-256 key")
            .thumbprint()
    }

    fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk()})
    }

    /// `header.claims.signature`, the signature by this key (raw r‖s).
    fn sign(&self, header: &Value, claims: &Value) -> String {
        let signed = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature = self
            .pair
            .sign(&SystemRandom::new(), signed.as_bytes())
            .expect("signs");
        format!("{signed}.{}", b64(signature))
    }

    fn proof(&self, claims: &Value) -> String {
        self.sign(&self.header(), claims)
    }
}

fn claims(method: &str, path: &str, iat: i64) -> Value {
    json!({
        "jti": b64(uuid::Uuid::new_v4().as_bytes()),
        "htm": method,
        "htu": format!("{ORIGIN}{path}"),
        "iat": iat,
        "ath": token_hash(TOKEN),
    })
}

fn with(mut value: Value, key: &str, member: Value) -> Value {
    value[key] = member;
    value
}

fn without(mut value: Value, key: &str) -> Value {
    value.as_object_mut().expect("an object").remove(key);
    value
}

fn session_key(byte: u8) -> SessionKey {
    SessionKey::from_bytes([byte; SESSION_KEY_LENGTH])
}

/// A verifier for `origin` remembering proofs in `replays`, its nonces made with session key 1.
fn verifier_with(origin: &str, replays: ReplayCache, clock: &Clock) -> ProofVerifier {
    ProofVerifier::new(
        origin.parse().expect("an origin"),
        Nonces::new(
            &session_key(1),
            None,
            Duration::from_secs(300),
            clock.clone(),
        ),
        replays,
        clock.clone(),
    )
}

fn verifier_on(origin: &str, clock: &Clock) -> ProofVerifier {
    verifier_with(origin, ReplayCache::default(), clock)
}

fn verifier(clock: &Clock) -> ProofVerifier {
    verifier_on(ORIGIN, clock)
}

/// The error of a refused proof and the verdict it carries; `what` names the refusal expected.
fn refusal(result: Result<VerifiedProof, ProofError>, what: &str) -> (ProofError, ProofVerdict) {
    let error = result.expect_err(what);
    (error, error.verdict())
}

/// A clock, a verifier for [`ORIGIN`] on it, and a device.
fn fixture() -> (Clock, ProofVerifier, Device) {
    let clock = Clock::default();
    let verifier = verifier(&clock);
    (clock, verifier, Device::new())
}

/// The request `method path` made with `access_token`, which a proof must be for.
const fn request<'a>(method: &'a str, path: &'a str, access_token: &'a str) -> ProofRequest<'a> {
    ProofRequest {
        method,
        path,
        access_token,
    }
}

const GET_CART: ProofRequest<'static> = request("GET", "/api/cart", TOKEN);

#[test]
fn a_fresh_proof_of_the_device_key_verifies_and_names_the_key() {
    let (clock, verifier, device) = fixture();
    let now = clock.now_seconds();
    let verified = verifier
        .verify(&device.proof(&claims("GET", "/api/cart", now)), &GET_CART)
        .expect("a valid proof");
    assert_eq!(
        verified,
        VerifiedProof {
            jkt: device.jkt(),
            issued_at: now,
            by_nonce: false
        }
    );
    assert_eq!(verified.jkt.len(), 43, "base64url of 32 bytes");
}

#[test]
fn every_spelling_of_the_request_url_is_accepted_and_no_other_url() {
    let (clock, verifier, device) = fixture();
    let now = clock.now_seconds();
    let request = request("PATCH", "/api/cart/items/pour%2dover", TOKEN);
    for htu in [
        "https://shop.example/api/cart/items/pour-over",
        "HTTPS://SHOP.example:443/api/cart/items/pour%2Dover",
        "https://shop.example/api/cart/items/pour-over?quantity=2#x",
    ] {
        let proof = device.proof(&with(claims("PATCH", "", now), "htu", json!(htu)));
        assert!(verifier.verify(&proof, &request).is_ok(), "{htu}");
    }
    for htu in [
        "http://shop.example/api/cart/items/pour-over",
        "https://shop.example:8443/api/cart/items/pour-over",
        "https://evil.example/api/cart/items/pour-over",
        "https://shop.example.evil.example/api/cart/items/pour-over",
        "https://shop.example/api/cart/items/POUR-OVER",
        "https://shop.example/api/cart/items/pour-over/",
        "https://shop.example/api/cart",
        "/api/cart/items/pour-over",
        "https://user@shop.example/api/cart/items/pour-over",
    ] {
        let proof = device.proof(&with(claims("PATCH", "", now), "htu", json!(htu)));
        assert_eq!(
            verifier.verify(&proof, &request),
            Err(ProofError::WrongUri),
            "{htu}"
        );
    }
}

/// Each group: the check, and the proofs it must catch (what is wrong with each, the proof).
#[test]
fn bad_proofs_are_refused_by_the_check_they_fail() {
    let (clock, verifier, device) = fixture();
    let thief = Device::new();
    let now = clock.now_seconds();
    let good = || claims("GET", "/api/cart", now);
    let header = device.header();
    let signed_by_thief = {
        let proof = thief.sign(&header, &good());
        let (signed, _) = proof.rsplit_once('.').expect("three parts");
        let (_, signature) = device
            .proof(&good())
            .rsplit_once('.')
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .expect("three parts");
        // The thief's header and claims with a signature of other content by the device.
        format!("{signed}.{signature}")
    };
    let flipped_signature = {
        let proof = device.proof(&good());
        let (signed, signature) = proof.rsplit_once('.').expect("three parts");
        let mut bytes = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
        bytes[10] ^= 1;
        format!("{signed}.{}", b64(bytes))
    };
    let der_signature = {
        let der_key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("a key");
        let point = der_key.public_key().as_ref();
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "EC", "crv": "P-256",
            "x": b64(&point[1..33]), "y": b64(&point[33..65])}});
        let signed = format!("{}.{}", b64(header.to_string()), b64(good().to_string()));
        let signature = der_key
            .sign(&SystemRandom::new(), signed.as_bytes())
            .expect("signs");
        format!("{signed}.{}", b64(signature))
    };
    let unsigned = |header: Value, signature: &[u8]| {
        format!(
            "{}.{}.{}",
            b64(header.to_string()),
            b64(good().to_string()),
            b64(signature)
        )
    };
    let hmac_signed = {
        let header = with(device.header(), "alg", json!("HS256"));
        let signed = format!("{}.{}", b64(header.to_string()), b64(good().to_string()));
        let key = aws_lc_rs::hmac::Key::new(
            aws_lc_rs::hmac::HMAC_SHA256,
            device.jwk()["x"].as_str().expect("x").as_bytes(),
        );
        let tag = aws_lc_rs::hmac::sign(&key, signed.as_bytes());
        format!("{signed}.{}", b64(tag))
    };
    let raw = |header: &str, claims: &str| {
        // Signed, so that only the unreadable part is wrong.
        let signed = format!("{}.{}", b64(header), b64(claims));
        let signature = device
            .pair
            .sign(&SystemRandom::new(), signed.as_bytes())
            .expect("signs");
        format!("{signed}.{}", b64(signature))
    };
    let jwk_text = device.jwk().to_string();
    let claims_text = good().to_string();

    // Signed by the device, with one header member set or removed.
    let header_with =
        |key: &str, member: Value| device.sign(&with(device.header(), key, member), &good());
    let header_without = |key: &str| device.sign(&without(device.header(), key), &good());
    // Signed by the device, with one claim set or removed.
    let claim = |key: &str, member: Value| device.proof(&with(good(), key, member));
    let no_claim = |key: &str| device.proof(&without(good(), key));

    let cases: Vec<(ProofError, Vec<(&str, String)>)> = vec![
        (
            ProofError::NotCompactJws,
            vec![
                ("empty", String::new()),
                ("two parts", "a.b".into()),
                ("four parts", format!("{}.x", device.proof(&good()))),
                (
                    "a padded part",
                    device.proof(&good()).replacen('.', "=.", 1),
                ),
                ("not base64url", "%%%.%%%.%%%".into()),
            ],
        ),
        (
            ProofError::TooLong,
            vec![("too long", "a".repeat(MAX_PROOF_LENGTH + 1))],
        ),
        (
            ProofError::MalformedHeader,
            vec![
                ("a header that is not JSON", raw("{typ", &claims_text)),
                ("a header that is an array", raw("[1]", &claims_text)),
                (
                    "alg twice (ES256, then none)",
                    raw(
                        &format!(
                            r#"{{"typ":"dpop+jwt","alg":"ES256","alg":"none","jwk":{jwk_text}}}"#
                        ),
                        &claims_text,
                    ),
                ),
                ("a jwk that is a string", header_with("jwk", json!("EC"))),
            ],
        ),
        (
            ProofError::WrongType,
            vec![
                ("typ JWT", header_with("typ", json!("JWT"))),
                ("typ upper case", header_with("typ", json!("DPOP+JWT"))),
                ("no typ", header_without("typ")),
            ],
        ),
        (
            ProofError::UnsupportedAlgorithm,
            vec![
                (
                    "alg none",
                    unsigned(with(device.header(), "alg", json!("none")), b""),
                ),
                ("alg HS256 keyed with the jwk", hmac_signed),
                ("alg ES384", header_with("alg", json!("ES384"))),
                ("alg RS256", header_with("alg", json!("RS256"))),
                ("no alg", header_without("alg")),
            ],
        ),
        (
            ProofError::CriticalHeader,
            vec![("crit", header_with("crit", json!(["exp"])))],
        ),
        (
            ProofError::InvalidKey,
            vec![
                ("no jwk", header_without("jwk")),
                (
                    "a P-384 jwk",
                    header_with("jwk", with(device.jwk(), "crv", json!("P-384"))),
                ),
            ],
        ),
        (
            ProofError::PrivateKey,
            vec![(
                "a jwk with its private part",
                header_with("jwk", with(device.jwk(), "d", json!(b64([1; 32])))),
            )],
        ),
        (
            ProofError::BadSignature,
            vec![
                (
                    "a point off the curve",
                    header_with(
                        "jwk",
                        json!({"kty": "EC", "crv": "P-256", "x": b64([7; 32]), "y": b64([9; 32])}),
                    ),
                ),
                (
                    "the thief's key in the header",
                    thief.sign(&thief.header(), &good()).replacen(
                        &b64(thief.header().to_string()),
                        &b64(header.to_string()),
                        1,
                    ),
                ),
                ("another signature", signed_by_thief),
                ("a flipped signature bit", flipped_signature),
                ("a DER signature", der_signature),
                ("an empty signature", unsigned(device.header(), b"")),
            ],
        ),
        (
            ProofError::MalformedClaims,
            vec![
                (
                    "claims that are not JSON",
                    raw(&device.header().to_string(), "{jti"),
                ),
                (
                    "claims that are an array",
                    raw(&device.header().to_string(), r#"["j","GET"]"#),
                ),
                ("no jti", no_claim("jti")),
                ("no htm", no_claim("htm")),
                ("no htu", no_claim("htu")),
                ("no iat", no_claim("iat")),
                ("iat with a fraction", claim("iat", json!(now as f64 + 0.5))),
                ("iat as text", claim("iat", json!(now.to_string()))),
                ("a numeric nonce", claim("nonce", json!(5))),
                (
                    "jti twice",
                    raw(
                        &device.header().to_string(),
                        &claims_text.replacen('{', r#"{"jti":"a","#, 1),
                    ),
                ),
            ],
        ),
        (
            ProofError::InvalidJti,
            vec![
                ("an empty jti", claim("jti", json!(""))),
                ("a 65-byte jti", claim("jti", json!("j".repeat(65)))),
            ],
        ),
        (
            ProofError::WrongMethod,
            vec![
                ("htm POST for a GET", claim("htm", json!("POST"))),
                ("htm in lower case", claim("htm", json!("get"))),
            ],
        ),
        (
            ProofError::WrongUri,
            vec![(
                "htu of another path",
                device.proof(&claims("GET", "/api/products", now)),
            )],
        ),
        (
            ProofError::WrongAccessTokenHash,
            vec![
                ("no ath", no_claim("ath")),
                (
                    "ath of another token",
                    claim("ath", json!(token_hash("another"))),
                ),
                (
                    "ath of the token, padded",
                    claim("ath", json!(format!("{}=", token_hash(TOKEN)))),
                ),
            ],
        ),
        (
            ProofError::StaleIssuedAt,
            vec![
                (
                    "iat 61 s ago, no nonce",
                    device.proof(&claims("GET", "/api/cart", now - 61)),
                ),
                (
                    "iat 61 s ahead, no nonce",
                    device.proof(&claims("GET", "/api/cart", now + 61)),
                ),
            ],
        ),
        (
            ProofError::BadNonce,
            vec![
                (
                    "a nonce that is not ours",
                    claim("nonce", json!(b64([0; 24]))),
                ),
                ("a garbage nonce", claim("nonce", json!("nonce"))),
            ],
        ),
    ];
    for (error, proofs) in cases {
        for (case, proof) in proofs {
            assert_eq!(verifier.verify(&proof, &GET_CART), Err(error), "{case}");
        }
    }
}

#[test]
fn a_device_whose_clock_is_ten_minutes_off_is_asked_for_a_nonce_and_then_accepted() {
    let (clock, verifier, device) = fixture();
    for skew in [-600, 600] {
        let device_now = clock.now_seconds() + skew;
        let proof = device.proof(&claims("GET", "/api/cart", device_now));
        assert_eq!(
            refusal(
                verifier.verify(&proof, &GET_CART),
                "no nonce, iat 10 minutes off"
            ),
            (ProofError::StaleIssuedAt, ProofVerdict::UseNonce)
        );

        let nonce = verifier.fresh_nonce();
        let retry = with(
            claims("GET", "/api/cart", device_now),
            "nonce",
            json!(nonce),
        );
        let verified = verifier
            .verify(&device.proof(&retry), &GET_CART)
            .expect("accepted by its nonce");
        assert!(verified.by_nonce);
        assert_eq!(verified.issued_at, device_now);
    }
}

#[test]
fn a_nonce_carries_a_skewed_device_for_its_lifetime_then_a_new_one_is_needed() {
    let (clock, verifier, device) = fixture();
    let nonce = verifier.fresh_nonce();
    assert!(
        verifier_on(ORIGIN, &Clock::default())
            .verify(
                &device.proof(&with(claims("GET", "/api/cart", 0), "nonce", json!(nonce))),
                &GET_CART
            )
            .is_ok(),
        "another instance with the same session key accepts this instance's nonce"
    );
    let proof_at = |clock: &Clock| {
        device.proof(&with(
            claims("GET", "/api/cart", clock.now_seconds() - 600),
            "nonce",
            json!(nonce),
        ))
    };
    clock.advance(Duration::from_secs(299));
    assert!(verifier.verify(&proof_at(&clock), &GET_CART).is_ok());
    clock.advance(Duration::from_secs(2));
    assert_eq!(
        refusal(verifier.verify(&proof_at(&clock), &GET_CART), "expired"),
        (ProofError::BadNonce, ProofVerdict::UseNonce)
    );
}

#[test]
fn a_replayed_proof_is_refused_for_as_long_as_it_could_be_accepted() {
    let (clock, verifier, device) = fixture();
    let proof = device.proof(&claims("GET", "/api/cart", clock.now_seconds()));
    assert!(verifier.verify(&proof, &GET_CART).is_ok());
    assert_eq!(
        refusal(verifier.verify(&proof, &GET_CART), "replayed"),
        (ProofError::Replayed, ProofVerdict::Invalid)
    );
    // 59 s, not the window's 60: the clock also follows real time, which may tick meanwhile.
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        verifier.verify(&proof, &GET_CART),
        Err(ProofError::Replayed)
    );
    clock.advance(Duration::from_secs(3));
    assert_eq!(
        verifier.verify(&proof, &GET_CART),
        Err(ProofError::StaleIssuedAt),
        "past its window its iat refuses it"
    );

    let with_nonce = device.proof(&with(
        claims("GET", "/api/cart", clock.now_seconds() - 600),
        "nonce",
        json!(verifier.fresh_nonce()),
    ));
    assert!(verifier.verify(&with_nonce, &GET_CART).is_ok());
    clock.advance(Duration::from_secs(250));
    assert_eq!(
        verifier.verify(&with_nonce, &GET_CART),
        Err(ProofError::Replayed),
        "remembered as long as its nonce lives"
    );
    clock.advance(Duration::from_secs(60));
    assert_eq!(
        verifier.verify(&with_nonce, &GET_CART),
        Err(ProofError::BadNonce)
    );
}

#[test]
fn a_refused_proof_is_not_remembered() {
    let (clock, verifier, device) = fixture();
    let proof = device.proof(&claims("GET", "/api/cart", clock.now_seconds()));
    let post = ProofRequest {
        method: "POST",
        ..GET_CART
    };
    assert_eq!(verifier.verify(&proof, &post), Err(ProofError::WrongMethod));
    assert!(verifier.verify(&proof, &GET_CART).is_ok());
}

#[test]
fn a_full_replay_cache_refuses_proofs_as_overload() {
    let clock = Clock::default();
    let verifier = verifier_with(ORIGIN, ReplayCache::new(1), &clock);
    let device = Device::new();
    let now = clock.now_seconds();
    assert!(
        verifier
            .verify(&device.proof(&claims("GET", "/api/cart", now)), &GET_CART)
            .is_ok()
    );
    let second = device.proof(&claims("GET", "/api/cart", now));
    assert_eq!(
        refusal(verifier.verify(&second, &GET_CART), "no room"),
        (ProofError::ReplayCacheFull, ProofVerdict::Overloaded)
    );
}

#[test]
fn the_request_description_never_shows_the_access_token() {
    assert!(!format!("{GET_CART:?}").contains(TOKEN));
}

/// RFC 9449 Figure 13: a proof for `GET https://resource.example.org/protectedresource` with
/// the access token of §7.1, made at `iat` 1562262618.
const RFC_9449_FIGURE_13: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA";

/// RFC 9449 Figure 2: a proof for the token endpoint, without `ath`, made at 1562262616.
const RFC_9449_FIGURE_2: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

#[test]
fn rfc_9449s_resource_request_example_verifies_at_its_time() {
    let verifier = verifier_on("https://resource.example.org", &Clock::default());
    let request = request(
        "GET",
        "/protectedresource",
        "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU",
    );
    let verified = verifier
        .verify_at(RFC_9449_FIGURE_13, &request, 1_562_262_618 + 30)
        .expect("the RFC's example verifies");
    assert_eq!(verified.jkt, "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I");
    assert_eq!(
        verifier.verify(RFC_9449_FIGURE_13, &request),
        Err(ProofError::StaleIssuedAt),
        "today it is years old"
    );
}

#[test]
fn rfc_9449s_token_request_example_passes_every_check_up_to_ath_which_store_calls_need() {
    let verifier = verifier_on("https://server.example.com", &Clock::default());
    let request = request("POST", "/token", TOKEN);
    assert_eq!(
        verifier.verify_at(RFC_9449_FIGURE_2, &request, 1_562_262_616),
        Err(ProofError::WrongAccessTokenHash)
    );
    // The signature's first character, 2 → 3: one bit of r flipped.
    let at = RFC_9449_FIGURE_2.rfind('.').expect("three parts") + 1;
    let mut tampered = RFC_9449_FIGURE_2.to_owned();
    tampered.replace_range(at..=at, "3");
    assert_eq!(
        verifier.verify_at(&tampered, &request, 1_562_262_616),
        Err(ProofError::BadSignature)
    );
}

/// Made in headless Chromium by the PWA's `DeviceKey::proof` (WebCrypto, `frontend/tests/
/// device.rs`, `a_proof_for_the_backends_test_vector`): `POST
/// http://127.0.0.1:8080/api/session` with the access token below, at `iat` 1796070083, by the
/// key whose thumbprint is [`PWA_JKT`].
const PWA_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiZzVrZjJmZlFuZml0RlNRdTEwb0UzY1RPdkdVdDFyaVNhWW0zcDZWYTZlOCIsInkiOiJuU21MdTRfdEpVZTV2a1lOYnhiYU5RM0lvalc2YXhQWmRMSlh6TU5za0x3In19.eyJqdGkiOiJoSnY5dHhBUElPZzlWdF9fRml6SWRRIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHA6Ly8xMjcuMC4wLjE6ODA4MC9hcGkvc2Vzc2lvbiIsImlhdCI6MTc5NjA3MDA4MywiYXRoIjoiQUNFM1Q1NzFTV3B1YWFjcmY5bjk4cldfajVVNVpBNXpKOXhiaV84YXZ4byJ9.6TP58EqzszLGqsRe22SzpgER-3fSXnSq8DvmwHVotS1u2cyjOR71Rw55wbk1L4W0XlZjD9Mg9Butw66siYE4Qg";
const PWA_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl";
const PWA_JKT: &str = "xPRRgpP1HRf3WYsI02BaRkX6l3lGsF4uFv_NjCy932g";
const PWA_IAT: i64 = 1_796_070_083;

#[test]
fn a_proof_made_by_the_pwa_in_chromium_verifies_and_names_the_browsers_thumbprint() {
    let clock = Clock::default();
    let verifier = verifier_on("http://127.0.0.1:8080", &clock);
    let hand_off = request("POST", "/api/session", PWA_TOKEN);
    let verified = verifier
        .verify_at(PWA_PROOF, &hand_off, PWA_IAT + 1)
        .expect("the PWA's proof verifies");
    assert_eq!(
        verified.jkt, PWA_JKT,
        "WebCrypto's and aws-lc-rs's thumbprints agree"
    );
    assert_eq!(verified.issued_at, PWA_IAT);
    assert_eq!(
        verifier.verify_at(PWA_PROOF, &hand_off, PWA_IAT + 2),
        Err(ProofError::Replayed)
    );
    let logout = ProofRequest {
        method: "DELETE",
        ..hand_off
    };
    assert_eq!(
        verifier_on("http://127.0.0.1:8080", &clock).verify_at(PWA_PROOF, &logout, PWA_IAT),
        Err(ProofError::WrongMethod)
    );
}
