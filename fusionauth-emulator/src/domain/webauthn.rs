//! WebAuthn (passkey) ceremonies: the tenant's `webAuthnConfiguration`, the start and finish of
//! registrations and assertions, and the stored passkeys — <https://fusionauth.io/docs/apis/webauthn>
//!
//! The relying-party checks (client data, authenticator data, attestation "none", signatures,
//! the signature counter) are `webauthn-rs`'s; this module converts FusionAuth's JSON shapes at
//! the edge and keeps each started ceremony (its one-time challenge) in the database until it
//! is used or expires.
//! (Over 500 lines: both ceremonies share the settings, conversions and stored state kept here.)
//!
//! (Over 500 lines: both ceremonies share the tenant's settings, the encodings and the verifier.)

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::fusionauth::{
    ErrorCode, Errors, PublicKeyCredentialCreationOptions, PublicKeyCredentialDescriptor,
    PublicKeyCredentialRequestOptions, Rule, WebAuthnCredential, WebAuthnLoginRequest,
    WebAuthnRegisterCompleteRequest, WebAuthnRegisterStartRequest, WebAuthnWorkflow,
};
use webauthn_rs::prelude::{
    COSEKeyType, ECDSACurve, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use crate::infra::crypto::b64url;
use crate::infra::error::{ApiError, Result, found};
use crate::model::{Application, Tenant};
use crate::state::AppState;
use crate::store::webauthn::{ChallengeRow, CredentialRow};
use crate::store::{self, UserRow};

const REGISTRATION: &str = "registration";
const AUTHENTICATION: &str = "authentication";
/// Placeholder relying party id for the start of a ceremony when the tenant sets none (the
/// browser then uses the page's domain; the options leave `rp.id`/`rpId` out).
const UNSET_RP_ID: &str = "localhost";

/// The tenant's `webAuthnConfiguration` and challenge lifetimes.
#[derive(Debug)]
struct Settings<'a> {
    tenant: &'a Tenant,
}

impl<'a> Settings<'a> {
    fn get(&self, pointer: &str) -> Option<&'a Value> {
        self.tenant
            .data
            .pointer(&format!("/webAuthnConfiguration{pointer}"))
    }

    fn enabled(&self) -> bool {
        self.get("/enabled").and_then(Value::as_bool) == Some(true)
    }

    fn rp_id(&self) -> Option<String> {
        self.get("/relyingPartyId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    fn rp_name(&self) -> String {
        self.get("/relyingPartyName")
            .and_then(Value::as_str)
            .filter(|name| !name.is_empty())
            .map_or_else(|| self.tenant.issuer(), str::to_owned)
    }

    /// `bootstrapWorkflow` or `reauthenticationWorkflow` (`general` has no settings).
    fn workflow_key(workflow: WebAuthnWorkflow) -> Option<&'static str> {
        match workflow {
            WebAuthnWorkflow::Bootstrap => Some("bootstrapWorkflow"),
            WebAuthnWorkflow::Reauthentication => Some("reauthenticationWorkflow"),
            WebAuthnWorkflow::General => None,
        }
    }

    /// WebAuthn on, and the workflow on (the application's setting wins when its
    /// `webAuthnConfiguration.enabled`).
    fn workflow_enabled(
        &self,
        workflow: WebAuthnWorkflow,
        application: Option<&Application>,
    ) -> bool {
        let Some(key) = Self::workflow_key(workflow) else {
            return self.enabled();
        };
        let overriding = application.filter(|app| {
            app.data
                .pointer("/webAuthnConfiguration/enabled")
                .and_then(Value::as_bool)
                == Some(true)
        });
        let flag = match overriding {
            Some(app) => app
                .data
                .pointer(&format!("/webAuthnConfiguration/{key}/enabled")),
            None => self.get(&format!("/{key}/enabled")),
        };
        self.enabled() && flag.and_then(Value::as_bool) == Some(true)
    }

    /// `authenticatorAttachment` for registrations: `platform`, `cross-platform` or none (`any`,
    /// and the `general` workflow).
    fn attachment(&self, workflow: WebAuthnWorkflow) -> Option<String> {
        let key = Self::workflow_key(workflow)?;
        match self
            .get(&format!("/{key}/authenticatorAttachmentPreference"))
            .and_then(Value::as_str)
            .unwrap_or("crossPlatform")
        {
            "platform" => Some("platform".to_owned()),
            "crossPlatform" => Some("cross-platform".to_owned()),
            _ => None,
        }
    }

    fn ttl_s(&self, name: &str) -> u64 {
        self.tenant
            .data
            .pointer(&format!("/externalIdentifierConfiguration/{name}"))
            .and_then(Value::as_u64)
            .unwrap_or(180)
    }
}

