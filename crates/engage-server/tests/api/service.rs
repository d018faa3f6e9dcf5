//! `/healthz`, `/readyz`, `/metrics`, `/openapi.json`, and the error shape of unknown
//! routes.

use reqwest::StatusCode;
use serde_json::Value;

use engage_core::wire::MessageStatus;

use crate::helpers::{body_for, spawn_app};

#[tokio::test]
async fn healthz_is_200_without_a_token_and_names_the_server_version() {
    let app = spawn_app().await;
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
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

async fn openapi_document(app: &crate::helpers::TestApp) -> Value {
    app.client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn query_parameters_are_published_in_the_query_not_the_path() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    for (path, name) in [
        ("/v1/campaigns", "type"),
        ("/v1/campaigns", "q"),
        ("/v1/campaigns/name-availability", "name"),
        ("/v1/campaigns/{id}/messages", "limit"),
        ("/v1/campaigns/{id}/messages", "cursor"),
        ("/v1/senders", "status"),
        ("/v1/templates", "status"),
    ] {
        let parameters = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("GET {path} has parameters"));
        let parameter = parameters
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("GET {path} documents {name}"));
        assert_eq!(parameter["in"], "query", "GET {path} {name}: {parameter}");
    }
    let limit = doc["paths"]["/v1/campaigns/{id}/messages"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(
        limit["schema"]["maximum"], 100,
        "the page-size maximum: {limit}"
    );
    assert_eq!(limit["schema"]["minimum"], 1);
}

#[tokio::test]
async fn every_operation_documents_its_error_answers_with_the_error_schema() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let operation = |path: &str, method: &str| doc["paths"][path][method].clone();
    let statuses = |op: &Value| -> Vec<String> {
        op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    // Every operation that takes a JSON body: 400, 413, 415, 422; every one needing a token:
    // 401; every one on an {id}: 404.
    for (path, method) in [
        ("/v1/auth/login", "post"),
        ("/v1/campaigns", "post"),
        ("/v1/campaigns/{id}", "patch"),
        ("/v1/campaigns/{id}/messages", "post"),
    ] {
        let op = operation(path, method);
        for status in ["400", "413", "415", "422"] {
            assert!(
                statuses(&op).contains(&status.to_string()),
                "{method} {path} documents {status}: {:?}",
                statuses(&op)
            );
            let schema = &op["responses"][status]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(
                schema, "#/components/schemas/ApiErrorBody",
                "{method} {path} {status}"
            );
        }
    }
    for (path, method) in [
        ("/v1/me", "get"),
        ("/v1/senders", "get"),
        ("/v1/campaigns/{id}", "get"),
        ("/v1/campaigns/{id}/integration", "get"),
        ("/v1/messages/{id}", "get"),
    ] {
        let op = operation(path, method);
        assert!(statuses(&op).contains(&"401".into()), "{method} {path} 401");
    }
    for (path, method) in [
        ("/v1/campaigns/{id}", "get"),
        ("/v1/templates/{id}", "get"),
        ("/v1/messages/{id}", "get"),
    ] {
        assert!(
            statuses(&operation(path, method)).contains(&"404".into()),
            "{method} {path} 404"
        );
    }
    let login = operation("/v1/auth/login", "post");
    assert!(
        statuses(&login).contains(&"503".into()),
        "sign-in can be busy"
    );
    assert!(login["responses"]["503"]["headers"]["Retry-After"].is_object());
}

#[tokio::test]
async fn the_token_form_the_idempotency_key_and_field_constraints_are_in_the_schema() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let form = &doc["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
        ["application/x-www-form-urlencoded"]["schema"];
    assert_eq!(form["$ref"], "#/components/schemas/TokenRequest", "{form}");
    let token_request = &doc["components"]["schemas"]["TokenRequest"];
    assert!(token_request["properties"]["grant_type"].is_object());
    assert_eq!(token_request["required"], serde_json::json!(["grant_type"]));

    let send = &doc["paths"]["/v1/campaigns/{id}/messages"]["post"];
    let key = send["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("Idempotency-Key documented");
    assert_eq!(key["in"], "header");
    assert_eq!(key["schema"]["maxLength"], 255);

    let schemas = &doc["components"]["schemas"];
    let name = &schemas["CreateCampaignRequest"]["properties"]["name"];
    assert_eq!(name["minLength"], 1);
    assert_eq!(name["maxLength"], 120);
    assert!(name["pattern"].is_string());
    assert!(schemas["SendMessageRequest"]["properties"]["to"]["pattern"].is_string());
    assert_eq!(
        schemas["BatchSendRequest"]["properties"]["messages"]["maxItems"],
        1000
    );
    assert_eq!(schemas["UpdateCampaignRequest"]["minProperties"], 1);
}
