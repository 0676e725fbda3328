//! The WebAuthn (passkey) API: `/api/webauthn/…` —
//! <https://fusionauth.io/docs/apis/webauthn>
//!
//! Binary values are base64url strings (FusionAuth sends them unpadded; padded input is
//! accepted by the emulator). COSE algorithm identifiers are JSON numbers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::LoginMetaData;

/// What a WebAuthn ceremony is for; it selects the tenant's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WebAuthnWorkflow {
    /// Sign in without a password (a passkey as the first factor).
    Bootstrap,
    /// Self-service registration of a passkey, for no particular workflow.
    General,
    /// Quick re-authentication of a known user on this device.
    Reauthentication,
}

/// `POST /api/webauthn/register/start`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnRegisterStartRequest {
    pub user_id: String,
    /// Shown by the browser; stored as the passkey's `displayName`.
    pub display_name: String,
    /// Defaults to the user's email, else username.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<WebAuthnWorkflow>,
}

/// `POST /api/webauthn/register/start` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnRegisterStartResponse {
    pub options: PublicKeyCredentialCreationOptions,
}

/// The argument of `navigator.credentials.create({publicKey})`, in its JSON form.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialCreationOptions {
    /// Always `none`.
    pub attestation: String,
    pub authenticator_selection: AuthenticatorSelectionCriteria,
    pub challenge: String,
    pub exclude_credentials: Vec<PublicKeyCredentialDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Value>,
    pub pub_key_cred_params: Vec<PublicKeyCredentialParameters>,
    pub rp: PublicKeyCredentialRelyingPartyEntity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    pub user: PublicKeyCredentialUserEntity,
}

/// `authenticatorSelection` of the creation options.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthenticatorSelectionCriteria {
    /// `platform`, `cross-platform`, or absent (any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// `required`, `preferred` or `discouraged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
}

/// A credential to allow or exclude.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialDescriptor {
    /// The authenticator's credential id, base64url.
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An accepted signature algorithm.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialParameters {
    /// COSE algorithm identifier (ES256 = -7, RS256 = -257).
    pub alg: i64,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `rp` of the creation options; `id` absent when the tenant sets no relying party id.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialRelyingPartyEntity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
}

/// `user` of the creation options.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialUserEntity {
    pub display_name: String,
    /// base64url of the user's id (its hyphenated text); the assertion's `userHandle`.
    pub id: String,
    pub name: String,
}

/// `POST /api/webauthn/register/complete`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnRegisterCompleteRequest {
    pub credential: WebAuthnPublicKeyRegistrationRequest,
    /// Ignored since FusionAuth 1.69 (the signed client data's origin is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Ignored since FusionAuth 1.69 (the tenant's relying party id is used).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    pub user_id: String,
}

/// The result of `navigator.credentials.create()`, in its JSON form.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnPublicKeyRegistrationRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_extension_results: Option<WebAuthnExtensionsClientOutputs>,
    pub id: String,
    pub response: WebAuthnAuthenticatorRegistrationResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The authenticator's attestation response.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnAuthenticatorRegistrationResponse {
    pub attestation_object: String,
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
}

/// `clientExtensionResults`: only `credProps.rk` is read.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnExtensionsClientOutputs {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cred_props: Option<CredentialPropertiesOutput>,
}

/// `credProps`: whether the credential is discoverable (`rk`).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CredentialPropertiesOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rk: Option<bool>,
}

/// A stored passkey.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnCredential {
    /// COSE algorithm identifier.
    pub algorithm: i64,
    pub attestation_type: String,
    pub authenticator_supports_user_verification: bool,
    /// The authenticator's credential id, base64url.
    pub credential_id: String,
    pub data: Value,
    pub discoverable: bool,
    pub display_name: String,
    /// FusionAuth's id of the passkey (what `credentialId` of `/api/webauthn/start` names).
    pub id: String,
    pub insert_instant: i64,
    pub last_use_instant: i64,
    pub name: String,
    /// PEM (SubjectPublicKeyInfo).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    pub relying_party_id: String,
    pub sign_count: u32,
    pub tenant_id: String,
    pub transports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    pub user_id: String,
}

/// `{credential}` (register/complete, assert, retrieve by id) or `{credentials}` (by user).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnCredentialResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<WebAuthnCredential>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<WebAuthnCredential>>,
}

/// `POST /api/webauthn/start`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnStartRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    /// FusionAuth's id of one passkey, to limit the ceremony to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login_id_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Value>,
    /// Wins over `loginId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow: Option<WebAuthnWorkflow>,
}

/// `POST /api/webauthn/start` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebAuthnStartResponse {
    pub options: PublicKeyCredentialRequestOptions,
}

/// The argument of `navigator.credentials.get({publicKey})`, in its JSON form.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PublicKeyCredentialRequestOptions {
    pub allow_credentials: Vec<PublicKeyCredentialDescriptor>,
    pub challenge: String,
    /// Absent when the tenant sets no relying party id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
}

/// `POST /api/webauthn/login` and `POST /api/webauthn/assert`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnLoginRequest {
    pub credential: WebAuthnPublicKeyAuthenticationRequest,
    /// Ignored since FusionAuth 1.69.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Ignored since FusionAuth 1.69.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<LoginMetaData>,
    #[serde(rename = "noJWT", skip_serializing_if = "Option::is_none")]
    pub no_jwt: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub two_factor_trust_id: Option<String>,
}

crate::debug_fields!(WebAuthnLoginRequest {
    credential,
    origin,
    rp_id,
    application_id
});