/// 400 with the general error `[WebAuthnDisabled]`.
fn disabled() -> ApiError {
    ApiError::Validation(Errors::general(
        ErrorCode::general(Rule::Other("WebAuthnDisabled".to_owned())),
        "WebAuthn, or this workflow, is not enabled for the tenant or application.",
    ))
}

/// 400 with the general error `[WebAuthnFailed]`: a registration that does not verify.
fn registration_failed() -> ApiError {
    ApiError::Validation(Errors::general(
        ErrorCode::general(Rule::Other("WebAuthnFailed".to_owned())),
        "The WebAuthn registration could not be verified.",
    ))
}

/// The verifier for `rp_id`, accepting `origin` only.
fn verifier(rp_id: &str, rp_name: &str, origin: &Url, ttl_s: u64) -> Option<Webauthn> {
    WebauthnBuilder::new(rp_id, origin)
        .ok()?
        .rp_name(rp_name)
        .timeout(Duration::from_secs(ttl_s))
        .build()
        .ok()
}

/// The verifier used to start a ceremony (the origin is only known when it completes).
fn start_verifier(settings: &Settings<'_>, ttl_s: u64) -> Result<Webauthn> {
    let rp_id = settings.rp_id().unwrap_or_else(|| UNSET_RP_ID.to_owned());
    let origin =
        Url::parse(&format!("https://{rp_id}")).map_err(|e| ApiError::Internal(e.into()))?;
    verifier(&rp_id, &settings.rp_name(), &origin, ttl_s).ok_or_else(|| {
        ApiError::field(
            Rule::Invalid,
            "tenant.webAuthnConfiguration.relyingPartyId",
            "The relying party id is not a valid domain.",
        )
    })
}

/// Base64url without padding, whatever alphabet or padding was sent.
fn normalize_b64(text: &str) -> String {
    text.trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    crate::infra::crypto::b64url_decode(&normalize_b64(text))
}

/// The challenge and origin a browser signed into `clientDataJSON`.
fn client_data(client_data_json: &str) -> Option<(String, Url)> {
    let data: Value = serde_json::from_slice(&decode_b64(client_data_json)?).ok()?;
    let challenge = normalize_b64(data.get("challenge")?.as_str()?);
    let origin = Url::parse(data.get("origin")?.as_str()?).ok()?;
    Some((challenge, origin))
}

/// Whether WebAuthn may run at `origin`: HTTPS, or plain HTTP on `localhost`.
fn secure_origin(origin: &Url) -> bool {
    origin.scheme() == "https"
        || (origin.scheme() == "http" && origin.host_str() == Some("localhost"))
}

/// The relying party id for a ceremony completed at `origin`.
fn rp_id_for(settings: &Settings<'_>, origin: &Url) -> Option<String> {
    settings
        .rp_id()
        .or_else(|| origin.domain().map(str::to_owned))
}

/// What a started registration carries to its completion.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistrationData {
    name: String,
    display_name: String,
    user_agent: Option<String>,
    state: PasskeyRegistration,
}

/// What a started assertion carries to its completion.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionData {
    pub application_id: Option<String>,
    pub state_value: Option<Value>,
    state: PasskeyAuthentication,
}

fn passkey(row: &CredentialRow) -> Result<Passkey> {
    Ok(serde_json::from_str(&row.passkey)?)
}

