//! `Idempotency-Key` on the send endpoint.

use std::sync::Arc;

use engage_core::wire::{BatchSendResponse, SendAccepted};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, body_for, spawn_app, TestApp};

const TO: &str = "+5511987654321";

async fn send_with_key(
    app: &TestApp,
    token: &str,
    campaign: uuid::Uuid,
    key: &str,
    body: &Value,
) -> (StatusCode, String) {
    let resp = app
        .client
        .post(app.url(&format!("/v1/campaigns/{campaign}/messages")))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_response_and_creates_nothing_new() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = body_for(&template, TO);
    let (s1, b1) = send_with_key(&app, &token, campaign.id, "order-42-reminder", &body).await;
    assert_eq!(s1, StatusCode::ACCEPTED, "{b1}");
    let first: SendAccepted = serde_json::from_str(&b1).unwrap();
    let (s2, b2) = send_with_key(&app, &token, campaign.id, "order-42-reminder", &body).await;
    assert_eq!(s2, StatusCode::ACCEPTED);
    let second: SendAccepted = serde_json::from_str(&b2).unwrap();
    assert_eq!(second, first, "the first response, replayed");

    // A fresh token of the same client replays too: keys belong to the workspace, not the token.
    let token2 = app.client_token().await;
    let (s3, b3) = send_with_key(&app, &token2, campaign.id, "order-42-reminder", &body).await;
    assert_eq!(s3, StatusCode::ACCEPTED);
    assert_eq!(serde_json::from_str::<SendAccepted>(&b3).unwrap(), first);

    let staff = app.staff_token().await;
    let stored = app.campaign_messages(&staff, campaign.id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, first.id);

    // Another key is another message.
    let (s4, b4) = send_with_key(&app, &token, campaign.id, "order-43-reminder", &body).await;
    assert_eq!(s4, StatusCode::ACCEPTED);
    assert_ne!(
        serde_json::from_str::<SendAccepted>(&b4).unwrap().id,
        first.id
    );
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 2);
}

#[tokio::test]
async fn a_batch_is_replayed_whole() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = json!({"messages": [body_for(&template, TO), {"to": "bad", "variables": {}}]});
    let (s1, b1) = send_with_key(&app, &token, campaign.id, "batch-1", &body).await;
    let (s2, b2) = send_with_key(&app, &token, campaign.id, "batch-1", &body).await;
    assert_eq!(s1, StatusCode::ACCEPTED);
    assert_eq!(s2, s1);
    let r1: BatchSendResponse = serde_json::from_str(&b1).unwrap();
    let r2: BatchSendResponse = serde_json::from_str(&b2).unwrap();
    assert_eq!(r1, r2);
    let staff = app.staff_token().await;
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 1);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_refused() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let (s1, _) = send_with_key(&app, &token, campaign.id, "k-1", &body_for(&template, TO)).await;
    assert_eq!(s1, StatusCode::ACCEPTED);
    let resp = app
        .client
        .post(app.url(&format!("/v1/campaigns/{}/messages", campaign.id)))
        .bearer_auth(&token)
        .header("Idempotency-Key", "k-1")
        .json(&body_for(&template, "+5521998765432"))
        .send()
        .await
        .unwrap();
    assert_error(
        resp,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        Some("Idempotency-Key"),
    )
    .await;
    let staff = app.staff_token().await;
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 1);
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_refused() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let (status, body) = send_with_key(
        &app,
        &token,
        campaign.id,
        &"k".repeat(300),
        &body_for(&template, TO),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"]["code"], "invalid_idempotency_key", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_duplicates_create_one_message_and_all_get_its_response() {
    let app = Arc::new(spawn_app().await);
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = body_for(&template, TO);
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = Arc::clone(&app);
        let token = token.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            send_with_key(&app, &token, campaign.id, "concurrent-key", &body).await
        }));
    }
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let (status, text) = task.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{text}");
        let accepted: SendAccepted = serde_json::from_str(&text).unwrap();
        ids.insert(accepted.id);
    }
    assert_eq!(ids.len(), 1, "every duplicate got the same message id");
    let staff = app.staff_token().await;
    let stored = app.campaign_messages(&staff, campaign.id).await;
    assert_eq!(stored.len(), 1);
    assert!(ids.contains(&stored[0].id));
}

#[tokio::test]
async fn a_key_used_almost_24_hours_ago_still_replays() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let body = body_for(&template, TO);
    let (s1, b1) = send_with_key(&app, &token, campaign.id, "yesterday", &body).await;
    assert_eq!(s1, StatusCode::ACCEPTED);
    // Age the stored key by 23 h 50 min (times are Unix milliseconds).
    let aged = crate::helpers::execute_sql(
        &app.database_url,
        &format!(
            "UPDATE idempotency_keys SET created_at = created_at - {}",
            (23 * 60 + 50) * 60 * 1000_i64
        ),
    )
    .await;
    assert_eq!(aged, 1);

    let (s2, b2) = send_with_key(&app, &token, campaign.id, "yesterday", &body).await;
    assert_eq!(s2, StatusCode::ACCEPTED);
    assert_eq!(
        serde_json::from_str::<SendAccepted>(&b2).unwrap(),
        serde_json::from_str::<SendAccepted>(&b1).unwrap()
    );
    let staff = app.staff_token().await;
    assert_eq!(app.campaign_messages(&staff, campaign.id).await.len(), 1);
}
