//! `POST /v1/campaigns/{id}/messages` with a client-credentials token, and reading messages.

use engage_core::wire::{
    BatchSendResponse, CampaignStatus, Message, MessagePage, MessageStatus, SendAccepted,
};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{
    assert_error, assert_unauthorized_bearer, body_for, cli_json, expire_all_tokens, spawn_app,
    valid_variables, TestApp,
};

const TO: &str = "+5511987654321";

fn positional_keys(template: &engage_core::wire::Template) -> Vec<String> {
    template.variables.iter().map(|v| v.key.clone()).collect()
}

#[tokio::test]
async fn a_single_send_is_202_queued_and_is_delivered_with_the_rendered_text() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let mut variables = valid_variables(&template);
    let first_key = positional_keys(&template)[0].clone();
    variables.insert(first_key, json!("Ana Conceição 🎉"));
    let resp = app
        .send(
            &token,
            campaign.id,
            &json!({"to": TO, "variables": variables}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted: SendAccepted = resp.json().await.unwrap();
    assert_eq!(accepted.status, MessageStatus::Queued);

    let message = app
        .wait_for_message(&token, accepted.id, |s| s == MessageStatus::Delivered)
        .await;
    assert_eq!(message.id, accepted.id);
    assert_eq!(message.campaign_id, campaign.id);
    assert_eq!(message.to, TO);
    assert!(message.error.is_none());
    assert!(message.sent_at.is_some());
    assert!(message.delivered_at.is_some());
    assert!(
        message.text.contains("Ana Conceição 🎉"),
        "{}",
        message.text
    );
    assert!(message.rendered.body.contains("Ana Conceição 🎉"));
    for value in variables.values() {
        assert!(
            message.text.contains(value.as_str().unwrap()),
            "{value} in {}",
            message.text
        );
    }
    assert!(
        !message.text.contains("{{"),
        "no placeholder left: {}",
        message.text
    );
}

#[tokio::test]
async fn a_named_template_is_sent_with_its_variable_names_as_keys() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    let template = app.named_template(&staff).await;
    let campaign = app.create_campaign_with(&staff, &template).await;
    let token = app.client_token().await;
    let resp = app
        .send(&token, campaign.id, &body_for(&template, TO))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted: SendAccepted = resp.json().await.unwrap();
    let message = app
        .wait_for_message(&token, accepted.id, |s| s == MessageStatus::Delivered)
        .await;
    assert!(
        !message.rendered.body.contains("{{"),
        "{}",
        message.rendered.body
    );
}

#[tokio::test]
async fn a_phone_number_in_national_notation_is_stored_in_e164() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let resp = app
        .send(
            &token,
            campaign.id,
            &body_for(&template, "+55 (11) 98765-4321"),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted: SendAccepted = resp.json().await.unwrap();
    let message: Message = app
        .get_ok(&format!("/v1/messages/{}", accepted.id), &token)
        .await;
    assert_eq!(message.to, TO);
}

#[tokio::test]
async fn a_batch_with_valid_and_invalid_items_reports_each_item() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let keys = positional_keys(&template);
    let mut missing = valid_variables(&template);
    missing.remove(&keys[0]);
    let resp = app
        .send(
            &token,
            campaign.id,
            &json!({"messages": [
                body_for(&template, TO),
                {"to": "12345", "variables": valid_variables(&template)},
                {"to": "+5521998765432", "variables": missing},
                body_for(&template, "+5521998765432"),
            ]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let batch: BatchSendResponse = resp.json().await.unwrap();
    assert_eq!(batch.accepted, 2);
    assert_eq!(batch.rejected, 2);
    assert_eq!(batch.results.len(), 4);
    for (i, result) in batch.results.iter().enumerate() {
        assert_eq!(result.index as usize, i);
    }
    for i in [0, 3] {
        assert!(batch.results[i].id.is_some());
        assert_eq!(batch.results[i].status, Some(MessageStatus::Queued));
        assert!(batch.results[i].error.is_none());
    }
    let phone = batch.results[1].error.as_ref().expect("item 1 rejected");
    assert_eq!(phone.code, "invalid_phone_number");
    assert!(
        phone.field.as_deref().is_some_and(|f| f.ends_with("to")),
        "{phone:?}"
    );
    assert!(batch.results[1].id.is_none());
    let variable = batch.results[2].error.as_ref().expect("item 2 rejected");
    assert_eq!(variable.code, "missing_variable");
    assert!(
        variable
            .field
            .as_deref()
            .is_some_and(|f| f.ends_with(&format!("variables.{}", keys[0]))),
        "{variable:?}"
    );

    let staff = app.staff_token().await;
    let stored = app.campaign_messages(&staff, campaign.id).await;
    assert_eq!(stored.len(), 2, "only the accepted items were stored");
    for i in [0, 3] {
        let id = batch.results[i].id.unwrap();
        app.wait_for_message(&token, id, |s| s == MessageStatus::Delivered)
            .await;
    }
}

#[tokio::test]
async fn a_batch_of_1000_is_accepted_and_1001_is_refused() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let items: Vec<Value> = (0..1000).map(|_| body_for(&template, TO)).collect();
    let resp = app
        .send(&token, campaign.id, &json!({ "messages": items }))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let batch: BatchSendResponse = resp.json().await.unwrap();
    assert_eq!(batch.accepted, 1000);

    let items: Vec<Value> = (0..1001).map(|_| body_for(&template, TO)).collect();
    let resp = app
        .send(&token, campaign.id, &json!({ "messages": items }))
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "batch_too_large",
        Some("messages"),
    )
    .await;
    let staff = app.staff_token().await;
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 1000);
}

