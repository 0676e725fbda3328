//! The signed-in user's passkeys as the store backend lists them: `GET /api/passkeys` answers
//! a [`PasskeyList`]; `DELETE /api/passkeys/{id}` answers 204 (404 for an id that is not one of
//! the user's). FusionAuth keeps the passkeys (`/api/webauthn`); these are the few fields the
//! account page shows, never a key or a credential id.

use serde::{Deserialize, Serialize};

/// One passkey of the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Passkey {
    /// FusionAuth's id of the passkey (what `DELETE /api/passkeys/{id}` names).
    pub id: String,
    /// The name given at registration, e.g. "Chrome on Android".
    pub display_name: String,
    /// When it was registered, epoch milliseconds.
    pub created_at: i64,
    /// When it last signed the user in, epoch milliseconds.
    pub last_used_at: i64,
}

/// `GET /api/passkeys` answer, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasskeyList {
    pub passkeys: Vec<Passkey>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_passkey_list_is_camel_case_and_round_trips() {
        let body = json!({"passkeys": [{
            "id": "c664318a-2384-4c35-9475-9a200e1d3b72",
            "displayName": "Chrome on Android",
            "createdAt": 1_668_011_701_792_i64,
            "lastUsedAt": 1_668_021_630_599_i64
        }]});
        let list: PasskeyList = serde_json::from_value(body.clone()).expect("parses");
        assert_eq!(list.passkeys[0].display_name, "Chrome on Android");
        assert_eq!(list.passkeys[0].last_used_at, 1_668_021_630_599);
        assert_eq!(serde_json::to_value(&list).expect("serializes"), body);
    }

    #[test]
    fn a_passkey_without_its_dates_is_refused() {
        let body = json!({"passkeys": [{"id": "x", "displayName": "Phone"}]});
        assert!(serde_json::from_value::<PasskeyList>(body).is_err());
    }
}
