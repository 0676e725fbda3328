//! FusionAuth's error body and its codes — <https://fusionauth.io/docs/apis/errors>
//!
//! A code has the form `[rule]path` (`[blank]loginId`, `[duplicate]user.email`); a general
//! error's code has no path (`[invalidJSON]`, `[TenantIdRequired]`). Codes are built and read
//! through [`ErrorCode`] and [`Rule`], never as hand-written strings.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// FusionAuth's error body: `fieldErrors` maps a field path to a list of errors.
///
/// (FusionAuth's own OpenAPI file types `fieldErrors` as an array; the server sends a map.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Errors {
    pub field_errors: BTreeMap<String, Vec<ErrorDetail>>,
    pub general_errors: Vec<ErrorDetail>,
}

impl Errors {
    /// One error on one field, coded `[rule]path`: `Errors::field(Rule::Blank, "loginId", "…")`.
    pub fn field(rule: Rule, path: &str, message: &str) -> Self {
        let mut errors = Self::default();
        errors.add_field(rule, path, message);
        errors
    }

    /// One general error, e.g. `Errors::general(ErrorCode::general(Rule::TenantIdRequired), "…")`.
    pub fn general(code: ErrorCode, message: &str) -> Self {
        Self {
            field_errors: BTreeMap::new(),
            general_errors: vec![ErrorDetail::new(code, message)],
        }
    }

    /// Adds an error on `path`, coded `[rule]path`.
    pub fn add_field(&mut self, rule: Rule, path: &str, message: &str) {
        self.add_field_code(path, ErrorCode::new(rule, path), message);
    }

    /// Adds an error on `field` whose code names another path (FusionAuth reports e.g. a role
    /// without a name on `application.roles` as `[blank]application.roles.name`).
    pub fn add_field_code(&mut self, field: &str, code: ErrorCode, message: &str) {
        self.field_errors
            .entry(field.to_owned())
            .or_default()
            .push(ErrorDetail::new(code, message));
    }

    /// True when there is neither a field error nor a general error.
    pub fn is_empty(&self) -> bool {
        self.field_errors.is_empty() && self.general_errors.is_empty()
    }
}

/// One error: a machine code and an English message (don't depend on the message).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorDetail {
    pub fn new(code: ErrorCode, message: &str) -> Self {
        Self {
            code,
            message: message.to_owned(),
            data: None,
        }
    }
}

/// An error code: `[rule]path`, or `[rule]` alone for a general error.
///
/// Written and read as that string; compares equal to it (`code == "[blank]loginId"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ErrorCode {
    pub rule: Rule,
    /// The field path (`user.email`); empty for a general error.
    pub path: String,
}

impl ErrorCode {
    /// `[rule]path`.
    pub fn new(rule: Rule, path: impl Into<String>) -> Self {
        Self {
            rule,
            path: path.into(),
        }
    }

    /// `[rule]`, for a general error.
    pub fn general(rule: Rule) -> Self {
        Self::new(rule, String::new())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}]{}", self.rule.as_str(), self.path)
    }
}

/// A code that does not have the form `[rule]path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidErrorCode(pub String);

impl fmt::Display for InvalidErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a FusionAuth error code `[rule]path`",
            self.0
        )
    }
}

impl std::error::Error for InvalidErrorCode {}

impl FromStr for ErrorCode {
    type Err = InvalidErrorCode;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .map(|(rule, path)| Self::new(Rule::parse(rule), path))
            .ok_or_else(|| InvalidErrorCode(text.to_owned()))
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        other.parse::<Self>().is_ok_and(|code| code == *self)
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The rule of an [`ErrorCode`]: what is wrong with the field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `[blank]`: a required value is missing or empty.
    Blank,
    /// `[missing]`: a required object or parameter is missing.
    Missing,
    /// `[invalid]`: the value is not allowed.
    Invalid,
    /// `[duplicate]`: another object already has this value.
    Duplicate,
    /// `[notEmail]`.
    NotEmail,
    /// `[tooShort]`.
    TooShort,
    /// `[tooLong]`.
    TooLong,
    /// `[couldNotConvert]`: the value has the wrong type.
    CouldNotConvert,
    /// `[blocked]`: e.g. an email domain the tenant blocks.
    Blocked,
    /// `[singleCase]`: the password needs upper- and lower-case letters.
    SingleCase,
    /// `[onlyAlpha]`: the password needs a non-letter.
    OnlyAlpha,
    /// `[requireNumber]`.
    RequireNumber,
    /// `[previouslyUsed]`.
    PreviouslyUsed,
    /// `[invalidJSON]` (general): the body is not JSON of the expected shape.
    InvalidJson,
    /// `[invalidRequest]` (general): the body could not be read.
    InvalidRequest,
    /// `[TenantIdRequired]` (general): several tenants exist and none was named.
    TenantIdRequired,
    /// `[Exception]` (general): an internal error.
    Exception,
    /// Any other rule, as FusionAuth spelled it (read, never written by this project).
    Other(String),
}

/// An empty rule: what a body without a `code` reads as.
impl Default for Rule {
    fn default() -> Self {
        Self::Other(String::new())
    }
}

/// Each named rule and its spelling in codes.
const SPELLINGS: &[(Rule, &str)] = &[
    (Rule::Blank, "blank"),
    (Rule::Missing, "missing"),
    (Rule::Invalid, "invalid"),
    (Rule::Duplicate, "duplicate"),
    (Rule::NotEmail, "notEmail"),
    (Rule::TooShort, "tooShort"),
    (Rule::TooLong, "tooLong"),
    (Rule::CouldNotConvert, "couldNotConvert"),
    (Rule::Blocked, "blocked"),
    (Rule::SingleCase, "singleCase"),
    (Rule::OnlyAlpha, "onlyAlpha"),
    (Rule::RequireNumber, "requireNumber"),
    (Rule::PreviouslyUsed, "previouslyUsed"),
    (Rule::InvalidJson, "invalidJSON"),
    (Rule::InvalidRequest, "invalidRequest"),
    (Rule::TenantIdRequired, "TenantIdRequired"),
    (Rule::Exception, "Exception"),
];

impl Rule {
    /// The rule as written between the brackets.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(other) => other,
            named => SPELLINGS
                .iter()
                .find(|(rule, _)| rule == named)
                .map_or("", |(_, spelling)| spelling),
        }
    }

    /// The rule spelled `text` (`Other` when it is not one of the named rules).
    pub fn parse(text: &str) -> Self {
        SPELLINGS
            .iter()
            .find(|(_, spelling)| *spelling == text)
            .map_or_else(|| Self::Other(text.to_owned()), |(rule, _)| rule.clone())
    }
}