/// `POST /api/webauthn/register/start` for `user`: the creation options (one-time challenge).
pub async fn start_registration(
    state: &AppState,
    tenant: &Tenant,
    user: &UserRow,
    request: &WebAuthnRegisterStartRequest,
    workflow: WebAuthnWorkflow,
) -> Result<PublicKeyCredentialCreationOptions> {
    let settings = Settings { tenant };
    if !settings.workflow_enabled(workflow, None) {
        return Err(disabled());
    }
    let ttl_s = settings.ttl_s("webAuthnRegistrationChallengeTimeToLiveInSeconds");
    let verifier = start_verifier(&settings, ttl_s)?;
    let existing = store::webauthn::of_user(&state.pool, &user.id).await?;
    let mut exclude = Vec::new();
    for row in &existing {
        exclude.push(passkey(row)?.cred_id().clone());
    }
    let name = request
        .name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .or_else(|| user.email.clone())
        .or_else(|| user.username.clone())
        .unwrap_or_else(|| user.id.clone());
    let user_uuid = Uuid::parse_str(&user.id).map_err(|e| ApiError::Internal(e.into()))?;
    let (creation, registration) = verifier
        .start_passkey_registration(user_uuid, &name, &request.display_name, Some(exclude))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot start a registration: {e}")))?;
    let mut options: PublicKeyCredentialCreationOptions =
        serde_json::from_value(serde_json::to_value(&creation.public_key)?)?;
    options.attestation = "none".to_owned();
    options.rp.id = settings.rp_id();
    options.user.id = b64url(user.id.as_bytes());
    options.authenticator_selection.authenticator_attachment = settings.attachment(workflow);
    options.authenticator_selection.user_verification = Some("required".to_owned());
    options.extensions = Some(json!({"credProps": true}));
    options.exclude_credentials = existing.iter().map(descriptor).collect();
    options.timeout = Some(ttl_s * 1000);
    let data = RegistrationData {
        name,
        display_name: request.display_name.clone(),
        user_agent: request.user_agent.clone(),
        state: registration,
    };
    let challenge = normalize_b64(&options.challenge);
    save_challenge(state, REGISTRATION, &challenge, user, ttl_s, &data).await?;
    tracing::info!(user_id = user.id, "WebAuthn registration started");
    Ok(options)
}

/// Stores the `challenge` of a `kind` ceremony ([`REGISTRATION`] or [`AUTHENTICATION`]) of
/// `user` with `data` (what completing it needs) for `ttl_s` seconds; expired challenges are
/// swept first.
async fn save_challenge(
    state: &AppState,
    kind: &str,
    challenge: &str,
    user: &UserRow,
    ttl_s: u64,
    data: &impl Serialize,
) -> Result<()> {
    let ttl_ms = i64::try_from(ttl_s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let now = state.clock.now_ms();
    let row = ChallengeRow {
        user_id: user.id.clone(),
        expires_instant: now.saturating_add(ttl_ms),
        data: serde_json::to_string(data)?,
    };
    store::webauthn::delete_expired_challenges(&state.pool, now).await?;
    store::webauthn::insert_challenge(&state.pool, challenge, kind, &row).await?;
    Ok(())
}

fn descriptor(row: &CredentialRow) -> PublicKeyCredentialDescriptor {
    PublicKeyCredentialDescriptor {
        id: row.credential.credential_id.clone(),
        transports: row.credential.transports.clone(),
        kind: "public-key".to_owned(),
    }
}

/// `POST /api/webauthn/register/complete`: verifies the new credential against its started
/// registration and stores it. 400 `[WebAuthnFailed]` for an unknown, used or expired
/// challenge, another user's challenge, a credential that does not verify or is registered.
pub async fn complete_registration(
    state: &AppState,
    request: &WebAuthnRegisterCompleteRequest,
) -> Result<WebAuthnCredential> {
    let credential = &request.credential;
    let (challenge, origin) =
        client_data(&credential.response.client_data_json).ok_or_else(registration_failed)?;
    let row = store::webauthn::take_challenge(&state.pool, &challenge, REGISTRATION)
        .await?
        .ok_or_else(registration_failed)?;
    if row.expires_instant <= state.clock.now_ms() || row.user_id != request.user_id {
        return Err(registration_failed());
    }
    let user = found(store::users::find(&state.pool, &row.user_id).await?)?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    let settings = Settings { tenant: &tenant };
    let data: RegistrationData = serde_json::from_str(&row.data)?;
    let ttl_s = settings.ttl_s("webAuthnRegistrationChallengeTimeToLiveInSeconds");
    let rp_id = rp_id_for(&settings, &origin).ok_or_else(registration_failed)?;
    if !secure_origin(&origin) {
        return Err(registration_failed());
    }
    let verifier =
        verifier(&rp_id, &settings.rp_name(), &origin, ttl_s).ok_or_else(registration_failed)?;
    let raw = json!({
        "id": normalize_b64(&credential.id),
        "rawId": normalize_b64(&credential.id),
        "type": credential.kind,
        "response": {
            "attestationObject": normalize_b64(&credential.response.attestation_object),
            "clientDataJSON": normalize_b64(&credential.response.client_data_json),
            "transports": credential.transports,
        },
    });
    let raw: RegisterPublicKeyCredential =
        serde_json::from_value(raw).map_err(|_| registration_failed())?;
    let passkey = verifier
        .finish_passkey_registration(&raw, &data.state)
        .map_err(|e| {
            tracing::info!(error = %e, "WebAuthn registration did not verify");
            registration_failed()
        })?;
    let now = state.clock.now_ms();
    let stored = serde_json::to_value(&passkey)?;
    let sign_count = stored
        .pointer("/cred/counter")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0);
    let view = WebAuthnCredential {
        algorithm: i64::from(*passkey.cred_algorithm() as i32),
        attestation_type: "none".to_owned(),
        authenticator_supports_user_verification: true,
        credential_id: b64url(passkey.cred_id().as_ref()),
        data: json!({}),
        discoverable: credential
            .client_extension_results
            .as_ref()
            .and_then(|results| results.cred_props.as_ref())
            .and_then(|props| props.rk)
            .unwrap_or(false),
        display_name: data.display_name,
        id: Uuid::new_v4().to_string(),
        insert_instant: now,
        last_use_instant: now,
        name: data.name,
        public_key: public_key_pem(&passkey),
        relying_party_id: rp_id,
        sign_count,
        tenant_id: tenant.id.clone(),
        transports: credential.transports.clone(),
        user_agent: data.user_agent,
        user_id: user.id.clone(),
    };
    let row = CredentialRow {
        credential: view,
        passkey: stored.to_string(),
    };
    if !store::webauthn::insert(&state.pool, &row).await? {
        return Err(registration_failed());
    }
    tracing::info!(user_id = user.id, "WebAuthn credential registered");
    Ok(row.credential)
}

