//! FusionAuth Kickstart files (<https://fusionauth.io/docs/get-started/download-and-install/development/kickstart>):
//! `variables` substituted as `#{name}` (and `#{ENV.NAME}`), `apiKeys` created, then `requests`
//! replayed in order through the emulator's own handlers.

use std::path::Path;

use actix_web::http::Method;
use actix_web::test;
use anyhow::{Context, anyhow, bail};
use serde_json::{Map, Value};

use crate::state::AppState;
use crate::store;

/// A parsed Kickstart file.
#[derive(Clone)]
pub struct Kickstart {
    document: Map<String, Value>,
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

impl Kickstart {
    /// Reads and parses a Kickstart file.
    pub fn from_path(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the Kickstart file {}", path.display()))?;
        Self::from_json(&text).with_context(|| format!("invalid Kickstart file {}", path.display()))
    }

    /// Parses Kickstart JSON.
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
                Ok(Self { document })
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

    /// The value of variable `name` after `#{ENV.…}` substitution.
    pub(crate) fn variable(&self, name: &str) -> anyhow::Result<Option<String>> {
        Ok(match self.variables()?.get(name) {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        })
    }

    fn variables(&self) -> anyhow::Result<Map<String, Value>> {
        let mut resolved = Map::new();
        if let Some(Value::Object(variables)) = self.document.get("variables") {
            for (name, value) in variables {
                let text = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                let text = substitute(&text, &Map::new())
                    .with_context(|| format!("Kickstart variable `{name}`"))?;
                resolved.insert(name.clone(), Value::String(text));
            }
        }
        Ok(resolved)
    }

    /// The document with every `#{…}` replaced.
    fn resolved(&self) -> anyhow::Result<Map<String, Value>> {
        let variables = self.variables()?;
        let mut document = Map::new();
        for (key, value) in &self.document {
            if key == "variables" {
                continue;
            }
            document.insert(key.clone(), substitute_value(value, &variables)?);
        }
        Ok(document)
    }
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

/// Replaces `#{name}` with a variable and `#{ENV.NAME}` with an environment variable.
fn substitute(text: &str, variables: &Map<String, Value>) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("#{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| anyhow!("unterminated `#{{` in {text:?}"))?;
        let name = after[..end].trim();
        let value = if let Some(env_name) = name.strip_prefix("ENV.") {
            std::env::var(env_name)
                .with_context(|| format!("environment variable {env_name} is not set"))?
        } else {
            match variables.get(name) {
                Some(Value::String(value)) => value.clone(),
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
    kickstart: &Kickstart,
) -> anyhow::Result<Option<Replay>> {
    let document = kickstart.resolved()?;
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
        call = call
            .insert_header(("Content-Type", "application/json"))
            .set_payload(serde_json::to_vec(body)?);
    }
    Ok((label, call))
}

#[cfg(test)]
mod tests {
    use super::Kickstart;

    #[test]
    fn variables_are_substituted_everywhere_and_can_be_overridden() {
        let mut kickstart = Kickstart::from_json(
            r##"{"variables":{"a":"x","b":"#{ENV.PATH}"},"requests":[{"url":"/api/#{a}","body":{"k":["#{a}-#{a}"]}}]}"##,
        )
        .expect("parses");
        kickstart.set_variable("a", "y");
        let resolved = kickstart.resolved().expect("resolves");
        assert_eq!(resolved["requests"][0]["url"], "/api/y");
        assert_eq!(resolved["requests"][0]["body"]["k"][0], "y-y");
        assert!(
            !kickstart
                .variable("b")
                .expect("env")
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn an_undefined_variable_is_an_error() {
        let kickstart =
            Kickstart::from_json(r##"{"requests":[{"url":"/#{nope}"}]}"##).expect("parses");
        assert!(kickstart.resolved().is_err());
    }
}
