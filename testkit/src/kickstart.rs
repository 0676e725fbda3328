//! The facts of the project's Kickstart file (`fusionauth/kickstart.json`) that tests need.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::Value;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .map_or_else(|| here.clone(), Path::to_path_buf)
}

/// Values of the project's Kickstart file's `variables`.
#[derive(Debug, Clone)]
pub struct KickstartFacts {
    /// The Kickstart's own, unrestricted key (administration in tests).
    pub api_key: String,
    /// The least-privilege key the backend is given as `APP_FUSIONAUTH_API_KEY`.
    pub backend_api_key: String,
    pub tenant_id: String,
    pub application_id: String,
    pub issuer: String,
    pub demo_email: String,
    pub demo_password: String,
}

impl KickstartFacts {
    /// `fusionauth/kickstart.json` in the workspace.
    pub fn path() -> PathBuf {
        workspace_root().join("fusionauth/kickstart.json")
    }

    /// The Kickstart file as JSON.
    ///
    /// # Errors
    /// When the file cannot be read or is not JSON.
    pub fn document() -> anyhow::Result<Value> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).context("parsing the Kickstart file")
    }

    /// Reads the variables of `fusionauth/kickstart.json`.
    ///
    /// # Errors
    /// When the file cannot be read, or lacks one of the variables.
    pub fn load() -> anyhow::Result<Self> {
        let json = Self::document()?;
        let variable = |name: &str| -> anyhow::Result<String> {
            json["variables"][name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("the Kickstart file has no variable `{name}`"))
        };
        Ok(Self {
            api_key: variable("apiKey")?,
            backend_api_key: variable("backendApiKey")?,
            tenant_id: variable("defaultTenantId")?,
            application_id: variable("applicationId")?,
            issuer: variable("issuer")?,
            demo_email: variable("demoEmail")?,
            demo_password: variable("demoPassword")?,
        })
    }
}

/// Adds one request to the Kickstart `document`: the default tenant's WebAuthn on, with
/// `relying_party_id`, the bootstrap workflow for platform authenticators and user verification
/// required (what `cargo xtask dev` and the passkey tests run with; a real deployment sets its own
/// domain, see the README's "Passkeys").
///
/// # Errors
/// When the document has no `requests` array.
pub fn with_passkeys(document: &mut Value, relying_party_id: &str) -> anyhow::Result<()> {
    let workflow = serde_json::json!({"enabled": true,
        "authenticatorAttachmentPreference": "platform", "userVerificationRequirement": "required"});
    document["requests"]
        .as_array_mut()
        .context("the Kickstart file has no requests")?
        .push(
            serde_json::json!({"method": "PATCH", "url": "/api/tenant/#{defaultTenantId}",
            "body": {"tenant": {"webAuthnConfiguration": {"enabled": true,
                "relyingPartyId": relying_party_id, "relyingPartyName": "Mobile store",
                "bootstrapWorkflow": workflow}}}}),
        );
    Ok(())
}
