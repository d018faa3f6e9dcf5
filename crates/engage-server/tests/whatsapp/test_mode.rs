//! Test mode (issue 11): a message sent with a campaign's test credentials is validated like
//! a live one and delivered by the sandbox, even though the campaign's sender is a
//! whatsapp_cloud number: the Graph API stand-in never hears of it.

use engage_core::wire::{CampaignIntegration, MessageStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{variables, Options, Setup};

async fn test_token(app: &Setup) -> String {
    let credentials: CampaignIntegration = app
        .http
        .get(app.url(&format!(
            "/v1/campaigns/{}/integration?mode=test",
            app.campaign_id
        )))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(credentials.client_id.starts_with("engage_test_"));
    let token: Value = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&credentials.client_id, Some(&credentials.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["access_token"].as_str().unwrap().to_owned()
}

async fn send_with(app: &Setup, token: &str, body: Value) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url(&format!("/v1/campaigns/{}/messages", app.campaign_id)))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_test_message_never_reaches_the_graph_api_even_with_a_whatsapp_cloud_sender() {
    let app = Setup::new(Options::default()).await;
    let token = test_token(&app).await;

    let (status, body) = send_with(
        &app,
        &token,
        json!({"to": "+5511987654321", "variables": variables("Ana")}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id: Uuid = body["id"].as_str().unwrap().parse().unwrap();
    let delivered = app.wait_status(id, MessageStatus::Delivered).await;
    assert!(delivered.test, "stored with the test flag");

    // Validated exactly like a live message.
    let (status, body) = send_with(
        &app,
        &token,
        json!({"to": "+5511987654321", "variables": {}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "missing_variable");

    // A live message of the same campaign does reach the stand-in: it was listening.
    let live = app.send_ok("+5511987654322", "Bia").await;
    let sent = app.wait_status(live, MessageStatus::Sent).await;
    assert!(!sent.test);
    let calls: Vec<String> = app
        .stub
        .message_bodies()
        .iter()
        .map(|body| body["to"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        calls,
        vec!["5511987654322".to_owned()],
        "only the live message went to Meta"
    );
    app.shutdown().await;
}
