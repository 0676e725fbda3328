//! A Kickstart written for a real FusionAuth boots the emulator unchanged: built-in variables,
//! `#{UUID()}`, `@{…}`/`&{…}` includes relative to the file, `contentType` —
//! <https://fusionauth.io/docs/get-started/download-and-install/development/kickstart>

use serde_json::{Value, json};

use fusionauth_emulator::{Application, Kickstart};

use crate::helpers::{Sent, settings_with};

const API_KEY: &str = "kickstart-include-test-key-0123456789abcdef";

/// Writes `files` (relative path → text) under a new directory; returns it.
fn write_files(files: &[(&str, String)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kickstart-{}", uuid::Uuid::new_v4()));
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("dir");
        std::fs::write(path, text).expect("written");
    }
    dir
}

#[tokio::test]
async fn a_kickstart_with_built_ins_uuids_includes_and_a_content_type_boots_the_emulator() {
    let kickstart = json!({
        "variables": {"apiKey": API_KEY, "actionId": "#{UUID()}", "appId": "#{UUID()}"},
        "apiKeys": [{"key": "#{apiKey}"}],
        "requests": [
            "&{requests/user-action.json}",
            {"method": "PATCH", "url": "/api/tenant/#{FUSIONAUTH_TENANT_ID}",
             "contentType": "application/merge-patch+json",
             "body": {"tenant": {"issuer": "https://kickstart.example",
                "failedAuthenticationConfiguration": {"userActionId": "#{actionId}"}}}},
            {"method": "POST", "url": "/api/application/#{appId}",
             "body": {"application": {"name": "Included"}}},
            {"method": "POST", "url": "/api/user/registration",
             "body": "&{requests/user.json}"}
        ]
    });
    let dir = write_files(&[
        ("kickstart/kickstart.json", kickstart.to_string()),
        (
            "kickstart/requests/user-action.json",
            json!({"method": "POST", "url": "/api/user-action/#{actionId}",
                   "body": {"userAction": {"name": "@{names/action.txt}", "preventLogin": true}}})
            .to_string(),
        ),
        (
            "kickstart/requests/user.json",
            json!({"user": {"email": "included@example.com", "password": "included-password",
                            "data": {"actionId": "#{actionId}",
                                     "tenantId": "#{FUSIONAUTH_TENANT_ID}",
                                     "fusionAuthAppId": "#{FUSIONAUTH_APPLICATION_ID}"}},
                   "registration": {"applicationId": "#{appId}"}})
            .to_string(),
        ),
        (
            "kickstart/names/action.txt",
            "Locked \"by\" an include".to_owned(),
        ),
    ]);
    // Started from another directory: includes are read relative to the Kickstart file.
    let kickstart = Kickstart::from_path(&dir.join("kickstart/kickstart.json")).expect("parses");
    let app = Application::build(settings_with(Some(kickstart)))
        .await
        .expect("the Kickstart applies");
    let base = app.base_url();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let get = |path: String| {
        let request = client
            .get(format!("{base}{path}"))
            .header("Authorization", API_KEY);
        async move {
            let response = request.sent().await;
            assert_eq!(response.status(), 200, "{path}");
            response.json::<Value>().await.expect("JSON")
        }
    };
    let user = get("/api/user?email=included@example.com".into()).await;
    let data = &user["user"]["data"];
    let action_id = data["actionId"].as_str().expect("the UUID() variable");
    let tenant_id = data["tenantId"].as_str().expect("FUSIONAUTH_TENANT_ID");
    assert!(uuid::Uuid::parse_str(action_id).is_ok());
    assert_eq!(user["user"]["tenantId"], tenant_id);
    assert_eq!(
        data["fusionAuthAppId"],
        "3c219e58-ed0e-4b18-ad48-f4f92793ae32"
    );
    let action = get(format!("/api/user-action/{action_id}")).await;
    assert_eq!(action["userAction"]["name"], "Locked \"by\" an include");
    let tenant = get(format!("/api/tenant/{tenant_id}")).await;
    assert_eq!(tenant["tenant"]["issuer"], "https://kickstart.example");
    assert_eq!(
        tenant["tenant"]["failedAuthenticationConfiguration"]["userActionId"], action_id,
        "one UUID per variable, wherever it is used"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_missing_include_stops_start_up_naming_it() {
    let dir = write_files(&[(
        "kickstart.json",
        json!({"apiKeys": [{"key": API_KEY}], "requests": ["&{nowhere.json}"]}).to_string(),
    )]);
    let kickstart = Kickstart::from_path(&dir.join("kickstart.json")).expect("parses");
    let error = Application::build(settings_with(Some(kickstart)))
        .await
        .expect_err("the include is missing");
    assert!(
        format!("{error:#}").contains("&{nowhere.json}"),
        "{error:#}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
