//! [`AuthUser`] as an extractor: a handler that takes one gets the verified caller (refreshing
//! an expired JWT on its behalf through [`crate::auth::Authenticator`]), or the request fails
//! with the authenticator's error. It sits above `state` and `auth`, which never import it.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::auth::AuthUser;
use crate::error::Error;
use crate::state::AppState;

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