#[tokio::test]
async fn an_empty_batch_is_refused() {
    let app = spawn_app().await;
    let (campaign, _) = app.new_campaign().await;
    let token = app.client_token().await;
    let resp = app
        .send(&token, campaign.id, &json!({ "messages": [] }))
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "empty_batch",
        Some("messages"),
    )
    .await;
}

#[tokio::test]
async fn an_unknown_campaign_is_404() {
    let app = spawn_app().await;
    let (_, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let resp = app
        .send(&token, Uuid::new_v4(), &body_for(&template, TO))
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "campaign_not_found", None).await;
}

#[tokio::test]
async fn an_inactive_campaign_is_409_campaign_inactive_and_reactivation_reopens_it() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let staff = app.staff_token().await;
    let path = format!("/v1/campaigns/{}", campaign.id);
    let resp = app
        .patch_json(&path, &staff, &json!({"status": CampaignStatus::Inactive}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);

    let token = app.client_token().await;
    let resp = app
        .send(&token, campaign.id, &body_for(&template, TO))
        .await;
    assert_error(resp, StatusCode::CONFLICT, "campaign_inactive", None).await;
    assert!(app.campaign_messages(&staff, campaign.id).await.is_empty());

    let resp = app
        .patch_json(&path, &staff, &json!({"status": "active"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = app
        .send(&token, campaign.id, &body_for(&template, TO))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

struct Target<'a> {
    app: &'a TestApp,
    campaign: Uuid,
    token: String,
}

impl Target<'_> {
    async fn refused(&self, body: Value, status: StatusCode, code: &str, field: Option<&str>) {
        let resp = self.app.send(&self.token, self.campaign, &body).await;
        assert_error(resp, status, code, field).await;
    }
}

#[tokio::test]
async fn send_refusals_name_their_code_and_field() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let target = Target {
        app: &app,
        campaign: campaign.id,
        token: app.client_token().await,
    };
    let keys = positional_keys(&template);
    let key = keys[0].clone();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

    for bad in [
        "5511987654321",
        "+55 11 9876",
        "+55119876543210000",
        "abc",
        "",
    ] {
        target
            .refused(
                json!({"to": bad, "variables": valid_variables(&template)}),
                unprocessable,
                "invalid_phone_number",
                Some("to"),
            )
            .await;
    }

    let mut missing = valid_variables(&template);
    missing.remove(&key);
    target
        .refused(
            json!({"to": TO, "variables": missing}),
            unprocessable,
            "missing_variable",
            Some(&format!("variables.{key}")),
        )
        .await;

    let mut unknown = valid_variables(&template);
    unknown.insert("nao_existe".into(), json!("x"));
    target
        .refused(
            json!({"to": TO, "variables": unknown}),
            unprocessable,
            "unknown_variable",
            Some("variables.nao_existe"),
        )
        .await;

    let max = template.variables[0].max_length as usize;
    let mut long = valid_variables(&template);
    long.insert(key.clone(), json!("ã".repeat(max + 1)));
    target
        .refused(
            json!({"to": TO, "variables": long}),
            unprocessable,
            "variable_too_long",
            Some(&format!("variables.{key}")),
        )
        .await;

    let staff = app.staff_token().await;
    assert!(
        app.campaign_messages(&staff, campaign.id).await.is_empty(),
        "nothing half-written"
    );
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let url = app.url(&format!("/v1/campaigns/{}/messages", campaign.id));

    let resp = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"to": "+5511987654321", "variables": {"1": "Ana",}"#)
        .send()
        .await
        .unwrap();
    assert_error(resp, StatusCode::BAD_REQUEST, "malformed_json", None).await;

    // Valid JSON of the wrong shape.
    let resp = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"to": 5511987654321_u64, "variables": []}))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap();
    assert!(
        status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
        "{status}: {body}"
    );
    assert!(body["error"]["code"].is_string(), "{body}");

    let resp = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(body_for(&template, TO).to_string())
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    )
    .await;

    let resp = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .body(body_for(&template, TO).to_string())
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        None,
    )
    .await;

    // 8 MiB: far above any batch of 1,000 messages.
    let huge = json!({"to": TO, "variables": {"1": "x".repeat(8 * 1024 * 1024)}});
    let resp = app
        .client
        .post(&url)
        .bearer_auth(&token)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;

    let staff = app.staff_token().await;
    assert!(app.campaign_messages(&staff, campaign.id).await.is_empty());
}

