//! The URL a proof is for (`htu`, RFC 9449 §4.3 check 9), compared after syntax-based
//! normalisation (RFC 3986 §6.2.2): scheme and host in lower case, the scheme's default port
//! dropped, percent-escapes in upper case with escaped unreserved characters decoded, an empty
//! path read as `/`; query and fragment are ignored. Only `http` and `https` URLs without
//! user information are accepted. Dot segments are not resolved: a proof for `/api/./cart` does
//! not match a request for `/api/cart`.

/// A URL reduced to what `htu` is compared on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl {
    /// `scheme://host[:port]`, normalised.
    pub origin: String,
    /// The path, normalised (never empty).
    pub path: String,
}

/// Normalises an absolute `http`/`https` URL; `None` when it is not one.
pub(crate) fn normalise(url: &str) -> Option<HttpUrl> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let (host, port) = split_host_port(authority)?;
    let mut origin = format!("{scheme}://{host}");
    if let Some(port) = port.filter(|&p| p != default_port) {
        origin.push(':');
        origin.push_str(&port.to_string());
    }
    Some(HttpUrl {
        origin,
        path: normalise_path(path)?,
    })
}

/// `host` (lower case) and the port, if one is given.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (address, after) = bracketed.split_once(']')?;
        if address.is_empty()
            || !address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?),
        };
        (format!("[{address}]"), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        let host_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_';
        if host.is_empty() || !host.bytes().all(host_char) {
            return None;
        }
        (host.to_owned(), port)
    };
    let port = match port {
        // RFC 3986: an empty port is the scheme's default.
        None | Some("") => None,
        Some(digits) if digits.len() <= 5 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            Some(digits.parse::<u16>().ok()?)
        }
        Some(_) => return None,
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Normalises a path as above (also the request's own path); `None` when it holds characters a
/// URL path cannot, or a broken percent-escape. Anything after `?` or `#` is dropped.
pub(crate) fn normalise_path(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(bytes.len().max(1));
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if byte == b'%' {
            let high = hex_value(*bytes.get(at + 1)?)?;
            let low = hex_value(*bytes.get(at + 2)?)?;
            let decoded = high << 4 | low;
            if is_unreserved(decoded) {
                out.push(char::from(decoded));
            } else {
                out.push('%');
                out.push(char::from(bytes[at + 1].to_ascii_uppercase()));
                out.push(char::from(bytes[at + 2].to_ascii_uppercase()));
            }
            at += 3;
            continue;
        }
        if !(is_unreserved(byte) || b"/!$&'()*+,;=:@".contains(&byte)) {
            return None;
        }
        out.push(char::from(byte));
        at += 1;
    }
    if out.is_empty() {
        out.push('/');
    }
    if !out.starts_with('/') {
        return None;
    }
    Some(out)
}

fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(origin: &str, path: &str) -> Option<HttpUrl> {
        Some(HttpUrl {
            origin: origin.to_owned(),
            path: path.to_owned(),
        })
    }

    #[test]
    fn equivalent_spellings_of_one_url_normalise_alike() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "https://shop.example",
                "/api/cart",
                &[
                    "https://shop.example/api/cart",
                    "HTTPS://Shop.EXAMPLE/api/cart",
                    "https://shop.example:443/api/cart",
                    "https://shop.example:/api/cart",
                    "https://shop.example/api/cart?x=1#top",
                    "https://shop.example/api/cart#a?b",
                ],
            ),
            (
                "http://shop.example",
                "/api/cart",
                &["http://shop.example:80/api/cart"],
            ),
            (
                "http://127.0.0.1:8080",
                "/api/cart",
                &["http://127.0.0.1:8080/api/cart"],
            ),
            (
                "https://shop.example:8443",
                "/x",
                &["https://shop.example:8443/x"],
            ),
            (
                "http://shop.example:443",
                "/x",
                &["http://shop.example:443/x"],
            ),
            (
                "https://shop.example",
                "/",
                &["https://shop.example?x", "https://shop.example"],
            ),
            (
                "https://shop.example",
                "/a%2Fb",
                &["https://shop.example/a%2fb"],
            ),
            (
                "https://shop.example",
                "/~user/A",
                &["https://shop.example/%7Euser/%41"],
            ),
            ("http://[::1]:8080", "/api", &["http://[::1]:8080/api"]),
            ("http://[::1]", "/api", &["http://[::1]/api"]),
            ("http://[fe80::1]", "/", &["http://[FE80::1]:80/"]),
        ];
        for (origin, path, spellings) in cases {
            for text in *spellings {
                assert_eq!(normalise(text), url(origin, path), "{text}");
            }
        }
    }

    #[test]
    fn what_is_not_an_http_url_is_refused() {
        for text in [
            "",
            "/api/cart",
            "shop.example/api/cart",
            "ftp://shop.example/api/cart",
            "javascript://shop.example/",
            "https:///api/cart",
            "https://user@shop.example/api/cart",
            "https://user:pass@shop.example/",
            "https://shop.example:65536/",
            "https://shop.example:8o/",
            "https://shop.example:123456/",
            "https://shop example/",
            "https://shöp.example/",
            "https://shop.example/a b",
            "https://shop.example/caf\u{e9}",
            "https://shop.example/%zz",
            "https://shop.example/%4",
            "http://[::1/",
            "http://[]/",
            "http://[::1]x/",
            "http://a:1:2/",
        ] {
            assert_eq!(normalise(text), None, "{text:?}");
        }
    }

    #[test]
    fn request_paths_normalise_like_proof_paths() {
        for (path, expected) in [
            ("/api/cart", Some("/api/cart")),
            ("", Some("/")),
            (
                "/api/cart/items/pour%2dover",
                Some("/api/cart/items/pour-over"),
            ),
            ("/api/cart/items/a%2fb", Some("/api/cart/items/a%2Fb")),
            ("/api/cart?x=1", Some("/api/cart")),
            ("/api/./cart", Some("/api/./cart")),
            ("api/cart", None),
            ("/api/\u{0}", None),
        ] {
            assert_eq!(normalise_path(path).as_deref(), expected, "{path:?}");
        }
    }
}