/// The PEM (SubjectPublicKeyInfo) of an ES256 passkey; none for other key types.
fn public_key_pem(passkey: &Passkey) -> Option<String> {
    use base64::Engine;
    let COSEKeyType::EC_EC2(key) = &passkey.get_public_key().key else {
        return None;
    };
    if !matches!(key.curve, ECDSACurve::SECP256R1) || key.x.len() != 32 || key.y.len() != 32 {
        return None;
    }
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 04 || x || y } }
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
    ];
    der.extend_from_slice(&key.x);
    der.extend_from_slice(&key.y);
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    Some(format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----",
        lines.join("\n")
    ))
}

/// `POST /api/webauthn/start` for `user`: the request options (one-time challenge), limited to
/// the passkey `credential_id` (FusionAuth's id) when given. 400 when WebAuthn or the workflow
/// is off, or the user has no (such) passkey.
pub async fn start_assertion(
    state: &AppState,
    tenant: &Tenant,
    user: &UserRow,
    application: &Application,
    workflow: WebAuthnWorkflow,
    credential_id: Option<&str>,
    state_value: Option<Value>,
) -> Result<PublicKeyCredentialRequestOptions> {
    let settings = Settings { tenant };
    if workflow == WebAuthnWorkflow::General
        || !settings.workflow_enabled(workflow, Some(application))
    {
        return Err(disabled());
    }
    let rows: Vec<CredentialRow> = store::webauthn::of_user(&state.pool, &user.id)
        .await?
        .into_iter()
        .filter(|row| credential_id.is_none_or(|id| row.credential.id == id))
        .collect();
    if rows.is_empty() {
        let path = if credential_id.is_some() {
            "credentialId"
        } else {
            "userId"
        };
        return Err(ApiError::field(
            Rule::Invalid,
            path,
            "The user has no WebAuthn passkey for this request.",
        ));
    }
    let passkeys = rows.iter().map(passkey).collect::<Result<Vec<_>>>()?;
    let ttl_s = settings.ttl_s("webAuthnAuthenticationChallengeTimeToLiveInSeconds");
    let verifier = start_verifier(&settings, ttl_s)?;
    let (request, authentication) = verifier
        .start_passkey_authentication(&passkeys)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("cannot start an assertion: {e}")))?;
    let challenge = b64url(request.public_key.challenge.as_ref());
    let options = PublicKeyCredentialRequestOptions {
        allow_credentials: rows.iter().map(descriptor).collect(),
        challenge: challenge.clone(),
        rp_id: settings.rp_id(),
        timeout: Some(ttl_s * 1000),
        user_verification: Some("required".to_owned()),
    };
    let data = AssertionData {
        application_id: Some(application.id.clone()),
        state_value,
        state: authentication,
    };
    save_challenge(state, AUTHENTICATION, &challenge, user, ttl_s, &data).await?;
    tracing::info!(user_id = user.id, "WebAuthn assertion started");
    Ok(options)
}

/// A verified assertion: the passkey (counter and last use recorded), its user and tenant, and
/// what the start request asked for.
#[derive(Debug)]
pub struct Assertion {
    pub credential: WebAuthnCredential,
    pub user: UserRow,
    pub tenant: Tenant,
    pub data: AssertionData,
}

