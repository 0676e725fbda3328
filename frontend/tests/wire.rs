//! The PWA's JSON codec (`frontend::json` with the impls in `frontend::wire`) against serde's form
//! of the same `shared` types, in a real browser (`JSON.parse`/`JSON.stringify` are the
//! browser's): each test builds the shared type, serializes it with serde_json and reads it with
//! the PWA's reader — or writes with the PWA's writer and parses the text with serde — and
//! compares field by field. A field renamed in `shared` fails here, not in a user's browser.
//! (Over 500 lines: one test per wire shape the PWA reads or writes, kept together.)
//!
//! `CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
//!  cargo test -p frontend --target wasm32-unknown-unknown --test wire`

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use frontend::api::{LoginFailure, LoginStep, read_login_answer};
use frontend::json::{Read, Write, from_str, to_string};
use frontend::wire::fusionauth as pwa;
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::fusionauth::{
    DeviceInfo, ErrorDetail, Errors, LoginMetaData, LoginPreventedAction, LoginPreventedResponse,
    LoginRequest, LoginResponse, LogoutRequest, TwoFactorLoginRequest, User,
};
use shared::store::{
    AddCartItem, ApiError, AppConfig, Cart, CartLine, DeviceBinding, ErrorCode, Passkey,
    PasskeyList, Product, ProductList, Quantity, SessionHandOff, SetCartQuantity,
};
use wasm_bindgen_test::{wasm_bindgen_test as test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// serde's JSON of `value`, read back by the PWA.
fn through_serde<T: Read>(value: &impl Serialize) -> T {
    let text = serde_json::to_string(value).unwrap();
    from_str(&text).unwrap_or_else(|| panic!("the PWA cannot read serde's {text}"))
}

fn product(id: &str, price: i64) -> Product {
    Product {
        id: id.to_owned(),
        name: format!("The {id}"),
        description: "Ground by hand — «fresh».".to_owned(),
        price,
        currency: "EUR".to_owned(),
        image: format!("/images/{id}.svg"),
    }
}

#[test]
fn store_answers_read_back_as_the_shared_values_serde_wrote() {
    let products = ProductList {
        products: vec![product("pour-over", 2500), product("grinder", 8900)],
    };
    assert_eq!(through_serde::<ProductList>(&products), products);
    let lines = vec![
        CartLine {
            product: product("pour-over", 2500),
            quantity: Quantity::parse(2).unwrap(),
            line_total: 5000,
        },
        CartLine {
            product: product("grinder", 8900),
            quantity: Quantity::parse(99).unwrap(),
            line_total: 881_100,
        },
    ];
    let cart = Cart::from_lines(lines, "EUR");
    assert_eq!(through_serde::<Cart>(&cart), cart);
    assert_eq!(through_serde::<Cart>(&Cart::default()), Cart::default());
    let config = AppConfig {
        fusion_auth_url: "https://auth.store.example".to_owned(),
        application_id: "b0029271-d049-43fa-9a64-ade04b85bf15".to_owned(),
        device_binding: DeviceBinding::Required,
    };
    assert_eq!(through_serde::<AppConfig>(&config), config);
    let off = AppConfig {
        device_binding: DeviceBinding::Off,
        ..config
    };
    assert_eq!(through_serde::<AppConfig>(&off), off);
}

/// The store error code after `code` (the first for `None`), in declaration order. The match
/// has no wildcard: a code added to `shared` does not compile here until it is listed, and then
/// fails below until the PWA's reader knows it.
fn next_error_code(code: Option<ErrorCode>) -> Option<ErrorCode> {
    match code {
        None => Some(ErrorCode::InvalidRequest),
        Some(ErrorCode::InvalidRequest) => Some(ErrorCode::Unauthorized),
        Some(ErrorCode::Unauthorized) => Some(ErrorCode::SessionExpired),
        Some(ErrorCode::SessionExpired) => Some(ErrorCode::RefreshRequired),
        Some(ErrorCode::RefreshRequired) => Some(ErrorCode::UseDpopNonce),
        Some(ErrorCode::UseDpopNonce) => Some(ErrorCode::InvalidDpopProof),
        Some(ErrorCode::InvalidDpopProof) => Some(ErrorCode::NotFound),
        Some(ErrorCode::NotFound) => Some(ErrorCode::PayloadTooLarge),
        Some(ErrorCode::PayloadTooLarge) => Some(ErrorCode::TooManyRequests),
        Some(ErrorCode::TooManyRequests) => Some(ErrorCode::Unavailable),
        Some(ErrorCode::Unavailable) => Some(ErrorCode::Internal),
        Some(ErrorCode::Internal) => Some(ErrorCode::Unknown),
        Some(ErrorCode::Unknown) => None,
    }
}

#[test]
fn every_store_error_code_reads_back_as_itself() {
    let codes = std::iter::successors(next_error_code(None), |code| next_error_code(Some(*code)));
    for code in codes {
        let error = ApiError::new(code, format!("Because of {code:?}."));
        assert_eq!(through_serde::<ApiError>(&error), error, "{code:?}");
    }
}

/// What the PWA writes for `value`, parsed back by serde.
fn written_by_the_pwa<T: Write + DeserializeOwned>(value: &T) -> T {
    let text = to_string(value).unwrap();
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("serde cannot read the PWA's {text}: {e}"))
}

