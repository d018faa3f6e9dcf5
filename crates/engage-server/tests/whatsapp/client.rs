//! [`GraphClient`] over real HTTP against the stand-in.

use std::collections::BTreeMap;
use std::time::Duration;

use engage_core::wire::{
    TemplateButton, TemplateCategory, TemplateComponents, TemplateHeader, TemplateStatus,
};
use engage_core::{Template, TemplateDefinition};
use engage_server::whatsapp::client::Retry;
use engage_server::whatsapp::{build_template_message, GraphClient, GraphError};
use serde_json::{json, Value};

use crate::graph_stub::{Failure, GraphStub};

const TOKEN: &str = "EAAJB-test-token";
const PHONE_NUMBER_ID: &str = "106540352242922";
const WABA_ID: &str = "102290129340398";

fn order_template() -> Template {
    Template::new(TemplateDefinition {
        name: "order_update".into(),
        language: "pt_BR".into(),
        category: TemplateCategory::Utility,
        status: TemplateStatus::Approved,
        components: TemplateComponents {
            header: Some(TemplateHeader::Image { example_url: None }),
            body: "Olá {{1}}, seu pedido {{2}} saiu.".into(),
            footer: None,
            buttons: vec![TemplateButton::Url {
                text: "Rastrear".into(),
                url: "https://shop.example/t/{{1}}".into(),
            }],
        },
        examples: BTreeMap::new(),
        unsupported: None,
    })
    .unwrap()
}

fn order_variables() -> BTreeMap<String, String> {
    [
        ("header_url", "https://cdn.example.com/p.png"),
        ("1", "Ana"),
        ("2", "A-77"),
        ("button_0", "A77"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Meta's object for the template above, as `message_templates` lists it.
fn meta_order_template() -> Value {
    json!({
        "id": "1689556908129832",
        "name": "order_update",
        "language": "pt_BR",
        "status": "APPROVED",
        "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://cdn.example.com/p.png"]}},
            {"type": "BODY", "text": "Olá {{1}}, seu pedido {{2}} saiu.", "example": {"body_text": [["Ana", "A-77"]]}},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Rastrear", "url": "https://shop.example/t/{{1}}", "example": ["https://shop.example/t/A77"]}]}
        ]
    })
}

#[tokio::test]
async fn a_template_message_reaches_the_graph_api_exactly_as_built() {
    let stub = GraphStub::start().await;
    stub.require_token(TOKEN);
    stub.set_templates(vec![meta_order_template()], 25);
    let client = GraphClient::new(stub.base_url());
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();

    let outcome = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .expect("accepted");

    assert!(outcome.message_id.starts_with("wamid."), "{outcome:?}");
    assert_eq!(outcome.wa_id.as_deref(), Some("5511987654321"));
    let received = stub.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path, format!("{PHONE_NUMBER_ID}/messages"));
    assert_eq!(
        received[0].authorization.as_deref(),
        Some("Bearer EAAJB-test-token")
    );
    assert_eq!(stub.message_bodies().len(), 1);
    assert_eq!(
        received[0].body.as_ref().unwrap(),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "pt_BR"},
                "components": [
                    {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/p.png"}}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "A-77"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A77"}]}
                ]
            }
        })
    );
}

#[tokio::test]
async fn a_throughput_error_is_transient_and_carries_retry_after() {
    let stub = GraphStub::start().await;
    stub.fail_next(1, Failure::throughput().with_retry_after(3));
    let client = GraphClient::new(stub.base_url());
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();

    let error = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();

    assert_eq!(error.code(), "whatsapp_130429");
    assert_eq!(error.retry(), Retry::Transient);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(3)));
    // The next call goes through.
    assert!(client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .is_ok());
}

#[tokio::test]
async fn a_parameter_mismatch_is_permanent_with_metas_message_and_details() {
    let stub = GraphStub::start().await;
    // Meta's copy of the template has three body parameters; we send two.
    let mut meta = meta_order_template();
    meta["components"][1]["text"] = json!("Olá {{1}}, pedido {{2}}, total {{3}}");
    stub.set_templates(vec![meta], 25);
    let client = GraphClient::new(stub.base_url());
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();

    let error = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();

    assert_eq!(error.code(), "whatsapp_132000");
    assert_eq!(error.retry(), Retry::Permanent);
    let GraphError::Api(meta) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(meta.http_status, 400);
    assert_eq!(meta.fbtrace_id.as_deref(), Some("A3a1bZ9stubTrace"));
    assert!(
        error
            .detail()
            .contains("Number of parameters does not match"),
        "{}",
        error.detail()
    );
    assert!(
        error
            .detail()
            .contains("(2) does not match the expected number of params (3)"),
        "{}",
        error.detail()
    );
}

