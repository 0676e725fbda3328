//! A short, human label for a session's device, from its `User-Agent` ("Chrome on Android",
//! "Safari on iPhone"). Only the label is stored, never the raw header.

/// Only the start of a `User-Agent` is looked at (real ones are a few hundred bytes).
const MAX_LOOKED_AT: usize = 512;

/// `(marker, name)`, first match wins: the order matters (Edge and Opera also say Chrome,
/// Chrome also says Safari, iOS says "like Mac OS X").
const BROWSERS: &[(&str, &str)] = &[
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("FxiOS/", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chrome"),
    ("Safari/", "Safari"),
];

const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
];

/// What a session is called when its `User-Agent` names neither a browser nor a system.
pub(crate) const UNKNOWN_DEVICE: &str = "Unknown device";

/// `"{browser} on {system}"`, the browser alone, `"Browser on {system}"`, or
/// [`UNKNOWN_DEVICE`] — always one of a few dozen fixed strings, whatever the header says.
pub(crate) fn device_label(user_agent: Option<&str>) -> String {
    let user_agent = user_agent.unwrap_or_default();
    let mut end = user_agent.len().min(MAX_LOOKED_AT);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    let user_agent = &user_agent[..end];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| user_agent.contains(marker))
            .map(|&(_, name)| name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("Browser on {system}"),
        (None, None) => UNKNOWN_DEVICE.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_get_short_labels() {
        for (user_agent, label) in [
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
                "Chrome on iPhone",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like \
                 Gecko) FxiOS/132.0 Mobile/15E148 Safari/605.1.15",
                "Firefox on iPad",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, \
                 like Gecko) Version/18.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) \
                 SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera on Windows",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/156.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
        ] {
            assert_eq!(device_label(Some(user_agent)), label, "{user_agent}");
        }
    }

    #[test]
    fn unknown_or_missing_user_agents_get_a_generic_label() {
        for (user_agent, label) in [
            (None, UNKNOWN_DEVICE),
            (Some(""), UNKNOWN_DEVICE),
            (Some("reqwest/0.13"), UNKNOWN_DEVICE),
            (Some("curl/8.5.0"), UNKNOWN_DEVICE),
            (Some("<script>alert(1)</script>"), UNKNOWN_DEVICE),
            (Some("SomeApp/1.0 (Linux)"), "Browser on Linux"),
            (Some("Firefox/133.0"), "Firefox"),
        ] {
            assert_eq!(device_label(user_agent), label, "{user_agent:?}");
        }
    }

    #[test]
    fn only_the_start_of_a_huge_user_agent_is_read_and_the_label_stays_short() {
        let huge = format!("{}Firefox/1.0 Linux", "é".repeat(1000));
        assert_eq!(device_label(Some(&huge)), UNKNOWN_DEVICE);
        let padded = format!("Firefox/1.0 (Android) {}", "x".repeat(100_000));
        assert_eq!(device_label(Some(&padded)), "Firefox on Android");
    }
}
