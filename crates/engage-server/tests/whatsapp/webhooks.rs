//! `GET|POST /webhooks/whatsapp`: the handshake, the signature cases, template status.

use engage_core::wire::MessageStatus;
use engage_server::whatsapp::webhook::sign;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{
    status_notification, template_notification, variables, Options, Setup, APP_SECRET, VERIFY_TOKEN,
};

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_the_verify_token() {
    let app = Setup::new(Options::default()).await;
    let ok = app
        .http
        .get(app.url(&format!(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "1158201444");

    let wrong = app
        .http
        .get(
            app.url("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_verify_token");
    assert_eq!(body["error"]["field"], "hub.verify_token");
    app.shutdown().await;
}

/// A sent message and the notification that would mark it delivered.
async fn sent_message(app: &Setup, to: &str) -> (uuid::Uuid, Vec<u8>) {
    let id = app.send_ok(to, "Ana").await;
    app.wait_status(id, MessageStatus::Sent).await;
    let (wamid, _, _) = app.stub.accepted().last().unwrap().clone();
    let body = serde_json::to_vec(&status_notification(&[(&wamid, "delivered", None)])).unwrap();
    (id, body)
}

async fn assert_refused(app: &Setup, body: &[u8], signature: Option<String>, code: &str) {
    let response = app.webhook_raw(body, signature).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], code);
}

#[tokio::test]
async fn unsigned_wrongly_signed_or_altered_notifications_get_401_and_change_nothing() {
    let app = Setup::new(Options::default()).await;
    let (id, body) = sent_message(&app, "+5511987651001").await;
    let before = app.message(id).await;

    assert_refused(&app, &body, None, "signature_missing").await;
    assert_refused(
        &app,
        &body,
        Some(sign(b"another-secret", &body)),
        "invalid_signature",
    )
    .await;
    assert_refused(
        &app,
        &body,
        Some("sha256=nothex".into()),
        "invalid_signature",
    )
    .await;
    let mut altered = body.clone();
    let position = altered.iter().position(|b| *b == b'd').unwrap();
    altered[position] = b'D';
    assert_refused(
        &app,
        &altered,
        Some(sign(APP_SECRET.as_bytes(), &body)),
        "invalid_signature",
    )
    .await;

    let after = app.message(id).await;
    assert_eq!(after.status, MessageStatus::Sent);
    assert_eq!(after.updated_at, before.updated_at);

    // The same body, signed right, is applied.
    let response = app
        .webhook_raw(&body, Some(sign(APP_SECRET.as_bytes(), &body)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.wait_status(id, MessageStatus::Delivered).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_non_ascii_body_is_verified_over_its_raw_bytes() {
    let app = Setup::new(Options::default()).await;
    let (id, _) = sent_message(&app, "+5511987651002").await;
    let (wamid, _, _) = app.stub.accepted()[0].clone();
    let mut notification = status_notification(&[(&wamid, "delivered", None)]);
    notification["entry"][0]["changes"][0]["value"]["contacts"] =
        json!([{"profile": {"name": "João Ção 👋"}, "wa_id": "5511987651002"}]);
    let raw = serde_json::to_string(&notification).unwrap();
    assert!(raw.contains("João Ção 👋"), "sent as raw UTF-8");
    let bytes = raw.as_bytes();

    // Signed over the same text escaped differently: refused.
    let escaped = raw.replace("João Ção 👋", "Jo\\u00e3o \\u00c7\\u00e3o \\ud83d\\udc4b");
    assert_refused(
        &app,
        bytes,
        Some(sign(APP_SECRET.as_bytes(), escaped.as_bytes())),
        "invalid_signature",
    )
    .await;
    assert_eq!(app.message(id).await.status, MessageStatus::Sent);

    let response = app
        .webhook_raw(bytes, Some(sign(APP_SECRET.as_bytes(), bytes)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.wait_status(id, MessageStatus::Delivered).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_paused_template_refuses_sends_until_it_is_approved_again() {
    let app = Setup::new(Options::default()).await;
    let id = app.send_ok("+5511987651003", "Ana").await;
    app.wait_status(id, MessageStatus::Sent).await;

    let response = app.webhook(&template_notification("PAUSED")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, body) = app.send("+5511987651004", variables("Bia")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "template_not_approved");
    let template: Value = app
        .http
        .get(app.url(&format!("/v1/templates/{}", app.template_id)))
        .bearer_auth(&app.staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(template["status"], "PAUSED");

    app.webhook(&template_notification("DISABLED")).await;
    let (status, _) = app.send("+5511987651004", variables("Bia")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    app.webhook(&template_notification("APPROVED")).await;
    let again = app.send_ok("+5511987651004", "Bia").await;
    app.wait_status(again, MessageStatus::Sent).await;
    assert_eq!(
        app.stub.accepted().len(),
        2,
        "nothing was sent while paused"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn template_events_of_another_business_account_change_nothing() {
    let app = Setup::new(Options::default()).await;
    let mut foreign = template_notification("PAUSED");
    foreign["entry"][0]["id"] = json!("999999999");
    let response = app.webhook(&foreign).await;
    assert_eq!(response.status(), StatusCode::OK);
    let id = app.send_ok("+5511987651005", "Caio").await;
    app.wait_status(id, MessageStatus::Sent).await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_whatsapp_routes_are_in_the_openapi_document() {
    let app = Setup::new(Options::default()).await;
    let doc: Value = app
        .http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    assert!(paths["/webhooks/whatsapp"]["get"].is_object(), "{paths}");
    assert!(paths["/webhooks/whatsapp"]["post"].is_object());
    assert!(paths["/v1/whatsapp/senders"]["post"].is_object());
    assert!(paths["/v1/whatsapp/sync"]["post"].is_object());
    app.shutdown().await;
}

#[tokio::test]
async fn a_workspaces_own_secret_and_verify_token_are_accepted_beside_the_server_wide_ones() {
    let app = Setup::new(Options::default()).await;
    let response = app
        .http
        .put(app.url("/v1/whatsapp/settings"))
        .bearer_auth(&app.staff_token)
        .json(&json!({"app_secret": "workspace-secret-1", "verify_token": "workspace-token-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let refused = app
        .http
        .put(app.url("/v1/whatsapp/settings"))
        .bearer_auth(&app.staff_token)
        .json(&json!({"app_secret": " ", "verify_token": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["field"], "app_secret");

    let handshake = app
        .http
        .get(app.url(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=workspace-token-1&hub.challenge=77",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(handshake.status(), StatusCode::OK);
    assert_eq!(handshake.text().await.unwrap(), "77");

    let (id, body) = sent_message(&app, "+5511987651006").await;
    assert_refused(
        &app,
        &body,
        Some(sign(b"workspace-secret-2", &body)),
        "invalid_signature",
    )
    .await;
    let response = app
        .webhook_raw(&body, Some(sign(b"workspace-secret-1", &body)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    app.wait_status(id, MessageStatus::Delivered).await;
    app.shutdown().await;
}
