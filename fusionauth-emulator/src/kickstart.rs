//! FusionAuth Kickstart files (<https://fusionauth.io/docs/get-started/download-and-install/development/kickstart>):
//! `variables` substituted as `#{name}` (and `#{ENV.NAME}`), `apiKeys` created, then `requests`
//! replayed in order through the emulator's own handlers.

use std::path::{Path, PathBuf};

use actix_web::http::Method;
use actix_web::test;
use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value};

use crate::state::AppState;
use crate::store;

/// FusionAuth's own application (the admin UI), whose id is fixed; the emulator has no such
/// application, but a Kickstart may name its id.
pub const FUSIONAUTH_APPLICATION_ID: &str = "3c219e58-ed0e-4b18-ad48-f4f92793ae32";

/// How deep `&{…}` includes may nest.
const MAX_INCLUDE_DEPTH: usize = 8;

/// A parsed Kickstart file.
#[derive(Clone)]
pub struct Kickstart {
    document: Map<String, Value>,
    /// Where `@{…}` and `&{…}` includes are read from: the file's directory (the current
    /// directory for a Kickstart given as JSON).
    base_dir: PathBuf,
}

impl std::fmt::Debug for Kickstart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = |name: &str| {
            self.document
                .get(name)
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        f.debug_struct("Kickstart")
            .field("api_keys", &count("apiKeys"))
            .field("requests", &count("requests"))
            .finish_non_exhaustive()
    }
}

/// The values FusionAuth defines for every Kickstart (`#{FUSIONAUTH_TENANT_ID}`, …), known once
/// the default tenant and signing key exist.
#[derive(Debug, Clone)]
pub(crate) struct Builtins {
    /// The default tenant's id, unless the Kickstart's `defaultTenantId` chooses it.
    pub tenant_id: String,
    pub default_signing_key_id: String,
}

/// A Kickstart with its includes read and every `#{…}` replaced.
#[derive(Debug)]
pub(crate) struct Resolved {
    /// `FUSIONAUTH_TENANT_ID`: `defaultTenantId` when the Kickstart sets it.
    pub default_tenant_id: String,
    pub document: Map<String, Value>,
}

impl Kickstart {
    /// Reads and parses a Kickstart file.
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the Kickstart file {}", path.display()))?;
        let mut kickstart = Self::from_json(&text)
            .with_context(|| format!("invalid Kickstart file {}", path.display()))?;
        kickstart.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(kickstart)
    }

    /// Parses Kickstart JSON (includes are then read relative to the current directory).
    pub fn from_json(json: &str) -> anyhow::Result<Self> {
        match serde_json::from_str::<Value>(json).context("the Kickstart file is not valid JSON")? {
            Value::Object(document) => {
                for name in ["apiKeys", "requests"] {
                    if document.get(name).is_some_and(|v| !v.is_array()) {
                        bail!("Kickstart `{name}` must be an array");
                    }
                }
                if document.get("variables").is_some_and(|v| !v.is_object()) {
                    bail!("Kickstart `variables` must be an object");
                }
                Ok(Self {
                    document,
                    base_dir: PathBuf::new(),
                })
            }
            _ => bail!("a Kickstart file must be a JSON object"),
        }
    }

    /// Overrides (or adds) a value of the `variables` object before it is applied.
    pub fn set_variable(&mut self, name: &str, value: impl Into<String>) {
        let variables = self
            .document
            .entry("variables")
            .or_insert_with(|| Value::Object(Map::new()));
        if !variables.is_object() {
            *variables = Value::Object(Map::new());
        }
        if let Some(variables) = variables.as_object_mut() {
            variables.insert(name.to_owned(), Value::String(value.into()));
        }
    }

    /// The variables, each substituted once (so a `#{UUID()}` variable is one UUID everywhere),
    /// in order: `defaultTenantId` first, as `FUSIONAUTH_TENANT_ID` follows it.
    fn variables(&self, builtins: &Builtins) -> anyhow::Result<(Map<String, Value>, String)> {
        let mut known = Map::new();
        known.insert(
            "FUSIONAUTH_APPLICATION_ID".into(),
            FUSIONAUTH_APPLICATION_ID.into(),
        );
        known.insert(
            "FUSIONAUTH_DEFAULT_SIGNING_KEY_ID".into(),
            builtins.default_signing_key_id.clone().into(),
        );
        let empty = Map::new();
        let variables = match self.document.get("variables") {
            Some(Value::Object(variables)) => variables,
            _ => &empty,
        };
        let text_of = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let mut tenant_id = builtins.tenant_id.clone();
        if let Some(value) = variables.get("defaultTenantId") {
            tenant_id = substitute(&text_of(value), &known)
                .context("Kickstart variable `defaultTenantId`")?;
        }
        known.insert("FUSIONAUTH_TENANT_ID".into(), tenant_id.clone().into());
        for (name, value) in variables {
            let text = substitute(&text_of(value), &known)
                .with_context(|| format!("Kickstart variable `{name}`"))?;
            let text = if name == "defaultTenantId" {
                tenant_id.clone()
            } else {
                text
            };
            known.insert(name.clone(), Value::String(text));
        }
        Ok((known, tenant_id))
    }

    /// The document with its includes read and every `#{…}` replaced (`variables` left out).
    pub(crate) fn resolve(&self, builtins: &Builtins) -> anyhow::Result<Resolved> {
        let (variables, default_tenant_id) = self.variables(builtins)?;
        let mut document = Map::new();
        for (key, value) in &self.document {
            if key == "variables" {
                continue;
            }
            let value = include(value, &self.base_dir, 0)?;
            document.insert(key.clone(), substitute_value(&value, &variables)?);
        }
        Ok(Resolved {
            default_tenant_id,
            document,
        })
    }
}

