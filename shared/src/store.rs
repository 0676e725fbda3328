//! The store API's bodies (`/api/products`, `/api/cart…`, `/api/account…`, `/api/passkeys`) and
//! its error body.

use std::fmt;

use serde::{Deserialize, Serialize};

mod account;
mod devices;
mod passkeys;
pub use account::*;
pub use devices::*;
pub use passkeys::*;

/// A product of the catalogue. Prices are in minor units (cents) of `currency`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Price in minor units of `currency`.
    pub price: i64,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: String,
    /// Path or URL of the product's image.
    pub image: String,
}

/// `GET /api/products` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductList {
    pub products: Vec<Product>,
}

/// How many of one product a cart holds: 1 to 99.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 99;

    /// Parses a quantity, refusing anything outside 1–99.
    ///
    /// # Errors
    /// [`QuantityError`] when `value` is below 1 or above 99.
    pub fn parse(value: i64) -> Result<Self, QuantityError> {
        match u32::try_from(value) {
            Ok(v) if (Self::MIN..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(QuantityError(value)),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Quantity {
    type Error = QuantityError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Quantity> for u32 {
    fn from(quantity: Quantity) -> Self {
        quantity.0
    }
}

/// A quantity outside 1–99.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantityError(pub i64);

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "quantity must be between {} and {}, got {}",
            Quantity::MIN,
            Quantity::MAX,
            self.0
        )
    }
}

impl std::error::Error for QuantityError {}

/// One line of a cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    pub product: Product,
    pub quantity: Quantity,
    /// `product.price × quantity`, minor units.
    pub line_total: i64,
}

/// `GET /api/cart` body (and the answer of every cart change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    pub lines: Vec<CartLine>,
    /// Number of items (sum of quantities).
    pub item_count: u32,
    /// Sum of line totals, minor units.
    pub total: i64,
    pub currency: String,
}

impl Cart {
    /// Builds a cart from its lines, computing the count and totals.
    pub fn from_lines(lines: Vec<CartLine>, currency: &str) -> Self {
        Self {
            item_count: lines.iter().map(|l| l.quantity.get()).sum(),
            total: lines.iter().map(|l| l.line_total).sum(),
            currency: currency.to_owned(),
            lines,
        }
    }
}

/// `POST /api/cart/items` body: adds `quantity` of a product to the cart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddCartItem {
    pub product_id: String,
    pub quantity: Quantity,
}

/// `PATCH /api/cart/items/{productId}` body: sets the quantity of a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetCartQuantity {
    pub quantity: Quantity,
}

/// What went wrong, for programs; the message is for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body or a parameter is malformed or out of range.
    InvalidRequest,
    /// 401: no usable credentials; the client should log in.
    Unauthorized,
    /// 401: the session is over (refresh refused); the client should wipe its tokens.
    SessionExpired,
    /// 401: the JWT alone is not enough (it has expired, or it was issued in the very second its
    /// user's sessions were revoked): send the request again once, with `X-Refresh-Token`.
    RefreshRequired,
    /// 401 + `DPoP-Nonce`: the proof's `iat` is outside the window and it has no valid nonce;
    /// the client retries once with the nonce of this answer.
    UseDpopNonce,
    /// 401: the `DPoP` proof is missing, malformed, forged, replayed or for another request.
    InvalidDpopProof,
    /// 404: no such product or cart line.
    NotFound,
    /// 413: the body is too large.
    PayloadTooLarge,
    /// 429: too many attempts.
    TooManyRequests,
    /// 503: FusionAuth or the database is unreachable; keep the session and retry later.
    Unavailable,
    /// 500: a bug or an unexpected failure; details are in the server's log.
    Internal,
    /// A code this client does not know yet.
    #[serde(other)]
    Unknown,
}

/// The error body of every non-2xx store API answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

/// `GET /app-config.json`: what the PWA needs to know about its deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppConfig {
    /// Base URL of FusionAuth (or the emulator), without a trailing slash.
    pub fusion_auth_url: String,
    /// The FusionAuth application the PWA logs in to.
    pub application_id: String,
    /// Whether store calls must be device-bound. Absent (an older backend) reads as `off`.
    #[serde(default)]
    pub device_binding: DeviceBinding,
}

