//! The device key as a proof's header carries it: an EC P-256 public JWK (RFC 7518 §6.2), and
//! its RFC 7638 thumbprint (`jkt`), which names the key everywhere else.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use shared::dpop::{KEY_CURVE, KEY_TYPE};

/// Bytes of one P-256 coordinate.
const COORDINATE_LEN: usize = 32;

/// Why a `jwk` is not a device key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwkError {
    /// Not an EC P-256 key with 32-byte `x` and `y`.
    NotP256,
    /// It carries the private part (`d`).
    Private,
}

/// Any value, present: lets a field record that a member exists, even as `null`.
#[derive(Default)]
struct Present(bool);

impl<'de> Deserialize<'de> for Present {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(deserializer)?;
        Ok(Self(true))
    }
}

/// A `jwk` header's members as read from the proof: the ones a device key has, any JSON type,
/// so a wrong type is a wrong key rather than an unreadable header. Others (`kid`, `alg`,
/// `use`, …) are ignored; a repeated member makes the header unreadable.
#[derive(Deserialize)]
pub(crate) struct JwkMembers {
    #[serde(default)]
    kty: Option<serde_json::Value>,
    #[serde(default)]
    crv: Option<serde_json::Value>,
    #[serde(default)]
    x: Option<serde_json::Value>,
    #[serde(default)]
    y: Option<serde_json::Value>,
    #[serde(default)]
    d: Present,
}

/// A P-256 public key from a proof's `jwk` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DeviceJwk {
    x: [u8; COORDINATE_LEN],
    y: [u8; COORDINATE_LEN],
}

fn coordinate(value: Option<&serde_json::Value>) -> Result<[u8; COORDINATE_LEN], JwkError> {
    let text = value
        .and_then(serde_json::Value::as_str)
        .ok_or(JwkError::NotP256)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JwkError::NotP256)?;
    <[u8; COORDINATE_LEN]>::try_from(bytes.as_slice()).map_err(|_| JwkError::NotP256)
}

impl DeviceJwk {
    /// Reads the `jwk` header's members.
    ///
    /// # Errors
    /// [`JwkError::Private`] when it has a `d` member (whatever its value);
    /// [`JwkError::NotP256`] when it is not an EC P-256 key with unpadded base64url 32-byte
    /// coordinates.
    pub(crate) fn from_members(members: JwkMembers) -> Result<Self, JwkError> {
        if members.d.0 {
            return Err(JwkError::Private);
        }
        let is = |value: Option<&serde_json::Value>, expected: &str| {
            value.and_then(serde_json::Value::as_str) == Some(expected)
        };
        if !is(members.kty.as_ref(), KEY_TYPE) || !is(members.crv.as_ref(), KEY_CURVE) {
            return Err(JwkError::NotP256);
        }
        Ok(Self {
            x: coordinate(members.x.as_ref())?,
            y: coordinate(members.y.as_ref())?,
        })
    }

    /// The uncompressed SEC 1 point `0x04 ‖ x ‖ y`, as signature verification takes it.
    /// Whether it lies on the curve is checked by that verification.
    pub(crate) fn uncompressed_point(&self) -> [u8; 1 + 2 * COORDINATE_LEN] {
        let mut point = [0x04; 1 + 2 * COORDINATE_LEN];
        point[1..=COORDINATE_LEN].copy_from_slice(&self.x);
        point[1 + COORDINATE_LEN..].copy_from_slice(&self.y);
        point
    }

    /// The RFC 7638 thumbprint: base64url-no-pad SHA-256 of
    /// `{"crv":"P-256","kty":"EC","x":"…","y":"…"}` (required members, lexicographic order, no
    /// whitespace).
    pub(crate) fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"{KEY_CURVE}","kty":"{KEY_TYPE}","x":"{}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(self.x),
            URL_SAFE_NO_PAD.encode(self.y)
        );
        URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(value: serde_json::Value) -> Result<DeviceJwk, JwkError> {
        DeviceJwk::from_members(serde_json::from_value(value).expect("an object"))
    }

    /// The key of RFC 9449's examples (§4.1, Figure 4) and its thumbprint (§6.1).
    const X: &str = "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs";
    const Y: &str = "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA";
    const JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

    #[test]
    fn the_thumbprint_of_rfc_9449s_example_key_is_the_rfcs() {
        let jwk = read(json!({"kty": "EC", "x": X, "y": Y, "crv": "P-256"})).expect("a P-256 key");
        assert_eq!(jwk.thumbprint(), JKT);
        let with_extras = read(
            json!({"crv": "P-256", "kty": "EC", "x": X, "y": Y, "kid": "k1", "alg": "ES256", "use": "sig"}),
        )
        .expect("extra public members are ignored");
        assert_eq!(with_extras.thumbprint(), JKT);
        let point = jwk.uncompressed_point();
        assert_eq!(point[0], 4);
        assert_eq!(URL_SAFE_NO_PAD.encode(&point[1..33]), X);
        assert_eq!(URL_SAFE_NO_PAD.encode(&point[33..]), Y);
    }

    #[test]
    fn keys_that_are_not_public_p256_keys_are_refused() {
        for (case, value) in [
            (
                "with d",
                json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "d": X}),
            ),
            (
                "with d: null",
                json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "d": null}),
            ),
        ] {
            assert_eq!(read(value), Err(JwkError::Private), "{case}");
        }
        let short = URL_SAFE_NO_PAD.encode([1; 31]);
        let long = URL_SAFE_NO_PAD.encode([1; 33]);
        for (case, value) in [
            ("RSA", json!({"kty": "RSA", "n": X, "e": "AQAB"})),
            (
                "P-384",
                json!({"kty": "EC", "crv": "P-384", "x": X, "y": Y}),
            ),
            (
                "lower-case kty",
                json!({"kty": "ec", "crv": "P-256", "x": X, "y": Y}),
            ),
            ("no y", json!({"kty": "EC", "crv": "P-256", "x": X})),
            (
                "numeric x",
                json!({"kty": "EC", "crv": "P-256", "x": 1, "y": Y}),
            ),
            (
                "31-byte x",
                json!({"kty": "EC", "crv": "P-256", "x": short, "y": Y}),
            ),
            (
                "33-byte y",
                json!({"kty": "EC", "crv": "P-256", "x": X, "y": long}),
            ),
            (
                "padded x",
                json!({"kty": "EC", "crv": "P-256", "x": format!("{X}="), "y": Y}),
            ),
            (
                "standard alphabet",
                json!({"kty": "EC", "crv": "P-256", "x": X.replace('-', "+"), "y": Y}),
            ),
            ("oct", json!({"kty": "oct", "k": X})),
        ] {
            assert_eq!(read(value), Err(JwkError::NotP256), "{case}");
        }
    }

    #[test]
    fn a_jwk_with_a_repeated_member_is_unreadable() {
        for repeated in [
            r#""kty":"EC""#,
            r#""crv":"P-256""#,
            &format!(r#""x":"{Y}""#),
            &format!(r#""y":"{X}""#),
        ] {
            let text = format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}",{repeated}}}"#);
            assert!(serde_json::from_str::<JwkMembers>(&text).is_err(), "{text}");
        }
        let twice_d = format!(r#"{{"kty":"EC","crv":"P-256","x":"{X}","y":"{Y}","d":1,"d":2}}"#);
        assert!(serde_json::from_str::<JwkMembers>(&twice_d).is_err());
    }
}
