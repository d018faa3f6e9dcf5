//! Opt-outs (issue 12) on both backends: a reply with a keyword (WhatsApp's `messages`
//! webhook, signed; the sandbox's number ending in 0003) puts the number on the workspace's
//! do-not-message list; sends to it are refused (single: 422 `recipient_opted_out`; batch:
//! that item only) and nothing is queued; staff list, search, add and remove with a reason,
//! audited; the keywords are editable.

use std::time::{Duration, Instant};

use engage_core::wire::{
    AuditPage, BatchSendResponse, OptOut, OptOutKeywords, OptOutPage, OptOutSource,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{
    assert_error, body_for, spawn_app_configured, valid_variables, TestApp, DEADLINE,
};

const SECRET: &str = "opt-out-app-secret";
const PHONE_NUMBER_ID: &str = "106540352242922";

async fn app() -> TestApp {
    spawn_app_configured(|config| config.whatsapp.app_secret = Some(SECRET.into())).await
}

/// A WhatsApp Cloud sender of the demo workspace, so replies to it are the workspace's.
async fn cloud_sender(app: &TestApp, staff: &str) {
    let sender = app
        .post_json(
            "/v1/whatsapp/senders",
            staff,
            &json!({"name": "Loja", "phone": "+5511955550000", "phone_number_id": PHONE_NUMBER_ID,
                    "waba_id": "102290129340398", "access_token": "EAAJB-token"}),
        )
        .await;
    assert_eq!(sender.status(), StatusCode::CREATED);
}

/// A signed `messages` webhook: `from` wrote `text` to the sender.
async fn reply(app: &TestApp, from: &str, text: &str) -> Value {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"wa_id": from, "profile": {"name": "Ana"}}],
            "messages": [{"from": from, "id": "wamid.in", "timestamp": "1764590400",
                "type": "text", "text": {"body": text}}]}}]}]});
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

async fn listed(app: &TestApp, staff: &str, q: &str) -> Vec<OptOut> {
    let page: OptOutPage = app.get_ok(&format!("/v1/opt-outs?q={q}"), staff).await;
    page.items
}

