//! Reading a JWT's expiry in the browser.
//!
//! The browser never verifies a JWT (the backend does); it only looks at `exp` to decide whether
//! to send its refresh token along with the next request (workflow steps 6 and 10).

/// How close to its expiry a JWT is treated as expired, in seconds.
pub const REFRESH_MARGIN_SECS: i64 = 30;

/// The `exp` claim (epoch seconds) of a compact JWT, or `None` when the token is not a readable JWT.
pub fn expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let payload = String::from_utf8(bytes).ok()?;
    crate::json::Json::parse(&payload)?.get("exp").int()
}

/// True when `token` has expired or expires within [`REFRESH_MARGIN_SECS`] of `now_secs`.
/// A token whose expiry cannot be read counts as expiring, so the backend gets to decide.
pub fn needs_refresh(token: &str, now_secs: i64) -> bool {
    match expiry(token) {
        Some(exp) => exp <= now_secs.saturating_add(REFRESH_MARGIN_SECS),
        None => true,
    }
}

/// Decodes unpadded (or padded) base64url, as used in JWTs (and WebAuthn's JSON).
pub(crate) fn base64url_decode(input: &str) -> Option<Vec<u8>> {
    let input = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in input.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    // A single leftover sextet cannot encode a byte.
    if bits >= 6 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    // {"alg":"none"} . {"sub":"u1","exp":1700000000,"name":"Zoë"}
    const TOKEN: &str =
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSIsImV4cCI6MTcwMDAwMDAwMCwibmFtZSI6Ilpvw6sifQ.sig";

    #[test]
    fn base64url_decodes_rfc4648_vectors() {
        for (encoded, plain) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(base64url_decode(encoded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(base64url_decode("_-8"), Some(vec![0xff, 0xef]));
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm9v!"), None);
    }

    #[test]
    fn expiry_is_read_from_the_payload() {
        assert_eq!(expiry(TOKEN), Some(1_700_000_000));
        assert_eq!(expiry("not-a-jwt"), None);
        assert_eq!(expiry("a.e30.c"), None, "an empty payload has no exp");
    }

    #[test]
    fn tokens_expiring_within_thirty_seconds_need_a_refresh() {
        assert!(!needs_refresh(TOKEN, 1_700_000_000 - 31));
        assert!(needs_refresh(TOKEN, 1_700_000_000 - 30));
        assert!(needs_refresh(TOKEN, 1_700_000_000 + 5));
        assert!(needs_refresh("garbage", 0));
    }
}
