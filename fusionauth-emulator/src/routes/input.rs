//! Reading the configuration documents of the API-key calls (tenants, applications, keys,
//! webhooks, …): they are open JSON objects, checked field by field so that every problem is
//! a FusionAuth field error (`[missing]tenant`, `[invalid]tenant.issuer`) rather than a
//! generic JSON error.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde_json::{Map, Value};
use shared::fusionauth::{Errors, Rule};

use crate::infra::error::{ApiError, Result};
use crate::infra::http::Json;

/// The object `name` of a request body (`{"tenant": {…}}`); 400 `[missing]name` without it.
pub fn object<'a>(body: &'a Value, name: &str) -> Result<&'a Map<String, Value>> {
    body.get(name).and_then(Value::as_object).ok_or_else(|| {
        ApiError::field(
            Rule::Missing,
            name,
            &format!("You must specify the [{name}] object."),
        )
    })
}

/// A non-blank string field, trimmed.
pub fn string<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The non-blank string `name` of `object` (the request's `prefix` object); 400
/// `[blank]prefix.name` without it.
pub fn required<'a>(object: &'a Map<String, Value>, prefix: &str, name: &str) -> Result<&'a str> {
    string(object, name).ok_or_else(|| {
        let path = format!("{prefix}.{name}");
        ApiError::field(
            Rule::Blank,
            &path,
            &format!("You must specify the [{path}] property."),
        )
    })
}

/// Adds `[blank]path` to `errors` when `value` is absent or blank.
pub fn check_not_blank(errors: &mut Errors, value: Option<&str>, path: &str) {
    if value.is_none_or(|v| v.trim().is_empty()) {
        errors.add_field(
            Rule::Blank,
            path,
            &format!("You must specify the [{path}] property."),
        );
    }
}

/// The id a call names in its body (`body_id`, unless blank), else in its path segment `segment`
/// (`POST /api/user/verify-email[/{verificationId}]`).
pub fn body_or_path_id(req: &HttpRequest, body_id: Option<&str>, segment: &str) -> Option<String> {
    body_id
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned)
        .or_else(|| req.match_info().get(segment).map(str::to_owned))
}

/// `text` as a UUID; 400 `[invalid]field` when it is not one.
pub fn parse_uuid(text: &str, field: &str) -> Result<String> {
    uuid::Uuid::parse_str(text)
        .map(|id| id.to_string())
        .map_err(|_| ApiError::field(Rule::Invalid, field, "The id is not a valid UUID."))
}

/// A create call: its JSON body and the optional id segment of its path
/// (`POST /api/webhook[/{webhookId}]`), checked as a UUID (400 `[invalid]webhookId`, the
/// segment's name) after the body, so that a bad body is reported first.
#[derive(Debug)]
pub struct Create {
    pub body: Value,
    pub id: Option<String>,
}

impl Create {
    /// The id given, or a new one.
    pub fn id_or_new(&self) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    }
}

impl FromRequest for Create {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Json::<Value>::from_request(req, payload);
        let segment = req
            .match_info()
            .iter()
            .next()
            .map(|(field, text)| (field.to_owned(), text.to_owned()));
        Box::pin(async move {
            let Json(body) = body.await?;
            let id = segment
                .map(|(field, text)| parse_uuid(&text, &field))
                .transpose()?;
            Ok(Self { body, id })
        })
    }
}

/// Checks the enumerations and ranges of a `jwtConfiguration`, so that a typo in a Kickstart
/// file is an error rather than a silent default.
pub fn validate_jwt_configuration(config: &Value, prefix: &str, errors: &mut Errors) {
    let mut check_enum = |field: &str, allowed: &[&str]| {
        if let Some(value) = config.pointer(&format!("/{field}"))
            && !value.as_str().is_some_and(|v| allowed.contains(&v))
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!("Allowed values: {}.", allowed.join(", ")),
            );
        }
    };
    check_enum("refreshTokenUsagePolicy", &["Reusable", "OneTimeUse"]);
    check_enum(
        "refreshTokenExpirationPolicy",
        &["Fixed", "SlidingWindow", "SlidingWindowWithMaximumLifetime"],
    );
    for (field, min, max) in [
        ("timeToLiveInSeconds", 1, i64::MAX),
        ("refreshTokenTimeToLiveInMinutes", 1, i64::MAX),
        (
            "refreshTokenSlidingWindowConfiguration/maximumTimeToLiveInMinutes",
            1,
            i64::MAX,
        ),
        (
            "refreshTokenOneTimeUseConfiguration/gracePeriodInSeconds",
            0,
            86_400,
        ),
    ] {
        if let Some(value) = config.pointer(&format!("/{field}"))
            && !value.as_i64().is_some_and(|v| (min..=max).contains(&v))
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(
                Rule::Invalid,
                &path,
                &format!("Must be a whole number from {min} to {max}."),
            );
        }
    }
    let booleans = [
        "refreshTokenRevocationPolicy/onOneTimeTokenReuse",
        "refreshTokenRevocationPolicy/onLoginPrevented",
        "refreshTokenRevocationPolicy/onPasswordChanged",
        "enabled",
    ];
    check_booleans(config, prefix, &booleans, errors);
}

/// Adds `[invalid]prefix.field` to `errors` for each of `fields` (`/`-separated paths into
/// `document`) that is present but not `true` or `false`.
pub fn check_booleans(document: &Value, prefix: &str, fields: &[&str], errors: &mut Errors) {
    for field in fields {
        if document
            .pointer(&format!("/{field}"))
            .is_some_and(|v| !v.is_boolean())
        {
            let path = format!("{prefix}.{}", field.replace('/', "."));
            errors.add_field(Rule::Invalid, &path, "Must be true or false.");
        }
    }
}
