//! [`AuthUser`] as an extractor: a handler that takes one gets the verified caller (refreshing
//! an expired JWT on its behalf through [`crate::auth::Authenticator`], or in device-bound mode
//! through [`crate::device::DeviceSessions`]), or the request fails with their error. It sits
//! above `state`, `auth` and `device`, which never import it.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::auth::{AuthUser, NewTokens};
use crate::device::DpopRequest;
use crate::error::{DpopRefusal, Error};
use crate::state::AppState;

/// A device-bound request's JWT and proof, or why it is refused: `Authorization: DPoP <JWT>`,
/// exactly one `DPoP` header, and no `X-Refresh-Token`.
pub(crate) fn dpop_credentials(headers: &HeaderMap) -> Result<(&str, &str), Error> {
    let refuse = |reason| Error::Dpop(DpopRefusal::InvalidToken, reason);
    if headers.contains_key(shared::headers::REFRESH_TOKEN) {
        return Err(refuse("X-Refresh-Token is refused in device-bound mode"));
    }
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or(refuse("no Authorization header"))?
        .to_str()
        .map_err(|_| refuse("Authorization is not ASCII"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(refuse("Authorization is not DPoP"))?;
    if !scheme.eq_ignore_ascii_case(shared::headers::DPOP_SCHEME) {
        return Err(refuse("Authorization is not DPoP (Bearer is refused)"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(refuse("Authorization: DPoP without a token"));
    }
    let mut proofs = headers.get_all(shared::headers::DPOP);
    let proof = match (proofs.next(), proofs.next()) {
        (Some(proof), None) => proof
            .to_str()
            .map_err(|_| Error::Dpop(DpopRefusal::InvalidProof, "the DPoP header is not ASCII"))?,
        (None, _) => {
            return Err(Error::Dpop(DpopRefusal::InvalidProof, "no DPoP header"));
        }
        (Some(_), Some(_)) => {
            return Err(Error::Dpop(
                DpopRefusal::InvalidProof,
                "more than one DPoP header",
            ));
        }
    };
    Ok((token, proof.trim()))
}

/// The device-bound request of `req`, for [`crate::device::DeviceSessions`].
pub(crate) fn dpop_request(req: &HttpRequest) -> Result<DpopRequest<'_>, Error> {
    let (access_token, proof) = dpop_credentials(req.headers())?;
    Ok(DpopRequest {
        method: req.method().as_str(),
        path: req.path(),
        access_token,
        proof,
    })
}

/// The token of an `Authorization: Bearer <jwt>` header.
fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, Error> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| Error::Unauthorized("Authorization is not ASCII"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(Error::Unauthorized("Authorization is not Bearer"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Error::Unauthorized("Authorization is not Bearer"));
    }
    Ok(Some(token.trim()))
}

impl FromRequest for AuthUser {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Error>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("AppState is not registered")))?;
            if let Some(device) = &state.device {
                let bound = device
                    .authenticate(&state.auth, &dpop_request(&req)?)
                    .await?;
                if let Some(access_token) = bound.new_access_token {
                    req.extensions_mut().insert(NewTokens {
                        access_token,
                        refresh_token: None,
                    });
                }
                return Ok(bound.user);
            }
            let bearer = bearer_token(req.headers())?;
            let refresh_token = req
                .headers()
                .get(shared::headers::REFRESH_TOKEN)
                .and_then(|value| value.to_str().ok())
                .map(str::trim);
            let (user, new_tokens) = state.auth.authenticate(bearer, refresh_token).await?;
            if let Some(new_tokens) = new_tokens {
                req.extensions_mut().insert(new_tokens);
            }
            Ok(user)
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(authorization: Option<&'static str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(value) = authorization {
            map.insert(
                HeaderName::from_static("authorization"),
                HeaderValue::from_static(value),
            );
        }
        map
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        assert_eq!(bearer_token(&headers(None)).ok(), Some(None));
        assert_eq!(
            bearer_token(&headers(Some("Bearer a.b.c"))).ok(),
            Some(Some("a.b.c"))
        );
        assert_eq!(
            bearer_token(&headers(Some("bearer  a.b.c "))).ok(),
            Some(Some("a.b.c"))
        );
        for refused in ["Basic dXNlcjpwYXNz", "JWT a.b.c", "Bearer"] {
            assert!(bearer_token(&headers(Some(refused))).is_err(), "{refused}");
        }
    }
}
