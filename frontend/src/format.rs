//! Formatting amounts for people.

/// Formats an amount in minor units, e.g. `1250, "EUR"` → `"12.50 €"`.
pub fn price(minor_units: i64, currency: &str) -> String {
    let sign = if minor_units < 0 { "-" } else { "" };
    let abs = minor_units.unsigned_abs();
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        "CHF" => "CHF",
        other => other,
    };
    format!("{sign}{}.{:02} {symbol}", abs / 100, abs % 100)
}

/// "1 item", "3 items".
pub fn items(count: u32) -> String {
    if count == 1 {
        "1 item".to_owned()
    } else {
        format!("{count} items")
    }
}

/// A moment (epoch milliseconds) in the user's locale and time zone, e.g. "29/11/2026, 07:30:00".
pub fn local_time(epoch_millis: i64) -> String {
    let date = web_sys::js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(epoch_millis as f64));
    String::from(date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED))
}

#[cfg(test)]
mod tests {
    use super::*;
    // Run in the browser by wasm-bindgen-test-runner.
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn prices_show_two_decimals_and_the_currency_symbol() {
        assert_eq!(price(1250, "EUR"), "12.50 €");
        assert_eq!(price(5, "EUR"), "0.05 €");
        assert_eq!(price(0, "USD"), "0.00 $");
        assert_eq!(price(-199, "EUR"), "-1.99 €");
        assert_eq!(price(100_000, "SEK"), "1000.00 SEK");
    }

    #[test]
    fn moments_are_shown_in_local_time() {
        let shown = local_time(1_764_400_000_000);
        assert!(shown.contains("2025"), "{shown}");
    }

    #[test]
    fn item_counts_are_pluralised() {
        assert_eq!(items(1), "1 item");
        assert_eq!(items(0), "0 items");
        assert_eq!(items(12), "12 items");
    }
}
