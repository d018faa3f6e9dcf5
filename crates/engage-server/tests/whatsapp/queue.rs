//! The queue side of whatsapp_cloud: pacing per sender and per recipient, and leases.

use std::time::Duration;

use engage_core::wire::MessageStatus;
use engage_server::store::Store;
use uuid::Uuid;

use crate::harness::{Options, Setup};

#[tokio::test]
async fn a_sender_never_exceeds_its_rate_in_any_second() {
    let app = Setup::new(Options {
        rate_per_second: Some(5),
        ..Options::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(app.send_ok(&format!("+55119876520{i:02}"), "Ana").await);
    }
    for id in &ids {
        app.wait_status(*id, MessageStatus::Sent).await;
    }
    let times: Vec<_> = app
        .stub
        .accepted()
        .into_iter()
        .map(|(_, _, at)| at)
        .collect();
    assert_eq!(times.len(), 12);
    for (i, start) in times.iter().enumerate() {
        let in_second = times[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(
            in_second <= 5,
            "{in_second} messages within a second of message {i}"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn messages_to_one_recipient_are_spaced_by_the_minimum_interval() {
    let app = Setup::new(Options {
        recipient_interval_ms: 400,
        ..Options::default()
    })
    .await;
    let mut ids = Vec::new();
    for name in ["Ana", "Bia", "Caio"] {
        ids.push(app.send_ok("+5511987653000", name).await);
    }
    for id in &ids {
        app.wait_status(*id, MessageStatus::Sent).await;
    }
    let times: Vec<_> = app
        .stub
        .accepted()
        .into_iter()
        .map(|(_, _, at)| at)
        .collect();
    assert_eq!(times.len(), 3, "each sent once");
    for pair in times.windows(2) {
        assert!(
            pair[1].duration_since(pair[0]) >= Duration::from_millis(400),
            "{:?} between two messages to the same recipient",
            pair[1].duration_since(pair[0])
        );
    }
    app.shutdown().await;
}

/// Inserts a queued message of the harness campaign as a killed worker would leave it:
/// claimed (one attempt counted) with its lease ending at `lease_until` (ms).
async fn leased_message(app: &Setup, store: &Store, to: &str, lease_until: i64) -> Uuid {
    let id = Uuid::now_v7();
    let now = engage_server::store::now_ms();
    sqlx::query(
        "INSERT INTO messages (id, workspace_id, campaign_id, sender_id, to_phone, variables, rendered, text,
                               status, attempts, next_attempt_at, lease_until, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'Pedido A-77', 'queued', 1, ?, ?, ?, ?)",
    )
    .bind(id.to_string())
    .bind(app.creds.workspace_id.to_string())
    .bind(app.campaign_id.to_string())
    .bind(app.sender_id.to_string())
    .bind(to)
    .bind(r#"{"header_1":"A-77","1":"Ana","button_0":"A77"}"#)
    .bind(r#"{"header":null,"body":"Olá Ana","footer":null,"buttons":[]}"#)
    .bind(now - 1)
    .bind(lease_until)
    .bind(now)
    .bind(now)
    .execute(store.sqlite_pool().expect("the WhatsApp tests run on SQLite"))
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn a_lease_left_by_a_killed_worker_is_reclaimed_and_sent_once() {
    let mut app = Setup::new(Options::default()).await;
    let store = Store::connect(&app.database_url).await.unwrap();
    let now = engage_server::store::now_ms();

    // Held by a live lease: the running worker leaves it alone.
    let held = leased_message(&app, &store, "+5511987654001", now + 600_000).await;
    // Its lease ran out: the running worker takes it over.
    let expired = leased_message(&app, &store, "+5511987654002", now - 1_000).await;
    app.wait_status(expired, MessageStatus::Sent).await;
    let later = app.send_ok("+5511987654003", "Ana").await;
    app.wait_status(later, MessageStatus::Sent).await;
    assert_eq!(
        app.message(held).await.status,
        MessageStatus::Queued,
        "never sent while its lease holds"
    );
    assert!(!app
        .stub
        .accepted()
        .iter()
        .any(|(_, to, _)| to == "5511987654001"));

    // The process that held it is gone: a restarted server releases the lease and sends it.
    app.restart().await;
    app.wait_status(held, MessageStatus::Sent).await;
    let accepted = app.stub.accepted();
    for to in ["5511987654001", "5511987654002", "5511987654003"] {
        assert_eq!(
            accepted.iter().filter(|(_, t, _)| t == to).count(),
            1,
            "{to} sent exactly once"
        );
    }
    store.close().await;
    app.shutdown().await;
}
