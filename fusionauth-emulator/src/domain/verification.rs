//! Email verification: verification ids (and the `FormField` strategy's one-time codes) and
//! their email — <https://fusionauth.io/docs/apis/users#verify-a-users-email>

use serde_json::Value;

use super::email;
use super::passwords::expiry_ms;
use crate::infra::crypto;
use crate::infra::error::Result;
use crate::model::{Application, Tenant};
use crate::state::AppState;
use crate::store::{self, UserRow};

/// `emailVerificationIdTimeToLiveInSeconds`' default (the docs: 24 hours).
const VERIFICATION_ID_TTL_S: i64 = 86_400;

/// A new verification id for `user` (replacing earlier ones), with a six-character code when
/// the tenant's `verificationStrategy` is `FormField`; sent by email when `send`.
pub async fn start(
    state: &AppState,
    tenant: &Tenant,
    application: Option<&Application>,
    user: &UserRow,
    own_url: &str,
    send: bool,
) -> Result<(String, Option<String>)> {
    let id = crypto::random_string::<32>()?;
    let form_field = tenant
        .data
        .pointer("/emailConfiguration/verificationStrategy")
        .and_then(Value::as_str)
        == Some("FormField");
    let code = if form_field {
        Some(one_time_code()?)
    } else {
        None
    };
    let expiry = expiry_ms(
        tenant,
        "emailVerificationIdTimeToLiveInSeconds",
        VERIFICATION_ID_TTL_S,
        state.clock.now_ms(),
    );
    store::account::replace_verification_id(&state.pool, &id, &user.id, code.as_deref(), expiry)
        .await?;
    if send {
        let base = email::base_url(tenant, application, own_url);
        let rendered = email::email_verification(&base, tenant, application, &id, code.as_deref());
        email::send(state, tenant, user, rendered).await?;
    }
    Ok((id, code))
}

/// Six random upper-case letters and digits.
fn one_time_code() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = crypto::random_bytes::<6>()?;
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}