/// How the backend accepts store calls (its `APP_DEVICE_BINDING` setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceBinding {
    /// `Authorization: DPoP` + a proof of the device key; the refresh token stays in the backend.
    Required,
    /// `Authorization: Bearer` + `X-Refresh-Token` (no device key).
    #[default]
    Off,
}

impl DeviceBinding {
    /// The wire spelling: `required` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Off => "off",
        }
    }
}

impl fmt::Display for DeviceBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DeviceBinding {
    type Err = String;

    /// `required` or `off` (exactly, as on the wire).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "required" => Ok(Self::Required),
            "off" => Ok(Self::Off),
            other => Err(format!(
                "device binding must be `required` or `off`, got {other:?}"
            )),
        }
    }
}

/// `POST /api/session` body (the hand-off): the refresh token the Login API (or the two-factor
/// step) just issued, which the backend exchanges at once and keeps. Sent with
/// `Authorization: DPoP <that login's JWT>` and a proof of the new device key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionHandOff {
    pub refresh_token: String,
    /// FusionAuth's id of that refresh token, when the login answer had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_id: Option<String>,
}

crate::debug_fields!(SessionHandOff { refresh_token_id });

/// A device-bound session as the backend describes it (`POST /api/session` answers 201 with
/// it). It never carries a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSession {
    /// The session's id (a UUID).
    pub id: String,
    /// Short and derived from the `User-Agent`, e.g. "Safari on iPhone".
    pub device_label: String,
    /// When the hand-off created it, epoch milliseconds.
    pub created_at: i64,
    /// When a request last used it, epoch milliseconds.
    pub last_used_at: i64,
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;

    /// Each body must fail to deserialize as `T`; a failure names the body.
    fn refuses<T: DeserializeOwned + fmt::Debug>(bodies: &[&str]) {
        for body in bodies {
            let read = serde_json::from_str::<T>(body);
            assert!(read.is_err(), "{body} must be refused, read {read:?}");
        }
    }

    #[test]
    fn quantity_accepts_one_to_ninety_nine_only() {
        for ok in [1, 2, 50, 99] {
            assert_eq!(Quantity::parse(ok).map(Quantity::get), Ok(ok as u32));
        }
        for bad in [i64::MIN, -1, 0, 100, 4_294_967_297] {
            assert_eq!(Quantity::parse(bad), Err(QuantityError(bad)));
        }
    }

    #[test]
    fn add_cart_item_rejects_bad_quantities_and_unknown_fields() {
        let ok: AddCartItem =
            serde_json::from_str(r#"{"productId":"p1","quantity":3}"#).expect("valid body");
        assert_eq!(ok.quantity.get(), 3);
        refuses::<AddCartItem>(&[
            r#"{"productId":"p1","quantity":0}"#,
            r#"{"productId":"p1","quantity":100}"#,
            r#"{"productId":"p1","quantity":-4}"#,
            r#"{"productId":"p1","quantity":"3"}"#,
            r#"{"productId":"p1"}"#,
            r#"{"productId":"p1","quantity":3,"price":0}"#,
        ]);
    }

    #[test]
    fn cart_totals_are_derived_from_lines() {
        let product = Product {
            id: "p1".into(),
            name: "Mug".into(),
            description: "A mug".into(),
            price: 1250,
            currency: "EUR".into(),
            image: "/img/mug.svg".into(),
        };
        let line = |q| CartLine {
            product: product.clone(),
            quantity: Quantity::parse(q).expect("valid"),
            line_total: 1250 * q,
        };
        let cart = Cart::from_lines(vec![line(2), line(3)], "EUR");
        assert_eq!((cart.item_count, cart.total), (5, 6250));
        let json = serde_json::to_value(&cart).expect("serializes");
        assert_eq!(json["itemCount"], 5);
        assert_eq!(json["lines"][0]["lineTotal"], 2500);
        assert_eq!(
            serde_json::from_value::<Cart>(json).expect("round trip"),
            cart
        );
    }

    #[test]
    fn api_error_codes_are_snake_case_and_tolerate_new_ones() {
        let error = ApiError::new(ErrorCode::SessionExpired, "Your session has ended.");
        assert_eq!(
            serde_json::to_value(&error).expect("serializes"),
            serde_json::json!({"code": "session_expired", "message": "Your session has ended."})
        );
        let future: ApiError =
            serde_json::from_str(r#"{"code":"brand_new","message":"x"}"#).expect("parses");
        assert_eq!(future.code, ErrorCode::Unknown);
    }

    #[test]
    fn device_binding_error_codes_are_the_www_authenticate_error_values() {
        for (code, wire) in [
            (
                ErrorCode::UseDpopNonce,
                crate::headers::ERROR_USE_DPOP_NONCE,
            ),
            (
                ErrorCode::InvalidDpopProof,
                crate::headers::ERROR_INVALID_DPOP_PROOF,
            ),
        ] {
            assert_eq!(serde_json::to_value(code).expect("serializes"), wire);
            let parsed: ErrorCode =
                serde_json::from_value(serde_json::json!(wire)).expect("parses");
            assert_eq!(parsed, code);
        }
    }

    #[test]
    fn app_config_names_the_device_binding_and_an_old_backend_means_off() {
        let config = AppConfig {
            fusion_auth_url: "http://fa".into(),
            application_id: "app".into(),
            device_binding: DeviceBinding::Required,
        };
        assert_eq!(
            serde_json::to_value(&config).expect("serializes"),
            serde_json::json!({
                "fusionAuthUrl": "http://fa",
                "applicationId": "app",
                "deviceBinding": "required"
            })
        );
        let old: AppConfig =
            serde_json::from_str(r#"{"fusionAuthUrl":"http://fa","applicationId":"app"}"#)
                .expect("parses");
        assert_eq!(old.device_binding, DeviceBinding::Off);
        let off: AppConfig = serde_json::from_str(
            r#"{"fusionAuthUrl":"http://fa","applicationId":"app","deviceBinding":"off"}"#,
        )
        .expect("parses");
        assert_eq!(off.device_binding, DeviceBinding::Off);
    }

    #[test]
    fn device_binding_reads_only_its_two_lower_case_spellings() {
        for (text, mode) in [
            ("required", DeviceBinding::Required),
            ("off", DeviceBinding::Off),
        ] {
            assert_eq!(text.parse::<DeviceBinding>(), Ok(mode));
            assert_eq!(mode.to_string(), text);
            let parsed: DeviceBinding =
                serde_json::from_value(serde_json::json!(text)).expect("parses");
            assert_eq!(parsed, mode);
        }
        for bad in ["Required", "OFF", "on", "", " off", "dpop"] {
            assert!(bad.parse::<DeviceBinding>().is_err(), "{bad:?}");
            assert!(
                serde_json::from_value::<DeviceBinding>(serde_json::json!(bad)).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_hand_off_body_names_its_token_and_never_shows_it() {
        let hand_off: SessionHandOff =
            serde_json::from_str(r#"{"refreshToken":"r3fresh-s3cret","refreshTokenId":"rid"}"#)
                .expect("parses");
        assert_eq!(hand_off.refresh_token, "r3fresh-s3cret");
        assert_eq!(hand_off.refresh_token_id.as_deref(), Some("rid"));
        let shown = format!("{hand_off:?}");
        assert!(!shown.contains("r3fresh-s3cret"), "{shown}");
        assert!(shown.contains("rid"), "{shown}");

        let without_id: SessionHandOff =
            serde_json::from_str(r#"{"refreshToken":"r"}"#).expect("parses");
        assert_eq!(
            serde_json::to_value(&without_id).expect("serializes"),
            serde_json::json!({"refreshToken": "r"})
        );
        refuses::<SessionHandOff>(&[
            r#"{}"#,
            r#"{"refreshTokenId":"rid"}"#,
            r#"{"refreshToken":7}"#,
            r#"{"refreshToken":"r","token":"jwt"}"#,
            r#""r""#,
        ]);
    }

    #[test]
    fn a_device_session_is_described_in_camel_case_without_tokens() {
        let session = DeviceSession {
            id: "5f0c".into(),
            device_label: "Safari on iPhone".into(),
            created_at: 1_700_000_000_000,
            last_used_at: 1_700_000_060_000,
        };
        let json = serde_json::to_value(&session).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "5f0c",
                "deviceLabel": "Safari on iPhone",
                "createdAt": 1_700_000_000_000_i64,
                "lastUsedAt": 1_700_000_060_000_i64
            })
        );
        assert_eq!(
            serde_json::from_value::<DeviceSession>(json).expect("round trip"),
            session
        );
    }
}
