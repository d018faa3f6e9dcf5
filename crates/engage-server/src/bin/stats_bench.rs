//! `engage-stats-bench`: how long the statistics routes take for a big campaign.
//!
//! Starts the server in-process on a fresh SQLite file in a temporary directory (or on a
//! fresh database of the PostgreSQL server of `--database-url postgres://…`), seeds the demo
//! workspace and one campaign, then adds to that campaign's counters the events of
//! `--messages` messages (1,000,000 by default) spread over the last `--days` days — each
//! accepted, sent, delivered (97%), read (60% of those) or failed (3%, among five of Meta's
//! codes) — through the same counter upserts the message writer uses. Then it asks, over
//! HTTP with a staff token, `--requests` times each: the campaign's 30 days by day in
//! `America/Sao_Paulo`, its last day by hour, and the workspace's `GET /v1/stats`, and
//! prints p50 / p99 / max latency. The target is p99 ≤ 50 ms.
//!
//! ```text
//! cargo run -p engage-server --bin engage-stats-bench
//! cargo run -p engage-server --bin engage-stats-bench -- --database-url postgres://engage:secret@127.0.0.1:5432/postgres
//! ```

mod bench_support;

use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::Parser;
use engage_core::wire::{CampaignStatsResponse, CampaignType, MessageStatus};
use engage_server::store::stats::StatsDelta;
use engage_server::store::{AuditContext, NewCampaign, Store};
use engage_server::{SecretKeySource, ServerConfig};
use hdrhistogram::Histogram;
use rand::{Rng as _, RngCore as _};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

#[derive(Debug, Parser)]
#[command(
    name = "engage-stats-bench",
    about = "Latency of the statistics routes for a campaign with many messages"
)]
struct Args {
    /// `postgres://user:password@host:port/db`: a fresh database on that server (dropped at
    /// the end). Default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Keep the benchmark's database.
    #[arg(long)]
    keep_database: bool,
    /// Messages whose events are counted.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// Days the messages are spread over, ending now.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// Requests per route measured (after 10 unmeasured ones).
    #[arg(long, default_value_t = 300)]
    requests: u32,
    /// The p99 target in milliseconds: the run fails (exit 1) above it.
    #[arg(long, default_value_t = 50)]
    target_ms: u64,
}

const FAILURE_CODES: [&str; 5] = [
    "whatsapp_131026",
    "whatsapp_131047",
    "whatsapp_131049",
    "whatsapp_130472",
    "whatsapp_131000",
];

type BenchResult<T> = Result<T, String>;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("engage-stats-bench: {error}");
            std::process::exit(2);
        }
    }
}

async fn run(args: &Args) -> BenchResult<bool> {
    let db =
        bench_support::BenchDatabase::prepare(args.database_url.as_deref(), args.keep_database)
            .await?;
    println!(
        "database ({}): {}",
        if db.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        db.description
    );
    let result = bench(args, &db.url).await;
    db.remove().await;
    result
}

