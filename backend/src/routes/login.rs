//! `POST /api/login`: the workflow's alternative path, where the app posts the credentials to
//! its backend and the backend to FusionAuth (with the server-side API key, so the application
//! may keep `requireAuthentication`). Only when `APP_FUSIONAUTH_API_KEY` is set (404 otherwise).
//! <https://fusionauth.io/docs/apis/login#authenticate-a-user>
//!
//! FusionAuth's status and body are returned unchanged (an empty body stays empty, without a
//! content type). The service is [`crate::login_proxy::LoginProxy`].

use actix_web::{HttpRequest, HttpResponse, web};

use crate::client_address::ClientAddresses;
use crate::error::Result;
use crate::routes::{MAX_BODY_BYTES, read_body};
use crate::state::AppState;

/// `POST /api/login`.
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    addresses: web::Data<ClientAddresses>,
) -> Result<HttpResponse> {
    let proxy = super::enabled(&req, state.login_proxy.as_ref())?;
    let client_ip = addresses.of(&req);
    proxy.admit(client_ip)?;
    let body = read_body(payload, MAX_BODY_BYTES).await?;
    Ok(proxy.forward(client_ip, body).await?.into_response())
}
