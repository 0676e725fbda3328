//! Signing a user in, the one place where credentials are issued: the access token, and the
//! refresh token (a session) when the user is registered to an application that generates
//! them. Used by a login, a two-factor login and a combined registration.

use shared::fusionauth::{AuthenticationType, LoginMetaData};

use super::tokens::{self, IssuedJwt, JwtRequest};
use crate::infra::error::Result;
use crate::model::{Application, JwtConfiguration, Tenant};
use crate::state::AppState;
use crate::store::{RegistrationRow, UserRow};

/// Whom to sign in, and how they authenticated.
#[derive(Debug)]
pub struct SessionRequest<'a> {
    pub tenant: &'a Tenant,
    pub user: &'a UserRow,
    /// The application and the user's registration to it, when registered.
    pub registered: Option<(&'a Application, &'a RegistrationRow)>,
    pub authentication_type: AuthenticationType,
    /// Describes the device the refresh token is issued to.
    pub meta_data: &'a LoginMetaData,
}

/// What a sign-in issued.
#[derive(Debug)]
pub struct Issued {
    pub jwt: IssuedJwt,
    pub refresh_token: Option<IssuedRefreshToken>,
}

/// A new refresh token: its record id (the JWT's `sid`), its value and when it expires.
pub struct IssuedRefreshToken {
    pub id: String,
    pub value: String,
    /// Epoch ms, under the expiration policy in force.
    pub expires_ms: i64,
}

shared::debug_fields!(IssuedRefreshToken { id, expires_ms });

/// Issues the access token and, when the user is registered to an application with
/// `generateRefreshTokens`, a refresh token whose id the JWT carries as `sid`.
pub async fn issue(state: &AppState, request: &SessionRequest<'_>) -> Result<Issued> {
    let auth_time = state.clock.now_s();
    let refresh_token = match request.registered {
        Some((application, _)) if application.generate_refresh_tokens() => {
            let (row, value) = tokens::create_refresh_token(
                state,
                request.user,
                application,
                auth_time,
                request.meta_data,
            )
            .await?;
            let config = JwtConfiguration::effective(request.tenant, Some(application));
            Some(IssuedRefreshToken {
                expires_ms: config.refresh_expiry_ms(row.start_instant, row.last_used_instant),
                id: row.id,
                value,
            })
        }
        _ => None,
    };
    let jwt = tokens::issue_jwt(
        state,
        &JwtRequest {
            tenant: request.tenant,
            registered: request.registered,
            user: request.user,
            authentication_type: request.authentication_type.clone(),
            auth_time,
            sid: refresh_token.as_ref().map(|token| token.id.as_str()),
        },
    )?;
    Ok(Issued { jwt, refresh_token })
}
