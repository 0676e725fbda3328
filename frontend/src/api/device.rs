//! How a login describes this browser to FusionAuth (`metaData.device`, shown in the user's
//! session list), from its user agent.

use shared::fusionauth::DeviceInfo;

/// This browser's `metaData.device` (see [`describe_device`]).
pub(super) fn this_device() -> DeviceInfo {
    let user_agent = web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .unwrap_or_default();
    describe_device(&user_agent)
}

/// `metaData.device` for a login from this browser: a readable name and `MOBILE` or `BROWSER`.
pub fn describe_device(user_agent: &str) -> DeviceInfo {
    // A plain byte-window search: `str::contains` links the two-way searcher (~2 KB of wasm).
    let has = |needle: &str| {
        user_agent
            .as_bytes()
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    let mobile = has("Mobi") || has("Android") || has("iPhone") || has("iPad");
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let platform = if has("Android") {
        Some("Android")
    } else if has("iPhone") {
        Some("iPhone")
    } else if has("iPad") {
        Some("iPad")
    } else if has("Windows") {
        Some("Windows")
    } else if has("Mac OS X") || has("Macintosh") {
        Some("macOS")
    } else if has("Linux") || has("X11") {
        Some("Linux")
    } else {
        None
    };
    let name = match platform {
        Some(platform) => format!("{browser} on {platform}"),
        None => browser.to_owned(),
    };
    DeviceInfo {
        name: Some(format!("Store app ({name})")),
        device_type: Some(if mobile { "MOBILE" } else { "BROWSER" }.to_owned()),
        ..DeviceInfo::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn devices_are_named_and_typed_from_the_user_agent() {
        let pixel = describe_device(
            "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
        );
        assert_eq!(pixel.device_type.as_deref(), Some("MOBILE"));
        assert_eq!(pixel.name.as_deref(), Some("Store app (Chrome on Android)"));
        let desktop = describe_device(
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        );
        assert_eq!(desktop.device_type.as_deref(), Some("BROWSER"));
        assert_eq!(
            desktop.name.as_deref(),
            Some("Store app (Firefox on Linux)")
        );
    }
}