#[test]
fn store_requests_the_pwa_writes_parse_into_the_shared_types() {
    let item = AddCartItem {
        product_id: "pour-over/«x»".to_owned(),
        quantity: Quantity::parse(3).unwrap(),
    };
    assert_eq!(written_by_the_pwa(&item), item);
    let change = SetCartQuantity {
        quantity: Quantity::parse(99).unwrap(),
    };
    assert_eq!(written_by_the_pwa(&change), change);
    for hand_off in [
        SessionHandOff {
            refresh_token: "rt-\"quoted\"".to_owned(),
            refresh_token_id: Some("rid-1".to_owned()),
        },
        SessionHandOff {
            refresh_token: "rt".to_owned(),
            refresh_token_id: None,
        },
    ] {
        assert_eq!(written_by_the_pwa(&hand_off), hand_off);
    }
}

fn zoe() -> User {
    User {
        id: "f811228e-a7d3-40c4-8d40-7ac2088d9e28".to_owned(),
        email: Some("zoe@example.com".to_owned()),
        username: Some("zoe".to_owned()),
        first_name: Some("Zoë".to_owned()),
        last_name: Some("Tester".to_owned()),
        full_name: Some("Zoë Q. Tester".to_owned()),
        active: true,
        verified: true,
        ..User::default()
    }
}

/// The PWA's slice of a login answer holds what serde wrote in the shared one.
fn assert_same_login_response(read: &pwa::LoginResponse, sent: &LoginResponse) {
    assert_eq!(read.token, sent.token);
    assert_eq!(read.refresh_token, sent.refresh_token);
    assert_eq!(read.refresh_token_id, sent.refresh_token_id);
    assert_eq!(read.two_factor_id, sent.two_factor_id);
    assert_eq!(read.change_password_id, sent.change_password_id);
    let read_user = read.user.as_ref();
    let sent_user = sent.user.as_ref();
    assert_eq!(read_user.is_some(), sent_user.is_some());
    if let (Some(read), Some(sent)) = (read_user, sent_user) {
        assert_eq!(read.email, sent.email);
        assert_eq!(read.username, sent.username);
        assert_eq!(read.first_name, sent.first_name);
        assert_eq!(read.last_name, sent.last_name);
        assert_eq!(read.full_name, sent.full_name);
    }
}

