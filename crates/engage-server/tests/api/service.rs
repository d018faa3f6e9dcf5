//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, and the error shape of unknown
//! routes.

use reqwest::StatusCode;
use serde_json::Value;

use engage_core::wire::MessageStatus;

use crate::helpers::{body_for, spawn_app};

#[tokio::test]
async fn healthz_is_200_without_a_token() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn readyz_says_ready_with_the_schema_version_of_the_database_and_the_binary() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let binary = body["binary_schema_version"]
        .as_i64()
        .expect("binary version");
    assert!(binary >= 4, "{body}");
    assert_eq!(body["schema_version"].as_i64(), Some(binary));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_deliveries_and_the_queue() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let resp = app
        .send(&token, campaign.id, &body_for(&template, "+5511987654321"))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let staff = app.staff_token().await;
    let sent = app.campaign_messages(&staff, campaign.id).await;
    app.wait_for_message(&staff, sent[0].id, |status| {
        status == MessageStatus::Delivered
    })
    .await;

    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    let has = |needle: &str| text.lines().any(|line| line.contains(needle));
    assert!(
        has(
            r#"engage_http_requests_total{method="POST",route="/v1/campaigns/{id}/messages",status="202"}"#
        ),
        "{text}"
    );
    assert!(has("engage_http_request_duration_seconds_bucket"), "{text}");
    assert!(
        has(r#"engage_deliveries_total{provider="sandbox",outcome="accepted"}"#),
        "{text}"
    );
    assert!(
        has(r#"engage_queue_messages{status="delivered"}"#),
        "{text}"
    );
}

#[tokio::test]
async fn openapi_lists_every_route_with_its_methods_and_schemas() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: Value = resp.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with('3'),
        "OpenAPI 3"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let expected: &[(&str, &[&str])] = &[
        ("/v1/auth/login", &["post"]),
        ("/v1/auth/refresh", &["post"]),
        ("/v1/auth/logout", &["post"]),
        ("/v1/me", &["get"]),
        ("/v1/senders", &["get"]),
        ("/v1/templates", &["get"]),
        ("/v1/templates/{id}", &["get"]),
        ("/v1/campaigns", &["get", "post"]),
        ("/v1/campaigns/name-availability", &["get"]),
        ("/v1/campaigns/{id}", &["get", "patch"]),
        ("/v1/campaigns/{id}/integration", &["get"]),
        ("/v1/campaigns/{id}/messages", &["get", "post"]),
        ("/v1/messages/{id}", &["get"]),
        ("/oauth/token", &["post"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ];
    for (path, methods) in expected {
        let item = paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} missing from /openapi.json"));
        for method in *methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for schema in [
        "ApiErrorBody",
        "Campaign",
        "CreateCampaignRequest",
        "SendMessageRequest",
        "BatchSendRequest",
        "SendAccepted",
        "BatchSendResponse",
        "Message",
        "Template",
        "Sender",
        "ClientTokenResponse",
        "StaffTokenResponse",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema} missing");
    }
}

#[tokio::test]
async fn unknown_routes_answer_with_the_json_error_shape() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/v1/nope")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert!(body["error"]["code"].is_string(), "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn a_library_shutdown_keeps_accepted_messages_for_the_next_start() {
    let app = spawn_app().await;
    let (campaign, template) = app.new_campaign().await;
    let token = app.client_token().await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        let resp = app
            .send(
                &token,
                campaign.id,
                &crate::helpers::body_for(&template, "+5511987654321"),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let accepted: engage_core::wire::SendAccepted = resp.json().await.unwrap();
        ids.push(accepted.id);
    }
    let app = app.restart().await;
    for id in ids {
        app.wait_for_message(&token, id, |s| {
            s == engage_core::wire::MessageStatus::Delivered
        })
        .await;
    }
}
