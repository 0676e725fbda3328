//! The store API's bodies (`shared::store`) as the PWA reads and writes them with
//! [`crate::json`]: every field by its serde name, required fields required. Tested against
//! serde's form of the same types in `tests/wire.rs`.

use shared::store::{
    AddCartItem, ApiError, AppConfig, Cart, CartLine, DeviceBinding, ErrorCode,
    ForgotPasswordRequest, Passkey, PasskeyList, Product, ProductList, Quantity, SessionHandOff,
    SetCartQuantity, SignUpRequest, SignUpResponse, SignedInDevice, SignedInDevices,
};
use wasm_bindgen::JsValue;

use crate::json::{Json, Read, Write, object};

impl Read for AppConfig {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            fusion_auth_url: json.get("fusionAuthUrl").str()?,
            application_id: json.get("applicationId").str()?,
            // Absent (an older backend) means off; anything but a known mode makes the config
            // unreadable, as serde would.
            device_binding: match json.get("deviceBinding") {
                absent if absent.is_absent() => DeviceBinding::Off,
                mode => mode.str()?.parse().ok()?,
            },
        })
    }
}

impl Read for Product {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            id: json.get("id").str()?,
            name: json.get("name").str()?,
            description: json.get("description").str()?,
            price: json.get("price").int()?,
            currency: json.get("currency").str()?,
            image: json.get("image").str()?,
        })
    }
}

impl Read for ProductList {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            products: json.get("products").list()?,
        })
    }
}

impl Read for Passkey {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            id: json.get("id").str()?,
            display_name: json.get("displayName").str()?,
            created_at: json.get("createdAt").int()?,
            last_used_at: json.get("lastUsedAt").int()?,
        })
    }
}

impl Read for PasskeyList {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            passkeys: json.get("passkeys").list()?,
        })
    }
}

impl Read for CartLine {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            product: json.get("product").read()?,
            quantity: Quantity::parse(json.get("quantity").int()?).ok()?,
            line_total: json.get("lineTotal").int()?,
        })
    }
}

impl Read for Cart {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            lines: json.get("lines").list()?,
            item_count: u32::try_from(json.get("itemCount").int()?).ok()?,
            total: json.get("total").int()?,
            currency: json.get("currency").str()?,
        })
    }
}

impl Read for SignedInDevice {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            id: json.get("id").str()?,
            device_label: json.get("deviceLabel").str()?,
            created_at: json.get("createdAt").int()?,
            last_used_at: json.get("lastUsedAt").int(),
            this_device: json.get("thisDevice").bool()?,
        })
    }
}

impl Read for SignedInDevices {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            devices: json.get("devices").list()?,
        })
    }
}

impl Read for ApiError {
    fn read(json: &Json) -> Option<Self> {
        let code = match json.get("code").str()?.as_str() {
            "invalid_request" => ErrorCode::InvalidRequest,
            "unauthorized" => ErrorCode::Unauthorized,
            "session_expired" => ErrorCode::SessionExpired,
            "refresh_required" => ErrorCode::RefreshRequired,
            "use_dpop_nonce" => ErrorCode::UseDpopNonce,
            "invalid_dpop_proof" => ErrorCode::InvalidDpopProof,
            "not_found" => ErrorCode::NotFound,
            "payload_too_large" => ErrorCode::PayloadTooLarge,
            "too_many_requests" => ErrorCode::TooManyRequests,
            "unavailable" => ErrorCode::Unavailable,
            "internal" => ErrorCode::Internal,
            _ => ErrorCode::Unknown,
        };
        Some(Self::new(code, json.get("message").str()?))
    }
}

impl Write for AddCartItem {
    fn write(&self) -> JsValue {
        object(&[
            ("productId", JsValue::from_str(&self.product_id)),
            ("quantity", JsValue::from(self.quantity.get())),
        ])
    }
}

impl Write for SessionHandOff {
    fn write(&self) -> JsValue {
        object(&[
            ("refreshToken", JsValue::from_str(&self.refresh_token)),
            (
                "refreshTokenId",
                crate::json::opt(self.refresh_token_id.as_deref()),
            ),
        ])
    }
}