#[test]
fn login_answers_read_back_as_serde_wrote_them_and_mean_the_right_step() {
    let signed_in = LoginResponse {
        token: Some("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ6In0.sig".to_owned()),
        token_expiration_instant: Some(1_764_400_000_000),
        refresh_token: Some("xRxGGEpVawiUak6He367W3oeOfh+3irw+1G1h1jc".to_owned()),
        refresh_token_id: Some("bc767324-52fc-48c0-8bf0-af1d11e17ac3".to_owned()),
        user: Some(zoe()),
        ..LoginResponse::default()
    };
    let two_factor = LoginResponse {
        two_factor_id: Some("YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4".to_owned()),
        ..LoginResponse::default()
    };
    let change_password = LoginResponse {
        change_password_id: Some("XOgai4dE-pAuaNxO7aGeW4ETVqaoDkBlPzmH8aXzgW0".to_owned()),
        ..LoginResponse::default()
    };
    let unverified = LoginResponse {
        user: Some(zoe()),
        ..LoginResponse::default()
    };
    for (status, sent) in [
        (200, &signed_in),
        (242, &two_factor),
        (203, &change_password),
        (212, &unverified),
    ] {
        assert_same_login_response(&through_serde(sent), sent);
        let body = serde_json::to_string(sent).unwrap();
        let step = read_login_answer(status, &body, false);
        match status {
            200 => {
                let Ok(LoginStep::SignedIn(session)) = step else {
                    panic!("200 signs in: {step:?}");
                };
                assert_eq!(Some(session.token), signed_in.token);
                assert_eq!(session.refresh_token, signed_in.refresh_token);
                assert_eq!(session.refresh_token_id, signed_in.refresh_token_id);
                assert_eq!(session.display_name.as_deref(), Some("Zoë Q. Tester"));
                assert_eq!(session.email.as_deref(), Some("zoe@example.com"));
            }
            242 => assert_eq!(
                step,
                Ok(LoginStep::TwoFactor(
                    two_factor.two_factor_id.clone().unwrap()
                ))
            ),
            203 => assert_eq!(
                step,
                Ok(LoginStep::ChangePassword(
                    change_password.change_password_id.clone().unwrap()
                ))
            ),
            _ => assert_eq!(step, Err(LoginFailure::NotVerified)),
        }
    }
}

#[test]
fn fusionauth_errors_read_back_as_serde_wrote_them() {
    let detail = |message: &str| ErrorDetail {
        message: message.to_owned(),
        ..ErrorDetail::default()
    };
    let mut field_errors = BTreeMap::new();
    field_errors.insert(
        "loginId".to_owned(),
        vec![detail("Required"), detail("Too short")],
    );
    field_errors.insert("password".to_owned(), vec![detail("Required")]);
    let sent = Errors {
        field_errors,
        general_errors: vec![detail("Something is off.")],
    };
    let read: pwa::Errors = through_serde(&sent);
    let messages = |details: &[ErrorDetail]| -> Vec<String> {
        details.iter().map(|d| d.message.clone()).collect()
    };
    let read_messages = |details: &[pwa::ErrorDetail]| -> Vec<String> {
        details.iter().map(|d| d.message.clone()).collect()
    };
    assert_eq!(
        read.field_errors.keys().collect::<Vec<_>>(),
        sent.field_errors.keys().collect::<Vec<_>>()
    );
    for (field, details) in &sent.field_errors {
        assert_eq!(
            read_messages(&read.field_errors[field]),
            messages(details),
            "{field}"
        );
    }
    assert_eq!(
        read_messages(&read.general_errors),
        messages(&sent.general_errors)
    );

    let failure = read_login_answer(400, &serde_json::to_string(&sent).unwrap(), false)
        .expect_err("400 fails");
    assert_eq!(failure.field_error("loginId").as_deref(), Some("Required"));
    assert_eq!(failure.message(), "Something is off.");
}

