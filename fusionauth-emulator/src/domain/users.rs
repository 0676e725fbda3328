//! FusionAuth's User and UserRegistration objects for stored rows (never with password material
//! or second-factor secrets).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use shared::fusionauth::{Errors, Identity, Rule, TwoFactor, User, UserRegistration};

use super::two_factor;
use crate::store::{RegistrationRow, UserRow};

/// Fields of a request's `user` that are never stored in the profile (`data` column): they
/// have columns of their own, are computed, or are password material.
pub const RESERVED_FIELDS: &[&str] = &[
    "id",
    "tenantId",
    "email",
    "username",
    "password",
    "encryptionScheme",
    "factor",
    "salt",
    "active",
    "verified",
    "registrations",
    "identities",
    "insertInstant",
    "lastLoginInstant",
    "lastUpdateInstant",
    "passwordLastUpdateInstant",
];

/// The profile of a created or updated user (`user` of the request): drops the reserved
/// fields, checks `passwordChangeRequired`, and checks and completes `twoFactor.methods`.
pub fn profile(mut user: Map<String, Value>, errors: &mut Errors) -> Map<String, Value> {
    for field in RESERVED_FIELDS {
        user.remove(*field);
    }
    if let Some(two_factor) = user.get_mut("twoFactor") {
        two_factor::normalize(two_factor, errors);
    }
    if user
        .get("passwordChangeRequired")
        .is_some_and(|v| !v.is_boolean())
    {
        errors.add_field(
            Rule::Invalid,
            "user.passwordChangeRequired",
            "Must be true or false.",
        );
    }
    user
}

/// The User object, with its registrations.
pub fn user(row: &UserRow, registrations: &[RegistrationRow]) -> User {
    let mut other = object(&row.data);
    other.remove("twoFactor");
    let username_status = match &row.username {
        Some(_) => {
            other.remove("usernameStatus");
            Some("ACTIVE".to_owned())
        }
        None => take(&mut other, "usernameStatus"),
    };
    let password_change_required = if other.contains_key("passwordChangeRequired") {
        take(&mut other, "passwordChangeRequired")
    } else {
        Some(false)
    };
    let mut identities = Vec::new();
    if let Some(email) = &row.email {
        identities.push(Identity {
            identity_type: "email".to_owned(),
            value: email.clone(),
            primary: true,
            verified: row.verified,
            insert_instant: Some(row.insert_instant),
        });
    }
    if let Some(username) = &row.username {
        identities.push(Identity {
            identity_type: "username".to_owned(),
            value: username.clone(),
            primary: row.email.is_none(),
            verified: false,
            insert_instant: Some(row.insert_instant),
        });
    }
    User {
        id: row.id.clone(),
        tenant_id: Some(row.tenant_id.clone()),
        email: row.email.clone(),
        username: row.username.clone(),
        username_status,
        first_name: take(&mut other, "firstName"),
        last_name: take(&mut other, "lastName"),
        full_name: take(&mut other, "fullName"),
        active: row.active,
        verified: row.verified,
        password_change_required,
        insert_instant: Some(row.insert_instant),
        last_login_instant: row.last_login_instant,
        last_update_instant: Some(row.last_update_instant),
        password_last_update_instant: Some(row.password_last_update_instant),
        expiry: take(&mut other, "expiry"),
        two_factor: Some(TwoFactor {
            methods: two_factor::methods(row)
                .iter()
                .map(|method| method.without_secrets())
                .collect(),
            recovery_codes: Some(0),
        }),
        identities,
        registrations: registrations.iter().map(registration).collect(),
        data: take(&mut other, "data"),
        other,
    }
}

/// The UserRegistration object.
pub fn registration(row: &RegistrationRow) -> UserRegistration {
    let mut other = object(&row.data);
    UserRegistration {
        id: Some(row.id.clone()),
        application_id: row.application_id.clone(),
        roles: row.role_names(),
        username: take(&mut other, "username"),
        verified: row.verified,
        insert_instant: Some(row.insert_instant),
        last_login_instant: row.last_login_instant,
        data: take(&mut other, "data"),
        other,
    }
}

/// A stored JSON object (empty when it is not one).
fn object(text: &str) -> Map<String, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Moves field `name` out of `fields` when it has the type of its typed field; a value of
/// another type (profile fields are stored as given) stays in `fields`, shown as it is.
fn take<T: DeserializeOwned>(fields: &mut Map<String, Value>, name: &str) -> Option<T> {
    let value = fields.remove(name)?;
    match serde_json::from_value(value.clone()) {
        Ok(typed) => Some(typed),
        Err(_) => {
            fields.insert(name.to_owned(), value);
            None
        }
    }
}
