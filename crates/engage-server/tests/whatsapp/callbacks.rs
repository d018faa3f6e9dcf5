//! Status callbacks of whatsapp_cloud messages (issue 11): Meta's statuses (sent, then
//! delivered and read by webhook, or failed with Meta's code) reach the customer's endpoint
//! in order, even when the first event has to be retried.

use engage_core::wire::MessageStatus;
use reqwest::StatusCode;
use serde_json::json;

use crate::callback_receiver::Receiver;
use crate::harness::{status_notification, Options, Setup, DEADLINE};

async fn set_callback(app: &Setup, url: &str) {
    let response = app
        .http
        .put(app.url("/v1/callback"))
        .bearer_auth(&app.staff_token)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_later_status_is_never_sent_before_an_earlier_one_even_while_it_is_retried() {
    let app = Setup::new(Options::default()).await;
    let receiver = Receiver::start().await;
    // The endpoint refuses the first two attempts (the `sent` event).
    receiver.answer_with(&[500, 500]);
    set_callback(&app, &receiver.url).await;

    let id = app.send_ok("+5511987654321", "Ana").await;
    app.wait_status(id, MessageStatus::Sent).await;
    let (wamid, _, _) = app.stub.accepted()[0].clone();
    // Delivered and read arrive while `sent` is still being retried.
    app.webhook(&status_notification(&[
        (&wamid, "delivered", None),
        (&wamid, "read", None),
    ]))
    .await;
    app.wait_status(id, MessageStatus::Read).await;

    let received = receiver
        .wait_for("sent (3 times), delivered and read", DEADLINE, |r| {
            r.len() >= 5
        })
        .await;
    let statuses: Vec<String> = received
        .iter()
        .map(|r| r.json()["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["sent", "sent", "sent", "delivered", "read"]);
    assert!(received.iter().all(|r| r.json()["id"] == id.to_string()));
    app.shutdown().await;
}

#[tokio::test]
async fn a_failed_message_is_reported_with_metas_code_and_reason() {
    let app = Setup::new(Options::default()).await;
    let receiver = Receiver::start().await;
    set_callback(&app, &receiver.url).await;
    let id = app.send_ok("+5511987654321", "Bia").await;
    app.wait_status(id, MessageStatus::Sent).await;
    let (wamid, _, _) = app.stub.accepted()[0].clone();
    app.webhook(&status_notification(&[(
        &wamid,
        "failed",
        Some(json!([{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
            "error_data": {"details": "Message Undeliverable."}}])),
    )]))
    .await;
    let received = receiver
        .wait_for("sent and failed", DEADLINE, |r| r.len() >= 2)
        .await;
    let failed = received[1].json();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error"]["code"], "whatsapp_131026");
    assert!(failed["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Message undeliverable"));
    app.shutdown().await;
}