/// `POST /api/webauthn/login` and `/assert`: verifies the assertion against its started
/// ceremony. 400 for missing fields; 404 (nothing changed but the challenge used up) for an
/// unknown, used or expired challenge, a passkey of another user (or unknown), a signature
/// that does not verify, a user handle of someone else, or a counter that did not advance.
pub async fn verify_assertion(
    state: &AppState,
    request: &WebAuthnLoginRequest,
) -> Result<Assertion> {
    let credential = &request.credential;
    let response = &credential.response;
    let mut errors = Errors::default();
    for (value, path) in [
        (&credential.id, "credential.id"),
        (
            &response.authenticator_data,
            "credential.response.authenticatorData",
        ),
        (
            &response.client_data_json,
            "credential.response.clientDataJSON",
        ),
        (&response.signature, "credential.response.signature"),
    ] {
        if value.trim().is_empty() {
            errors.add_field(
                Rule::Blank,
                path,
                &format!("You must specify the [{path}] property."),
            );
        }
    }
    ApiError::check(errors)?;
    let (challenge, origin) = client_data(&response.client_data_json).ok_or_else(|| {
        ApiError::field(
            Rule::Invalid,
            "credential.response.clientDataJSON",
            "The client data is not base64url-encoded JSON with a challenge and an origin.",
        )
    })?;
    let row =
        found(store::webauthn::take_challenge(&state.pool, &challenge, AUTHENTICATION).await?)?;
    if row.expires_instant <= state.clock.now_ms() {
        tracing::info!("WebAuthn challenge expired");
        return Err(ApiError::NotFound);
    }
    let data: AssertionData = serde_json::from_str(&row.data)?;
    let credential_id = normalize_b64(&credential.id);
    let mut stored = store::webauthn::of_user(&state.pool, &row.user_id)
        .await?
        .into_iter()
        .find(|stored| stored.credential.credential_id == credential_id)
        .ok_or_else(|| {
            tracing::info!("WebAuthn credential is not one of the user's");
            ApiError::NotFound
        })?;
    let user = found(store::users::find(&state.pool, &row.user_id).await?)?;
    let tenant = found(store::tenants::find(&state.pool, &user.tenant_id).await?)?;
    if let Some(handle) = response.user_handle.as_deref().filter(|h| !h.is_empty())
        && decode_b64(handle).as_deref() != Some(user.id.as_bytes())
    {
        tracing::info!("WebAuthn user handle is not the user's");
        return Err(ApiError::NotFound);
    }
    let settings = Settings { tenant: &tenant };
    let ttl_s = settings.ttl_s("webAuthnAuthenticationChallengeTimeToLiveInSeconds");
    let verifier = rp_id_for(&settings, &origin)
        .filter(|_| secure_origin(&origin))
        .and_then(|rp_id| verifier(&rp_id, &settings.rp_name(), &origin, ttl_s))
        .ok_or(ApiError::NotFound)?;
    let raw = json!({
        "id": credential_id,
        "rawId": credential_id,
        "type": credential.kind,
        "response": {
            "authenticatorData": normalize_b64(&response.authenticator_data),
            "clientDataJSON": normalize_b64(&response.client_data_json),
            "signature": normalize_b64(&response.signature),
            "userHandle": response.user_handle.as_deref().map(normalize_b64),
        },
        "extensions": {},
    });
    let raw: PublicKeyCredential = serde_json::from_value(raw).map_err(|_| ApiError::NotFound)?;
    let result = verifier
        .finish_passkey_authentication(&raw, &data.state)
        .map_err(|e| {
            tracing::info!(error = %e, "WebAuthn assertion did not verify");
            ApiError::NotFound
        })?;
    let previous = stored.credential.sign_count;
    let counter = result.counter();
    if (counter > 0 || previous > 0) && counter <= previous {
        tracing::info!(
            counter,
            previous,
            "WebAuthn signature counter did not advance"
        );
        return Err(ApiError::NotFound);
    }
    let mut passkey = passkey(&stored)?;
    passkey.update_credential(&result);
    stored.passkey = serde_json::to_string(&passkey)?;
    stored.credential.sign_count = counter;
    stored.credential.last_use_instant = state.clock.now_ms();
    if !store::webauthn::record_use(&state.pool, &stored, previous).await? {
        tracing::info!("WebAuthn passkey was used concurrently");
        return Err(ApiError::NotFound);
    }
    Ok(Assertion {
        credential: stored.credential,
        user,
        tenant,
        data,
    })
}