#[test]
fn the_login_request_the_pwa_writes_parses_into_the_shared_type() {
    let device = frontend::api::describe_device(
        "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) \
         Chrome/130.0 Mobile Safari/537.36",
    );
    let full = pwa::LoginRequest {
        login_id: "zoe@example.com",
        password: "pass \"word\" ✓",
        application_id: Some("b0029271-d049-43fa-9a64-ade04b85bf15"),
        device_name: device.name.as_deref(),
        device_type: device.device_type.as_deref(),
    };
    let bare = pwa::LoginRequest {
        login_id: "zoe",
        password: "p",
        ..pwa::LoginRequest::default()
    };
    for written in [full, bare] {
        let text = to_string(&written).unwrap();
        let parsed: LoginRequest = serde_json::from_str(&text).unwrap();
        let device = DeviceInfo {
            name: written.device_name.map(str::to_owned),
            device_type: written.device_type.map(str::to_owned),
            ..DeviceInfo::default()
        };
        let expected = LoginRequest {
            login_id: written.login_id.to_owned(),
            password: written.password.to_owned(),
            application_id: written.application_id.map(str::to_owned),
            meta_data: Some(LoginMetaData {
                device: Some(device),
            }),
            ..LoginRequest::default()
        };
        assert_eq!(parsed, expected, "{text}");
    }
}

#[test]
fn two_factor_logout_and_locked_bodies_match_shared() {
    let written = pwa::TwoFactorLoginRequest {
        two_factor_id: "tf1",
        code: "123456",
        application_id: Some("app"),
    };
    let text = to_string(&written).unwrap();
    let parsed: TwoFactorLoginRequest = serde_json::from_str(&text).unwrap();
    let expected = TwoFactorLoginRequest {
        two_factor_id: "tf1".to_owned(),
        code: "123456".to_owned(),
        application_id: Some("app".to_owned()),
        ..TwoFactorLoginRequest::default()
    };
    assert!(parsed == expected, "{text}");

    let text = to_string(&pwa::LogoutRequest {
        refresh_token: Some("r1"),
    })
    .unwrap();
    let parsed: LogoutRequest = serde_json::from_str(&text).unwrap();
    let expected = LogoutRequest {
        refresh_token: Some("r1".to_owned()),
        ..LogoutRequest::default()
    };
    assert!(parsed == expected, "{text}");

    let locked = LoginPreventedResponse {
        actions: vec![LoginPreventedAction {
            action_id: "a".to_owned(),
            expiry: Some(1_764_400_000_000),
            reason: Some("Chargeback".to_owned()),
            ..LoginPreventedAction::default()
        }],
    };
    let read: pwa::LoginPreventedResponse = through_serde(&locked);
    assert_eq!(read.actions.len(), 1);
    assert_eq!(read.actions[0].expiry, Some(1_764_400_000_000));
}

#[test]
fn the_account_bodies_the_pwa_writes_and_reads_match_shared() {
    use shared::fusionauth::{ChangePasswordRequest, ChangePasswordResponse, VerifyEmailRequest};
    use shared::store::{ForgotPasswordRequest, SignUpRequest, SignUpResponse};

    let text = to_string(&pwa::OneTimePasswordLogin {
        one_time_password: "otp",
        application_id: Some("app"),
    })
    .unwrap();
    let parsed: LoginRequest = serde_json::from_str(&text).unwrap();
    let expected = LoginRequest {
        one_time_password: Some("otp".to_owned()),
        application_id: Some("app".to_owned()),
        ..LoginRequest::default()
    };
    assert!(parsed == expected, "{text}");

    for current in [None, Some("old ✓")] {
        let text = to_string(&pwa::ChangePasswordRequest {
            password: "new \"one\"",
            current_password: current,
        })
        .unwrap();
        let parsed: ChangePasswordRequest = serde_json::from_str(&text).unwrap();
        let expected = ChangePasswordRequest {
            password: "new \"one\"".to_owned(),
            current_password: current.map(str::to_owned),
            ..ChangePasswordRequest::default()
        };
        assert!(parsed == expected, "{text}");
    }
    let answer: pwa::ChangePasswordResponse = through_serde(&ChangePasswordResponse {
        one_time_password: "otp2".to_owned(),
        state: None,
    });
    assert_eq!(answer.one_time_password.as_deref(), Some("otp2"));

    let text = to_string(&pwa::VerifyEmailRequest {
        verification_id: "v1",
    })
    .unwrap();
    let parsed: VerifyEmailRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.verification_id.as_deref(), Some("v1"), "{text}");

    let answer: pwa::LoginResponse = through_serde(&LoginResponse {
        change_password_id: Some("cp1".to_owned()),
        ..LoginResponse::default()
    });
    assert_eq!(answer.change_password_id.as_deref(), Some("cp1"));

    for first_name in [None, Some("Nia".to_owned())] {
        let request = SignUpRequest {
            email: "nia@example.com".to_owned(),
            password: "p ✓".to_owned(),
            first_name,
        };
        let text = to_string(&request).unwrap();
        let parsed: SignUpRequest = serde_json::from_str(&text).unwrap();
        assert!(parsed == request, "{text}");
    }
    let text = to_string(&ForgotPasswordRequest {
        email: "a@example.com".to_owned(),
    })
    .unwrap();
    let parsed: ForgotPasswordRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.email, "a@example.com");
    let created = SignUpResponse {
        user_id: "u1".to_owned(),
        email: "nia@example.com".to_owned(),
        verification_required: true,
    };
    assert_eq!(through_serde::<SignUpResponse>(&created), created);
}

