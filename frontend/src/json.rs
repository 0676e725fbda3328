//! JSON through the browser — `JSON.parse` and `JSON.stringify` — instead of serde_json, which
//! costs the download ~22 KB brotli (measured). [`Read`] builds a type from a parsed value; a
//! missing or mistyped required field makes the whole value unreadable (`None`), as serde would.
//! [`Write`] builds the value a type is sent as. The impls for the wire types are in
//! [`crate::wire`], each tested against serde's form of the same `shared` type.

use std::collections::BTreeMap;

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

    /// Whether the member was absent (`undefined`), as opposed to present with any value.
    pub fn is_absent(&self) -> bool {
        self.0.is_undefined()
    }

    /// A string value.
    pub fn str(&self) -> Option<String> {
        self.0.as_string()
    }

    /// A boolean value.
    pub fn bool(&self) -> Option<bool> {
        self.0.as_bool()
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

/// Sent as a JSON value.
pub trait Write {
    fn write(&self) -> JsValue;
}

/// Parses `text` and reads a `T` from it.
pub fn from_str<T: Read>(text: &str) -> Option<T> {
    Json::parse(text)?.read()
}

/// `value` as JSON text.
pub fn to_string<T: Write>(value: &T) -> Option<String> {
    stringify(&value.write())
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
    fn objects_leave_absent_members_out() {
        let text = stringify(&object(&[
            ("a", JsValue::from_str("x\"y")),
            ("b", opt(None)),
            ("c", JsValue::from_f64(3.0)),
            ("d", object(&[("e", opt(Some("f")))])),
        ]));
        assert_eq!(text.as_deref(), Some(r#"{"a":"x\"y","c":3,"d":{"e":"f"}}"#));
    }
}
