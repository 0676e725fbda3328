//! `/.well-known/jwks.json` and the OpenID configuration —
//! <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/endpoints>

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::fusionauth::{JwkSet, OpenIdConfiguration};

use crate::infra::error::{ApiError, Result};
use crate::infra::http::{json_response, ok_json};
use crate::model::{JwtConfiguration, Tenant};
use crate::routes::table::Routes;
use crate::state::{AppState, State};
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes
        .get("/.well-known/jwks.json", jwks)
        .get("/.well-known/openid-configuration", openid_configuration)
        .get(
            "/.well-known/openid-configuration/{tenant_id}",
            openid_configuration_for_tenant,
        )
        .get(
            "/{tenant_id}/.well-known/openid-configuration",
            openid_configuration_for_tenant,
        );
}

async fn jwks(state: State) -> HttpResponse {
    let set = JwkSet {
        keys: state.keys().iter().filter_map(|key| key.jwk()).collect(),
    };
    json_response(StatusCode::OK, &set)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TenantParameter {
    tenant_id: Option<String>,
}

async fn openid_configuration(
    req: HttpRequest,
    state: State,
    query: web::Query<TenantParameter>,
) -> Result<HttpResponse> {
    let tenant = match &query.tenant_id {
        Some(id) => store::tenants::find(&state.pool, id).await?,
        None => store::tenants::default(&state.pool).await?,
    };
    document(&state, &req, tenant)
}

/// `/.well-known/openid-configuration/{tenantId}` and `/{tenantId}/.well-known/openid-configuration`.
async fn openid_configuration_for_tenant(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    document(
        &state,
        &req,
        store::tenants::find(&state.pool, &path).await?,
    )
}

/// The discovery document advertises only what the emulator serves: the issuer and the JWKS.
/// It has no OAuth endpoints (`/oauth2/*` answer 404), so no endpoint, grant, response type or
/// client-authentication method is listed; the signing algorithm is the one of the key that
/// signs the tenant's tokens; PKCE would be `S256` only.
fn document(state: &AppState, req: &HttpRequest, tenant: Option<Tenant>) -> Result<HttpResponse> {
    let tenant = tenant.ok_or(ApiError::NotFound)?;
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    let algorithms = JwtConfiguration::effective(&tenant, None)
        .access_token_key_id
        .and_then(|id| state.key(&id))
        .map(|key| vec![key.algorithm.clone()])
        .unwrap_or_default();
    Ok(ok_json(&OpenIdConfiguration {
        issuer: tenant.issuer(),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        id_token_signing_alg_values_supported: algorithms,
        subject_types_supported: strings(&["public"]),
        claims_supported: strings(&[
            "applicationId",
            "aud",
            "authenticationType",
            "auth_time",
            "email",
            "email_verified",
            "exp",
            "iat",
            "iss",
            "jti",
            "preferred_username",
            "roles",
            "sid",
            "sub",
            "tid",
        ]),
        code_challenge_methods_supported: strings(&["S256"]),
        ..OpenIdConfiguration::default()
    }))
}
