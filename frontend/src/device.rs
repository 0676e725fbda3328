//! The device key of a device-bound session (issue #11): an ECDSA P-256 key pair made by
//! WebCrypto with `extractable: false`, kept in IndexedDB as the `CryptoKeyPair` itself
//! (structured clone keeps the private key non-extractable: script can sign with it, nobody can
//! read it out), and the RFC 9449 DPoP proofs it signs for each request to the backend.
//!
//! Used by `api::bound` in the backend's `required` mode: sign-in makes a key, every store call
//! carries a proof.

use shared::dpop::{KEY_CURVE, KEY_TYPE, PROOF_ALGORITHM, PROOF_TYPE};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::js_sys::{Array, Date, Object, Uint8Array};
use web_sys::{CryptoKey, CryptoKeyPair, SubtleCrypto};

use crate::idb;
use crate::json::{Json, object, opt, stringify};

/// The IndexedDB key (in `idb`'s object store) the key pair is kept under.
pub const DEVICE_KEY: &str = "device-key";

/// The public half of the device key, as a proof's `jwk` header carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicJwk {
    /// base64url (no padding) of the 32-byte x coordinate.
    pub x: String,
    /// base64url (no padding) of the 32-byte y coordinate.
    pub y: String,
}

impl PublicJwk {
    /// `{"kty":"EC","crv":"P-256","x":…,"y":…}`: public members only.
    pub fn to_js(&self) -> JsValue {
        object(&[
            ("kty", JsValue::from_str(KEY_TYPE)),
            ("crv", JsValue::from_str(KEY_CURVE)),
            ("x", JsValue::from_str(&self.x)),
            ("y", JsValue::from_str(&self.y)),
        ])
    }

    /// Reads an exported public JWK: `None` unless it is EC P-256 with both coordinates.
    fn read(jwk: &Json) -> Option<Self> {
        (jwk.get("kty").str()? == KEY_TYPE && jwk.get("crv").str()? == KEY_CURVE).then_some(())?;
        Some(Self {
            x: jwk.get("x").str()?,
            y: jwk.get("y").str()?,
        })
    }

    /// The RFC 7638 thumbprint (`jkt`): base64url SHA-256 of
    /// `{"crv":"P-256","kty":"EC","x":"…","y":"…"}`, members in that order, no whitespace.
    ///
    /// # Errors
    /// WebCrypto is unavailable.
    pub async fn thumbprint(&self) -> Result<String, JsValue> {
        // The members' values are base64url (no quote or backslash to escape).
        let canonical = format!(
            r#"{{"crv":"{KEY_CURVE}","kty":"{KEY_TYPE}","x":"{}","y":"{}"}}"#,
            self.x, self.y
        );
        Ok(base64url(&sha256(canonical.as_bytes()).await?))
    }
}

/// The device key: the key pair (its private key unreadable), its public JWK and thumbprint.
#[derive(Clone, Debug)]
pub struct DeviceKey {
    pair: CryptoKeyPair,
    jwk: PublicJwk,
    thumbprint: String,
}

/// What a proof is for.
#[derive(Clone, Copy)]
pub struct ProofFor<'a> {
    /// The HTTP method, upper case.
    pub method: &'a str,
    /// The absolute URL of the request (a query or fragment is left out of `htu`).
    pub url: &'a str,
    /// The JWT sent with it (`Authorization: DPoP <JWT>`).
    pub access_token: &'a str,
    /// The backend's latest `DPoP-Nonce`, if it gave one.
    pub nonce: Option<&'a str>,
}

shared::debug_fields!(ProofFor<'_> { method, url });

fn subtle() -> Result<SubtleCrypto, JsValue> {
    Ok(web_sys::window().ok_or(JsValue::NULL)?.crypto()?.subtle())
}

/// `{name: "ECDSA", …}` with the given extra member.
fn ecdsa(member: &str, value: &str) -> Object {
    object(&[
        ("name", JsValue::from_str("ECDSA")),
        (member, JsValue::from_str(value)),
    ])
    .unchecked_into()
}

/// The SHA-256 of `data`.
async fn sha256(data: &[u8]) -> Result<Vec<u8>, JsValue> {
    let digest = JsFuture::from(subtle()?.digest_with_str_and_u8_array("SHA-256", data)?).await?;
    Ok(Uint8Array::new(&digest).to_vec())
}

/// base64url without padding (RFC 4648 §5), as JWS uses it.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let block = chunk.iter().enumerate().fold(0u32, |block, (i, &byte)| {
            block | u32::from(byte) << (16 - 8 * i)
        });
        for i in 0..=chunk.len() {
            let sextet = (block >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[sextet as usize]));
        }
    }
    out
}

/// base64url SHA-256 of a token's ASCII: a proof's `ath`.
///
/// # Errors
/// WebCrypto is unavailable.
pub async fn token_hash(token: &str) -> Result<String, JsValue> {
    Ok(base64url(&sha256(token.as_bytes()).await?))
}

