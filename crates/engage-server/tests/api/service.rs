//! `/healthz`, `/openapi.json`, and the error shape of unknown routes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_is_200_without_a_token() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
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
