//! `POST /oauth/token`: OAuth2 client credentials (RFC 6749 §4.4), errors per §5.2.

use engage_core::wire::ClientTokenResponse;
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::{contains, database_bytes, spawn_app};

async fn assert_token_ok(resp: Response) -> ClientTokenResponse {
    assert_eq!(resp.status(), StatusCode::OK);
    let cache = resp
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(cache.as_deref(), Some("no-store"), "RFC 6749 §5.1");
    let body: ClientTokenResponse = resp.json().await.unwrap();
    assert!(body.token_type.eq_ignore_ascii_case("bearer"));
    assert!(body.expires_in > 0);
    assert!(!body.access_token.is_empty());
    body
}

/// RFC 6749 §5.2: `{"error": "<code>"}`, not the API's `{"error": {...}}` shape.
async fn assert_oauth_error(resp: Response, status: StatusCode, error: &str) {
    assert_eq!(resp.status(), status);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"], Value::String(error.into()), "body: {body}");
}

#[tokio::test]
async fn client_credentials_via_http_basic_issue_a_bearer_token() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(
            app.creds.api_client.client_id.to_string(),
            Some(app.creds.api_client.client_secret.to_string()),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let token = assert_token_ok(resp).await;
    // The token opens the send side: an unknown campaign is a 404, not a 401.
    let resp = app
        .send(
            &token.access_token,
            uuid::Uuid::new_v4(),
            &serde_json::json!({"to": "+5511987654321", "variables": {}}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn client_credentials_via_form_fields_issue_a_bearer_token() {
    let app = spawn_app().await;
    let id = app.creds.api_client.client_id.to_string();
    let secret = app.creds.api_client.client_secret.to_string();
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_token_ok(resp).await;
}

#[tokio::test]
async fn a_wrong_client_secret_is_401_invalid_client() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(
            app.creds.api_client.client_id.to_string(),
            Some("wrong-secret"),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert!(
        resp.headers()
            .contains_key(reqwest::header::WWW_AUTHENTICATE),
        "RFC 6749 §5.2: Basic auth failures carry WWW-Authenticate"
    );
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let id = app.creds.api_client.client_id.to_string();
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", "wrong-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn an_unknown_or_missing_client_is_401_invalid_client() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth("no-such-client", Some("whatever"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn a_missing_grant_type_is_400_invalid_request() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(
            app.creds.api_client.client_id.to_string(),
            Some(app.creds.api_client.client_secret.to_string()),
        )
        .form(&[("scope", "messages:send")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn an_unsupported_grant_type_is_400_unsupported_grant_type() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(
            app.creds.api_client.client_id.to_string(),
            Some(app.creds.api_client.client_secret.to_string()),
        )
        .form(&[
            ("grant_type", "password"),
            ("username", "a"),
            ("password", "b"),
        ])
        .send()
        .await
        .unwrap();
    assert_oauth_error(resp, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
}

#[tokio::test]
async fn the_client_secret_is_not_stored_in_plaintext() {
    let app = spawn_app().await;
    // The secret is usable (so it is stored somehow) ...
    app.client_token().await;
    // ... but its bytes are nowhere in the database files.
    let bytes = database_bytes(&app);
    let secret = app.creds.api_client.client_secret.to_string();
    assert!(secret.len() >= 16, "a secret worth the name: {secret:?}");
    assert!(
        !contains(&bytes, secret.as_bytes()),
        "the client secret occurs in plaintext in the SQLite file"
    );
}
