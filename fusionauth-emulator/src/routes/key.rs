//! The Key API (API key): `POST /api/key/generate[/{keyId}]`, `POST /api/key/import[/{keyId}]`,
//! `GET /api/key/{keyId}` — <https://fusionauth.io/docs/apis/keys>

use actix_web::{HttpResponse, web};
use serde_json::Value;
use shared::fusionauth::{Key, KeyResponse, Rule};

use super::input::{Create, object, required, string};
use super::table::Routes;
use crate::infra::crypto::{self, SigningKey};
use crate::infra::error::{ApiError, Result};
use crate::infra::http::ok_json;
use crate::model::ApiKey;
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .post("/api/key/generate", generate)
        .post("/api/key/generate/{keyId}", generate)
        .post("/api/key/import", import)
        .post("/api/key/import/{keyId}", import)
        .get("/api/key/{key_id}", retrieve);
}

/// `POST /api/key/generate[/{keyId}]`: generates an RSA (`RS256`, 2048/3072/4096 bits), EC
/// (`ES256`, P-256) or HMAC (`HS256`, 256-bit secret) key.
#[tracing::instrument(skip_all)]
async fn generate(state: State, _key: ApiKey, new: Create) -> Result<HttpResponse> {
    let id = new.id_or_new();
    let key = object(&new.body, "key")?;
    let algorithm = string(key, "algorithm").unwrap_or("RS256").to_owned();
    if !["RS256", "ES256", "HS256"].contains(&algorithm.as_str()) {
        return Err(ApiError::field(
            Rule::Invalid,
            "key.algorithm",
            "The emulator generates RS256, ES256 and HS256 keys.",
        ));
    }
    let name = required(key, "key", "name")?;
    let requested = key.get("length").and_then(Value::as_u64);
    let bits = match (algorithm.as_str(), requested) {
        ("RS256", None) => 2048,
        ("RS256", Some(bits @ (2048 | 3072 | 4096))) => u32::try_from(bits).unwrap_or(2048),
        ("ES256", None | Some(256)) | ("HS256", None | Some(256)) => 256,
        _ => {
            return Err(ApiError::field(
                Rule::Invalid,
                "key.length",
                "RS256 keys are 2048, 3072 or 4096 bits; ES256 and HS256 keys 256.",
            ));
        }
    };
    if store::keys::exists(&state.pool, &id).await? {
        return Err(ApiError::field(
            Rule::Duplicate,
            "keyId",
            "A key with this id already exists.",
        ));
    }
    let now = state.clock.now_ms();
    let (owned_id, owned_name) = (id.clone(), name.to_owned());
    let (signing_key, stored) =
        web::block(move || SigningKey::generate_for(&algorithm, &owned_id, &owned_name, bits, now))
            .await
            .map_err(|e| ApiError::Internal(e.into()))??;
    store::keys::insert(&state.pool, &signing_key, &stored).await?;
    let response = key_response(&signing_key);
    state.add_key(signing_key);
    tracing::info!(key_id = id, "signing key generated");
    Ok(response)
}

/// `POST /api/key/import[/{keyId}]`: imports an HMAC (`HS256`) key from its standard Base64
/// `secret` (at least 32 bytes). RSA/EC import (PEM) is not emulated: 400 `[invalid]key.algorithm`.
#[tracing::instrument(skip_all)]
async fn import(state: State, _key: ApiKey, new: Create) -> Result<HttpResponse> {
    use base64::Engine as _;
    let id = new.id_or_new();
    let key = object(&new.body, "key")?;
    if string(key, "algorithm") != Some("HS256") {
        return Err(ApiError::field(
            Rule::Invalid,
            "key.algorithm",
            "The emulator imports HS256 (HMAC) keys only; RSA and EC keys can be generated.",
        ));
    }
    let name = required(key, "key", "name")?;
    let encoded = string(key, "secret").ok_or_else(|| {
        ApiError::field(
            Rule::Blank,
            "key.secret",
            "You must specify the [key.secret] property for an HMAC key.",
        )
    })?;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .filter(|secret| secret.len() >= 32)
        .ok_or_else(|| {
            ApiError::field(
                Rule::Invalid,
                "key.secret",
                "The [key.secret] must be standard Base64 of at least 32 bytes.",
            )
        })?;
    if store::keys::exists(&state.pool, &id).await? {
        return Err(ApiError::field(
            Rule::Duplicate,
            "keyId",
            "A key with this id already exists.",
        ));
    }
    let kid = match string(key, "kid") {
        Some(kid) => kid.to_owned(),
        None => crypto::random_string::<20>().map_err(ApiError::Internal)?,
    };
    let now = state.clock.now_ms();
    let signing_key = SigningKey::from_stored(&id, &kid, "HS256", name, now, &secret)
        .map_err(ApiError::Internal)?;
    store::keys::insert(&state.pool, &signing_key, &secret).await?;
    let response = key_response(&signing_key);
    state.add_key(signing_key);
    tracing::info!(key_id = id, "signing key imported");
    Ok(response)
}

/// The Key object (the secret of HMAC keys included: API key only).
fn key_response(key: &SigningKey) -> HttpResponse {
    ok_json(&KeyResponse {
        key: Key {
            id: key.id.clone(),
            algorithm: key.algorithm.clone(),
            name: key.name.clone(),
            kid: key.kid.clone(),
            length: u32::try_from(key.length()).unwrap_or(u32::MAX),
            key_type: key.key_type().to_owned(),
            has_private_key: key.public_pem().is_some(),
            insert_instant: Some(key.insert_instant),
            public_key: key.public_pem().map(str::to_owned),
            secret: key.secret_b64(),
        },
    })
}

/// `GET /api/key/{keyId}`.
async fn retrieve(state: State, _key: ApiKey, path: web::Path<String>) -> Result<HttpResponse> {
    let key = state.key(&path).ok_or(ApiError::NotFound)?;
    Ok(key_response(&key))
}
