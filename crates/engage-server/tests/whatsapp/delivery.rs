//! A message accepted by the send endpoint reaches the stand-in in Meta's format; statuses
//! come back by webhook; failures end visibly with their reason.

use engage_core::wire::MessageStatus;
use reqwest::StatusCode;
use serde_json::json;

use crate::graph_stub::Failure;
use crate::harness::{
    status_notification, variables, Options, Setup, ACCESS_TOKEN, PHONE_NUMBER_ID,
};

#[tokio::test]
async fn an_accepted_message_arrives_in_metas_format_and_webhooks_move_it_to_read() {
    let app = Setup::new(Options::default()).await;

    let id = app.send_ok("+55 11 98765-4321", "Ana").await;
    let sent = app.wait_status(id, MessageStatus::Sent).await;
    assert!(sent.sent_at.is_some());

    let received = app.stub.received();
    assert_eq!(received.len(), 1, "exactly one call");
    assert_eq!(received[0].path, format!("{PHONE_NUMBER_ID}/messages"));
    assert_eq!(
        received[0].authorization.as_deref(),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(
        received[0].body.as_ref().unwrap(),
        &json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "5511987654321",
            "type": "template",
            "template": {
                "name": "order_update",
                "language": {"code": "pt_BR"},
                "components": [
                    {"type": "header", "parameters": [{"type": "text", "text": "A-77"}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A77"}]}
                ]
            }
        })
    );

    let (wamid, _, _) = app.stub.accepted()[0].clone();
    let response = app
        .webhook(&status_notification(&[(&wamid, "delivered", None)]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let delivered = app.wait_status(id, MessageStatus::Delivered).await;
    assert!(delivered.delivered_at.is_some());

    app.webhook(&status_notification(&[(&wamid, "read", None)]))
        .await;
    let read = app.wait_status(id, MessageStatus::Read).await;
    assert!(read.read_at.is_some());
    app.shutdown().await;
}

#[tokio::test]
async fn late_and_repeated_statuses_never_move_a_message_backwards() {
    let app = Setup::new(Options::default()).await;
    let id = app.send_ok("+5511987650001", "Bia").await;
    app.wait_status(id, MessageStatus::Sent).await;
    let (wamid, _, _) = app.stub.accepted()[0].clone();

    // read arrives first, then the late delivered and sent, then read again.
    let response = app
        .webhook(&status_notification(&[(&wamid, "read", None)]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: serde_json::Value = response.json().await.unwrap();
    assert_eq!(outcome["applied"], 1);
    let read = app.wait_status(id, MessageStatus::Read).await;

    let response = app
        .webhook(&status_notification(&[
            (&wamid, "delivered", None),
            (&wamid, "sent", None),
            (&wamid, "read", None),
        ]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: serde_json::Value = response.json().await.unwrap();
    assert_eq!(outcome["applied"], 0);
    assert_eq!(outcome["ignored"], 3);
    let after = app.message(id).await;
    assert_eq!(after.status, MessageStatus::Read);
    assert_eq!(after.read_at, read.read_at, "nothing rewritten");
    assert_eq!(after.updated_at, read.updated_at);
    app.shutdown().await;
}

#[tokio::test]
async fn a_failed_status_stores_metas_code_and_reason() {
    let app = Setup::new(Options::default()).await;
    let id = app.send_ok("+5511987650002", "Caio").await;
    app.wait_status(id, MessageStatus::Sent).await;
    let (wamid, _, _) = app.stub.accepted()[0].clone();

    app.webhook(&status_notification(&[(
        &wamid,
        "failed",
        Some(json!([{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                     "error_data": {"details": "Message Undeliverable."}}])),
    )]))
    .await;
    let failed = app.wait_status(id, MessageStatus::Failed).await;
    let error = failed.error.expect("reason stored");
    assert_eq!(error.code, "whatsapp_131026");
    assert_eq!(
        error.message,
        "(131026) Message undeliverable: Message Undeliverable."
    );
    app.shutdown().await;
}

#[tokio::test]
async fn unknown_message_ids_are_acknowledged_and_ignored() {
    let app = Setup::new(Options::default()).await;
    let response = app
        .webhook(&status_notification(&[(
            "wamid.NOT_OURS",
            "delivered",
            None,
        )]))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let outcome: serde_json::Value = response.json().await.unwrap();
    assert_eq!(outcome["ignored"], 1);
    app.shutdown().await;
}

#[tokio::test]
async fn a_permanent_error_fails_the_message_at_once_with_metas_code_and_message() {
    let app = Setup::new(Options::default()).await;
    app.stub.fail_next(
        1,
        Failure::meta(400, 132000, "(#132000) Number of parameters does not match the expected number of params")
            .with_details("body: number of localizable_params (1) does not match the expected number of params (2)"),
    );

    let id = app.send_ok("+5511987650003", "Davi").await;
    let failed = app.wait_status(id, MessageStatus::Failed).await;

    let error = failed.error.expect("reason stored");
    assert_eq!(error.code, "whatsapp_132000");
    assert!(
        error
            .message
            .contains("Number of parameters does not match"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("localizable_params (1)"),
        "{}",
        error.message
    );
    assert_eq!(
        app.stub.received().len(),
        1,
        "a permanent error is not retried"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn transient_errors_are_retried_until_meta_accepts() {
    let app = Setup::new(Options::default()).await;
    app.stub.fail_next(1, Failure::throughput());
    app.stub.fail_next(
        1,
        Failure::meta(503, 131016, "(#131016) Service unavailable"),
    );
    app.stub
        .fail_next(1, Failure::raw(502, "<html>Bad Gateway</html>"));

    let id = app.send_ok("+5511987650004", "Eva").await;
    let sent = app.wait_status(id, MessageStatus::Sent).await;

    assert!(
        sent.error.is_none(),
        "the transient reason is cleared: {:?}",
        sent.error
    );
    assert_eq!(app.stub.received().len(), 4, "three failures, then success");
    assert_eq!(app.stub.accepted().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn retry_after_is_honoured_before_the_next_attempt() {
    let app = Setup::new(Options::default()).await;
    app.stub.fail_next(
        1,
        Failure::meta(
            400,
            131056,
            "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        )
        .with_retry_after(1),
    );

    let id = app.send_ok("+5511987650005", "Fábio").await;
    // While waiting, the reason is visible on the queued message.
    let waiting = app
        .wait_for(id, "waiting with a reason", |m| {
            m.status == MessageStatus::Queued && m.error.is_some()
        })
        .await;
    assert_eq!(waiting.error.unwrap().code, "whatsapp_131056");
    app.wait_status(id, MessageStatus::Sent).await;

    let received = app.stub.received();
    assert_eq!(received.len(), 2);
    let first = app.stub.received_at()[0];
    let second = app.stub.received_at()[1];
    assert!(
        second.duration_since(first) >= std::time::Duration::from_secs(1),
        "retried {:?} after a Retry-After of 1 s",
        second.duration_since(first)
    );
    app.shutdown().await;
}

#[tokio::test]
async fn an_invalid_token_fails_the_message_with_code_190() {
    let app = Setup::new(Options::default()).await;
    app.stub.require_token("EAA-rotated-token");
    let id = app.send_ok("+5511987650006", "Gil").await;
    let failed = app.wait_status(id, MessageStatus::Failed).await;
    assert_eq!(failed.error.unwrap().code, "whatsapp_190");
    app.shutdown().await;
}

#[tokio::test]
async fn a_variable_mismatch_is_refused_at_the_api_and_never_sent() {
    let app = Setup::new(Options::default()).await;
    let mut vars = variables("Ana");
    vars.as_object_mut().unwrap().remove("button_0");
    let (status, body) = app.send("+5511987650007", vars).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("button_0"), "{body}");
    let (status, body) = app
        .send(
            "+5511987650007",
            json!({"header_1": "A", "1": "Ana", "button_0": "x", "extra": "y"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.to_string().contains("extra"), "{body}");
    assert!(app.stub.received().is_empty(), "nothing reached Meta");
    app.shutdown().await;
}
