//! Serde tests against FusionAuth's documented example shapes (the contract quotes them).
//! (Over 500 lines: one test per documented example, kept together as the contract's checklist.)

use serde_json::{Value, json};

use super::*;

/// Shaped like FusionAuth's documented login response example (`json/users/login-response.json`).
const LOGIN_RESPONSE: &str = r#"{
  "refreshToken": "xRxGGEpVawiUak6He367W3oeOfh+3irw+1G1h1jc",
  "refreshTokenId": "bc767324-52fc-48c0-8bf0-af1d11e17ac3",
  "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig",
  "tokenExpirationInstant": 1595361143101,
  "user": {
    "active": true,
    "birthDate": "1976-05-30",
    "data": {"displayName": "Johnny Boy"},
    "email": "example@fusionauth.io",
    "firstName": "John",
    "id": "00000000-0000-0001-0000-000000000000",
    "insertInstant": 1595361143101,
    "lastLoginInstant": 1595361143101,
    "passwordChangeRequired": false,
    "registrations": [{
      "applicationId": "10000000-0000-0002-0000-000000000001",
      "id": "00000000-0000-0002-0000-000000000000",
      "insertInstant": 1595361143101,
      "roles": ["admin", "user"],
      "username": "johnny123",
      "verified": true
    }],
    "tenantId": "f24aca2b-ce4a-4dad-951a-c9d690e71415",
    "twoFactor": {"methods": []},
    "verified": true
  }
}"#;

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(json: &Value) -> Value {
    let typed: T = serde_json::from_value(json.clone()).expect("parses");
    serde_json::to_value(&typed).expect("serializes")
}

#[test]
fn login_response_reads_fusionauth_documented_example() {
    let response: LoginResponse =
        serde_json::from_str(LOGIN_RESPONSE).expect("documented example parses");
    assert_eq!(response.token_expiration_instant, Some(1_595_361_143_101));
    assert_eq!(
        response.refresh_token_id.as_deref(),
        Some("bc767324-52fc-48c0-8bf0-af1d11e17ac3")
    );
    let user = response.user.expect("user present");
    assert_eq!(user.email.as_deref(), Some("example@fusionauth.io"));
    assert!(user.active && user.verified);
    assert_eq!(user.registrations[0].roles, ["admin", "user"]);
    assert_eq!(
        user.data.and_then(|d| d.get("displayName").cloned()),
        Some(Value::from("Johnny Boy"))
    );
    assert_eq!(
        user.other["birthDate"], "1976-05-30",
        "other fields are kept"
    );
}

#[test]
fn login_response_round_trips_without_inventing_or_losing_fields() {
    let example: Value = serde_json::from_str(LOGIN_RESPONSE).expect("JSON");
    assert_eq!(round_trip::<LoginResponse>(&example), example);
    let json = serde_json::to_value(LoginResponse::default()).expect("serializes");
    assert_eq!(json, json!({}), "absent fields stay absent");
}