/// The result of `navigator.credentials.get()`, in its JSON form.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnPublicKeyAuthenticationRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_extension_results: Option<Value>,
    pub id: String,
    pub response: WebAuthnAuthenticatorAuthenticationResponse,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rp_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The authenticator's assertion response.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WebAuthnAuthenticatorAuthenticationResponse {
    pub authenticator_data: String,
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub signature: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_handle: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn round_trip<T: Serialize + serde::de::DeserializeOwned>(json: &Value) -> Value {
        let typed: T = serde_json::from_value(json.clone()).expect("parses");
        serde_json::to_value(&typed).expect("serializes")
    }

    #[test]
    fn the_documented_register_start_request_and_response_round_trip() {
        let request = json!({"displayName": "Chrome Touch ID", "userId": "703fe2d2-2d39-4cb7-b76d-0b9918ed2457", "workflow": "reauthentication"});
        assert_eq!(
            round_trip::<WebAuthnRegisterStartRequest>(&request),
            request
        );
        let response = json!({"options": {
            "attestation": "none",
            "authenticatorSelection": {"authenticatorAttachment": "platform", "userVerification": "required"},
            "challenge": "fdnW2u1_Nk9_FY2SprU4mPs0NgBTbo9tOO5Q9EvO1Oc",
            "excludeCredentials": [{"id": "MBU0eBsaNAt4VEh4Lbn2sQ==", "transports": ["internal"], "type": "public-key"}],
            "extensions": {"credProps": true},
            "pubKeyCredParams": [{"alg": -7, "type": "public-key"}, {"alg": -257, "type": "public-key"}],
            "rp": {"id": "piedpiper.com", "name": "Pied Piper"},
            "timeout": 180000,
            "user": {"displayName": "Chrome Touch ID", "id": "NzAzZmUyZDItMmQzOS00Y2I3LWI3NmQtMGI5OTE4ZWQyNDU3", "name": "richard@fusionauth.io"}
        }});
        assert_eq!(
            round_trip::<WebAuthnRegisterStartResponse>(&response),
            response
        );
    }

    #[test]
    fn the_documented_register_complete_request_round_trips() {
        let request = json!({
            "credential": {
                "clientExtensionResults": {"credProps": {"rk": true}},
                "id": "HdN9wqP9mqOonacmiM2gIjASFYg",
                "response": {"attestationObject": "v2dhdHRTdG109mhh", "clientDataJSON": "eyJjaGFsbGVuZ2Ui"},
                "transports": ["internal"],
                "type": "public-key"
            },
            "origin": "https://auth.piedpiper.com",
            "rpId": "piedpiper.com",
            "userId": "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
        });
        assert_eq!(
            round_trip::<WebAuthnRegisterCompleteRequest>(&request),
            request
        );
    }

    #[test]
    fn the_documented_credential_response_round_trips() {
        let response = json!({"credential": {
            "algorithm": -7,
            "attestationType": "none",
            "authenticatorSupportsUserVerification": true,
            "credentialId": "HdN9wqP9mqOonacmiM2gIjASFYg",
            "data": {},
            "discoverable": false,
            "displayName": "Chrome Touch ID",
            "id": "c664318a-2384-4c35-9475-9a200e1d3b72",
            "insertInstant": 1668011701792_i64,
            "lastUseInstant": 1668021630599_i64,
            "name": "richard@fusionauth.io",
            "publicKey": "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
            "relyingPartyId": "piedpiper.com",
            "signCount": 41,
            "tenantId": "30663132-6464-6665-3032-326466613934",
            "transports": ["internal"],
            "userId": "703fe2d2-2d39-4cb7-b76d-0b9918ed2457"
        }});
        assert_eq!(
            round_trip::<WebAuthnCredentialResponse>(&response),
            response
        );
    }

    #[test]
    fn the_documented_start_and_login_requests_and_start_response_round_trip() {
        let start = json!({"applicationId": "82b24314-95f6-4393-b3da-72c341185244", "userId": "703fe2d2-2d39-4cb7-b76d-0b9918ed2457", "workflow": "reauthentication"});
        assert_eq!(round_trip::<WebAuthnStartRequest>(&start), start);
        let options = json!({"options": {
            "allowCredentials": [{"id": "HdN9wqP9mqOonacmiM2gIjASFYg", "transports": ["internal"], "type": "public-key"}],
            "challenge": "fdnW2u1_Nk9_FY2SprU4mPs0NgBTbo9tOO5Q9EvO1Oc",
            "rpId": "piedpiper.com",
            "timeout": 180000,
            "userVerification": "required"
        }});
        assert_eq!(round_trip::<WebAuthnStartResponse>(&options), options);
        let login = json!({
            "credential": {
                "id": "HdN9wqP9mqOonacmiM2gIjASFYg",
                "response": {
                    "authenticatorData": "mPsv4VW-wth0V9gzsxWRFn-1SyC9gM4-QC4ptMFDNhUFAAAAKQ==",
                    "clientDataJSON": "eyJjaGFsbGVuZ2UiOiJTeTYz",
                    "signature": "MEUCIQDUwlDp9aNcYQmvpVGLJ35H8lRWjWsfjVsf",
                    "userHandle": "NzAzZmUyZDItMmQzOS00Y2I3LWI3NmQtMGI5OTE4ZWQyNDU3"
                },
                "type": "public-key"
            },
            "origin": "https://auth.piedpiper.com",
            "rpId": "piedpiper.com"
        });
        assert_eq!(round_trip::<WebAuthnLoginRequest>(&login), login);
    }

    #[test]
    fn a_login_request_debug_leaves_out_the_trust_id() {
        let request = WebAuthnLoginRequest {
            two_factor_trust_id: Some("secret-trust".to_owned()),
            ..WebAuthnLoginRequest::default()
        };
        assert!(!format!("{request:?}").contains("secret-trust"));
    }
}
