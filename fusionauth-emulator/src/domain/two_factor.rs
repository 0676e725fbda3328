//! Second factors: the user's stored methods, their TOTP keys and codes, and checking new ones —
//! <https://fusionauth.io/docs/apis/two-factor>

use serde_json::{Value, json};
use shared::fusionauth::{Errors, Rule, TwoFactorMethod};

use crate::infra::crypto;
use crate::store::UserRow;

/// The stored fields that hold a method's key (never shown).
const SECRET_FIELDS: [&str; 2] = ["secret", "secretBase32Encoded"];

/// The user's two-factor methods as stored (with their secrets).
pub fn methods(user: &UserRow) -> Vec<TwoFactorMethod> {
    let stored = serde_json::from_str::<Value>(&user.data)
        .ok()
        .and_then(|data| data.pointer("/twoFactor/methods").cloned());
    match stored {
        Some(Value::Array(methods)) => methods.into_iter().map(method).collect(),
        _ => Vec::new(),
    }
}

/// A stored method. One whose optional fields have odd types (they are stored as given) is
/// still read field by field, so its secret works and its other fields show as they are.
fn method(stored: Value) -> TwoFactorMethod {
    if let Ok(method) = serde_json::from_value(stored.clone()) {
        return method;
    }
    let Value::Object(mut fields) = stored else {
        return TwoFactorMethod::default();
    };
    let mut take = |name: &str| match fields.remove(name) {
        Some(Value::String(text)) => Some(text),
        Some(other) => {
            if !SECRET_FIELDS.contains(&name) {
                fields.insert(name.to_owned(), other);
            }
            None
        }
        None => None,
    };
    TwoFactorMethod {
        method: take("method"),
        secret: take("secret"),
        secret_base32_encoded: take("secretBase32Encoded"),
        other: fields,
        ..TwoFactorMethod::default()
    }
}

/// The TOTP key of an `authenticator` method: its `secret`, standard Base64 as FusionAuth
/// documents it. A `secretBase32Encoded` given beside it must name the same bytes.
pub fn secret(method: &TwoFactorMethod) -> Option<Vec<u8>> {
    use base64::Engine;
    if method.method.as_deref() != Some("authenticator") {
        return None;
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(method.secret.as_deref()?)
        .ok()
        .filter(|key| !key.is_empty())?;
    match &method.secret_base32_encoded {
        Some(base32) if crypto::base32_decode(base32).as_ref() != Some(&key) => None,
        _ => Some(key),
    }
}

/// Whether `code` is a valid TOTP code (at `now_s`) for one of the user's methods.
pub fn verify_code(user: &UserRow, code: &str, now_s: i64) -> bool {
    methods(user).iter().any(|method| {
        secret(method).is_some_and(|secret| crypto::verify_totp(&secret, code, now_s))
    })
}

/// Checks `user.twoFactor.methods` of a create or update (only `authenticator` methods with a
/// Base64 `secret`, and a matching `secretBase32Encoded` if any, are supported) and gives each method an `id` and the
/// authenticator defaults.
pub fn normalize(two_factor: &mut Value, errors: &mut Errors) {
    let invalid = |errors: &mut Errors, message: &str| {
        errors.add_field(Rule::Invalid, "user.twoFactor.methods", message);
    };
    let Some(methods) = two_factor.get_mut("methods").and_then(Value::as_array_mut) else {
        if two_factor.get("methods").is_some() {
            invalid(errors, "Must be a list of methods.");
        }
        return;
    };
    for stored in methods {
        if secret(&method(stored.clone())).is_none() {
            invalid(
                errors,
                "Only [authenticator] methods with a standard Base64 [secret] (and a [secretBase32Encoded] of the same bytes, if given) are supported.",
            );
            return;
        }
        if let Some(object) = stored.as_object_mut() {
            object.entry("id").or_insert_with(|| {
                json!(crypto::random_string::<3>().unwrap_or_else(|_| "TOTP".to_owned()))
            });
            object.entry("authenticator").or_insert_with(
                || json!({"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30}),
            );
        }
    }
}
