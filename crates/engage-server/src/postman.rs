//! The API description a technical team imports into its tools: the OpenAPI document as YAML
//! (beside `GET /openapi.json`) and a Postman collection (v2.1) generated from the same
//! document, with the campaign's token and send requests prefilled.

use engage_core::wire::CampaignIntegration;
use serde_json::{json, Value};

/// Postman's collection format 2.1.
pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// The OpenAPI document (as served at `/openapi.json`) in YAML.
pub fn openapi_yaml(document: &Value) -> String {
    // A JSON value always has a YAML form.
    serde_norway::to_string(document).unwrap_or_default()
}

/// A Postman collection: "1. Get a token" (Basic auth with `{{clientId}}` /
/// `{{clientSecret}}`; its test script stores `{{accessToken}}`), "2. Send" (the campaign's
/// example body), then every operation of `openapi` in a folder per tag.
pub fn collection(
    openapi: &Value,
    integration: &CampaignIntegration,
    base_url: &str,
    campaign_name: &str,
) -> Value {
    let base_url = base_url.trim_end_matches('/');
    let relative = |url: &str| {
        url.strip_prefix(base_url)
            .map(|path| format!("{{{{baseUrl}}}}{path}"))
            .unwrap_or_else(|| url.to_owned())
    };
    let body = serde_json::to_string_pretty(&integration.example_request).unwrap_or_default();
    let token = json!({
        "name": "1. Get a token",
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": [
            "pm.collectionVariables.set(\"accessToken\", pm.response.json().access_token);"
        ]}}],
        "request": {
            "method": "POST",
            "url": relative(&integration.token_url),
            "auth": {"type": "basic", "basic": [
                {"key": "username", "value": "{{clientId}}", "type": "string"},
                {"key": "password", "value": "{{clientSecret}}", "type": "string"}
            ]},
            "body": {"mode": "urlencoded", "urlencoded": [
                {"key": "grant_type", "value": "client_credentials"}
            ]}
        }
    });
    let send = json!({
        "name": format!("2. Send the message of {campaign_name}"),
        "request": {
            "method": "POST",
            "url": relative(&integration.send_url),
            "header": [{"key": "Content-Type", "value": "application/json"}],
            "body": {"mode": "raw", "raw": body, "options": {"raw": {"language": "json"}}}
        }
    });
    let mut items = vec![token, send];
    items.extend(operation_folders(openapi));
    json!({
        "info": {
            "name": format!("Engage — {campaign_name}"),
            "description": openapi.pointer("/info/description").cloned().unwrap_or(Value::Null),
            "schema": SCHEMA
        },
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{accessToken}}", "type": "string"}]},
        "variable": [
            {"key": "baseUrl", "value": base_url, "type": "string"},
            {"key": "clientId", "value": integration.client_id, "type": "string"},
            {"key": "clientSecret", "value": integration.client_secret, "type": "string",
             "description": "The API client's secret: keep this file private."},
            {"key": "accessToken", "value": "", "type": "string",
             "description": "Set by \"1. Get a token\"."}
        ],
        "item": items
    })
}

/// Every operation of the document as a request, grouped by its first tag.
fn operation_folders(openapi: &Value) -> Vec<Value> {
    let mut folders: Vec<(String, Vec<Value>)> = Vec::new();
    let Some(paths) = openapi.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, operation) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let tag = operation
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("api")
                .to_owned();
            let name = operation
                .get("summary")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            let request = json!({
                "name": name,
                "request": {
                    "method": method.to_uppercase(),
                    "url": format!("{{{{baseUrl}}}}{}", postman_path(path)),
                    "description": operation.get("description").cloned().unwrap_or(Value::Null)
                }
            });
            match folders.iter_mut().find(|(name, _)| *name == tag) {
                Some((_, requests)) => requests.push(request),
                None => folders.push((tag, vec![request])),
            }
        }
    }
    folders
        .into_iter()
        .map(|(name, item)| json!({"name": name, "item": item}))
        .collect()
}

/// `/v1/campaigns/{id}` → `/v1/campaigns/:id` (Postman's path variables).
fn postman_path(path: &str) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration() -> CampaignIntegration {
        CampaignIntegration {
            token_url: "http://127.0.0.1:8787/oauth/token".into(),
            send_url: "http://127.0.0.1:8787/v1/campaigns/c1/messages".into(),
            client_id: "cli_1".into(),
            client_secret: "sk_secret".into(),
            example_request: engage_core::wire::SendMessageRequest {
                to: "+5511987654321".into(),
                variables: [("1".to_owned(), "Ana \"A\"".to_owned())].into(),
            },
            mode: engage_core::wire::CredentialMode::Live,
            scope: engage_core::wire::CredentialScope::Campaign,
            last_used_at: None,
            previous_secret_expires_at: None,
        }
    }

    #[test]
    fn the_collection_prefills_the_campaigns_two_requests_and_keeps_the_secret_in_a_variable() {
        let openapi = crate::http::openapi_document().clone();
        let collection = collection(&openapi, &integration(), "http://127.0.0.1:8787/", "Boleto");
        assert_eq!(collection["info"]["schema"], SCHEMA);
        let token = &collection["item"][0]["request"];
        assert_eq!(token["url"], "{{baseUrl}}/oauth/token");
        assert_eq!(token["auth"]["basic"][1]["value"], "{{clientSecret}}");
        let send = &collection["item"][1]["request"];
        assert_eq!(send["url"], "{{baseUrl}}/v1/campaigns/c1/messages");
        let body: engage_core::wire::SendMessageRequest =
            serde_json::from_str(send["body"]["raw"].as_str().unwrap()).unwrap();
        assert_eq!(body, integration().example_request);
        let variables = collection["variable"].as_array().unwrap();
        assert!(variables
            .iter()
            .any(|v| v["key"] == "clientSecret" && v["value"] == "sk_secret"));
        assert!(variables
            .iter()
            .any(|v| v["key"] == "baseUrl" && v["value"] == "http://127.0.0.1:8787"));
        // The secret appears only in its variable.
        assert_eq!(collection.to_string().matches("sk_secret").count(), 1);
        // Every operation of the document is in a folder.
        let operations: usize = collection["item"].as_array().unwrap()[2..]
            .iter()
            .map(|folder| folder["item"].as_array().unwrap().len())
            .sum();
        let expected: usize = openapi["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|item| {
                item.as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| k.as_str() != "parameters")
                    .count()
            })
            .sum();
        assert_eq!(operations, expected);
        assert!(collection
            .to_string()
            .contains("{{baseUrl}}/v1/campaigns/:id/snippets"));
    }

    #[test]
    fn the_yaml_document_reads_back_as_the_json_one() {
        let openapi = crate::http::openapi_document().clone();
        let yaml = openapi_yaml(&openapi);
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, openapi);
    }
}
