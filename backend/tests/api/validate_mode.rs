//! `APP_JWT_VERIFICATION=fusionauth`: every JWT checked by FusionAuth's `GET /api/jwt/validate`
//! (the mode exists so `cargo xtask bench` can measure what local verification saves).

use backend::settings::JwtVerification;
use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

#[tokio::test]
async fn in_fusionauth_validate_mode_a_genuine_jwt_reads_the_cart_and_a_forged_one_does_not() {
    let app =
        spawn_app_with(|settings| settings.jwt_verification = JwtVerification::Fusionauth).await;
    let session = app.login().await;
    assert_eq!(
        app.get_cart(&session.jwt, None).await.status(),
        StatusCode::OK
    );

    let mut parts: Vec<&str> = session.jwt.split('.').collect();
    let forged_payload = "eyJzdWIiOiJzb21lb25lLWVsc2UifQ";
    parts[1] = forged_payload;
    for token in [parts.join("."), "garbage".to_owned()] {
        let response = app.get_cart(&token, Some(&session.refresh_token)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token}");
    }
}