/// `url` without its query and fragment: a proof's `htu`.
pub fn htu(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

impl DeviceKey {
    /// Makes a new key pair (ECDSA P-256, private key not extractable, usages `sign`/`verify`).
    ///
    /// # Errors
    /// WebCrypto is unavailable or refuses.
    pub async fn create() -> Result<Self, JsValue> {
        let usages = Array::of2(&JsValue::from_str("sign"), &JsValue::from_str("verify"));
        let pair = JsFuture::from(subtle()?.generate_key_with_object(
            &ecdsa("namedCurve", KEY_CURVE),
            false,
            &usages,
        )?)
        .await?;
        Self::from_pair(pair).await?.ok_or(JsValue::NULL)
    }

    /// A key pair as WebCrypto made it or IndexedDB gave it back: `None` unless it holds a
    /// non-extractable ECDSA private key and an ECDSA P-256 public key.
    async fn from_pair(pair: JsValue) -> Result<Option<Self>, JsValue> {
        if !pair.is_object() {
            return Ok(None);
        }
        let pair: CryptoKeyPair = pair.unchecked_into();
        let (Ok(private), Ok(public)) = (
            JsValue::from(pair.get_private_key()).dyn_into::<CryptoKey>(),
            JsValue::from(pair.get_public_key()).dyn_into::<CryptoKey>(),
        ) else {
            return Ok(None);
        };
        let is_ecdsa = |key: &CryptoKey| {
            key.algorithm()
                .map(|algorithm| Json::from(JsValue::from(algorithm)).get("name").str())
                .ok()
                .flatten()
                .as_deref()
                == Some("ECDSA")
        };
        if private.extractable() || private.type_() != "private" || !is_ecdsa(&private) {
            return Ok(None);
        }
        if public.type_() != "public" || !is_ecdsa(&public) {
            return Ok(None);
        }
        let exported = JsFuture::from(subtle()?.export_key("jwk", &public)?).await?;
        let Some(jwk) = PublicJwk::read(&Json::from(exported)) else {
            return Ok(None);
        };
        let thumbprint = jwk.thumbprint().await?;
        Ok(Some(Self {
            pair,
            jwk,
            thumbprint,
        }))
    }

    /// Keeps the key pair in IndexedDB (a structured clone: still not extractable).
    ///
    /// # Errors
    /// IndexedDB is unavailable or the write failed.
    pub async fn save(&self) -> Result<(), JsValue> {
        idb::put(DEVICE_KEY, &self.pair).await
    }

    /// The kept key pair; `None` when there is none, or what is kept is not a usable device key
    /// (it is deleted then).
    ///
    /// # Errors
    /// IndexedDB or WebCrypto is unavailable.
    pub async fn load() -> Result<Option<Self>, JsValue> {
        let stored = idb::get(DEVICE_KEY).await?;
        if stored.is_undefined() {
            return Ok(None);
        }
        let key = Self::from_pair(stored).await?;
        if key.is_none() {
            idb::delete(DEVICE_KEY).await?;
        }
        Ok(key)
    }

    /// Deletes the kept key pair (sign-out, session ended).
    ///
    /// # Errors
    /// IndexedDB is unavailable or the write failed.
    pub async fn forget() -> Result<(), JsValue> {
        idb::delete(DEVICE_KEY).await
    }

    /// The `CryptoKeyPair`.
    pub fn pair(&self) -> &CryptoKeyPair {
        &self.pair
    }

    /// The public key as a JWK.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// Its RFC 7638 thumbprint (the backend's `jkt`).
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A DPoP proof for one request: header `{typ, alg, jwk}`, claims `{jti, htm, htu, iat, ath,
    /// nonce?}` (`jti`: 128 random bits; `iat`: this device's clock), signed with ECDSA P-256
    /// SHA-256 (the raw `r ‖ s` WebCrypto returns is what JWS wants).
    ///
    /// # Errors
    /// WebCrypto is unavailable or refuses.
    pub async fn proof(&self, request: &ProofFor<'_>) -> Result<String, JsValue> {
        let header = object(&[
            ("typ", JsValue::from_str(PROOF_TYPE)),
            ("alg", JsValue::from_str(PROOF_ALGORITHM)),
            ("jwk", self.jwk.to_js()),
        ]);
        let mut jti = [0u8; 16];
        web_sys::window()
            .ok_or(JsValue::NULL)?
            .crypto()?
            .get_random_values_with_u8_array(&mut jti)?;
        let claims = object(&[
            ("jti", JsValue::from_str(&base64url(&jti))),
            ("htm", JsValue::from_str(request.method)),
            ("htu", JsValue::from_str(htu(request.url))),
            ("iat", JsValue::from_f64((Date::now() / 1000.0).floor())),
            (
                "ath",
                JsValue::from_str(&token_hash(request.access_token).await?),
            ),
            ("nonce", opt(request.nonce)),
        ]);
        let part = |value: &JsValue| stringify(value).map(|json| base64url(json.as_bytes()));
        let signed = format!(
            "{}.{}",
            part(&header).ok_or(JsValue::NULL)?,
            part(&claims).ok_or(JsValue::NULL)?
        );
        let signature = JsFuture::from(subtle()?.sign_with_object_and_u8_array(
            &ecdsa("hash", "SHA-256"),
            &self.pair.get_private_key(),
            signed.as_bytes(),
        )?)
        .await?;
        Ok(format!(
            "{signed}.{}",
            base64url(&Uint8Array::new(&signature).to_vec())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn base64url_encodes_rfc4648_vectors_without_padding() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(plain.as_bytes()), encoded);
        }
        assert_eq!(base64url(&[0xfb, 0xff, 0xbf]), "-_-_");
    }

    #[test]
    fn htu_leaves_out_query_and_fragment() {
        assert_eq!(
            htu("https://shop.example/api/cart?x=1#y"),
            "https://shop.example/api/cart"
        );
        assert_eq!(
            htu("https://shop.example/api/cart#y?x"),
            "https://shop.example/api/cart"
        );
        assert_eq!(
            htu("https://shop.example/api/cart"),
            "https://shop.example/api/cart"
        );
    }
}