impl Read for SignUpResponse {
    fn read(json: &Json) -> Option<Self> {
        Some(Self {
            user_id: json.get("userId").str()?,
            email: json.get("email").str()?,
            verification_required: json.get("verificationRequired").bool()?,
        })
    }
}

impl Write for SignUpRequest {
    fn write(&self) -> JsValue {
        object(&[
            ("email", JsValue::from_str(&self.email)),
            ("password", JsValue::from_str(&self.password)),
            ("firstName", crate::json::opt(self.first_name.as_deref())),
        ])
    }
}

impl Write for ForgotPasswordRequest {
    fn write(&self) -> JsValue {
        object(&[("email", JsValue::from_str(&self.email))])
    }
}

impl Write for SetCartQuantity {
    fn write(&self) -> JsValue {
        object(&[("quantity", JsValue::from(self.quantity.get()))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn store_bodies_are_read_like_serde_would() {
        let cart: Cart = crate::json::from_str(
            r#"{"lines":[{"product":{"id":"pour-over","name":"Pour-over","description":"d",
                "price":2500,"currency":"EUR","image":"/images/pour-over.svg"},"quantity":2,
                "lineTotal":5000}],"itemCount":2,"total":5000,"currency":"EUR","extra":true}"#,
        )
        .expect("a cart");
        assert_eq!(cart.lines[0].quantity.get(), 2);
        assert_eq!(cart.lines[0].product.id, "pour-over");
        assert_eq!(cart.total, 5000);
        let bad_quantity = r#"{"lines":[{"product":{"id":"a","name":"a","description":"",
            "price":1,"currency":"EUR","image":""},"quantity":0,"lineTotal":0}],
            "itemCount":0,"total":0,"currency":"EUR"}"#;
        assert!(crate::json::from_str::<Cart>(bad_quantity).is_none());
        assert!(crate::json::from_str::<ProductList>(r#"{"products":[{"id":"x"}]}"#).is_none());
        assert!(crate::json::from_str::<ProductList>("not json").is_none());
        let empty: ProductList = crate::json::from_str(r#"{"products":[]}"#).expect("empty list");
        assert!(empty.products.is_empty());
        assert!(
            crate::json::from_str::<Product>(
                r#"{"id":"a","name":"a","description":"","price":1.5,"currency":"EUR","image":""}"#
            )
            .is_none()
        );
    }

    #[test]
    fn error_bodies_keep_their_code() {
        let error: ApiError =
            crate::json::from_str(r#"{"code":"session_expired","message":"over"}"#)
                .expect("an error");
        assert_eq!(error.code, ErrorCode::SessionExpired);
        let odd: ApiError =
            crate::json::from_str(r#"{"code":"brand_new","message":""}"#).expect("an error");
        assert_eq!(odd.code, ErrorCode::Unknown);
        let config: AppConfig =
            crate::json::from_str(r#"{"fusionAuthUrl":"http://fa","applicationId":"app"}"#)
                .expect("config");
        assert_eq!(config.application_id, "app");
        assert_eq!(config.device_binding, DeviceBinding::Off);
        for (code, wire) in [
            (ErrorCode::UseDpopNonce, "use_dpop_nonce"),
            (ErrorCode::InvalidDpopProof, "invalid_dpop_proof"),
        ] {
            let text = format!(r#"{{"code":"{wire}","message":"m"}}"#);
            let error: ApiError = crate::json::from_str(&text).expect("an error");
            assert_eq!(error.code, code);
        }
    }

    #[test]
    fn the_config_names_the_device_binding_mode() {
        let read = |mode: &str| {
            crate::json::from_str::<AppConfig>(&format!(
                r#"{{"fusionAuthUrl":"http://fa","applicationId":"app","deviceBinding":{mode}}}"#
            ))
            .map(|config| config.device_binding)
        };
        assert_eq!(read(r#""required""#), Some(DeviceBinding::Required));
        assert_eq!(read(r#""off""#), Some(DeviceBinding::Off));
        assert_eq!(read(r#""sometimes""#), None);
        assert_eq!(read("true"), None);
        assert_eq!(read("null"), None);
    }
}