#[test]
fn every_two_xx_login_body_reads_as_a_login_response() {
    let bodies = [
        (
            LoginStatus::TwoFactorRequired,
            json!({"twoFactorId": "YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4",
                   "methods": [{"authenticator": {"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30},
                                "id": "2USY", "method": "authenticator"}]}),
        ),
        (
            LoginStatus::PasswordChangeRequired,
            json!({"changePasswordId": "XOgai4Ro8oexGf5rcQ0Ppy6ow0wJmb1Bu7NWmWQBbAw",
                   "changePasswordReason": "Breached"}),
        ),
        (
            LoginStatus::EmailVerificationRequired,
            json!({"user": {"id": "00000000-0000-0001-0000-000000000000", "active": true, "verified": false}}),
        ),
    ];
    for (status, body) in bodies {
        assert_eq!(round_trip::<LoginResponse>(&body), body, "{status:?}");
    }
    let two_factor: LoginResponse = serde_json::from_value(json!({"twoFactorId": "t",
        "methods": [{"id": "2USY", "method": "authenticator"}]}))
    .expect("242");
    assert_eq!(
        two_factor.methods.expect("methods")[0].id.as_deref(),
        Some("2USY")
    );
    let change: LoginResponse =
        serde_json::from_value(json!({"changePasswordReason": "Validation"})).expect("203");
    assert_eq!(
        change.change_password_reason,
        Some(ChangePasswordReason::Validation)
    );
    let newer: LoginResponse =
        serde_json::from_value(json!({"changePasswordReason": "Lambda"})).expect("203");
    assert_eq!(
        newer.change_password_reason,
        Some(ChangePasswordReason::Other("Lambda".into()))
    );
}

#[test]
fn login_statuses_carry_their_http_codes() {
    let codes: Vec<u16> = LoginStatus::ALL.iter().map(|s| s.code()).collect();
    assert_eq!(codes, [200, 202, 203, 212, 213, 242, 404, 409, 410, 423]);
    for status in LoginStatus::ALL {
        assert_eq!(LoginStatus::from_code(status.code()), Some(status));
    }
    assert_eq!(LoginStatus::from_code(401), None);
}

#[test]
fn login_prevented_body_reads_the_documented_actions() {
    let body = json!({"actions": [{
        "actionId": "00000000-0000-0000-0000-000000000042",
        "actionerUserId": "00000000-0000-0001-0000-000000000000",
        "expiry": 1571786483322_i64,
        "localizedName": "Prevent Login Action",
        "localizedReason": "Hard Lock",
        "name": "Prevent Login Action",
        "reason": "Hard Lock",
        "reasonCode": "hard_lock"
    }]});
    let prevented: LoginPreventedResponse = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(prevented.actions[0].expiry, Some(1_571_786_483_322));
    assert_eq!(round_trip::<LoginPreventedResponse>(&body), body);
}

#[test]
fn login_request_writes_fusionauth_field_names() {
    let request = LoginRequest {
        login_id: "ana@example.com".into(),
        password: "s3cret-pass".into(),
        application_id: Some("5c4c0000-0000-0000-0000-000000000000".into()),
        meta_data: Some(LoginMetaData {
            device: Some(DeviceInfo {
                name: Some("Ana's Pixel".into()),
                device_type: Some("MOBILE".into()),
                ..DeviceInfo::default()
            }),
        }),
        no_jwt: Some(false),
        ..LoginRequest::default()
    };
    let json = serde_json::to_value(&request).expect("serializes");
    assert_eq!(
        json,
        json!({
            "loginId": "ana@example.com",
            "password": "s3cret-pass",
            "applicationId": "5c4c0000-0000-0000-0000-000000000000",
            "noJWT": false,
            "metaData": {"device": {"name": "Ana's Pixel", "type": "MOBILE"}}
        })
    );
    let camel: LoginRequest =
        serde_json::from_value(json!({"loginId": "a", "password": "p", "noJwt": true}))
            .expect("noJwt is read too");
    assert_eq!(camel.no_jwt, Some(true));
}

#[test]
fn two_factor_login_and_logout_requests_use_fusionauth_names() {
    let request: TwoFactorLoginRequest = serde_json::from_value(json!({
        "twoFactorId": "YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4",
        "code": "123456",
        "applicationId": "10000000-0000-0002-0000-000000000001",
        "ipAddress": "192.168.1.42"
    }))
    .expect("parses");
    assert_eq!(request.code, "123456");
    let logout: LogoutRequest =
        serde_json::from_value(json!({"global": true, "refreshToken": "rt"})).expect("parses");
    assert_eq!(logout.global, Some(true));
    assert_eq!(logout.refresh_token.as_deref(), Some("rt"));
}

#[test]
fn the_documented_combined_registration_request_round_trips_and_writes_only_what_is_set() {
    let documented = json!({
        "registration": {"applicationId": "10000000-0000-0002-0000-000000000001", "roles": ["user"]},
        "skipRegistrationVerification": true,
        "skipVerification": true,
        "user": {"email": "ana@example.com", "firstName": "Ana", "password": "s3cret-pass",
                 "timezone": "Europe/Berlin"}
    });
    assert_eq!(round_trip::<RegistrationRequest>(&documented), documented);
    let minimal = RegistrationRequest {
        user: Some(NewUser {
            email: Some("ana@example.com".into()),
            password: "s3cret-pass".into(),
            ..NewUser::default()
        }),
        registration: NewRegistration {
            application_id: "app".into(),
            ..NewRegistration::default()
        },
        ..RegistrationRequest::default()
    };
    assert_eq!(
        serde_json::to_value(&minimal).expect("serializes"),
        json!({"registration": {"applicationId": "app"},
               "user": {"email": "ana@example.com", "password": "s3cret-pass"}})
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let secret = "hunter2-secret-value";
    let values: &[&dyn std::fmt::Debug] = &[
        &LoginRequest {
            password: secret.into(),
            ..LoginRequest::default()
        },
        &LoginResponse {
            token: Some(secret.into()),
            refresh_token: Some(secret.into()),
            two_factor_id: Some(secret.into()),
            change_password_id: Some(secret.into()),
            ..LoginResponse::default()
        },
        &RefreshRequest {
            refresh_token: Some(secret.into()),
            token: Some(secret.into()),
        },
        &RefreshResponse {
            token: secret.into(),
            refresh_token: Some(secret.into()),
            refresh_token_id: None,
        },
        &TwoFactorLoginRequest {
            two_factor_id: secret.into(),
            code: secret.into(),
            ..TwoFactorLoginRequest::default()
        },
        &LogoutRequest {
            refresh_token: Some(secret.into()),
            global: None,
        },
        &RevokeRefreshTokenRequest {
            token: Some(secret.into()),
            ..RevokeRefreshTokenRequest::default()
        },
        &RefreshToken {
            token: Some(secret.into()),
            ..RefreshToken::default()
        },
        &TwoFactorMethod {
            secret: Some(secret.into()),
            secret_base32_encoded: Some(secret.into()),
            ..TwoFactorMethod::default()
        },
        &Key {
            secret: Some(secret.into()),
            ..Key::default()
        },
        &JwtRefreshEvent {
            refresh_token: secret.into(),
            token: secret.into(),
            original: Some(secret.into()),
            ..JwtRefreshEvent::default()
        },
        &RegistrationRequest {
            user: Some(NewUser {
                password: secret.into(),
                ..NewUser::default()
            }),
            ..RegistrationRequest::default()
        },
        &RegistrationResponse {
            token: Some(secret.into()),
            refresh_token: Some(secret.into()),
            ..RegistrationResponse::default()
        },
    ];
    for value in values {
        let shown = format!("{value:?}");
        assert!(!shown.contains(secret), "{shown}");
    }
}

#[test]
fn refresh_round_trip_matches_documented_shape() {
    let body = json!({"token": "a.b.c", "refreshToken": "new-value",
        "refreshTokenId": "bc767324-52fc-48c0-8bf0-af1d11e17ac3"});
    let response: RefreshResponse = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(response.refresh_token.as_deref(), Some("new-value"));
    assert_eq!(round_trip::<RefreshResponse>(&body), body);
    let request = RefreshRequest {
        refresh_token: Some("old".into()),
        token: Some("a.b.c".into()),
    };
    assert_eq!(
        serde_json::to_value(&request).expect("serializes"),
        json!({"refreshToken": "old", "token": "a.b.c"})
    );
}

/// Shaped like the documented retrieve-refresh-tokens answer (`json/jwt/refresh-tokens-response.json`).
#[test]
fn retrieved_refresh_tokens_read_the_documented_shape() {
    let token = json!({
        "applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
        "id": "f1aee6a1-41a8-40dd-9e3d-41c9e1ac7c8d",
        "insertInstant": 1676577779166_i64,
        "metaData": {"device": {"description": "My iPhone", "lastAccessedAddress": "192.168.1.2",
                                "name": "iPhone", "type": "MOBILE"}},
        "startInstant": 1676577779166_i64,
        "tenantId": "30663132-6464-6665-3032-326466613934",
        "token": "Vr3RkCXmvTRmjFT0s-jMhuEFngBU5pmFFWS6pJmHAGOaqnjC2yfEkQ",
        "userId": "00000000-0000-0001-0000-000000000000",
        "data": {}
    });
    let many = json!({"refreshTokens": [token]});
    let read: RefreshTokensResponse = serde_json::from_value(many.clone()).expect("parses");
    let first = &read.refresh_tokens[0];
    assert_eq!(
        first
            .meta_data
            .device
            .as_ref()
            .and_then(|d| d.device_type.as_deref()),
        Some("MOBILE")
    );
    assert_eq!(round_trip::<RefreshTokensResponse>(&many), many);
    let one = json!({"refreshToken": token});
    assert_eq!(round_trip::<RefreshTokenResponse>(&one), one);
}

/// The retrieve answer carries each token's value; the backend's shape reads everything else
/// and drops the value as it reads.
#[test]
fn retrieved_refresh_tokens_are_read_without_their_values() {
    let many = json!({"refreshTokens": [{
        "applicationId": "app-1",
        "id": "rt-1",
        "insertInstant": 1676577779166_i64,
        "metaData": {"device": {"name": "Store app (Chrome on Linux)", "type": "BROWSER",
                                "lastAccessedInstant": 1676577800000_i64}},
        "startInstant": 1676577779166_i64,
        "tenantId": "t-1",
        "token": "Vr3RkCXmvTRmjFT0s-the-secret-value",
        "userId": "u-1",
        "data": {}
    }]});
    let read: RetrievedRefreshTokens = serde_json::from_value(many).expect("parses");
    let first = &read.refresh_tokens[0];
    assert_eq!(
        (first.id.as_str(), first.application_id.as_str()),
        ("rt-1", "app-1")
    );
    assert_eq!(first.insert_instant, 1676577779166);
    let device = first.meta_data.device.as_ref().expect("a device");
    assert_eq!(device.last_accessed_instant, Some(1676577800000));
    assert!(!format!("{read:?}").contains("secret-value"));
}

/// Shaped like the documented validate answer (`json/jwt/validate-response.json`), in seconds.
#[test]
fn validate_response_reads_claims_and_keeps_the_others() {
    let body = json!({"jwt": {
        "applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
        "aud": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
        "authenticationType": "PASSWORD",
        "auth_time": 1595361142,
        "email": "example@fusionauth.io",
        "email_verified": true,
        "exp": 1595364743,
        "iat": 1595361143,
        "iss": "acme.com",
        "jti": "ce5d7ba8-bc2c-4d4e-ba6d-2b4ad8ba3b8f",
        "preferred_username": "johnny123",
        "roles": ["admin"],
        "sid": "bc767324-52fc-48c0-8bf0-af1d11e17ac3",
        "sub": "00000000-0000-0001-0000-000000000000",
        "tid": "f24aca2b-ce4a-4dad-951a-c9d690e71415",
        "customClaim": {"x": 1}
    }});
    let read: ValidateResponse = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(
        read.jwt.authentication_type,
        Some(AuthenticationType::Password)
    );
    assert!(
        read.jwt
            .aud
            .as_ref()
            .is_some_and(|aud| aud.contains("3c219e58-ed0e-4b18-ad48-f4f92793ae32"))
    );
    assert_eq!(read.jwt.other["customClaim"], json!({"x": 1}));
    assert_eq!(round_trip::<ValidateResponse>(&body), body);
    let many: JwtClaims = serde_json::from_value(
        json!({"exp": 1, "aud": ["a", "b"], "authenticationType": "GOOGLE"}),
    )
    .expect("parses");
    assert!(many.aud.is_some_and(|aud| aud.contains("b")));
    assert_eq!(
        many.authentication_type,
        Some(AuthenticationType::Other("GOOGLE".into()))
    );
}

#[test]
fn jwks_reads_rsa_keys() {
    let body = r#"{"keys":[{"alg":"RS256","e":"AQAB","kid":"Xoq7kK3eIXryYmi50ZOvg2bcceM","kty":"RSA","n":"sk1","use":"sig","x5c":["MIIB"]}]}"#;
    let set: JwkSet = serde_json::from_str(body).expect("parses");
    assert_eq!(set.keys[0].kid, "Xoq7kK3eIXryYmi50ZOvg2bcceM");
    assert_eq!(set.keys[0].use_.as_deref(), Some("sig"));
    assert_eq!(set.keys[0].e.as_deref(), Some("AQAB"));
}

#[test]
fn key_response_reads_the_documented_shape() {
    let body = json!({"key": {
        "algorithm": "RS256",
        "hasPrivateKey": true,
        "id": "4b8f1c06-518e-45bd-9ac5-d549686ae02a",
        "insertInstant": 1513629690032_i64,
        "kid": "fkzgkHDHFyRFuj4ls0QSAvzHdkY",
        "length": 2048,
        "name": "Access token signing key",
        "publicKey": "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
        "type": "RSA"
    }});
    let read: KeyResponse = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(read.key.key_type, "RSA");
    assert_eq!(round_trip::<KeyResponse>(&body), body);
}

#[test]
fn errors_field_errors_are_a_map_of_lists() {
    let body = r#"{
      "fieldErrors": {"loginId": [{"code": "[blank]loginId", "message": "Required"}]},
      "generalErrors": [{"code": "[TenantIdRequired]", "message": "A Tenant Id is required"}]
    }"#;
    let errors: Errors = serde_json::from_str(body).expect("parses");
    assert_eq!(errors.field_errors["loginId"][0].code, "[blank]loginId");
    assert_eq!(
        errors.field_errors["loginId"][0].code,
        ErrorCode::new(Rule::Blank, "loginId")
    );
    assert_eq!(errors.general_errors[0].code, "[TenantIdRequired]");
    assert_eq!(
        errors.general_errors[0].code,
        ErrorCode::general(Rule::TenantIdRequired)
    );
    assert_eq!(
        serde_json::from_str::<Errors>("{}").expect("empty parses"),
        Errors::default()
    );
    let built = Errors::field(Rule::Blank, "loginId", "Required");
    assert_eq!(built.field_errors, errors.field_errors);
}

#[test]
fn error_codes_are_built_and_read_through_their_rule() {
    let table = [
        (Rule::Blank, "user.email", "[blank]user.email"),
        (Rule::Missing, "token", "[missing]token"),
        (Rule::Invalid, "refreshToken", "[invalid]refreshToken"),
        (Rule::Duplicate, "user.username", "[duplicate]user.username"),
        (Rule::NotEmail, "user.email", "[notEmail]user.email"),
        (Rule::TooShort, "user.password", "[tooShort]user.password"),
        (Rule::TooLong, "user.password", "[tooLong]user.password"),
        (Rule::CouldNotConvert, "x", "[couldNotConvert]x"),
        (Rule::Blocked, "user.email", "[blocked]user.email"),
        (
            Rule::SingleCase,
            "user.password",
            "[singleCase]user.password",
        ),
        (Rule::OnlyAlpha, "user.password", "[onlyAlpha]user.password"),
        (
            Rule::RequireNumber,
            "user.password",
            "[requireNumber]user.password",
        ),
        (
            Rule::PreviouslyUsed,
            "user.password",
            "[previouslyUsed]user.password",
        ),
        (Rule::InvalidJson, "", "[invalidJSON]"),
        (Rule::InvalidRequest, "", "[invalidRequest]"),
        (Rule::TenantIdRequired, "", "[TenantIdRequired]"),
        (Rule::Exception, "", "[Exception]"),
        (
            Rule::Other("breachedCommon".into()),
            "user.password",
            "[breachedCommon]user.password",
        ),
    ];
    for (rule, path, text) in table {
        let code = ErrorCode::new(rule, path);
        assert_eq!(code.to_string(), text);
        assert_eq!(text.parse::<ErrorCode>(), Ok(code.clone()));
        assert_eq!(code, text);
        assert_eq!(
            serde_json::to_value(&code).expect("serializes"),
            json!(text)
        );
    }
    for bad in ["blank]loginId", "[blank", "", "loginId"] {
        assert!(bad.parse::<ErrorCode>().is_err(), "{bad:?} is not a code");
        assert!(serde_json::from_value::<ErrorCode>(json!(bad)).is_err());
    }
    assert_ne!(ErrorCode::new(Rule::Blank, "loginId"), "[blank]password");
}

#[test]
fn a_field_error_may_carry_a_code_for_another_path() {
    let mut errors = Errors::default();
    errors.add_field_code(
        "application.roles",
        ErrorCode::new(Rule::Blank, "application.roles.name"),
        "Every role needs a name.",
    );
    assert_eq!(
        serde_json::to_value(&errors).expect("serializes"),
        json!({"fieldErrors": {"application.roles": [{"code": "[blank]application.roles.name",
            "message": "Every role needs a name."}]}, "generalErrors": []})
    );
}

fn user_json() -> Value {
    json!({"id": "00000000-0000-0001-0000-000000000000", "active": true, "verified": true,
           "email": "example@fusionauth.io", "tenantId": "f24aca2b-ce4a-4dad-951a-c9d690e71415"})
}

/// Shaped like the documented `jwt.refresh-token.revoke` examples (one token; all of a user's).
#[test]
fn refresh_token_revoke_events_read_the_documented_shapes() {
    let single = json!({"event": {
        "applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
        "applicationTimeToLiveInSeconds": {"3c219e58-ed0e-4b18-ad48-f4f92793ae32": 3600},
        "createInstant": 1676577779166_i64,
        "id": "1aa5c4a0-b5b1-4bd9-a3b1-c4b5d8a0a3c2",
        "info": {"ipAddress": "42.42.42.42", "userAgent": "Mozilla/5.0", "location": {"city": "Denver"}},
        "linkedObjectId": "f1aee6a1-41a8-40dd-9e3d-41c9e1ac7c8d",
        "refreshToken": {"applicationId": "3c219e58-ed0e-4b18-ad48-f4f92793ae32",
            "id": "f1aee6a1-41a8-40dd-9e3d-41c9e1ac7c8d", "insertInstant": 1676577779166_i64,
            "metaData": {}, "startInstant": 1676577779166_i64,
            "tenantId": "f24aca2b-ce4a-4dad-951a-c9d690e71415",
            "userId": "00000000-0000-0001-0000-000000000000", "data": {}},
        "tenantId": "f24aca2b-ce4a-4dad-951a-c9d690e71415",
        "type": "jwt.refresh-token.revoke",
        "user": user_json(),
        "userId": "00000000-0000-0001-0000-000000000000"
    }});
    let read: EventRequest = serde_json::from_value(single).expect("parses");
    assert_eq!(read.event.create_instant, Some(1_676_577_779_166));
    assert_eq!(read.event.info.ip_address.as_deref(), Some("42.42.42.42"));
    let EventPayload::RefreshTokenRevoke(revoke) = &read.event.payload else {
        panic!("a revoke event: {:?}", read.event.payload);
    };
    assert_eq!(
        revoke.refresh_token.as_ref().map(|t| t.id.as_str()),
        Some("f1aee6a1-41a8-40dd-9e3d-41c9e1ac7c8d")
    );
    assert_eq!(
        revoke.linked_object_id.as_deref(),
        Some("f1aee6a1-41a8-40dd-9e3d-41c9e1ac7c8d")
    );
    assert_eq!(
        revoke.application_time_to_live_in_seconds["3c219e58-ed0e-4b18-ad48-f4f92793ae32"],
        3600
    );
    let all_of_user = json!({"event": {
        "applicationTimeToLiveInSeconds": {"a": 300, "b": 3600},
        "createInstant": 1505762615056_i64, "id": "x", "tenantId": "t",
        "type": "jwt.refresh-token.revoke", "user": user_json(),
        "userId": "00000000-0000-0001-0000-000000000000"
    }});
    let read: EventRequest = serde_json::from_value(all_of_user.clone()).expect("parses");
    assert_eq!(
        read.event.payload.event_type(),
        event_type::REFRESH_TOKEN_REVOKE
    );
    let mut expected = all_of_user;
    expected["event"]["info"] = json!({});
    assert_eq!(round_trip::<EventRequest>(&expected), expected);
}

#[test]
fn refresh_and_login_events_read_the_documented_shapes() {
    let events = [
        json!({"event": {"applicationId": "a", "createInstant": 1, "id": "i", "info": {},
            "original": "old.jwt.value", "refreshToken": "rt", "tenantId": "t",
            "token": "new.jwt.value", "type": "jwt.refresh", "userId": "u"}}),
        json!({"event": {"applicationId": "a", "authenticationType": "PASSWORD",
            "createInstant": 1, "id": "i", "info": {"ipAddress": "42.42.42.42"},
            "ipAddress": "42.42.42.42", "tenantId": "t", "type": "user.login.success",
            "user": user_json()}}),
        json!({"event": {"applicationId": "a", "authenticationType": "PASSWORD",
            "createInstant": 1, "id": "i", "info": {"ipAddress": "42.42.42.42"},
            "ipAddress": "42.42.42.42", "reason": {"code": "credentials"}, "tenantId": "t",
            "type": "user.login.failed", "user": user_json()}}),
    ];
    for event in events {
        assert_eq!(round_trip::<EventRequest>(&event), event);
    }
    let failed: EventRequest =
        serde_json::from_value(json!({"event": {"type": "user.login.failed",
        "reason": {"code": "credentials"}, "user": user_json()}}))
        .expect("parses");
    let EventPayload::UserLoginFailed(failed) = failed.event.payload else {
        panic!("a failed login");
    };
    assert_eq!(
        failed.reason.map(|r| r.code).as_deref(),
        Some("credentials")
    );
}

#[test]
fn events_of_other_types_read_with_their_type_name() {
    let body = json!({"event": {"type": "user.create", "id": "i", "user": user_json()}});
    let read: EventRequest = serde_json::from_value(body).expect("parses");
    assert_eq!(
        read.event.payload,
        EventPayload::Other("user.create".into())
    );
    assert_eq!(read.event.payload.event_type(), "user.create");
    for bad in [json!({"event": {"id": "i"}}), json!({"event": {"type": 5}})] {
        assert!(serde_json::from_value::<EventRequest>(bad).is_err());
    }
    let wrong_shape = json!({"event": {"type": "jwt.refresh-token.revoke",
        "applicationTimeToLiveInSeconds": "soon"}});
    let error = serde_json::from_value::<EventRequest>(wrong_shape).expect_err("refused");
    assert!(
        error.to_string().contains("jwt.refresh-token.revoke"),
        "{error}"
    );
}

#[test]
fn users_keep_their_other_profile_fields_and_methods_hide_secrets() {
    let user = json!({"id": "u", "active": true, "verified": false, "mobilePhone": "555",
        "twoFactor": {"methods": [{"id": "2USY", "method": "authenticator", "secret": "c2VjcmV0",
            "authenticator": {"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30}}],
            "recoveryCodes": 0},
        "identities": [{"type": "email", "value": "a@b.c", "primary": true, "verified": false,
            "insertInstant": 1}],
        "registrations": [{"applicationId": "a", "roles": [], "verified": true, "timezone": "UTC"}]});
    assert_eq!(round_trip::<User>(&user), user);
    let read: User = serde_json::from_value(user).expect("parses");
    assert_eq!(read.other["mobilePhone"], "555");
    assert_eq!(read.registrations[0].other["timezone"], "UTC");
    let method = &read.two_factor.expect("twoFactor").methods[0];
    assert_eq!(
        serde_json::to_value(method.without_secrets()).expect("serializes"),
        json!({"id": "2USY", "method": "authenticator",
            "authenticator": {"algorithm": "HmacSHA1", "codeLength": 6, "timeStep": 30}})
    );
}

#[test]
fn cors_configuration_defaults_are_fusionauths() {
    let read: CorsConfiguration = serde_json::from_value(json!({"enabled": true})).expect("parses");
    assert!(read.enabled && !read.allow_credentials);
    assert_eq!(read.allowed_methods, ["GET", "OPTIONS"]);
    assert_eq!(read.preflight_max_age_in_seconds, 1800);
    assert!(read.allowed_origins.is_empty());
}

/// Shaped like the documented discovery answer (`json/openid/configuration/response.json`).
#[test]
fn openid_configuration_reads_the_documented_shape() {
    let body = json!({
        "authorization_endpoint": "https://local.fusionauth.io/oauth2/authorize",
        "claims_supported": ["sub", "iss", "email"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "device_authorization_endpoint": "https://local.fusionauth.io/oauth2/device_authorize",
        "end_session_endpoint": "https://local.fusionauth.io/oauth2/logout",
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "issuer": "acme.com",
        "jwks_uri": "https://local.fusionauth.io/.well-known/jwks.json",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "offline_access"],
        "subject_types_supported": ["public"],
        "token_endpoint": "https://local.fusionauth.io/oauth2/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "none"],
        "userinfo_endpoint": "https://local.fusionauth.io/oauth2/userinfo"
    });
    let read: OpenIdConfiguration = serde_json::from_value(body.clone()).expect("parses");
    assert_eq!(
        read.jwks_uri,
        "https://local.fusionauth.io/.well-known/jwks.json"
    );
    assert_eq!(round_trip::<OpenIdConfiguration>(&body), body);
    assert_eq!(
        read.token_endpoint.as_deref(),
        Some("https://local.fusionauth.io/oauth2/token")
    );
    let minimal =
        json!({"issuer": "acme.com", "jwks_uri": "https://a.example/.well-known/jwks.json"});
    let read: OpenIdConfiguration = serde_json::from_value(minimal.clone()).expect("parses");
    assert!(read.authorization_endpoint.is_none() && read.grant_types_supported.is_empty());
    assert_eq!(
        round_trip::<OpenIdConfiguration>(&minimal),
        minimal,
        "absent endpoints and empty lists stay absent"
    );
}
