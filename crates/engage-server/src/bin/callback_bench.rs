//! Status callback throughput: outbox → a receiver on loopback.
//!
//! Puts `N` events in the outbox of one endpoint (a fresh SQLite file in a temp dir, or a
//! fresh database on the PostgreSQL server of `--database-url postgres://…`), points the
//! endpoint at an in-process HTTP receiver answering 204, and times the dispatcher
//! delivering them all: each event claimed (leased), signed with HMAC-SHA256, POSTed over
//! loopback keep-alive connections, and recorded delivered with its attempt.
//!
//! `engage-callback-bench [N] [--database-url postgres://…]` (N: 20000).

mod bench_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Router;
use clap::Parser;
use engage_core::callback::CallbackEvent;
use engage_server::callbacks::Dispatcher;
use engage_server::crypto::{random_token, SecretKey};
use engage_server::store::Store;
use engage_server::CallbackConfig;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "engage-callback-bench",
    about = "Status callback throughput to a local receiver"
)]
struct Args {
    /// Events to deliver.
    #[arg(default_value_t = 20_000)]
    count: usize,
    /// `postgres://user:password@host:port/db` (the user needs CREATEDB; a fresh database is
    /// created and dropped). Default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
}

async fn receive(State(count): State<Arc<AtomicU64>>) -> StatusCode {
    count.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let database = bench_support::BenchDatabase::prepare(args.database_url.as_deref(), false)
        .await
        .unwrap_or_else(|error| panic!("benchmark database: {error}"));
    let received = Arc::new(AtomicU64::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!(
        "http://{}/engage/status",
        listener.local_addr().expect("addr")
    );
    let app = Router::new().fallback(receive).with_state(received.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });

    let store = Store::connect(&database.url).await.expect("database");
    store.migrate().await.expect("migrations");
    let key = SecretKey::from_bytes([7; 32]);
    let workspace = store.create_workspace("Bench").await.expect("workspace");
    store
        .save_callback_endpoint(workspace, None, &url, &key.encrypt(&random_token()))
        .await
        .expect("endpoint");
    let endpoint = store
        .callback_endpoint(workspace, None)
        .await
        .expect("endpoint")
        .expect("saved");
    let seeding = Instant::now();
    for i in 0..args.count {
        let event = CallbackEvent {
            id: Uuid::now_v7().to_string(),
            campaign_id: Uuid::nil(),
            to: format!("+55119{:08}", 10_000_000 + i),
            status: "delivered".into(),
            at: time::OffsetDateTime::now_utc(),
            error: None,
        };
        store
            .enqueue_test_callback(endpoint.id, &event)
            .await
            .expect("queued");
    }
    eprintln!(
        "{} events queued in {:.1} s on {}",
        args.count,
        seeding.elapsed().as_secs_f64(),
        database.description
    );

    let dispatcher = Dispatcher::new(
        store.clone(),
        key,
        CallbackConfig {
            allow_private: true,
        },
        "bench".into(),
        60_000,
    );
    let started = Instant::now();
    while store.pending_callbacks().await.expect("count") > 0 {
        dispatcher.round().await.expect("round");
    }
    let seconds = started.elapsed().as_secs_f64();
    let delivered = received.load(Ordering::Relaxed);
    println!(
        "{}",
        serde_json::json!({
            "events": args.count,
            "received": delivered,
            "seconds": (seconds * 100.0).round() / 100.0,
            "per_second": (delivered as f64 / seconds).round(),
            "backend": if database.is_postgres() { "postgres" } else { "sqlite" },
            "database": database.description,
        })
    );
    store.close().await;
    database.remove().await;
}
