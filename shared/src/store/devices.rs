//! The signed-in devices API's wire shapes: `GET /api/account/sessions` and what
//! `DELETE /api/account/sessions…` reads. No shape here ever carries a token.

use serde::{Deserialize, Serialize};

/// One of the user's sessions: a device-bound session (`required` mode) and its FusionAuth
/// refresh token, or a FusionAuth refresh token alone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedInDevice {
    /// What `DELETE /api/account/sessions/{id}` takes: FusionAuth's refresh token id, or the
    /// device-bound session's id when FusionAuth's id is unknown.
    pub id: String,
    /// E.g. "Chrome on Android" (`required` mode, from the `User-Agent`) or the login's
    /// `metaData.device` name.
    pub device_label: String,
    /// When the session began, epoch milliseconds.
    pub created_at: i64,
    /// When a request last used it, epoch milliseconds, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
    /// The session of the request that asked.
    pub this_device: bool,
}

/// `GET /api/account/sessions` answer: the user's sessions, this device first, then the most
/// recently created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedInDevices {
    pub devices: Vec<SignedInDevice>,
}

/// `DELETE /api/account/sessions` query: `?keep=this` signs out every other device; without
/// it, every device, this one too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignOutDevices {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<Keep>,
}

/// Which session a sign-out of many keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Keep {
    /// The session of the request.
    This,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_device_list_is_camel_case_and_leaves_out_an_unknown_last_use() {
        let list = SignedInDevices {
            devices: vec![
                SignedInDevice {
                    id: "rt-1".into(),
                    device_label: "Chrome on Android".into(),
                    created_at: 1_000,
                    last_used_at: Some(2_000),
                    this_device: true,
                },
                SignedInDevice {
                    id: "rt-2".into(),
                    device_label: "Store app (Firefox on Linux)".into(),
                    created_at: 500,
                    last_used_at: None,
                    this_device: false,
                },
            ],
        };
        let json = json!({"devices": [
            {"id": "rt-1", "deviceLabel": "Chrome on Android", "createdAt": 1000,
             "lastUsedAt": 2000, "thisDevice": true},
            {"id": "rt-2", "deviceLabel": "Store app (Firefox on Linux)", "createdAt": 500,
             "thisDevice": false},
        ]});
        assert_eq!(serde_json::to_value(&list).expect("serializes"), json);
        assert_eq!(
            serde_json::from_value::<SignedInDevices>(json).expect("round trip"),
            list
        );
    }

    #[test]
    fn a_sign_out_of_many_keeps_this_device_or_nothing() {
        let read = |value| serde_json::from_value::<SignOutDevices>(value);
        assert_eq!(read(json!({})).expect("everywhere").keep, None);
        assert_eq!(
            read(json!({"keep": "this"})).expect("others").keep,
            Some(Keep::This)
        );
        for bad in [
            json!({"keep": "that"}),
            json!({"keep": ""}),
            json!({"all": true}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }
}
