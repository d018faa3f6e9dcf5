//! Quick-reply buttons marked as opt-out (issue 12 §4) on both backends: staff mark a
//! template's quick-reply buttons (audited; the marks survive a re-import of the templates); a
//! press on a marked button — WhatsApp's `button` reply with `context.id`, signed — puts the
//! number on the do-not-message list with source `button` and the next send is refused; an
//! unmarked button whose text is not a keyword changes nothing; the sandbox's simulated reply
//! can press a button.

use engage_core::wire::{
    AuditPage, MessageStatus, OptOutPage, OptOutSource, SimulatedReply, Template,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, body_for, cli_json, spawn_app_configured, TestApp};

const SECRET: &str = "button-app-secret";
const PHONE_NUMBER_ID: &str = "106540352242922";
const TEMPLATE: &str = "carrinho_abandonado";
const STOP_BUTTON: &str = "Não tenho interesse";
const OTHER_BUTTON: &str = "Finalizar compra";

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

/// A signed `messages` webhook: `from` pressed the quick-reply button `text` under the message
/// WhatsApp knows as `context` (as Meta documents a quick-reply button press).
async fn press(app: &TestApp, from: &str, text: &str, context: Option<&str>) -> Value {
    let mut message = json!({"from": from, "id": "wamid.in", "timestamp": "1764590400",
        "type": "button", "button": {"text": text, "payload": format!("{text} payload")}});
    if let Some(context) = context {
        message["context"] = json!({"from": "5511955550000", "id": context});
    }
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
        "changes": [{"field": "messages", "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "5511955550000", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"wa_id": from, "profile": {"name": "Ana"}}],
            "messages": [message]}}]}]});
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

async fn template(app: &TestApp, staff: &str) -> Template {
    app.templates(staff, true)
        .await
        .into_iter()
        .find(|t| t.name == TEMPLATE)
        .expect("the demo has a template with quick-reply buttons")
}

async fn mark(app: &TestApp, staff: &str, id: uuid::Uuid, buttons: Value) -> reqwest::Response {
    app.client
        .put(app.url(&format!("/v1/templates/{id}/opt-out-buttons")))
        .bearer_auth(staff)
        .json(&json!({ "buttons": buttons }))
        .send()
        .await
        .unwrap()
}

async fn listed(app: &TestApp, staff: &str, digits: &str) -> OptOutPage {
    app.get_ok(&format!("/v1/opt-outs?q={digits}"), staff).await
}

/// A campaign on the template with quick replies, and one message of it the sandbox sent to
/// `to`: its id.
async fn sent_message(app: &TestApp, staff: &str, to: &str) -> (uuid::Uuid, Template, uuid::Uuid) {
    let template = template(app, staff).await;
    let campaign = app.create_campaign_with(staff, &template).await;
    let token = app.client_token().await;
    let resp = app
        .send(&token, campaign.id, &body_for(&template, to))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let id: uuid::Uuid =
        serde_json::from_value(resp.json::<Value>().await.unwrap()["id"].clone()).unwrap();
    app.wait_for_message(staff, id, |status| status != MessageStatus::Queued)
        .await;
    (campaign.id, template, id)
}