#[test]
fn the_device_list_reads_back_as_serde_wrote_it() {
    use shared::store::{SignedInDevice, SignedInDevices};
    let list = SignedInDevices {
        devices: vec![
            SignedInDevice {
                id: "rt-1".to_owned(),
                device_label: "Chrome on Android".to_owned(),
                created_at: 1_764_560_000_000,
                last_used_at: Some(1_764_560_600_000),
                this_device: true,
            },
            SignedInDevice {
                id: "rt-2".to_owned(),
                device_label: "Store app (Firefox on Linux)".to_owned(),
                created_at: 1_764_500_000_000,
                last_used_at: None,
                this_device: false,
            },
        ],
    };
    assert_eq!(through_serde::<SignedInDevices>(&list), list);
    assert_eq!(
        from_str::<SignedInDevices>(r#"{"devices":[{"id":"x","deviceLabel":"y"}]}"#),
        None,
        "createdAt and thisDevice are required"
    );
}

#[test]
fn the_backends_field_errors_and_fusionauths_read_per_field() {
    use frontend::api::read_failure;
    use shared::store::{FieldError, FieldErrors};

    let backend = FieldErrors {
        code: ErrorCode::InvalidRequest,
        message: "Please check the highlighted fields.".to_owned(),
        fields: BTreeMap::from([(
            "email".to_owned(),
            vec![FieldError {
                rule: "duplicate".to_owned(),
                message: "An account with this email already exists.".to_owned(),
            }],
        )]),
    };
    let failure = read_failure(400, &serde_json::to_string(&backend).unwrap());
    assert_eq!(
        failure.field_error("email").as_deref(),
        Some("An account with this email already exists.")
    );
    let fusionauth =
        r#"{"fieldErrors":{"password":[{"code":"[tooShort]password","message":"Too short"}]}}"#;
    assert_eq!(
        read_failure(400, fusionauth)
            .field_error("password")
            .as_deref(),
        Some("Too short")
    );
    let cases = [
        (404, LoginFailure::LinkExpired),
        (429, LoginFailure::TooManyAttempts),
        (503, LoginFailure::Unreachable),
        (418, LoginFailure::Unexpected),
    ];
    for (status, expected) in cases {
        assert_eq!(read_failure(status, ""), expected, "{status}");
    }
}

#[test]
fn the_passkey_list_reads_back_as_serde_wrote_it() {
    let list = PasskeyList {
        passkeys: vec![Passkey {
            id: "c664318a-2384-4c35-9475-9a200e1d3b72".to_owned(),
            display_name: "Store app (Chrome on Android)".to_owned(),
            created_at: 1_668_011_701_792,
            last_used_at: 1_668_021_630_599,
        }],
    };
    assert_eq!(through_serde::<PasskeyList>(&list), list);
    assert_eq!(
        through_serde::<PasskeyList>(&PasskeyList::default()),
        PasskeyList::default()
    );
    assert!(
        from_str::<PasskeyList>(r#"{"passkeys":[{"id":"x","displayName":"Phone"}]}"#).is_none()
    );
}
