//! The settings' parsing: defaults, every refusal, secrets never shown.
use clap::Parser;

use super::*;

#[test]
fn defaults_match_the_kickstart_file() {
    let settings = Settings::try_parse_from(["backend"]).expect("defaults parse");
    assert_eq!(settings.application_id, DEFAULT_APPLICATION_ID);
    assert_eq!(
        settings.jwt_algorithms,
        [AsymmetricAlgorithm(Algorithm::ES256)]
    );
    assert_eq!(settings.public_fusionauth_url(), DEFAULT_FUSIONAUTH_URL);
}

#[test]
fn leeway_above_five_seconds_is_refused() {
    assert!(Settings::try_parse_from(["backend", "--jwt-leeway-seconds", "6"]).is_err());
    assert!(Settings::try_parse_from(["backend", "--jwt-leeway-seconds", "5"]).is_ok());
}

#[test]
fn algorithms_are_a_comma_separated_asymmetric_allowlist() {
    let settings =
        Settings::try_parse_from(["backend", "--jwt-algorithms", "RS256,ES256"]).expect("parses");
    assert_eq!(
        settings.jwt_algorithms,
        [
            AsymmetricAlgorithm(Algorithm::RS256),
            AsymmetricAlgorithm(Algorithm::ES256)
        ]
    );
    assert!(Settings::try_parse_from(["backend", "--jwt-algorithms", "RS256,HS256"]).is_err());
    assert!(Settings::try_parse_from(["backend", "--jwt-algorithms", "none"]).is_err());
}

#[test]
fn secrets_never_show_and_cors_origins_are_a_list() {
    let settings = Settings::try_parse_from([
        "backend",
        "--fusionauth-api-key",
        "k3y",
        "--fusionauth-webhook-secret",
        "w3bhook",
        "--cors-allowed-origins",
        "https://a.example,https://b.example",
        "--jwt-hmac-secret",
        "aG1hYy1zM2NyZXQ=",
    ])
    .expect("parses");
    let shown = format!("{settings:?}");
    assert!(
        !shown.contains("k3y") && !shown.contains("w3bhook") && !shown.contains("aG1hYy1z"),
        "{shown}"
    );
    assert_eq!(
        settings.cors_allowed_origins,
        ["https://a.example", "https://b.example"]
    );
    let defaults = Settings::try_parse_from(["backend"]).expect("defaults parse");
    assert!(defaults.fusionauth_api_key.is_none());
    assert!(defaults.jwt_hmac_secret.is_none());
    let refused = Settings::try_parse_from(["backend", "--jwt-hmac-secret", "n0t-base64-s3cret!"])
        .expect_err("not Base64")
        .to_string();
    assert!(refused.contains("standard Base64"), "{refused}");
    assert!(
        !refused.contains("s3cret"),
        "the value is never echoed: {refused}"
    );
    assert!(defaults.cors_allowed_origins.iter().all(String::is_empty));
}

/// `openssl rand -base64 32`, once.
const SESSION_KEY: &str = "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E=";

