//! "Sync from WhatsApp": every page of templates and the phone numbers, through the staff
//! API and the CLI.

use std::io::Write;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{meta_template, Options, Setup, PHONE_NUMBER_ID, WABA_ID};

fn numbered_templates(count: usize) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let mut t = meta_template();
            t["id"] = json!(format!("{}", 7000 + i));
            t["name"] = json!(format!("promo_{i:02}"));
            t
        })
        .collect()
}

fn malformed_template() -> Value {
    json!({
        "id": "6998", "name": "bad_button", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go"}]}]
    })
}

fn unsupported_template() -> Value {
    json!({
        "id": "6999", "name": "carousel_offer", "language": "en_US", "status": "APPROVED", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Look"}, {"type": "CAROUSEL", "cards": []}]
    })
}

async fn sync(app: &Setup) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url("/v1/whatsapp/sync"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn templates(app: &Setup) -> Vec<Value> {
    app.http
        .get(app.url("/v1/templates?status=all"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn senders(app: &Setup) -> Vec<Value> {
    app.http
        .get(app.url("/v1/senders?status=all"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sync_fetches_every_page_and_adds_updates_and_retires() {
    let app = Setup::new(Options::default()).await;
    let mut listed = vec![meta_template()];
    listed.extend(numbered_templates(55));
    listed.push(unsupported_template());
    listed.push(malformed_template());
    app.stub.set_templates(listed, 25);
    app.stub.set_phone_numbers(vec![
        json!({"id": PHONE_NUMBER_ID, "display_phone_number": "+55 11 95555-0000", "verified_name": "Loja Exemplo", "quality_rating": "GREEN"}),
        json!({"id": "106540352242999", "display_phone_number": "+1 650-555-1234", "verified_name": "Loja US", "quality_rating": "GREEN"}),
    ]);

    let (status, report) = sync(&app).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        report["templates_created"], 56,
        "the carousel is imported, unavailable"
    );
    assert_eq!(report["templates_updated"], 1);
    assert_eq!(report["templates_disabled"], 0);
    assert_eq!(report["senders_created"], 1);
    assert_eq!(
        report["senders_updated"], 1,
        "the verified name replaces ours"
    );
    assert_eq!(report["skipped"][0]["item"], "bad_button (en_US)");
    assert_eq!(
        report["skipped"][0]["reason"],
        "components[1].buttons[0].url: invalid template: a URL button needs a url"
    );
    assert_eq!(
        report["templates"]["skipped"][0]["field"],
        "components[1].buttons[0].url"
    );
    let carousel = report["templates"]["imported"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "carousel_offer")
        .expect("the carousel is imported")
        .clone();
    assert_eq!(carousel["unsupported"], "carousel");
    assert_eq!(carousel["meta_id"], "6999");

    let template_pages: Vec<_> = app
        .stub
        .received()
        .into_iter()
        .filter(|r| r.path == format!("{WABA_ID}/message_templates"))
        .map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.clone())
        })
        .collect();
    assert_eq!(
        template_pages,
        vec![
            None,
            Some("cursor-25".to_owned()),
            Some("cursor-50".to_owned())
        ]
    );
    let all = templates(&app).await;
    assert!(all.iter().any(|t| t["name"] == "promo_54"));
    let us = senders(&app)
        .await
        .into_iter()
        .find(|s| s["phone"] == "+16505551234")
        .expect("the new number is a sender");
    assert_eq!(us["provider"], "whatsapp_cloud");
    assert_eq!(us["name"], "Loja US");

    // Meta drops ten templates and the US number.
    let mut fewer = vec![meta_template()];
    fewer.extend(numbered_templates(45));
    app.stub.set_templates(fewer, 25);
    app.stub.set_phone_numbers(vec![json!({"id": PHONE_NUMBER_ID, "display_phone_number": "+55 11 95555-0000", "verified_name": "Loja Exemplo"})]);
    let (status, report) = sync(&app).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["templates_created"], 0);
    assert_eq!(report["templates_updated"], 46);
    assert_eq!(report["templates_disabled"], 11);
    assert_eq!(report["senders_deactivated"], 1);
    let all = templates(&app).await;
    let gone = all.iter().find(|t| t["name"] == "promo_50").unwrap();
    assert_eq!(gone["status"], "DISABLED");
    let us = senders(&app)
        .await
        .into_iter()
        .find(|s| s["phone"] == "+16505551234")
        .unwrap();
    assert_eq!(us["status"], "inactive");
    app.shutdown().await;
}

#[tokio::test]
async fn a_sync_error_from_meta_is_reported_with_its_code() {
    let app = Setup::new(Options::default()).await;
    app.stub.require_token("EAA-another");
    let (status, body) = sync(&app).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"]["code"], "whatsapp_190");
    app.shutdown().await;
}

/// Runs the CLI off the test's runtime (the stand-in answers on it meanwhile).
pub async fn cli(app: &Setup, args: &[&str], stdin: &str) -> (bool, Value, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.to_owned();
    let (database_url, key, graph) = (
        app.database_url.clone(),
        app.secret_key_b64.clone(),
        app.stub.base_url(),
    );
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_engage-server"))
            .args(&args)
            .env("ENGAGE_DATABASE_URL", database_url)
            .env("ENGAGE_SECRET_KEY", key)
            .env("ENGAGE_WHATSAPP_GRAPH_URL", graph)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).to_string();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        (
            output.status.success(),
            serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
            stderr,
        )
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_cli_creates_a_cloud_sender_with_the_token_from_stdin_and_syncs() {
    let app = Setup::new(Options::default()).await;
    let workspace = app.creds.workspace_id.to_string();

    let (ok, out, err) = cli(
        &app,
        &[
            "sender",
            "create",
            "--workspace",
            &workspace,
            "--phone",
            "+5511955551111",
            "--name",
            "Loja 2",
            "--provider",
            "whatsapp_cloud",
            "--phone-number-id",
            "106540352242111",
            "--waba-id",
            WABA_ID,
        ],
        "EAAJB-harness-token\n",
    )
    .await;
    assert!(ok, "{err}");
    assert!(out["id"].is_string(), "{out}");
    let created = senders(&app)
        .await
        .into_iter()
        .find(|s| s["phone"] == "+5511955551111")
        .unwrap();
    assert_eq!(created["provider"], "whatsapp_cloud");

    let (ok, _, err) = cli(
        &app,
        &[
            "sender",
            "create",
            "--workspace",
            &workspace,
            "--phone",
            "+5511955552222",
            "--name",
            "Loja 3",
            "--provider",
            "whatsapp_cloud",
            "--waba-id",
            WABA_ID,
        ],
        "token\n",
    )
    .await;
    assert!(!ok);
    let error: Value = serde_json::from_str(err.trim()).unwrap();
    assert_eq!(error["error"]["code"], "invalid_input");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--phone-number-id"));

    app.stub.set_phone_numbers(vec![json!({"id": PHONE_NUMBER_ID, "display_phone_number": "+55 11 95555-0000", "verified_name": "Loja Exemplo"})]);
    let (ok, report, err) = cli(&app, &["whatsapp", "sync", "--workspace", &workspace], "").await;
    assert!(ok, "{err}");
    assert_eq!(report["templates_updated"], 1, "{report}");
    assert_eq!(
        report["senders_deactivated"], 1,
        "Loja 2 is not listed by Meta: {report}"
    );

    let (ok, _, err) = cli(
        &app,
        &[
            "whatsapp",
            "settings",
            "--workspace",
            &workspace,
            "--verify-token",
            "cli-token-9",
        ],
        "cli-secret-9\n",
    )
    .await;
    assert!(ok, "{err}");
    let handshake = app
        .http
        .get(app.url(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=cli-token-9&hub.challenge=5",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(handshake.status(), StatusCode::OK);
    app.shutdown().await;
}
