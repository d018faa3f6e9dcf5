//! Delivery throughput of the whatsapp_cloud provider: queue → Cloud API stand-in.
//!
//! Sets up a server (a fresh SQLite file in a temp dir, or a fresh database on the
//! PostgreSQL server of `--database-url postgres://…`) with a whatsapp_cloud sender whose
//! Graph API is a minimal in-process stand-in answering Meta's success body, stops it, puts
//! `N` queued messages in the queue, starts the server again — `--instances` of them on
//! PostgreSQL — and measures how long the workers take to deliver them all (every message
//! POSTed to the stand-in and recorded `sent`), with the CPU time of the process (servers
//! and stand-in together) over that time.
//!
//! `engage-delivery-bench [N] [--database-url postgres://…] [--instances 2]` (N: 20000).
//! Pacing is lifted (the number's rate set high), so this measures the pipeline, not Meta's
//! 80/s; on PostgreSQL the sender's rate is still booked in the database per message.

mod bench_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use clap::Parser;
use engage_core::wire::{CampaignType, MessageStatus};
use engage_server::store::writer::{MessageWriter, WriteRequest};
use engage_server::store::{now_ms, NewCampaign, NewMessage, NewTemplate, Store};
use engage_server::whatsapp::senders::{create_cloud_sender, CloudSenderInput};
use engage_server::{SecretKeySource, ServerConfig, WhatsAppConfig};
use serde_json::{json, Value};
use tokio::sync::Notify;
use uuid::Uuid;

async fn accept(State(count): State<Arc<AtomicU64>>, Json(body): Json<Value>) -> Json<Value> {
    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": to, "wa_id": to}],
        "messages": [{"id": format!("wamid.BENCH{n:012}")}]
    }))
}

/// User + system CPU seconds of this process so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

#[derive(Debug, Parser)]
#[command(
    name = "engage-delivery-bench",
    about = "Delivery throughput through a Graph API stand-in"
)]
struct Args {
    /// Queued messages to deliver.
    #[arg(default_value_t = 20_000)]
    count: usize,
    /// `postgres://user:password@host:port/db`: run on a fresh database created on that
    /// PostgreSQL server (the user needs CREATEDB; dropped at the end). Default: a fresh
    /// SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Servers delivering from the one queue (more than one needs PostgreSQL).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    instances: u16,
    /// Keep the benchmark's database instead of removing it at the end.
    #[arg(long)]
    keep_database: bool,
}

