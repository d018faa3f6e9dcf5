//! Meta's template notifications on both backends (this suite also runs on PostgreSQL):
//! a listing imported with `template import`, then status, quality and category events
//! signed with the workspace's own app secret, matched by Meta's id or by name and language
//! in either spelling, and an event for an unknown template recorded as unmatched.

use engage_server::store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{cli_json, spawn_app, TestApp};

const WABA: &str = "102290129340398";
const SECRET: &str = "workspace-app-secret";
const EVERY_KIND: &str =
    include_str!("../../../engage-core/tests/fixtures/listing_every_kind.json");

async fn webhook(app: &TestApp, change: Value) -> Value {
    let body = json!({"object": "whatsapp_business_account",
        "entry": [{"id": WABA, "time": 1764590400, "changes": [change]}]});
    let bytes = serde_json::to_vec(&body).unwrap();
    let response = app
        .client
        .post(app.url("/webhooks/whatsapp"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            engage_server::whatsapp::webhook::sign(SECRET.as_bytes(), &bytes),
        )
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn status(id: i64, name: &str, language: &str, event: &str) -> Value {
    json!({"field": "message_template_status_update", "value": {"event": event,
        "message_template_id": id, "message_template_name": name,
        "message_template_language": language, "reason": "NONE"}})
}

async fn template(app: &TestApp, token: &str, name: &str) -> Value {
    let all: Value = app.get_ok("/v1/templates?status=all", token).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn template_events_reach_imported_templates_and_unknown_ones_are_recorded_unmatched() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let ws = app.creds.workspace_id.to_string();
    let settings = app
        .client
        .put(app.url("/v1/whatsapp/settings"))
        .bearer_auth(&token)
        .json(&json!({"app_secret": SECRET, "verify_token": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::NO_CONTENT);
    let sender = app
        .post_json(
            "/v1/whatsapp/senders",
            &token,
            &json!({"name": "Loja", "phone": "+5511955550000", "phone_number_id": "106540352242922",
                    "waba_id": WABA, "access_token": "EAAJB-token"}),
        )
        .await;
    assert_eq!(sender.status(), StatusCode::CREATED);
    let file = app.dir.path().join("templates.json");
    std::fs::write(&file, EVERY_KIND).unwrap();
    let report = cli_json(
        &app.cli(
            &[
                "template",
                "import",
                "--workspace",
                &ws,
                file.to_str().unwrap(),
            ],
            None,
        )
        .await,
    );
    assert_eq!(report["imported"].as_array().map(Vec::len), Some(10));

    let outcome = webhook(
        &app,
        status(1073912404471224, "entrega_a_caminho", "pt-BR", "PAUSED"),
    )
    .await;
    assert_eq!(outcome, json!({"applied": 1, "ignored": 0, "unmatched": 0}));
    assert_eq!(
        template(&app, &token, "entrega_a_caminho").await["status"],
        "PAUSED"
    );

    // An unknown id, but the name and `EN-US` name a template that has another id: not it.
    let outcome = webhook(&app, status(42, "verification_code", "EN-US", "PAUSED")).await;
    assert_eq!(outcome["unmatched"], 1, "{outcome}");
    // By name and language in Meta's other spelling, when the event has no id.
    let no_id = json!({"field": "message_template_status_update", "value": {"event": "DISABLED",
        "message_template_name": "verification_code", "message_template_language": "en-us", "reason": "NONE"}});
    assert_eq!(webhook(&app, no_id).await["applied"], 1);
    let otp = template(&app, &token, "verification_code").await;
    assert_eq!(otp["status"], "DISABLED");
    assert_eq!(otp["last_change"]["kind"], "disabled");

    let quality = json!({"field": "message_template_quality_update", "value": {
        "previous_quality_score": "GREEN", "new_quality_score": "RED",
        "message_template_id": 1834019273645021i64, "message_template_name": "boleto_pdf",
        "message_template_language": "pt_BR"}});
    assert_eq!(webhook(&app, quality).await["applied"], 1);
    let category = json!({"field": "template_category_update", "value": {
        "message_template_id": 1834019273645021i64, "message_template_name": "boleto_pdf",
        "message_template_language": "pt_BR", "correct_category": "MARKETING",
        "new_category": "UTILITY", "category_update_timestamp": 1764676800}});
    assert_eq!(webhook(&app, category).await["applied"], 1);
    let boleto = template(&app, &token, "boleto_pdf").await;
    assert_eq!(boleto["quality"], "RED");
    assert_eq!(
        boleto["category"], "UTILITY",
        "an announced change is not made yet"
    );
    assert_eq!(boleto["last_change"]["kind"], "recategorisation_scheduled");
    assert_eq!(boleto["last_change"]["new_category"], "MARKETING");

    let store = Store::connect(&app.database_url).await.unwrap();
    let outcomes: Vec<String> = store
        .template_events()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, _, outcome, _)| outcome)
        .collect();
    store.close().await;
    assert_eq!(
        outcomes,
        ["applied", "unmatched", "applied", "applied", "applied"]
    );
}