#[test]
fn device_binding_is_required_by_default_and_reads_required_or_off() {
    let defaults = Settings::try_parse_from(["backend"]).expect("defaults parse");
    assert_eq!(defaults.device_binding, DeviceBinding::Required);
    assert_eq!(defaults.public_origin, None);
    assert!(defaults.session_key.is_none() && defaults.session_key_previous.is_none());
    assert_eq!(defaults.dpop_nonce_seconds, DEFAULT_DPOP_NONCE_SECONDS);
    let off = Settings::try_parse_from(["backend", "--device-binding", "off"]).expect("parses");
    assert_eq!(off.device_binding, DeviceBinding::Off);
    for bad in ["Required", "on", "dpop", ""] {
        assert!(
            Settings::try_parse_from(["backend", "--device-binding", bad]).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn the_dpop_nonce_lifetime_is_thirty_seconds_to_an_hour() {
    for (value, ok) in [("29", false), ("30", true), ("3600", true), ("3601", false)] {
        assert_eq!(
            Settings::try_parse_from(["backend", "--dpop-nonce-seconds", value]).is_ok(),
            ok,
            "{value}"
        );
    }
}

#[test]
fn session_keys_are_checked_at_start_up_and_never_shown() {
    let settings = Settings::try_parse_from([
        "backend",
        "--session-key",
        SESSION_KEY,
        "--session-key-previous",
        SESSION_KEY,
    ])
    .expect("parses");
    assert_eq!(
        settings.session_key.as_ref().map(Secret::expose),
        Some(SESSION_KEY)
    );
    assert!(!format!("{settings:?}").contains(&SESSION_KEY[..12]));
    for bad in [
        "c2hvcnQ=",
        "q9Vw0mJ4m1S3n5X2YbVf3o7l0r1qg6M9cHkq0J8lY2E",
        "not base64 at all",
    ] {
        for flag in ["--session-key", "--session-key-previous"] {
            let error = Settings::try_parse_from(["backend", flag, bad])
                .expect_err("refused")
                .to_string();
            assert!(error.contains("openssl rand -base64 32"), "{error}");
            assert!(
                !error.contains(bad),
                "the refusal repeats the value: {error}"
            );
        }
    }
}

#[test]
fn plain_http_fusionauth_urls_are_refused_unless_loopback_or_allowed() {
    let with = |url: &str, public: Option<&str>, allow: bool| {
        let mut settings = Settings::try_parse_from(["backend"]).expect("defaults parse");
        settings.fusionauth_url = url.to_owned();
        settings.fusionauth_public_url = public.map(str::to_owned);
        settings.allow_insecure_fusionauth_url = allow;
        settings.check_transport()
    };
    for url in [
        "http://127.0.0.1:9011",
        "http://127.8.9.1:9011",
        "http://localhost:9011",
        "http://LOCALHOST",
        "http://[::1]:9011",
        "https://auth.example",
        "https://10.0.0.5",
    ] {
        assert!(with(url, None, false).is_ok(), "{url}");
    }
    for url in [
        "http://auth.example",
        "http://10.0.0.5:9011",
        "http://localhost.evil.example",
        "http://[2001:db8::1]",
        "ftp://auth.example",
        "not a url",
    ] {
        assert!(with(url, None, false).is_err(), "{url}");
    }
    assert!(with("http://127.0.0.1:9011", Some("http://auth.example"), false).is_err());
    assert!(with("http://auth.example", Some("http://auth.example"), true).is_ok());
    assert!(
        Settings::try_parse_from(["backend", "--allow-insecure-fusionauth-url"])
            .expect("parses")
            .allow_insecure_fusionauth_url
    );
}

#[test]
fn the_public_origin_is_a_normalised_origin_without_a_path() {
    for (text, origin) in [
        ("https://shop.example", "https://shop.example"),
        ("https://Shop.Example:443/", "https://shop.example"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ] {
        let parsed: PublicOrigin = text.parse().expect("an origin");
        assert_eq!(parsed.as_str(), origin, "{text}");
    }
    for bad in [
        "shop.example",
        "https://shop.example/shop",
        "https://shop.example/?x",
        "https://shop.example#top",
        "https://user@shop.example",
        "ftp://shop.example",
        "",
    ] {
        assert!(bad.parse::<PublicOrigin>().is_err(), "{bad:?}");
    }
    let settings =
        Settings::try_parse_from(["backend", "--public-origin", "https://SHOP.example:443"])
            .expect("parses");
    assert_eq!(
        settings.public_origin.as_ref().map(PublicOrigin::as_str),
        Some("https://shop.example")
    );
    assert_eq!(
        PublicOrigin::for_listen("127.0.0.1:8080").map(|o| o.to_string()),
        Ok("http://127.0.0.1:8080".to_owned())
    );
}

#[test]
fn database_passwords_never_show() {
    let url = DatabaseUrl::from("postgres://store:s3cret@db:5432/store".to_owned());
    assert_eq!(url.to_string(), "postgres://***@db:5432/store");
    assert!(!format!("{url:?}").contains("s3cret"));
}