/// Replaces each string that is exactly `@{path}` by the file's text and each that is exactly
/// `&{path}` by the file's JSON (itself searched for includes), paths relative to `base_dir`.
fn include(value: &Value, base_dir: &Path, depth: usize) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(text) => {
            let file = |inner: &str| base_dir.join(inner.trim());
            if let Some(inner) = text.strip_prefix("@{").and_then(|t| t.strip_suffix('}')) {
                let path = file(inner);
                Value::String(std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "Kickstart include @{{{inner}}}: cannot read {}",
                        path.display()
                    )
                })?)
            } else if let Some(inner) = text.strip_prefix("&{").and_then(|t| t.strip_suffix('}')) {
                if depth >= MAX_INCLUDE_DEPTH {
                    bail!(
                        "Kickstart includes nest deeper than {MAX_INCLUDE_DEPTH} at &{{{inner}}}"
                    );
                }
                let path = file(inner);
                let text = std::fs::read_to_string(&path).with_context(|| {
                    format!(
                        "Kickstart include &{{{inner}}}: cannot read {}",
                        path.display()
                    )
                })?;
                let json: Value = serde_json::from_str(&text).with_context(|| {
                    format!(
                        "Kickstart include &{{{inner}}}: {} is not JSON",
                        path.display()
                    )
                })?;
                include(&json, base_dir, depth + 1)?
            } else {
                value.clone()
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| include(item, base_dir, depth))
                .collect::<anyhow::Result<_>>()?,
        ),
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, value) in object {
                out.insert(key.clone(), include(value, base_dir, depth)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

fn substitute_value(value: &Value, variables: &Map<String, Value>) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(text) => Value::String(substitute(text, variables)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute_value(item, variables))
                .collect::<anyhow::Result<_>>()?,
        ),
        Value::Object(object) => {
            let mut out = Map::new();
            for (key, value) in object {
                out.insert(
                    substitute(key, variables)?,
                    substitute_value(value, variables)?,
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Replaces `#{name}` with a variable (or a built-in), `#{ENV.NAME}` with an environment
/// variable and `#{UUID()}` with a new random UUID; `\#{` stays a literal `#{`.
fn substitute(text: &str, variables: &Map<String, Value>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        if rest[..start].ends_with('\\') {
            out.push_str(&rest[..start - 1]);
            out.push_str("#{");
            rest = &rest[start + 2..];
            continue;
        }
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow!("unterminated `#{{` in {text:?}"))?;
        let name = after[..end].trim();
        let value = if let Some(env_name) = name.strip_prefix("ENV.") {
            std::env::var(env_name)
                .with_context(|| format!("environment variable {env_name} is not set"))?
        } else if name == "UUID()" {
            uuid::Uuid::new_v4().to_string()
        } else {
            match variables.get(name) {
                Some(Value::String(value)) => value.clone(),
                _ if name.starts_with("FUSIONAUTH_") || name == "TENANT_MANAGER_ID" => bail!(
                    "Kickstart built-in `{name}` names something the emulator does not have \
                     (forms, lambdas, the Tenant Manager)"
                ),
                _ => bail!("Kickstart variable `{name}` is not defined"),
            }
        };
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The requests of a Kickstart, to replay through the emulator's own API with `api_key`.
#[derive(Debug)]
pub(crate) struct Replay {
    pub api_key: String,
    pub requests: Vec<Value>,
    /// How many API keys the Kickstart created.
    pub api_keys: usize,
}

/// Creates the Kickstart's API keys; returns its requests to replay (with the first key, or an
/// internal one when it has none), if any. Runs once, on an empty database.
pub(crate) async fn create_api_keys(
    state: &AppState,
    resolved: &Resolved,
) -> anyhow::Result<Option<Replay>> {
    let document = &resolved.document;
    let now = state.clock.now_ms();
    let mut first_key = None;
    let empty = Vec::new();
    let api_keys = document
        .get("apiKeys")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    for (index, api_key) in api_keys.iter().enumerate() {
        let raw = match api_key.get("key").and_then(Value::as_str) {
            Some(raw) if !raw.trim().is_empty() => raw.to_owned(),
            _ => crate::infra::crypto::random_string::<32>()?,
        };
        let id = api_key
            .get("keyId")
            .or_else(|| api_key.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        store::api_keys::insert(
            &state.pool,
            &id,
            &raw,
            api_key.get("description").and_then(Value::as_str),
            api_key.get("tenantId").and_then(Value::as_str),
            api_key.get("permissions"),
            now,
        )
        .await
        .with_context(|| format!("Kickstart apiKeys[{index}] could not be created"))?;
        first_key.get_or_insert(raw);
    }
    let requests = document
        .get("requests")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    if requests.is_empty() {
        tracing::info!(api_keys = api_keys.len(), "Kickstart applied");
        return Ok(None);
    }
    let key = match first_key {
        Some(key) => key,
        None => {
            // FusionAuth needs an API key to run requests; make an internal one.
            let raw = crate::infra::crypto::random_string::<32>()?;
            store::api_keys::insert(
                &state.pool,
                &uuid::Uuid::new_v4().to_string(),
                &raw,
                Some("Kickstart (generated)"),
                None,
                None,
                now,
            )
            .await?;
            raw
        }
    };
    Ok(Some(Replay {
        api_key: key,
        requests: requests.clone(),
        api_keys: api_keys.len(),
    }))
}

/// Request `index` of a Kickstart as a call with `api_key`, and a label for errors.
pub(crate) fn request(
    index: usize,
    request: &Value,
    api_key: &str,
) -> anyhow::Result<(String, test::TestRequest)> {
    let method = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_uppercase();
    let url = request
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("Kickstart requests[{index}] has no url"))?;
    let label = format!("Kickstart requests[{index}] {method} {url}");
    let method =
        Method::from_bytes(method.as_bytes()).with_context(|| format!("{label}: bad method"))?;
    let mut call = test::TestRequest::default()
        .method(method)
        .uri(url)
        .insert_header(("Authorization", api_key));
    if let Some(tenant_id) = request.get("tenantId").and_then(Value::as_str) {
        call = call.insert_header(("X-FusionAuth-TenantId", tenant_id));
    }
    if let Some(body) = request.get("body") {
        // `contentType` (FusionAuth 1.40.1+): e.g. `application/merge-patch+json` for a PATCH.
        let content_type = request
            .get("contentType")
            .and_then(Value::as_str)
            .unwrap_or("application/json");
        call = call
            .insert_header(("Content-Type", content_type))
            .set_payload(serde_json::to_vec(body)?);
    }
    Ok((label, call))
}

#[cfg(test)]
mod tests {
    use super::{Builtins, FUSIONAUTH_APPLICATION_ID, Kickstart};

    fn builtins() -> Builtins {
        Builtins {
            tenant_id: "random-tenant".into(),
            default_signing_key_id: "default-key".into(),
        }
    }

    #[test]
    fn variables_are_substituted_everywhere_and_can_be_overridden() {
        let mut kickstart = Kickstart::from_json(
            r##"{"variables":{"a":"x","b":"#{ENV.PATH}"},"requests":[{"url":"/api/#{a}","body":{"k":["#{a}-#{a}","#{b}"]}}]}"##,
        )
        .expect("parses");
        kickstart.set_variable("a", "y");
        let resolved = kickstart.resolve(&builtins()).expect("resolves").document;
        assert_eq!(resolved["requests"][0]["url"], "/api/y");
        assert_eq!(resolved["requests"][0]["body"]["k"][0], "y-y");
        assert_ne!(resolved["requests"][0]["body"]["k"][1], "");
    }

    #[test]
    fn an_undefined_variable_or_an_unemulated_built_in_is_an_error() {
        for url in ["/#{nope}", "/#{FUSIONAUTH_LAMBDA[OpenIDReconcile]_ID}"] {
            let kickstart = Kickstart::from_json(&format!(r#"{{"requests":[{{"url":"{url}"}}]}}"#))
                .expect("parses");
            assert!(kickstart.resolve(&builtins()).is_err(), "{url}");
        }
    }

    #[test]
    fn built_ins_and_uuid_follow_fusionauths_documentation() {
        let kickstart = Kickstart::from_json(
            r##"{"variables":{"id":"#{UUID()}"},
                 "requests":[{"url":"/#{FUSIONAUTH_TENANT_ID}/#{FUSIONAUTH_APPLICATION_ID}/#{FUSIONAUTH_DEFAULT_SIGNING_KEY_ID}",
                              "body":{"same":["#{id}","#{id}"],"fresh":["#{UUID()}","#{UUID()}"],
                                      "literal":"\\#{id}"}}]}"##,
        )
        .expect("parses");
        let resolved = kickstart.resolve(&builtins()).expect("resolves");
        let request = &resolved.document["requests"][0];
        assert_eq!(
            request["url"],
            format!("/random-tenant/{FUSIONAUTH_APPLICATION_ID}/default-key")
        );
        let body = &request["body"];
        assert_eq!(body["same"][0], body["same"][1], "a variable is one UUID");
        assert_ne!(body["fresh"][0], body["fresh"][1], "each UUID() is new");
        assert!(uuid::Uuid::parse_str(body["fresh"][0].as_str().expect("text")).is_ok());
        assert_eq!(body["literal"], "#{id}");
        assert_eq!(resolved.default_tenant_id, "random-tenant");
    }

    #[test]
    fn the_default_tenant_id_variable_is_fusionauth_tenant_id() {
        let kickstart = Kickstart::from_json(
            r##"{"variables":{"defaultTenantId":"8b5d4a3e-0d7f-4a39-9d50-2a6ff64e3c11"},
                 "requests":[{"url":"/#{FUSIONAUTH_TENANT_ID}"}]}"##,
        )
        .expect("parses");
        let resolved = kickstart.resolve(&builtins()).expect("resolves");
        assert_eq!(
            resolved.document["requests"][0]["url"],
            "/8b5d4a3e-0d7f-4a39-9d50-2a6ff64e3c11"
        );
        assert_eq!(
            resolved.default_tenant_id,
            "8b5d4a3e-0d7f-4a39-9d50-2a6ff64e3c11"
        );
    }
}
