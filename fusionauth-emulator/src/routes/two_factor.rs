//! The Two Factor API's login: `POST /api/two-factor/login` —
//! <https://fusionauth.io/docs/apis/two-factor#complete-a-two-factor-login>

use actix_web::{HttpRequest, HttpResponse};
use shared::fusionauth::{Errors, TwoFactorLoginRequest};

use crate::domain::login::{self, LoginOptions};
use crate::infra::error::{ApiError, Result};
use crate::infra::http::{Json, client_ip};
use crate::routes::input::check_not_blank;
use crate::routes::login::respond;
use crate::routes::table::Routes;
use crate::state::State;
use crate::store;

pub fn routes(routes: &mut Routes<'_>) {
    routes.post("/api/two-factor/login", two_factor_login);
}

/// `POST /api/two-factor/login`: completes a login that answered 242. No authentication (an API
/// key sent anyway is ignored, as the official clients send one): the `twoFactorId` is the
/// credential. 404 for an unknown, expired or exhausted `twoFactorId`, 421 for a wrong code,
/// 409/410 for a user locked or expired meanwhile; otherwise as `POST /api/login`.
#[tracing::instrument(skip_all)]
async fn two_factor_login(
    req: HttpRequest,
    state: State,
    Json(body): Json<TwoFactorLoginRequest>,
) -> Result<HttpResponse> {
    let mut errors = Errors::default();
    check_not_blank(&mut errors, Some(&body.two_factor_id), "twoFactorId");
    check_not_blank(&mut errors, Some(&body.code), "code");
    ApiError::check(errors)?;
    let (challenge, user, tenant) = login::pending_two_factor(&state, &body.two_factor_id).await?;
    let application_id = body
        .application_id
        .clone()
        .filter(|id| !id.is_empty())
        .or(challenge.data.application_id);
    let application = match &application_id {
        Some(id) => store::applications::find(&state.pool, id).await?,
        None => None,
    };
    let options = LoginOptions {
        application_id,
        no_jwt: challenge.data.no_jwt,
        meta_data: body.meta_data.or(challenge.data.meta_data),
        ip_address: client_ip(&req, body.ip_address.as_deref()),
    };
    let outcome = login::with_second_factor(
        &state,
        &tenant,
        user,
        application,
        &body.two_factor_id,
        &body.code,
        options,
    )
    .await?;
    Ok(respond(&req, &state, outcome))
}
