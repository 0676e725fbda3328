//! `/.well-known/jwks.json` and the OpenID configuration —
//! <https://fusionauth.io/docs/lifecycle/authenticate-users/oauth/endpoints>

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::fusionauth::{JwkSet, OpenIdConfiguration};

use crate::infra::error::{ApiError, Result};
use crate::infra::http::{json_response, ok_json};
use crate::model::Tenant;
use crate::routes::table::Routes;
use crate::state::State;
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
    document(&req, tenant)
}

/// `/.well-known/openid-configuration/{tenantId}` and `/{tenantId}/.well-known/openid-configuration`.
async fn openid_configuration_for_tenant(
    req: HttpRequest,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse> {
    document(&req, store::tenants::find(&state.pool, &path).await?)
}

fn document(req: &HttpRequest, tenant: Option<Tenant>) -> Result<HttpResponse> {
    let tenant = tenant.ok_or(ApiError::NotFound)?;
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
    Ok(ok_json(&OpenIdConfiguration {
        issuer: tenant.issuer(),
        authorization_endpoint: format!("{base}/oauth2/authorize"),
        token_endpoint: format!("{base}/oauth2/token"),
        userinfo_endpoint: format!("{base}/oauth2/userinfo"),
        end_session_endpoint: format!("{base}/oauth2/logout"),
        device_authorization_endpoint: format!("{base}/oauth2/device_authorize"),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
        grant_types_supported: strings(&[
            "authorization_code",
            "implicit",
            "password",
            "client_credentials",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
        ]),
        id_token_signing_alg_values_supported: strings(&["RS256"]),
        response_types_supported: strings(&[
            "code",
            "token",
            "id_token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token",
        ]),
        response_modes_supported: strings(&["query", "fragment", "form_post"]),
        scopes_supported: strings(&[
            "openid",
            "offline_access",
            "profile",
            "email",
            "phone",
            "address",
        ]),
        subject_types_supported: strings(&["public"]),
        token_endpoint_auth_methods_supported: strings(&[
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]),
        claims_supported: strings(&[
            "sub",
            "iss",
            "name",
            "email",
            "email_verified",
            "preferred_username",
            "roles",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "tid",
            "sid",
            "applicationId",
            "authenticationType",
            "jti",
        ]),
        code_challenge_methods_supported: strings(&["plain", "S256"]),
    }))
}