async fn bench(args: &Args, database_url: &str) -> BenchResult<bool> {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    let server = engage_server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        ..ServerConfig::new(database_url.to_owned(), SecretKeySource::Env(key.clone()))
    })
    .await
    .map_err(|e| format!("server: {e}"))?;
    let demo = engage_server::demo::seed_demo(database_url, &SecretKeySource::Env(key))
        .await
        .map_err(|e| format!("demo: {e}"))?;
    let store = Store::connect(database_url)
        .await
        .map_err(|e| format!("store: {e}"))?;
    let workspace = demo.workspace_id;
    let sender = store
        .list_senders(workspace, false)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no sender")?;
    let template = store
        .list_templates(workspace, false)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or("no template")?;
    let campaign = store
        .create_campaign(
            NewCampaign {
                workspace_id: workspace,
                name: "Stats benchmark",
                name_key: "stats benchmark",
                campaign_type: CampaignType::Recurrent,
                sender_id: sender.id,
                template_id: template.id,
                frequency_cap: None,
            },
            &AuditContext::system(workspace, "engage-stats-bench"),
        )
        .await
        .map_err(|e| e.to_string())?;

    let started = Instant::now();
    seed(args, &store, &workspace.to_string(), &campaign.to_string()).await?;
    println!(
        "seeded the counters of {} messages over {} days in {:.1} s",
        args.messages,
        args.days,
        started.elapsed().as_secs_f64()
    );

    let http = reqwest::Client::new();
    let base = server.base_url();
    let login: serde_json::Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": demo.user.email, "password": demo.user.password}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let token = login["access_token"]
        .as_str()
        .ok_or("no access token")?
        .to_owned();
    let now = OffsetDateTime::now_utc();
    let format = |at: OffsetDateTime| at.format(&Rfc3339).unwrap_or_default().replace('+', "%2B");
    let month = format!(
        "{base}/v1/campaigns/{campaign}/stats?from={}&to={}&bucket=day&tz=America/Sao_Paulo",
        format(now - time::Duration::days(args.days)),
        format(now)
    );
    let day = format!(
        "{base}/v1/campaigns/{campaign}/stats?from={}&to={}&bucket=hour&tz=America/Sao_Paulo",
        format(now - time::Duration::days(1)),
        format(now)
    );
    let workspace_url = format!(
        "{base}/v1/stats?from={}&to={}&bucket=day&tz=America/Sao_Paulo",
        format(now - time::Duration::days(args.days)),
        format(now)
    );
    let check: CampaignStatsResponse = http
        .get(&month)
        .bearer_auth(&token)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "campaign totals over the period: {:?} (series of {} days, {} failure codes)",
        check.stats.totals,
        check.stats.series.len(),
        check.stats.failures.len()
    );
    let mut met = true;
    for (label, url) in [
        ("campaign, 30 days by day", &month),
        ("campaign, 1 day by hour", &day),
        ("workspace, 30 days by day", &workspace_url),
    ] {
        let histogram = measure(&http, url, &token, args.requests).await?;
        let p99 = Duration::from_micros(histogram.value_at_quantile(0.99));
        println!(
            "{label}: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            histogram.len(),
            histogram.value_at_quantile(0.5) as f64 / 1000.0,
            p99.as_secs_f64() * 1000.0,
            histogram.max() as f64 / 1000.0
        );
        met &= p99 <= Duration::from_millis(args.target_ms);
    }
    // Where the time goes: the two counter reads alone, straight on the store.
    let period = engage_core::stats::Period::new(
        now - time::Duration::days(args.days),
        now,
        engage_core::wire::StatsBucket::Day,
        "America/Sao_Paulo",
    )
    .map_err(|e| e.to_string())?;
    let bounds = period.bucket_bounds();
    let (first, end) = period.slot_range();
    let scope = engage_server::store::stats::StatsScope::Campaign(campaign);
    let mut buckets = Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    let mut failures = Histogram::<u64>::new(3).map_err(|e| e.to_string())?;
    for _ in 0..args.requests {
        let started = Instant::now();
        store
            .stat_buckets(scope, &bounds)
            .await
            .map_err(|e| e.to_string())?;
        let middle = Instant::now();
        store
            .failure_counts(scope, first, end)
            .await
            .map_err(|e| e.to_string())?;
        let micros = |d: Duration| u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        buckets
            .record(micros(middle - started))
            .map_err(|e| e.to_string())?;
        failures
            .record(micros(middle.elapsed()))
            .map_err(|e| e.to_string())?;
    }
    for (label, histogram) in [("counts by day", &buckets), ("failure codes", &failures)] {
        println!(
            "  of which the query of {label}: p50 {:.2} ms, p99 {:.2} ms",
            histogram.value_at_quantile(0.5) as f64 / 1000.0,
            histogram.value_at_quantile(0.99) as f64 / 1000.0
        );
    }
    println!(
        "target p99 ≤ {} ms: {}",
        args.target_ms,
        if met { "met" } else { "NOT met" }
    );
    store.close().await;
    server.shutdown().await;
    Ok(met)
}

/// Counts the events of `args.messages` messages, a day at a time.
async fn seed(args: &Args, store: &Store, workspace: &str, campaign: &str) -> BenchResult<()> {
    let mut rng = rand::thread_rng();
    let now = engage_server::store::now_ms();
    let day_ms = 24 * 60 * 60 * 1000;
    // A minute inside the period the routes are asked for (it ends a little later).
    let start = now - args.days * day_ms + 60_000;
    let days = u64::try_from(args.days.max(1)).unwrap_or(1);
    for day in 0..days {
        let mut delta = StatsDelta::default();
        let count = args.messages / days + u64::from(day < args.messages % days);
        let day_start = start + i64::try_from(day).unwrap_or(0) * day_ms;
        for _ in 0..count {
            let created = (day_start + rng.gen_range(0..day_ms)).min(now - 60_000);
            delta.event(workspace, campaign, MessageStatus::Queued, created);
            let sent = created + rng.gen_range(100..5_000);
            delta.event(workspace, campaign, MessageStatus::Sent, sent);
            if rng.gen_bool(0.03) {
                let code = FAILURE_CODES[rng.gen_range(0..FAILURE_CODES.len())];
                delta.failure(workspace, campaign, code, sent + rng.gen_range(0..10_000));
                continue;
            }
            let delivered = sent + rng.gen_range(500..30_000);
            delta.event(workspace, campaign, MessageStatus::Delivered, delivered);
            if rng.gen_bool(0.6) {
                let read = delivered + rng.gen_range(1_000..3_600_000);
                delta.event(workspace, campaign, MessageStatus::Read, read.min(now));
            }
        }
        store.add_stats(delta).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn measure(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    requests: u32,
) -> BenchResult<Histogram<u64>> {
    let mut histogram =
        Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).map_err(|e| e.to_string())?;
    for round in 0..requests + 10 {
        let started = Instant::now();
        let response = http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            return Err(format!(
                "{url}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        if round >= 10 {
            histogram
                .record(u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX))
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(histogram)
}