#[tokio::test]
async fn a_wrong_or_expired_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let resp = app
        .send("not-a-token", campaign.id, &body_for(&template, TO))
        .await;
    assert_unauthorized_bearer(resp).await;

    let resp = app
        .client
        .post(app.url(&format!("/v1/campaigns/{}/messages", campaign.id)))
        .json(&body_for(&template, TO))
        .send()
        .await
        .unwrap();
    assert_unauthorized_bearer(resp).await;

    let token = app.client_token().await;
    expire_all_tokens(&app).await;
    let resp = app
        .send(&token, campaign.id, &body_for(&template, TO))
        .await;
    assert_unauthorized_bearer(resp).await;
}

#[tokio::test]
async fn a_token_of_another_workspace_sees_404_and_nothing_leaks() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let own = app.client_token().await;
    let resp = app.send(&own, campaign.id, &body_for(&template, TO)).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let accepted: SendAccepted = resp.json().await.unwrap();

    let workspace = cli_json(
        &app.cli(&["workspace", "create", "--name", "Outra empresa"], None)
            .await,
    );
    let workspace_id = workspace["id"].as_str().expect("id").to_string();
    let client = cli_json(
        &app.cli(
            &["api-client", "create", "--workspace", &workspace_id],
            None,
        )
        .await,
    );
    let other = app
        .oauth_token_for(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str().unwrap(),
        )
        .await;

    let resp = app
        .send(&other, campaign.id, &body_for(&template, TO))
        .await;
    let foreign = assert_error(resp, StatusCode::NOT_FOUND, "campaign_not_found", None).await;
    let resp = app
        .send(&other, Uuid::new_v4(), &body_for(&template, TO))
        .await;
    let unknown = assert_error(resp, StatusCode::NOT_FOUND, "campaign_not_found", None).await;
    assert_eq!(
        foreign.message.replace(&campaign.id.to_string(), ""),
        unknown
            .message
            .replace(&unknown_id_in(&unknown.message), ""),
        "same answer as for a campaign that does not exist"
    );

    let resp = app
        .get(&format!("/v1/messages/{}", accepted.id), &other)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let staff = app.staff_token().await;
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 1);
}

/// The UUID a message mentions, if any (messages may quote the id they did not find).
fn unknown_id_in(message: &str) -> String {
    message
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|w| Uuid::parse_str(w).is_ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_message_is_readable_with_a_staff_token_and_an_unknown_one_is_404() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let accepted: SendAccepted = app
        .send(&token, campaign.id, &body_for(&template, TO))
        .await
        .json()
        .await
        .unwrap();
    let staff = app.staff_token().await;
    let message: Message = app
        .get_ok(&format!("/v1/messages/{}", accepted.id), &staff)
        .await;
    assert_eq!(message.id, accepted.id);
    let resp = app
        .get(&format!("/v1/messages/{}", Uuid::new_v4()), &staff)
        .await;
    assert_error(resp, StatusCode::NOT_FOUND, "message_not_found", None).await;
}

#[tokio::test]
async fn campaign_messages_are_listed_newest_first_in_pages() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let accepted: SendAccepted = app
            .send(&token, campaign.id, &body_for(&template, TO))
            .await
            .json()
            .await
            .unwrap();
        ids.push(accepted.id);
    }
    let staff = app.staff_token().await;
    let path = format!("/v1/campaigns/{}/messages?limit=2", campaign.id);
    let page: MessagePage = app.get_ok(&path, &staff).await;
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].id, ids[4], "newest first");
    assert_eq!(page.items[1].id, ids[3]);
    let cursor = page.next_cursor.expect("more pages");
    let page2: MessagePage = app
        .get_ok(
            &format!("{path}&cursor={}", crate::helpers::encode(&cursor)),
            &staff,
        )
        .await;
    assert_eq!(page2.items[0].id, ids[2]);

    let all = app.campaign_messages(&staff, campaign.id).await;
    let listed: Vec<_> = all.iter().map(|m| m.id).collect();
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(listed, expected);
    // The listing is staff-only.
    let resp = app
        .get(&format!("/v1/campaigns/{}/messages", campaign.id), &token)
        .await;
    assert!(resp.status() == StatusCode::UNAUTHORIZED || resp.status() == StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_batch_item_that_is_not_a_message_object_refuses_the_whole_batch() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let resp = app
        .send(
            &token,
            campaign.id,
            &json!({"messages": [body_for(&template, TO), [null, null]]}),
        )
        .await;
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_body",
        Some("messages[1]"),
    )
    .await;
    let staff = app.staff_token().await;
    assert!(app.campaign_messages(&staff, campaign.id).await.is_empty());
}
