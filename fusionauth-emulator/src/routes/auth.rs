//! Who is calling and for which tenant: the API key (and its permissions) and the tenant a
//! request addresses — <https://fusionauth.io/docs/apis/authentication>

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use shared::fusionauth::{ErrorCode, Errors, JwtClaims, Rule};

use crate::domain::tokens::verify_jwt;
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{authorization, bearer_jwt};
use crate::model::{ApiKey, Application, Tenant};
use crate::routes::table::Endpoints;
use crate::state::AppState;
use crate::store;

/// What the request's `Authorization` header says about API keys (a key without permission for
/// the request's endpoint and method counts as invalid).
#[derive(Debug)]
pub enum ApiKeyStatus {
    /// No header, or an empty one.
    Absent,
    /// A known API key.
    Valid(ApiKey),
    /// A non-empty value that is not a known API key (e.g. a `Bearer` JWT).
    Invalid,
}

impl ApiKeyStatus {
    /// The API key when a valid one is sent.
    pub fn valid(&self) -> Option<&ApiKey> {
        match self {
            Self::Valid(key) => Some(key),
            Self::Absent | Self::Invalid => None,
        }
    }

    /// The API key when one is sent; 401 for a value that is not one.
    pub fn optional(&self) -> Result<Option<&ApiKey>> {
        match self {
            Self::Invalid => Err(ApiError::Unauthorized),
            Self::Valid(_) | Self::Absent => Ok(self.valid()),
        }
    }
}

/// Who calls an API that answers an API key, the user's own JWT or no one in particular: the
/// request (its tenant header and JWT are read on demand) and its [`ApiKeyStatus`].
pub struct Caller {
    req: HttpRequest,
    /// What the request's `Authorization` header says about API keys.
    pub api_key: ApiKeyStatus,
}

impl Caller {
    /// The request, for what else a handler reads from it (path, query, address, scheme).
    pub fn request(&self) -> &HttpRequest {
        &self.req
    }

    /// The tenant the request addresses (see [`resolve_tenant`]), with the API key when a
    /// valid one is sent.
    pub async fn tenant(&self, state: &AppState) -> Result<Tenant> {
        resolve_tenant(state, &self.req, self.api_key.valid()).await
    }

    /// The user id (`sub`) of the request's JWT, when it is one of ours, unexpired.
    pub fn jwt_subject(&self, state: &AppState) -> Option<String> {
        jwt_claims(state, &self.req).and_then(|claims| claims.sub)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let status = ApiKeyStatus::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let api_key = status.await?;
            Ok(Self { req, api_key })
        })
    }
}

/// The endpoint names of the routes served (none if the app data is missing).
fn known(endpoints: Option<&Endpoints>) -> impl Iterator<Item = &str> {
    endpoints.into_iter().flat_map(Endpoints::names)
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is not configured")))
}

impl FromRequest for ApiKeyStatus {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let endpoints = req.app_data::<web::Data<Endpoints>>().cloned();
        let raw = authorization(req);
        let (path, method) = (req.path().to_owned(), req.method().as_str().to_owned());
        Box::pin(async move {
            let state = state?;
            let Some(raw) = raw else {
                return Ok(Self::Absent);
            };
            Ok(match store::api_keys::find(&state.pool, &raw).await? {
                Some(key)
                    if key.allows(
                        &path,
                        &method,
                        known(endpoints.as_ref().map(|data| data.get_ref())),
                    ) =>
                {
                    Self::Valid(key)
                }
                Some(_) => {
                    tracing::info!(path, method, "API key not permitted for this endpoint");
                    Self::Invalid
                }
                None => Self::Invalid,
            })
        })
    }
}

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let status = ApiKeyStatus::from_request(req, payload);
        Box::pin(async move {
            match status.await? {
                ApiKeyStatus::Valid(key) => Ok(key),
                ApiKeyStatus::Absent | ApiKeyStatus::Invalid => Err(ApiError::Unauthorized),
            }
        })
    }
}

/// The tenant a request addresses: `X-FusionAuth-TenantId`, else the API key's tenant, else the
/// default tenant.
pub async fn resolve_tenant(
    state: &AppState,
    req: &HttpRequest,
    api_key: Option<&ApiKey>,
) -> Result<Tenant> {
    let header = req
        .headers()
        .get("X-FusionAuth-TenantId")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty());
    let wanted = header.or_else(|| api_key.and_then(|key| key.tenant_id.as_deref()));
    let tenant = match wanted {
        Some(id) => store::tenants::find(&state.pool, id).await?,
        None => store::tenants::default(&state.pool).await?,
    };
    tenant.ok_or_else(|| {
        ApiError::Validation(Errors::general(
            ErrorCode::new(Rule::Invalid, "tenantId"),
            "The tenant id is invalid.",
        ))
    })
}

/// The claims of the request's JWT (`Authorization: Bearer …`/`JWT …`, else the `access_token`
/// cookie), when it is one of ours, unexpired.
pub fn jwt_claims(state: &AppState, req: &HttpRequest) -> Option<JwtClaims> {
    bearer_jwt(req).and_then(|jwt| verify_jwt(state, &jwt))
}

/// 401 when an API key is required (by the application, else the tenant) and missing, or when
/// an invalid one is sent.
pub fn check_api_key(
    api_key: &ApiKeyStatus,
    application: Option<&Application>,
    tenant: &Tenant,
) -> Result<()> {
    let require_key = match application {
        Some(app) => app.require_authentication(),
        None => tenant.require_authentication(),
    };
    match api_key {
        ApiKeyStatus::Invalid => Err(ApiError::Unauthorized),
        ApiKeyStatus::Absent if require_key => Err(ApiError::Unauthorized),
        _ => Ok(()),
    }
}
