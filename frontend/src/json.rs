//! Reading JSON with the browser's `JSON.parse` instead of serde_json's deserializers, which
//! cost the download ~22 KB brotli (measured). [`Read`] builds a type from a parsed value; a
//! missing or mistyped required field makes the whole value unreadable (`None`), as serde would.

use std::collections::BTreeMap;

use shared::store::{
    ApiError, AppConfig, Cart, CartLine, DeviceBinding, ErrorCode, Product, ProductList, Quantity,
};
use wasm_bindgen::JsValue;
use web_sys::js_sys::{Array, JSON, Object, Reflect};

/// A parsed JSON value.
#[derive(Clone, Debug)]
pub struct Json(JsValue);

impl Json {
    /// `JSON.parse(text)`; `None` for anything that is not JSON.
    pub fn parse(text: &str) -> Option<Self> {
        JSON::parse(text).ok().map(Self)
    }

    /// The member `key` of an object (`undefined` for anything else).
    pub fn get(&self, key: &str) -> Self {
        let value = if self.0.is_object() {
            Reflect::get(&self.0, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        } else {
            JsValue::UNDEFINED
        };
        Self(value)
    }

    /// A string value.
    pub fn str(&self) -> Option<String> {
        self.0.as_string()
    }

    /// A whole number that fits exactly in an `f64`.
    pub fn int(&self) -> Option<i64> {
        self.0
            .as_f64()
            .filter(|n| n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0)
            .map(|n| n as i64)
    }

    /// The items of an array.
    pub fn items(&self) -> Option<Vec<Self>> {
        Array::is_array(&self.0).then(|| Array::from(&self.0).iter().map(Self).collect())
    }

    /// The members of a (non-array) object.
    pub fn entries(&self) -> Option<Vec<(String, Self)>> {
        if !self.0.is_object() || Array::is_array(&self.0) {
            return None;
        }
        let object = Object::from(self.0.clone());
        Some(
            Object::keys(&object)
                .iter()
                .filter_map(|key| key.as_string())
                .map(|key| {
                    let value = self.get(&key);
                    (key, value)
                })
                .collect(),
        )
    }

    /// Reads a `T`.
    pub fn read<T: Read>(&self) -> Option<T> {
        T::read(self)
    }

    /// Reads every item of an array as a `T`; `None` if any is unreadable.
    pub fn list<T: Read>(&self) -> Option<Vec<T>> {
        self.items()?.iter().map(T::read).collect()
    }

    /// Like [`Self::list`], but absent means empty and unreadable items are skipped.
    pub fn list_or_empty<T: Read>(&self) -> Vec<T> {
        self.items()
            .unwrap_or_default()
            .iter()
            .filter_map(T::read)
            .collect()
    }
}

impl From<JsValue> for Json {
    /// A value the browser already holds (e.g. a WebCrypto result), read like parsed JSON.
    fn from(value: JsValue) -> Self {
        Self(value)
    }
}

/// A JSON object with these members; `undefined` values (see [`opt`]) are left out.
pub fn object(members: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in members {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

/// A string member, or `undefined` (left out) when absent.
pub fn opt(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// `JSON.stringify(value)`.
pub fn stringify(value: &JsValue) -> Option<String> {
    JSON::stringify(value).ok().and_then(|s| s.as_string())
}

/// Built from a parsed JSON value.
pub trait Read: Sized {
    fn read(json: &Json) -> Option<Self>;
}

/// Parses `text` and reads a `T` from it.
pub fn from_str<T: Read>(text: &str) -> Option<T> {
    Json::parse(text)?.read()
}

impl Read for AppConfig {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            fusion_auth_url: json.get("fusionAuthUrl").str()?,
            application_id: json.get("applicationId").str()?,
            // Absent (an older backend) means off; anything but a known mode makes the config
            // unreadable, as serde would.
            device_binding: match json.get("deviceBinding") {
                Json(absent) if absent.is_undefined() => DeviceBinding::Off,
                mode => mode.str()?.parse().ok()?,
            },
        })
    }
}

impl Read for Product {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            id: json.get("id").str()?,
            name: json.get("name").str()?,
            description: json.get("description").str()?,
            price: json.get("price").int()?,
            currency: json.get("currency").str()?,
            image: json.get("image").str()?,
        })
    }
}

impl Read for ProductList {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            products: json.get("products").list()?,
        })
    }
}

impl Read for CartLine {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            product: json.get("product").read()?,
            quantity: Quantity::parse(json.get("quantity").int()?).ok()?,
            line_total: json.get("lineTotal").int()?,
        })
    }
}

impl Read for Cart {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            lines: json.get("lines").list()?,
            item_count: u32::try_from(json.get("itemCount").int()?).ok()?,
            total: json.get("total").int()?,
            currency: json.get("currency").str()?,
        })
    }
}