#[tokio::test]
async fn a_keyword_reply_opts_the_number_out_and_sends_to_it_are_refused_without_queuing() {
    let app = app().await;
    let staff = app.staff_token().await;
    cloud_sender(&app, &staff).await;
    assert_eq!(
        reply(&app, "5511987650777", "Quero parar de receber").await["ignored"],
        1
    );
    assert!(listed(&app, &staff, "5511987650777").await.is_empty());
    assert_eq!(
        reply(&app, "5511987650777", "  Párar! ").await["applied"],
        1
    );
    assert_eq!(
        reply(&app, "5511987650778", "unsubscribe").await["applied"],
        1
    );
    let entry = &listed(&app, &staff, "5511987650777").await[0];
    assert_eq!(entry.phone, "+5511987650777");
    assert_eq!(entry.source, OptOutSource::Reply);
    assert_eq!(entry.detail.as_deref(), Some("  Párar! "));

    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    assert_error(
        app.send(
            &token,
            campaign.id,
            &body_for(&template, "+55 11 98765-0777"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient_opted_out",
        Some("to"),
    )
    .await;
    let variables = valid_variables(&template);
    let batch = app
        .send(
            &token,
            campaign.id,
            &json!({"messages": [
                {"to": "+5511987650777", "variables": variables},
                {"to": "+5511987650002", "variables": variables},
                {"to": "+5511987650778", "variables": variables}]}),
        )
        .await;
    assert_eq!(batch.status(), StatusCode::ACCEPTED);
    let batch: BatchSendResponse = batch.json().await.unwrap();
    assert_eq!((batch.accepted, batch.rejected), (1, 2));
    let refused = batch.results[0].error.as_ref().unwrap();
    assert_eq!(refused.code, "recipient_opted_out");
    assert_eq!(refused.field.as_deref(), Some("messages[0].to"));
    assert!(batch.results[1].id.is_some());
    let queued = app.campaign_messages(&staff, campaign.id).await;
    assert_eq!(queued.len(), 1, "nothing queued for the opted-out numbers");
    assert_eq!(queued[0].to, "+5511987650002");
    assert_error(
        app.post_json(
            &format!("/v1/campaigns/{}/test-message", campaign.id),
            &staff,
            &body_for(&template, "+5511987650777"),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient_opted_out",
        Some("to"),
    )
    .await;
}

#[tokio::test]
async fn staff_add_search_and_remove_numbers_with_a_reason_and_edit_the_keywords() {
    let app = app().await;
    let staff = app.staff_token().await;
    cloud_sender(&app, &staff).await;
    let add = |phone: &'static str| {
        let app = &app;
        let staff = &staff;
        async move {
            app.post_json(
                "/v1/opt-outs",
                staff,
                &json!({"phone": phone, "reason": "asked by phone"}),
            )
            .await
        }
    };
    assert_eq!(add("+55 11 98765-0901").await.status(), StatusCode::CREATED);
    assert_eq!(add("+5511987650901").await.status(), StatusCode::OK);
    assert_eq!(add("+5521987650902").await.status(), StatusCode::CREATED);
    assert_error(
        add("12").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_phone_number",
        Some("phone"),
    )
    .await;
    let all = listed(&app, &staff, "").await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].phone, "+5521987650902", "newest first");
    let rio = listed(&app, &staff, "%2B5521").await;
    assert_eq!(rio.len(), 1);
    assert_eq!(rio[0].source, OptOutSource::Staff);
    assert_eq!(rio[0].detail.as_deref(), Some("asked by phone"));

    assert_error(
        app.post_json(
            "/v1/opt-outs/remove",
            &staff,
            &json!({"phone": "+5511987650901", "reason": "  "}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reason_required",
        Some("reason"),
    )
    .await;
    let removed = app
        .post_json(
            "/v1/opt-outs/remove",
            &staff,
            &json!({"phone": "+5511987650901", "reason": "subscribed again at the shop"}),
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_error(
        app.post_json(
            "/v1/opt-outs/remove",
            &staff,
            &json!({"phone": "+5511987650901", "reason": "again"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "opt_out_not_found",
        None,
    )
    .await;
    let audit: AuditPage = app.get_ok("/v1/audit?action=opt_out_removed", &staff).await;
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].target.as_deref(), Some("+5511987650901"));
    assert!(
        serde_json::to_string(&audit.items[0])
            .unwrap()
            .contains("subscribed again at the shop"),
        "the reason is recorded"
    );

    let defaults: OptOutKeywords = app.get_ok("/v1/opt-outs/keywords", &staff).await;
    assert!(defaults.keywords.contains(&"PARAR".to_owned()));
    let saved = app
        .client
        .put(app.url("/v1/opt-outs/keywords"))
        .bearer_auth(&staff)
        .json(&json!({"keywords": [" Chega ", "chegá", "NÃO QUERO"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    let saved: OptOutKeywords = saved.json().await.unwrap();
    assert_eq!(saved.keywords, vec!["Chega", "NÃO QUERO"]);
    assert_eq!(reply(&app, "5511987650903", "parar").await["ignored"], 1);
    assert_eq!(
        reply(&app, "5511987650903", "nao quero").await["applied"],
        1
    );
    let refused = app
        .client
        .put(app.url("/v1/opt-outs/keywords"))
        .bearer_auth(&staff)
        .json(&json!({"keywords": []}))
        .send()
        .await
        .unwrap();
    assert_error(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_keywords",
        Some("keywords"),
    )
    .await;
}

#[tokio::test]
async fn the_sandbox_number_ending_in_0003_replies_parar_and_is_refused_afterwards() {
    let app = app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    let first = app
        .send(&token, campaign.id, &body_for(&template, "+5511987650003"))
        .await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let started = Instant::now();
    loop {
        let found = listed(&app, &staff, "5511987650003").await;
        if let Some(entry) = found.first() {
            assert_eq!(entry.source, OptOutSource::Reply);
            assert_eq!(entry.detail.as_deref(), Some("PARAR"));
            break;
        }
        assert!(started.elapsed() < DEADLINE, "no reply after {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_error(
        app.send(&token, campaign.id, &body_for(&template, "+5511987650003"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient_opted_out",
        Some("to"),
    )
    .await;
}

#[tokio::test]
async fn the_list_exports_as_csv_with_a_byte_order_mark_and_formula_safe_numbers() {
    let app = app().await;
    let staff = app.staff_token().await;
    let added = app
        .post_json(
            "/v1/opt-outs",
            &staff,
            &json!({"phone": "+5511987650910", "reason": "pediu por telefone, \"não\" quer"}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let response = app.get("/v1/opt-outs/export", &staff).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = response.bytes().await.unwrap();
    assert!(
        bytes.starts_with("\u{FEFF}".as_bytes()),
        "UTF-8 byte order mark"
    );
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "phone,source,detail,created_at");
    assert!(
        lines[1].starts_with("'+5511987650910,staff,\"pediu por telefone, \"\"não\"\" quer\","),
        "{}",
        lines[1]
    );
}

#[tokio::test]
async fn a_csv_import_adds_the_numbers_once_and_lists_the_lines_it_could_not_read() {
    let app = app().await;
    let staff = app.staff_token().await;
    let csv = "\u{FEFF}phone,reason\r\n'+5511987650920,\"loja, balcão\"\r\n5511987650921\r\nnot a number,x\r\n+5511987650920,again\r\n";
    let import = |body: &'static str| {
        let app = &app;
        let staff = &staff;
        async move {
            let response = app
                .client
                .post(app.url("/v1/opt-outs/import"))
                .bearer_auth(staff)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response
                .json::<engage_core::wire::OptOutImport>()
                .await
                .unwrap()
        }
    };
    let first = import(csv).await;
    assert_eq!((first.added, first.already_listed), (2, 0));
    assert_eq!(first.refused_count, 1);
    assert_eq!(first.refused[0].line, 4);
    assert_eq!(first.refused[0].code, "invalid_phone_number");
    let entry = &listed(&app, &staff, "5511987650920").await[0];
    assert_eq!(entry.detail.as_deref(), Some("loja, balcão"));
    let again = import(csv).await;
    assert_eq!((again.added, again.already_listed), (0, 2));
    let audit: AuditPage = app.get_ok("/v1/audit?action=opt_out_added", &staff).await;
    assert_eq!(audit.items.len(), 2, "one entry per import");
}

#[tokio::test]
async fn a_simulated_reply_to_a_sandbox_message_goes_through_the_keywords() {
    let app = app().await;
    let staff = app.staff_token().await;
    let token = app.client_token().await;
    let (campaign, template) = app.new_campaign().await;
    let sent = app
        .send(&token, campaign.id, &body_for(&template, "+5511987650002"))
        .await;
    assert_eq!(sent.status(), StatusCode::ACCEPTED);
    let id = sent.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/messages/{id}/simulate-reply");
    let answer: Value = app
        .post_json(&path, &staff, &json!({"text": "obrigado!"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["keyword"], Value::Null);
    let answer: Value = app
        .post_json(&path, &staff, &json!({"text": "Sair"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["keyword"], "SAIR");
    assert_eq!(listed(&app, &staff, "5511987650002").await.len(), 1);
    assert_error(
        app.post_json(&path, &staff, &json!({"text": "  "})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reply_required",
        Some("text"),
    )
    .await;
}
