//! Templates as Meta lists them and template webhooks as Meta sends them: a listing with
//! every header and button kind (written from Meta's documentation), synced and imported
//! alike; location and authentication templates sent in Meta's format; unsupported kinds
//! shown but refused; status, quality and category events reaching imported and synced
//! templates by id or by name in either language spelling; an unknown template's event
//! acknowledged, recorded and not applied. Real server, real webhook route and signatures,
//! the Graph API stand-in.

use engage_server::store::Store;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{Options, Setup, META_TEMPLATE_ID, PHONE_NUMBER_ID, WABA_ID};
use crate::sync::cli;

const EVERY_KIND: &str =
    include_str!("../../../engage-core/tests/fixtures/listing_every_kind.json");

fn every_kind() -> Vec<Value> {
    let listing: Value = serde_json::from_str(EVERY_KIND).unwrap();
    listing["data"].as_array().unwrap().clone()
}

async fn get(app: &Setup, path: &str) -> Value {
    app.http
        .get(app.url(path))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn template(app: &Setup, name: &str) -> Value {
    let all = get(app, "/v1/templates?status=all").await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
        .clone()
}

async fn sync_every_kind(app: &Setup) -> Value {
    app.stub.set_templates(every_kind(), 4);
    app.stub
        .set_phone_numbers(vec![json!({"id": PHONE_NUMBER_ID,
        "display_phone_number": "+55 11 95555-0000", "verified_name": "Loja Exemplo"})]);
    let response = app
        .http
        .post(app.url("/v1/whatsapp/sync"))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn create_campaign(app: &Setup, template_id: &Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url("/v1/campaigns"))
        .bearer_auth(&app.staff_token)
        .json(&json!({
            "name": format!("Campanha {}", Uuid::new_v4()),
            "type": "recurrent",
            "sender_id": app.sender_id,
            "template_id": template_id,
        }))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn campaign_on(app: &Setup, name: &str) -> Value {
    let template = template(app, name).await;
    let (status, campaign) = create_campaign(app, &template["id"]).await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    campaign
}

async fn send_on(app: &Setup, campaign: &Value, variables: Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url(&format!(
            "/v1/campaigns/{}/messages",
            campaign["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.client_token)
        .json(&json!({"to": "+5511987652001", "variables": variables}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The Graph API body of the message `id` once it was sent.
async fn sent_body(app: &Setup, id: &str) -> Value {
    let id: Uuid = id.parse().unwrap();
    app.wait_status(id, engage_core::wire::MessageStatus::Sent)
        .await;
    app.stub.message_bodies().last().cloned().unwrap()
}

fn notification(field: &str, value: Value) -> Value {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "time": 1764590400, "changes": [{"value": value, "field": field}]}]
    })
}

fn status_event(id: Option<&str>, name: &str, language: &str, event: &str) -> Value {
    let mut value = json!({
        "event": event,
        "message_template_name": name,
        "message_template_language": language,
        "reason": if event == "PAUSED" { "Template paused due to low quality" } else { "NONE" }
    });
    if let Some(id) = id {
        value["message_template_id"] = json!(id.parse::<i64>().unwrap());
    }
    notification("message_template_status_update", value)
}

async fn notify(app: &Setup, body: &Value) -> Value {
    let response = app.webhook(body).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// `(name, language, status, unsupported)` of a report's list, sorted.
fn rows(list: &Value) -> Vec<(String, String, String, String)> {
    let mut rows: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["language"].as_str().unwrap().to_owned(),
                t["status"].as_str().unwrap().to_owned(),
                t["unsupported"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn the_same_listing_synced_or_imported_gives_the_same_templates_and_refusals() {
    let app = Setup::new(Options::default()).await;
    let synced = sync_every_kind(&app).await["templates"].clone();
    assert_eq!(synced["imported"].as_array().unwrap().len(), 10);
    assert_eq!(
        synced["skipped"],
        json!([{"item": "broken_placeholder (en_US)", "field": "components.body",
                "reason": "invalid template: \"{{First Name}}\" is not a placeholder: use {{1}} or a lowercase name like {{first_name}}"}])
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("message_templates.json");
    std::fs::write(&file, EVERY_KIND).unwrap();
    let file = file.to_str().unwrap();
    let (ok, workspace, stderr) = cli(&app, &["workspace", "create", "--name", "Outra"], "").await;
    assert!(ok, "{stderr}");
    let workspace = workspace["id"].as_str().unwrap().to_owned();
    let (ok, imported, stderr) = cli(
        &app,
        &["template", "import", "--workspace", &workspace, file],
        "",
    )
    .await;
    assert!(ok, "one bad template does not refuse the file: {stderr}");
    assert_eq!(rows(&imported["imported"]), rows(&synced["imported"]));
    assert_eq!(imported["skipped"], synced["skipped"]);
    let carousel = imported["imported"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "summer_carousel")
        .unwrap();
    assert_eq!(carousel["meta_id"], "1240916763908346");
    assert_eq!(
        carousel["unsupported_reason"],
        "components[1].type: carousel templates (cards) are not supported"
    );

    let (ok, again, _) = cli(
        &app,
        &["template", "import", "--workspace", &workspace, file],
        "",
    )
    .await;
    assert!(ok);
    assert_eq!(again["imported"], json!([]));
    assert_eq!(rows(&again["updated"]), rows(&synced["imported"]));
    app.shutdown().await;
}

#[tokio::test]
async fn a_location_template_is_sent_with_its_map_pin_and_bad_coordinates_are_refused() {
    let app = Setup::new(Options::default()).await;
    sync_every_kind(&app).await;
    let campaign = campaign_on(&app, "entrega_a_caminho").await;
    let variables = json!({
        "location_latitude": "-23.5613993", "location_longitude": "-46.6565712",
        "location_name": "Loja Paulista", "location_address": "Av. Paulista, 1000 - São Paulo",
        "customer_name": "Marcos", "order_number": "566701"
    });
    let mut wrong = variables.clone();
    wrong["location_latitude"] = json!("-123.5");
    let (status, body) = send_on(&app, &campaign, wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "variables.location_latitude");

    let (status, body) = send_on(&app, &campaign, variables).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let sent = sent_body(&app, body["id"].as_str().unwrap()).await;
    assert_eq!(
        sent["template"]["components"][0],
        json!({"type": "header", "parameters": [{"type": "location", "location": {
            "latitude": "-23.5613993", "longitude": "-46.6565712",
            "name": "Loja Paulista", "address": "Av. Paulista, 1000 - São Paulo"}}]})
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_authentication_template_takes_the_code_once_and_meta_gets_it_in_body_and_button() {
    let app = Setup::new(Options::default()).await;
    sync_every_kind(&app).await;
    let campaign = campaign_on(&app, "verification_code").await;
    let keys: Vec<_> = campaign["template"]["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].clone())
        .collect();
    assert_eq!(keys, [json!("1")]);
    let (status, body) = send_on(&app, &campaign, json!({"1": "1234567890123456"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "variable_too_long");
    let (status, body) = send_on(
        &app,
        &campaign,
        json!({"1": "482913", "button_0": "482913"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the code is sent once: {body}"
    );

    let (status, body) = send_on(&app, &campaign, json!({"1": "482913"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let sent = sent_body(&app, body["id"].as_str().unwrap()).await;
    assert_eq!(
        sent["template"]["components"],
        json!([
            {"type": "body", "parameters": [{"type": "text", "text": "482913"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "482913"}]}
        ])
    );
    app.shutdown().await;
}

#[tokio::test]
async fn unsupported_kinds_are_listed_with_their_reason_and_refused_for_campaigns() {
    let app = Setup::new(Options::default()).await;
    sync_every_kind(&app).await;
    let offered = get(&app, "/v1/templates").await;
    for (name, kind) in [
        ("summer_carousel", "carousel"),
        ("oferta_relampago", "limited_time_offer"),
        ("catalogo_novidades", "catalog"),
        ("abandoned_cart_items", "multi_product"),
        ("agendar_visita", "flow"),
    ] {
        let listed = offered
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} is shown"));
        assert_eq!(listed["unsupported"]["kind"], kind, "{name}");
        let (status, body) = create_campaign(&app, &listed["id"]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert_eq!(body["error"]["code"], "template_unsupported");
        assert_eq!(body["error"]["field"], "template_id");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn status_events_reach_imported_templates_by_id_or_by_name_in_either_language_spelling() {
    let app = Setup::new(Options::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Imported with Meta's ids, except one listed without (an older export).
    let mut listing = every_kind();
    listing[1].as_object_mut().unwrap().remove("id");
    let file = dir.path().join("templates.json");
    std::fs::write(&file, json!({"data": listing}).to_string()).unwrap();
    let workspace = app.creds.workspace_id.to_string();
    let (ok, report, stderr) = cli(
        &app,
        &[
            "template",
            "import",
            "--workspace",
            &workspace,
            file.to_str().unwrap(),
        ],
        "",
    )
    .await;
    assert!(ok, "{stderr}");
    assert_eq!(report["imported"].as_array().unwrap().len(), 10);

    // By Meta's id, the language spelled as in Meta's own example.
    let location = campaign_on(&app, "entrega_a_caminho").await;
    let outcome = notify(
        &app,
        &status_event(
            Some("1073912404471224"),
            "entrega_a_caminho",
            "pt-BR",
            "PAUSED",
        ),
    )
    .await;
    assert_eq!(outcome, json!({"applied": 1, "ignored": 0, "unmatched": 0}));
    let campaign = get(
        &app,
        &format!("/v1/campaigns/{}", location["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(campaign["template"]["status"], "PAUSED");
    assert_eq!(campaign["template"]["last_change"]["kind"], "paused");
    assert_eq!(
        campaign["template"]["last_change"]["reason"],
        "Template paused due to low quality"
    );
    let (status, body) = send_on(&app, &location, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "template_not_approved");

    // Imported without an id: found by name and `en-US` = `en_US`, and the id is learnt.
    let otp = campaign_on(&app, "verification_code").await;
    let outcome = notify(
        &app,
        &status_event(
            Some("954638012257287"),
            "verification_code",
            "EN-us",
            "DISABLED",
        ),
    )
    .await;
    assert_eq!(outcome["applied"], 1, "{outcome}");
    let template = template(&app, "verification_code").await;
    assert_eq!(template["status"], "DISABLED");
    assert_eq!(template["meta_id"], "954638012257287");
    let outcome = notify(
        &app,
        &status_event(
            Some("954638012257287"),
            "renamed_elsewhere",
            "en_US",
            "APPROVED",
        ),
    )
    .await;
    assert_eq!(outcome["applied"], 1, "found by the learnt id: {outcome}");
    let campaign = get(
        &app,
        &format!("/v1/campaigns/{}", otp["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(campaign["template"]["status"], "APPROVED");
    assert_eq!(campaign["template"]["last_change"]["kind"], "reapproved");

    // The same event again changes nothing.
    let outcome = notify(
        &app,
        &status_event(
            Some("954638012257287"),
            "verification_code",
            "en_US",
            "APPROVED",
        ),
    )
    .await;
    assert_eq!(outcome, json!({"applied": 0, "ignored": 1, "unmatched": 0}));
    app.shutdown().await;
}

#[tokio::test]
async fn quality_and_category_events_of_a_synced_template_show_on_its_campaign() {
    let app = Setup::new(Options::default()).await;
    let path = format!("/v1/campaigns/{}", app.campaign_id);
    let quality = notification(
        "message_template_quality_update",
        json!({"previous_quality_score": "GREEN", "new_quality_score": "YELLOW",
               "message_template_id": META_TEMPLATE_ID.parse::<i64>().unwrap(),
               "message_template_name": "order_update", "message_template_language": "pt_BR"}),
    );
    assert_eq!(notify(&app, &quality).await["applied"], 1);
    let shown = get(&app, &path).await;
    assert_eq!(shown["template"]["quality"], "YELLOW");
    assert_eq!(shown["template"]["last_change"]["kind"], "quality_dropped");
    assert_eq!(
        shown["template"]["last_change"]["previous_quality"],
        "GREEN"
    );
    assert_eq!(
        shown["template"]["status"], "APPROVED",
        "a drop does not stop sends"
    );
    app.send_ok("+5511987652002", "Ana").await;

    let category = notification(
        "template_category_update",
        json!({"message_template_id": META_TEMPLATE_ID.parse::<i64>().unwrap(),
               "message_template_name": "order_update", "message_template_language": "pt_BR",
               "previous_category": "UTILITY", "new_category": "MARKETING"}),
    );
    assert_eq!(notify(&app, &category).await["applied"], 1);
    let shown = get(&app, &path).await;
    assert_eq!(shown["template"]["category"], "MARKETING");
    assert_eq!(shown["template"]["last_change"]["kind"], "recategorised");
    assert_eq!(
        shown["template"]["last_change"]["previous_category"],
        "UTILITY"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_event_for_an_unknown_template_is_acknowledged_recorded_and_never_applied() {
    let app = Setup::new(Options::default()).await;
    let unknown = status_event(
        Some("1999999999999999"),
        "never_imported",
        "en_US",
        "PAUSED",
    );
    let outcome = notify(&app, &unknown).await;
    assert_eq!(outcome, json!({"applied": 0, "ignored": 0, "unmatched": 1}));
    // Not by name either: the harness template's name in another language.
    let other = status_event(None, "order_update", "es", "PAUSED");
    assert_eq!(notify(&app, &other).await["unmatched"], 1);
    app.send_ok("+5511987652003", "Bia").await;

    let store = Store::connect(&app.database_url).await.unwrap();
    let events = store.template_events().await.unwrap();
    store.close().await;
    let outcomes: Vec<_> = events
        .iter()
        .map(|e| (e.1.clone(), e.2.as_str(), e.3.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (Some("PAUSED".to_owned()), "unmatched", "[]"),
            (Some("PAUSED".to_owned()), "unmatched", "[]")
        ]
    );
    app.shutdown().await;
}