impl Read for ApiError {
    fn read(json: &Json) -> Option<Self> {
        let code = match json.get("code").str()?.as_str() {
            "invalid_request" => ErrorCode::InvalidRequest,
            "unauthorized" => ErrorCode::Unauthorized,
            "session_expired" => ErrorCode::SessionExpired,
            "use_dpop_nonce" => ErrorCode::UseDpopNonce,
            "invalid_dpop_proof" => ErrorCode::InvalidDpopProof,
            "not_found" => ErrorCode::NotFound,
            "payload_too_large" => ErrorCode::PayloadTooLarge,
            "too_many_requests" => ErrorCode::TooManyRequests,
            "unavailable" => ErrorCode::Unavailable,
            "internal" => ErrorCode::Internal,
            _ => ErrorCode::Unknown,
        };
        Some(Self::new(code, json.get("message").str()?))
    }
}

impl<T: Read> Read for BTreeMap<String, Vec<T>> {
    fn read(json: &Json) -> Option<Self> {
        // Inserting one by one (rather than `collect`, which sorts first) keeps the sort out
        // of the download.
        let mut map = Self::new();
        for (key, value) in json.entries()? {
            map.insert(key, value.list_or_empty());
        }
        Some(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn store_bodies_are_read_like_serde_would() {
        let cart: Cart = from_str(
            r#"{"lines":[{"product":{"id":"pour-over","name":"Pour-over","description":"d",
                "price":2500,"currency":"EUR","image":"/images/pour-over.svg"},"quantity":2,
                "lineTotal":5000}],"itemCount":2,"total":5000,"currency":"EUR","extra":true}"#,
        )
        .expect("a cart");
        assert_eq!(cart.lines[0].quantity.get(), 2);
        assert_eq!(cart.lines[0].product.id, "pour-over");
        assert_eq!(cart.total, 5000);
        let bad_quantity = r#"{"lines":[{"product":{"id":"a","name":"a","description":"",
            "price":1,"currency":"EUR","image":""},"quantity":0,"lineTotal":0}],
            "itemCount":0,"total":0,"currency":"EUR"}"#;
        assert!(from_str::<Cart>(bad_quantity).is_none());
        assert!(from_str::<ProductList>(r#"{"products":[{"id":"x"}]}"#).is_none());
        assert!(from_str::<ProductList>("not json").is_none());
        let empty: ProductList = from_str(r#"{"products":[]}"#).expect("empty list");
        assert!(empty.products.is_empty());
        assert!(
            from_str::<Product>(
                r#"{"id":"a","name":"a","description":"","price":1.5,"currency":"EUR","image":""}"#
            )
            .is_none()
        );
    }

    #[test]
    fn objects_leave_absent_members_out() {
        let text = stringify(&object(&[
            ("a", JsValue::from_str("x\"y")),
            ("b", opt(None)),
            ("c", JsValue::from_f64(3.0)),
            ("d", object(&[("e", opt(Some("f")))])),
        ]));
        assert_eq!(text.as_deref(), Some(r#"{"a":"x\"y","c":3,"d":{"e":"f"}}"#));
    }

    #[test]
    fn error_bodies_keep_their_code() {
        let error: ApiError =
            from_str(r#"{"code":"session_expired","message":"over"}"#).expect("an error");
        assert_eq!(error.code, ErrorCode::SessionExpired);
        let odd: ApiError = from_str(r#"{"code":"brand_new","message":""}"#).expect("an error");
        assert_eq!(odd.code, ErrorCode::Unknown);
        let config: AppConfig =
            from_str(r#"{"fusionAuthUrl":"http://fa","applicationId":"app"}"#).expect("config");
        assert_eq!(config.application_id, "app");
        assert_eq!(config.device_binding, DeviceBinding::Off);
        for (code, wire) in [
            (ErrorCode::UseDpopNonce, "use_dpop_nonce"),
            (ErrorCode::InvalidDpopProof, "invalid_dpop_proof"),
        ] {
            let text = format!(r#"{{"code":"{wire}","message":"m"}}"#);
            assert_eq!(from_str::<ApiError>(&text).expect("an error").code, code);
        }
    }

    #[test]
    fn the_config_names_the_device_binding_mode() {
        let read = |mode: &str| {
            from_str::<AppConfig>(&format!(
                r#"{{"fusionAuthUrl":"http://fa","applicationId":"app","deviceBinding":{mode}}}"#
            ))
            .map(|config| config.device_binding)
        };
        assert_eq!(read(r#""required""#), Some(DeviceBinding::Required));
        assert_eq!(read(r#""off""#), Some(DeviceBinding::Off));
        assert_eq!(read(r#""sometimes""#), None);
        assert_eq!(read("true"), None);
        assert_eq!(read("null"), None);
    }
}