#[tokio::test]
async fn a_press_on_a_button_marked_as_opt_out_lists_the_number_with_source_button_and_the_next_send_is_refused(
) {
    let app = app().await;
    let staff = app.staff_token().await;
    cloud_sender(&app, &staff).await;
    let (campaign_id, template, message_id) = sent_message(&app, &staff, "+5511987657001").await;
    let marked: Template = mark(&app, &staff, template.id, json!([STOP_BUTTON]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(marked.opt_out_buttons, [STOP_BUTTON]);

    // The other button, whose text is no keyword, changes nothing.
    let context = format!("sandbox-{message_id}");
    assert_eq!(
        press(&app, "5511987657001", OTHER_BUTTON, Some(&context)).await["ignored"],
        1
    );
    assert!(listed(&app, &staff, "5511987657001").await.items.is_empty());

    assert_eq!(
        press(&app, "5511987657001", STOP_BUTTON, Some(&context)).await["applied"],
        1
    );
    let entry = &listed(&app, &staff, "5511987657001").await.items[0];
    assert_eq!(entry.phone, "+5511987657001");
    assert_eq!(entry.source, OptOutSource::Button);
    assert_eq!(entry.detail.as_deref(), Some(STOP_BUTTON));

    let token = app.client_token().await;
    assert_error(
        app.send(&token, campaign_id, &body_for(&template, "+5511987657001"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient_opted_out",
        Some("to"),
    )
    .await;
}

#[tokio::test]
async fn without_the_answered_message_a_button_marked_on_any_template_opts_out_and_an_unmarked_one_does_not(
) {
    let app = app().await;
    let staff = app.staff_token().await;
    cloud_sender(&app, &staff).await;
    let template = template(&app, &staff).await;
    assert_eq!(
        press(&app, "5511987657101", STOP_BUTTON, None).await["ignored"],
        1,
        "not marked yet"
    );
    assert_eq!(
        mark(&app, &staff, template.id, json!([STOP_BUTTON]))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        press(&app, "5511987657101", STOP_BUTTON, None).await["applied"],
        1
    );
    assert_eq!(
        press(&app, "5511987657102", OTHER_BUTTON, Some("wamid.unknown")).await["ignored"],
        1
    );
    assert_eq!(
        listed(&app, &staff, "55119876571").await.items.len(),
        1,
        "only the marked button's press"
    );
}

#[tokio::test]
async fn the_marks_survive_a_re_import_of_the_templates_and_each_change_is_audited() {
    let app = app().await;
    let staff = app.staff_token().await;
    let template = template(&app, &staff).await;
    assert!(template.opt_out_buttons.is_empty());
    assert_error(
        mark(
            &app,
            &staff,
            template.id,
            json!([STOP_BUTTON, "Comprar agora"]),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_a_quick_reply_button",
        Some("buttons[1]"),
    )
    .await;
    assert_eq!(
        mark(&app, &staff, template.id, json!([STOP_BUTTON]))
            .await
            .status(),
        StatusCode::OK
    );

    // Re-importing the templates (a sync brings the same upsert) keeps the marks.
    let file = app.dir.path().join("templates.json");
    std::fs::write(&file, include_str!("../../src/demo/templates.json")).unwrap();
    let ws = app.creds.workspace_id.to_string();
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
    assert!(
        report["updated"]
            .as_array()
            .is_some_and(|updated| updated.iter().any(|t| t.to_string().contains(TEMPLATE))),
        "the template was imported again: {report:?}"
    );
    let reimported: Template = app
        .get_ok(&format!("/v1/templates/{}", template.id), &staff)
        .await;
    assert_eq!(reimported.opt_out_buttons, [STOP_BUTTON]);

    let cleared: Template = mark(&app, &staff, template.id, json!([]))
        .await
        .json()
        .await
        .unwrap();
    assert!(cleared.opt_out_buttons.is_empty());
    let audit: AuditPage = app
        .get_ok("/v1/audit?action=opt_out_buttons_changed", &staff)
        .await;
    assert_eq!(audit.items.len(), 2);
    assert_eq!(audit.items[1].before, Some(json!({"buttons": []})));
    assert_eq!(
        audit.items[1].after,
        Some(json!({"buttons": [STOP_BUTTON]}))
    );
    assert_eq!(audit.items[0].after, Some(json!({"buttons": []})));
    assert_eq!(
        audit.items[0].target.as_deref(),
        Some(format!("{TEMPLATE} · {}", template.language).as_str())
    );
}

#[tokio::test]
async fn the_sandbox_simulates_a_press_on_a_marked_button_under_a_message() {
    let app = app().await;
    let staff = app.staff_token().await;
    let (_, template, message_id) = sent_message(&app, &staff, "+5511987657201").await;
    mark(&app, &staff, template.id, json!([STOP_BUTTON])).await;
    let simulate = |text: &'static str, button: bool| {
        let (app, staff) = (&app, &staff);
        async move {
            let resp = app
                .post_json(
                    &format!("/v1/messages/{message_id}/simulate-reply"),
                    staff,
                    &json!({"text": text, "button": button}),
                )
                .await;
            assert_eq!(resp.status(), StatusCode::OK);
            resp.json::<SimulatedReply>().await.unwrap()
        }
    };
    let other = simulate(OTHER_BUTTON, true).await;
    assert_eq!((other.keyword, other.button), (None, None));
    let pressed = simulate(STOP_BUTTON, true).await;
    assert_eq!(pressed.button.as_deref(), Some(STOP_BUTTON));
    let entry = &listed(&app, &staff, "5511987657201").await.items[0];
    assert_eq!(entry.source, OptOutSource::Button);
}
