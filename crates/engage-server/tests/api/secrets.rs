//! The secret key: required with PostgreSQL (refused before connecting), the previous key
//! during a rotation, and `engage-server rotate-secret-key`.

use std::process::Output;

use serde_json::Value;

use crate::helpers::{
    cli_command, cli_json, random_secret_key_b64, run_command, spawn_app, TestApp,
};

/// The one JSON error line on stderr of a failed command.
fn one_line_error(output: &Output) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "refused; stderr: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
    let lines: Vec<&str> = stderr.trim().lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    serde_json::from_str(lines[0]).expect("the error is JSON")
}

#[test]
fn serve_on_postgres_without_a_secret_key_is_refused_in_one_line_before_connecting() {
    let home = tempfile::tempdir().unwrap();
    // Nothing listens on port 1: a server that tried to connect would fail differently.
    let url = "postgres://engage:hunter2@127.0.0.1:1/engage";
    let mut cmd = cli_command(home.path());
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--database-url", url]);
    let error = one_line_error(&run_command(cmd, None));
    assert_eq!(error["error"]["code"], "secret_key_required", "{error}");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(message.contains("ENGAGE_SECRET_KEY") && message.contains("ENGAGE_SECRET_KEY_FILE"));
    assert!(!message.contains("hunter2"));
    assert!(
        !home.path().join("secret.key").exists(),
        "no key file is created in the working directory"
    );

    // The same for an admin command that needs the key, with the URL from the environment.
    let mut cmd = cli_command(home.path());
    cmd.args([
        "api-client",
        "create",
        "--workspace",
        "0190d5c2-0000-7000-8000-000000000000",
    ])
    .env(
        "ENGAGE_DATABASE_URL",
        "postgresql://engage@127.0.0.1:1/engage",
    );
    let error = one_line_error(&run_command(cmd, None));
    assert_eq!(error["error"]["code"], "secret_key_required", "{error}");
    assert!(!home.path().join("secret.key").exists());
}

/// `engage-server <args>` on the app's database with this key (and previous key).
async fn cli_with_keys(app: &TestApp, key: &str, previous: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = cli_command(app.dir.path());
    cmd.args(args)
        .env("ENGAGE_DATABASE_URL", &app.database_url)
        .env("ENGAGE_SECRET_KEY", key);
    if let Some(previous) = previous {
        cmd.env("ENGAGE_SECRET_KEY_PREVIOUS", previous);
    }
    tokio::task::spawn_blocking(move || run_command(cmd, None))
        .await
        .unwrap()
}

fn counts(summary: &serde_json::Map<String, Value>) -> (u64, u64, u64) {
    let n = |name: &str| summary[name].as_u64().unwrap();
    (n("resealed"), n("already_current"), n("unreadable"))
}

#[tokio::test]
async fn secrets_sealed_with_the_previous_key_still_open_and_rotate_secret_key_reseals_them() {
    let app = spawn_app().await;
    let old_key = app.secret_key_b64.clone();
    let ws = app.creds.workspace_id.to_string();
    // Every kind of sealed secret, with the old key: the demo API client's secret (seeded),
    // a Cloud API access token, a workspace's webhook app secret and verify token.
    cli_json(
        &app.cli(
            &[
                "sender",
                "create",
                "--workspace",
                &ws,
                "--phone",
                "+5511955550000",
                "--name",
                "Cloud",
                "--provider",
                "whatsapp_cloud",
                "--phone-number-id",
                "106540352242922",
                "--waba-id",
                "102290129340398",
            ],
            Some("EAAJB-token"),
        )
        .await,
    );
    cli_json(
        &app.cli(
            &[
                "whatsapp",
                "settings",
                "--workspace",
                &ws,
                "--verify-token",
                "workspace-verify-token",
            ],
            Some("workspace-app-secret"),
        )
        .await,
    );
    // A status callback endpoint's signing secret (issue 11).
    let staff = app.staff_token().await;
    let created = app
        .client
        .put(app.url("/v1/callback"))
        .bearer_auth(&staff)
        .json(&serde_json::json!({"url": "https://shop.example.com/engage/status"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    let demo_secret = app.creds.api_client.client_secret.to_string();
    let new_key = random_secret_key_b64();

    // The new key alone cannot open them; with the previous key given, it can.
    let refused = cli_with_keys(&app, &new_key, None, &["demo"]).await;
    assert!(!refused.status.success());
    let printed = cli_json(&cli_with_keys(&app, &new_key, Some(&old_key), &["demo"]).await);
    assert_eq!(printed["api_client"]["client_secret"], demo_secret.as_str());

    // The rotation re-seals all five with the new key, in one go…
    let summary =
        cli_json(&cli_with_keys(&app, &new_key, Some(&old_key), &["rotate-secret-key"]).await);
    assert_eq!(counts(&summary), (5, 0, 0), "{summary:?}");
    assert_eq!(summary["previous_key"], true);
    let columns: Vec<(&str, u64)> = summary["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap(),
                c["resealed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("api_clients.secret_encrypted", 1),
            ("senders.access_token_encrypted", 1),
            ("whatsapp_settings.app_secret_encrypted", 1),
            ("whatsapp_settings.verify_token_encrypted", 1),
            ("callback_endpoints.secret_encrypted", 1),
        ]
    );

    // …so that the new key alone opens them, and the old one no longer does. Running it
    // again changes nothing.
    let again = cli_json(&cli_with_keys(&app, &new_key, None, &["rotate-secret-key"]).await);
    assert_eq!(counts(&again), (0, 5, 0), "{again:?}");
    assert_eq!(again["previous_key"], false);
    let printed = cli_json(&cli_with_keys(&app, &new_key, None, &["demo"]).await);
    assert_eq!(printed["api_client"]["client_secret"], demo_secret.as_str());
    assert!(!cli_with_keys(&app, &old_key, None, &["demo"])
        .await
        .status
        .success());

    // A server with only the new key opens the re-sealed webhook verify token.
    let mut app = app;
    app.secret_key_b64 = new_key;
    let app = app.restart().await;
    let handshake = app
        .client
        .get(app.url(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=workspace-verify-token&hub.challenge=99",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(handshake.status(), reqwest::StatusCode::OK);
    assert_eq!(handshake.text().await.unwrap(), "99");
}

#[tokio::test]
async fn a_server_given_the_previous_key_opens_what_it_sealed() {
    let app = spawn_app().await;
    let old_key = app.secret_key_b64.clone();
    let ws = app.creds.workspace_id.to_string();
    cli_json(
        &app.cli(
            &[
                "whatsapp",
                "settings",
                "--workspace",
                &ws,
                "--verify-token",
                "sealed-with-the-old-key",
            ],
            Some("app-secret"),
        )
        .await,
    );
    // A second server on the same database, with a new key and the old one as previous.
    let database_url = app.database_url.clone();
    let new_key = random_secret_key_b64();
    let server = engage_server::start(engage_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        previous_secret_key: Some(engage_server::SecretKeySource::Env(old_key)),
        ..engage_server::ServerConfig::new(
            database_url,
            engage_server::SecretKeySource::Env(new_key),
        )
    })
    .await
    .unwrap();
    let handshake = reqwest::get(format!(
        "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=sealed-with-the-old-key&hub.challenge=5",
        server.base_url()
    ))
    .await
    .unwrap();
    assert_eq!(handshake.status(), reqwest::StatusCode::OK);
    server.shutdown().await;
}