/// The server under test: Graph API at the stand-in, pacing lifted.
fn config(database_url: &str, key: &str, graph: &str) -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        whatsapp: WhatsAppConfig {
            graph_url: graph.to_owned(),
            rate_per_second: Some(1_000_000),
            recipient_interval: Some(Duration::ZERO),
            ..WhatsAppConfig::default()
        },
        ..ServerConfig::new(database_url, SecretKeySource::Env(key.to_owned()))
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let count = args.count;

    let accepted = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route("/v23.0/{id}/messages", post(accept))
        .with_state(accepted.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let graph = format!("http://{}/v23.0", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("stand-in") });

    let database =
        bench_support::BenchDatabase::prepare(args.database_url.as_deref(), args.keep_database)
            .await
            .unwrap_or_else(|error| panic!("benchmark database: {error}"));
    assert!(
        args.instances == 1 || database.is_postgres(),
        "--instances above 1 needs a PostgreSQL --database-url (one server per SQLite file)"
    );
    println!("on {}", database.description);
    let database_url = database.url.clone();
    let key_bytes: [u8; 32] = rand::random();
    let key_b64 = base64::engine::general_purpose::STANDARD.encode(key_bytes);
    let key = engage_server::crypto::SecretKey::from_bytes(key_bytes);

    // Set-up: demo workspace, a whatsapp_cloud sender, a template, a campaign.
    let server = engage_server::start(config(&database_url, &key_b64, &graph))
        .await
        .expect("server");
    let creds =
        engage_server::demo::seed_demo(&database_url, &SecretKeySource::Env(key_b64.clone()))
            .await
            .expect("demo");
    server.shutdown().await;
    let store = Store::connect(&database_url).await.expect("store");
    let workspace = creds.workspace_id;
    let sender_id = create_cloud_sender(
        &store,
        &key,
        CloudSenderInput {
            workspace_id: workspace,
            name: "Bench".into(),
            phone: "+5511955550000".into(),
            phone_number_id: "106540352242922".into(),
            waba_id: "102290129340398".into(),
            access_token: "EAAJB-bench".into(),
            // The default rate, lifted in `config` (a sender's own rate is at most 10,000/s).
            rate_per_second: None,
            inactive: false,
        },
    )
    .await
    .expect("sender");
    let template = engage_core::parse_meta_template(&json!({
        "name": "bench_update", "language": "pt_BR", "status": "APPROVED", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Olá {{1}}, pedido {{2}}.", "example": {"body_text": [["Ana", "A1"]]}}]
    }))
    .expect("template")
    .to_wire(Uuid::nil());
    let template_id = store
        .upsert_template(NewTemplate {
            workspace_id: workspace,
            name: &template.name,
            language: &template.language,
            category: template.category,
            status: template.status,
            components: &template.components,
            variables: &template.variables,
            meta_id: None,
            unsupported: None,
            last_change: None,
        })
        .await
        .expect("template stored");
    let campaign_id = store
        .create_campaign(
            NewCampaign {
                workspace_id: workspace,
                name: "Bench",
                name_key: "bench",
                campaign_type: CampaignType::Recurrent,
                sender_id,
                template_id,
                frequency_cap: None,
            },
            &engage_server::store::AuditContext::system(workspace, "test"),
        )
        .await
        .expect("campaign");

    // N queued messages, to distinct recipients, through the message writer.
    let (writer, writer_task) =
        MessageWriter::spawn(store.clone(), "bench-seed".into(), Arc::new(Notify::new()));
    let now = now_ms();
    let messages: Vec<NewMessage> = (0..count)
        .map(|i| NewMessage {
            id: Uuid::now_v7(),
            workspace_id: workspace,
            campaign_id,
            sender_id,
            to: format!("+55119{:08}", 10_000_000 + i),
            variables: format!(r#"{{"1":"Ana","2":"A{i}"}}"#),
            rendered: r#"{"header":null,"body":"Olá","footer":null,"buttons":[]}"#.into(),
            text: "Olá".into(),
            created_at: now,
            test: false,
            test_send: false,
        })
        .collect();
    for chunk in messages.chunks(1_000) {
        writer
            .write(WriteRequest {
                messages: chunk.to_vec(),
                idempotency: None,
                cap: None,
            })
            .await
            .expect("messages");
    }
    drop(writer);
    writer_task.await.expect("writer");

    // Deliver them.
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut servers = Vec::new();
    for _ in 0..args.instances {
        servers.push(
            engage_server::start(config(&database_url, &key_b64, &graph))
                .await
                .expect("server"),
        );
    }
    // Until the stand-in has seen every message, watch its counter (counting the messages
    // table by status every few milliseconds would be a load of its own on the database);
    // then until every message is recorded `sent`.
    while (accepted.load(Ordering::Relaxed) as usize) < count {
        assert!(started.elapsed() < Duration::from_secs(600), "too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    loop {
        let counts = store.message_counts().await.expect("count");
        let of = |wanted: MessageStatus| {
            counts
                .iter()
                .find(|(status, _)| *status == wanted)
                .map_or(0, |(_, n)| *n)
        };
        if of(MessageStatus::Sent) as usize >= count {
            break;
        }
        assert_eq!(of(MessageStatus::Failed), 0, "a bench message failed");
        assert!(started.elapsed() < Duration::from_secs(600), "too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_before;
    for server in servers {
        server.shutdown().await;
    }
    store.close().await;
    database.remove().await;

    println!(
        "{}",
        json!({
            "instances": args.instances,
            "messages": count,
            "posted_to_stand_in": accepted.load(Ordering::Relaxed),
            "seconds": (elapsed * 1000.0).round() / 1000.0,
            "messages_per_second": (count as f64 / elapsed).round(),
            "cpu_seconds": (cpu * 100.0).round() / 100.0,
            "cpu_percent_of_one_core": (cpu / elapsed * 100.0).round(),
        })
    );
}