#[tokio::test]
async fn an_unknown_template_and_an_invalid_token_are_permanent() {
    let stub = GraphStub::start().await;
    stub.require_token(TOKEN);
    let mut other = meta_order_template();
    other["name"] = json!("something_else");
    stub.set_templates(vec![other], 25);
    let client = GraphClient::new(stub.base_url());
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();

    let missing = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();
    assert_eq!(missing.code(), "whatsapp_132001");
    assert!(!missing.is_transient());

    let expired = client
        .send_template(PHONE_NUMBER_ID, "EAA-expired", &message)
        .await
        .unwrap_err();
    assert_eq!(expired.code(), "whatsapp_190");
    assert!(!expired.is_transient());
}

#[tokio::test]
async fn server_errors_without_metas_body_are_transient() {
    let stub = GraphStub::start().await;
    stub.fail_next(1, Failure::raw(502, "<html>Bad Gateway</html>"));
    stub.fail_next(
        1,
        Failure::meta(500, 131000, "(#131000) Something went wrong"),
    );
    let client = GraphClient::new(stub.base_url());
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();

    let gateway = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();
    assert_eq!(gateway.code(), "whatsapp_http_502");
    assert!(gateway.is_transient());
    let generic = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();
    assert_eq!(generic.code(), "whatsapp_131000");
    assert!(generic.is_transient());
}

#[tokio::test]
async fn an_unreachable_graph_api_is_transient() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = GraphClient::new(format!("http://127.0.0.1:{port}/v23.0"));
    let message =
        build_template_message(&order_template(), "+5511987654321", &order_variables()).unwrap();
    let error = client
        .send_template(PHONE_NUMBER_ID, TOKEN, &message)
        .await
        .unwrap_err();
    assert!(matches!(error, GraphError::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test]
async fn every_page_of_templates_is_fetched_by_cursor() {
    let stub = GraphStub::start().await;
    stub.require_token(TOKEN);
    let templates: Vec<Value> = (0..57)
        .map(|i| {
            let mut t = meta_order_template();
            t["id"] = json!(format!("{}", 9000 + i));
            t["name"] = json!(format!("template_{i:02}"));
            t
        })
        .collect();
    stub.set_templates(templates, 25);
    let client = GraphClient::new(stub.base_url());

    let listed = client.list_templates(WABA_ID, TOKEN).await.unwrap();

    assert_eq!(listed.len(), 57);
    assert_eq!(listed[0].name, "template_00");
    assert_eq!(listed[56].name, "template_56");
    assert_eq!(listed[56].id.as_deref(), Some("9056"));
    assert_eq!(listed[3].language, "pt_BR");
    let parsed = listed[3].parse().expect("parses into engage-core's model");
    assert_eq!(parsed.status(), TemplateStatus::Approved);
    let requests = stub.received();
    assert_eq!(requests.len(), 3, "57 templates at 25 a page");
    assert!(requests
        .iter()
        .all(|r| r.path == format!("{WABA_ID}/message_templates")));
    let after: Vec<Option<&str>> = requests
        .iter()
        .map(|r| {
            r.query
                .iter()
                .find(|(k, _)| k == "after")
                .map(|(_, v)| v.as_str())
        })
        .collect();
    assert_eq!(after, vec![None, Some("cursor-25"), Some("cursor-50")]);
}

#[tokio::test]
async fn phone_numbers_are_listed() {
    let stub = GraphStub::start().await;
    stub.set_phone_numbers(vec![
        json!({"id": "106540352242922", "display_phone_number": "+55 11 98765-4321", "verified_name": "Loja Exemplo", "quality_rating": "GREEN"}),
        json!({"id": "106540352242923", "display_phone_number": "+1 650-555-1234", "verified_name": "Shop", "quality_rating": "YELLOW"}),
    ]);
    let client = GraphClient::new(stub.base_url());

    let numbers = client.list_phone_numbers(WABA_ID, TOKEN).await.unwrap();

    assert_eq!(numbers.len(), 2);
    assert_eq!(numbers[0].id, "106540352242922");
    assert_eq!(numbers[0].display_phone_number, "+55 11 98765-4321");
    assert_eq!(numbers[1].verified_name.as_deref(), Some("Shop"));
    assert_eq!(stub.received()[0].path, format!("{WABA_ID}/phone_numbers"));
}

#[tokio::test]
async fn a_listing_error_is_reported_with_metas_code() {
    let stub = GraphStub::start().await;
    stub.require_token(TOKEN);
    let client = GraphClient::new(stub.base_url());
    let error = client.list_templates(WABA_ID, "wrong").await.unwrap_err();
    assert_eq!(error.code(), "whatsapp_190");
}
