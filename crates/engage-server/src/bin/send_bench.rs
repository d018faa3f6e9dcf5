//! `engage-send-bench`: load benchmark of `POST /v1/campaigns/{id}/messages` over loopback.
//!
//! Starts the server in-process — `--instances N` servers on one database, PostgreSQL only
//! for N > 1 — on a fresh SQLite file in a temporary directory, or on a fresh database of
//! the PostgreSQL server of `--database-url postgres://…` (or uses a running server:
//! `--url`), seeds the demo workspace, creates a campaign, gets a client-credentials token,
//! then drives the send endpoint with concurrent keep-alive connections, spread evenly over
//! the instances, for a fixed time: (a) single sends, (b) batches of 100. Prints accepted
//! messages/s and p50/p99 latency.
//!
//! ```text
//! cargo run --release -p engage-server --bin engage-send-bench -- --duration 10 --connections 24
//! cargo run --release -p engage-server --bin engage-send-bench -- \
//!     --database-url postgres://engage:secret@127.0.0.1:5432/postgres --instances 2
//! ```

mod bench_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::Parser;
use engage_core::wire::{
    BatchSendResponse, Campaign, CampaignIntegration, ClientTokenResponse, SendMessageRequest,
    Sender, StaffTokenResponse, Template,
};
use engage_server::{SecretKeySource, ServerConfig};
use hdrhistogram::Histogram;
use rand::RngCore as _;
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "engage-send-bench",
    about = "Load benchmark of the send endpoint"
)]
struct Args {
    /// Benchmark a running server instead of starting one in-process (its demo user must exist).
    #[arg(long, conflicts_with_all = ["database_url", "instances"])]
    url: Option<String>,
    /// `postgres://user:password@host:port/db`: run on a fresh database created on that
    /// PostgreSQL server (the user needs CREATEDB; dropped at the end). Default: a fresh
    /// SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// In-process servers on the one database (more than one needs PostgreSQL); the
    /// connections are spread evenly over them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    instances: u16,
    /// Keep the benchmark's database instead of removing it at the end.
    #[arg(long)]
    keep_database: bool,
    /// Staff user that creates the benchmark campaign.
    #[arg(long, default_value = "demo@engage.local")]
    email: String,
    #[arg(long, default_value = "engage-sandbox")]
    password: String,
    /// The in-process servers' per-client send rate (`ENGAGE_SEND_RATE_PER_SECOND`): high by
    /// default so the benchmark measures the pipeline (the bucket is still checked on every
    /// request); set it low to see 429s.
    #[arg(long, default_value_t = 1_000_000)]
    send_rate: u32,
    /// Concurrent keep-alive connections for single sends.
    #[arg(long, default_value_t = 24)]
    connections: usize,
    /// Concurrent keep-alive connections for batches.
    #[arg(long, default_value_t = 8)]
    batch_connections: usize,
    /// Messages per batch request.
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of unmeasured warm-up before each phase.
    #[arg(long, default_value_t = 1)]
    warmup: u64,
    /// The phases to run, in order.
    #[arg(long, value_delimiter = ',', default_value = "single,batch")]
    phases: Vec<Phase>,
    /// Start the in-process servers with the integration log off, to measure what keeping
    /// it costs the send path (compare with a run without this flag).
    #[arg(long, conflicts_with = "url")]
    without_integration_log: bool,
}

/// Everything a load generator needs, fetched over HTTP like the technical team would.
struct Target {
    /// The send URL on each instance; connection `k` uses `send_urls[k % len]`.
    send_urls: Vec<String>,
    token: String,
    request: SendMessageRequest,
}

#[derive(Debug)]
enum BenchError {
    Http(reqwest::Error),
    Status {
        what: &'static str,
        status: u16,
        body: String,
    },
    Setup(String),
}

impl std::fmt::Display for BenchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BenchError::Http(e) => write!(f, "HTTP error: {e}"),
            BenchError::Status { what, status, body } => write!(f, "{what}: HTTP {status}: {body}"),
            BenchError::Setup(what) => f.write_str(what),
        }
    }
}

impl From<reqwest::Error> for BenchError {
    fn from(e: reqwest::Error) -> Self {
        BenchError::Http(e)
    }
}

async fn expect_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    resp: reqwest::Response,
) -> Result<T, BenchError> {
    let status = resp.status();
    if !status.is_success() {
        let body = resp.text().await.unwrap_or_default();
        return Err(BenchError::Status {
            what,
            status: status.as_u16(),
            body,
        });
    }
    Ok(resp.json().await?)
}

async fn prepare(base_urls: &[String], args: &Args) -> Result<Target, BenchError> {
    let base_url = base_urls
        .first()
        .ok_or_else(|| BenchError::Setup("no server".into()))?;
    let http = reqwest::Client::new();
    let login: StaffTokenResponse = expect_json(
        "login",
        http.post(format!("{base_url}/v1/auth/login"))
            .json(&json!({"email": args.email, "password": args.password}))
            .send()
            .await?,
    )
    .await?;
    let staff = login.access_token;
    let senders: Vec<Sender> = expect_json(
        "senders",
        http.get(format!("{base_url}/v1/senders"))
            .bearer_auth(&staff)
            .send()
            .await?,
    )
    .await?;
    let templates: Vec<Template> = expect_json(
        "templates",
        http.get(format!("{base_url}/v1/templates"))
            .bearer_auth(&staff)
            .send()
            .await?,
    )
    .await?;
    let sender = senders
        .first()
        .ok_or_else(|| BenchError::Setup("no active sender".into()))?;
    // A realistic template: the one with the most body variables.
    let template = templates
        .iter()
        .max_by_key(|t| t.variables.len())
        .ok_or_else(|| BenchError::Setup("no approved template".into()))?;
    let campaign: Campaign = expect_json(
        "create campaign",
        http.post(format!("{base_url}/v1/campaigns"))
            .bearer_auth(&staff)
            .json(&json!({
                "name": format!("Benchmark {}", uuid::Uuid::new_v4()),
                "type": "recurrent",
                "sender_id": sender.id,
                "template_id": template.id,
            }))
            .send()
            .await?,
    )
    .await?;
    let integration: CampaignIntegration = expect_json(
        "integration",
        http.get(format!(
            "{base_url}/v1/campaigns/{}/integration",
            campaign.id
        ))
        .bearer_auth(&staff)
        .send()
        .await?,
    )
    .await?;
    let token: ClientTokenResponse = expect_json(
        "oauth token",
        http.post(&integration.token_url)
            .basic_auth(&integration.client_id, Some(&integration.client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await?,
    )
    .await?;
    println!(
        "campaign {:?} on template {} ({} variables), sender {}",
        campaign.name,
        template.name,
        template.variables.len(),
        sender.phone
    );
    // The send URL names the first instance; the same path on every instance.
    let path = integration
        .send_url
        .strip_prefix(base_url.as_str())
        .ok_or_else(|| {
            BenchError::Setup(format!(
                "the send URL {} is not on {base_url}",
                integration.send_url
            ))
        })?
        .to_owned();
    Ok(Target {
        send_urls: base_urls
            .iter()
            .map(|base| format!("{base}{path}"))
            .collect(),
        token: token.access_token,
        request: integration.example_request,
    })
}

/// A distinct valid Brazilian mobile number per message.
fn recipient(n: u64) -> String {
    format!("+55119{:08}", 87_000_000 + (n % 1_000_000))
}

struct PhaseResult {
    requests: u64,
    messages: u64,
    errors: u64,
    first_error: Option<String>,
    latency_us: Histogram<u64>,
    elapsed: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// One message per request.
    Single,
    /// `--batch-size` messages per request.
    Batch,
}

#[derive(Clone, Copy)]
enum Mode {
    Single,
    Batch(usize),
}

async fn one_request(
    http: &reqwest::Client,
    target: &Target,
    send_url: &str,
    mode: Mode,
    counter: &mut u64,
) -> Result<u64, String> {
    let resp = match mode {
        Mode::Single => {
            let mut body = target.request.clone();
            body.to = recipient(*counter);
            *counter += 1;
            http.post(send_url)
                .bearer_auth(&target.token)
                .json(&body)
                .send()
                .await
        }
        Mode::Batch(size) => {
            let messages: Vec<SendMessageRequest> = (0..size)
                .map(|_| {
                    let mut body = target.request.clone();
                    body.to = recipient(*counter);
                    *counter += 1;
                    body
                })
                .collect();
            http.post(send_url)
                .bearer_auth(&target.token)
                .json(&json!({ "messages": messages }))
                .send()
                .await
        }
    }
    .map_err(|e| e.to_string())?;
    let status = resp.status();
    if status != reqwest::StatusCode::ACCEPTED {
        let body = resp.text().await.unwrap_or_default();
        return Err(format!("HTTP {status}: {body}"));
    }
    match mode {
        Mode::Single => {
            resp.bytes().await.map_err(|e| e.to_string())?;
            Ok(1)
        }
        Mode::Batch(_) => {
            let batch: BatchSendResponse = resp.json().await.map_err(|e| e.to_string())?;
            Ok(u64::from(batch.accepted))
        }
    }
}

async fn run_phase(
    target: Arc<Target>,
    mode: Mode,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> PhaseResult {
    let warm_until = Instant::now() + warmup;
    let end = warm_until + duration;
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let target = Arc::clone(&target);
        let send_url = target.send_urls[worker % target.send_urls.len()].clone();
        tasks.push(tokio::spawn(async move {
            // One client per worker: one keep-alive connection each.
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("reqwest client");
            let mut histogram =
                Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds");
            let mut counter = (worker as u64) * 1_000_000_007;
            let (mut requests, mut messages, mut errors) = (0u64, 0u64, 0u64);
            let mut first_error = None;
            loop {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                let outcome = one_request(&http, &target, &send_url, mode, &mut counter).await;
                if started < warm_until {
                    continue;
                }
                let micros = started.elapsed().as_micros().max(1) as u64;
                requests += 1;
                match outcome {
                    Ok(accepted) => {
                        messages += accepted;
                        histogram.saturating_record(micros);
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (requests, messages, errors, first_error, histogram)
        }));
    }
    let mut result = PhaseResult {
        requests: 0,
        messages: 0,
        errors: 0,
        first_error: None,
        latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds"),
        elapsed: duration,
    };
    for task in tasks {
        let (requests, messages, errors, first_error, histogram) = task.await.expect("load task");
        result.requests += requests;
        result.messages += messages;
        result.errors += errors;
        if result.first_error.is_none() {
            result.first_error = first_error;
        }
        result
            .latency_us
            .add(&histogram)
            .expect("histograms with the same bounds");
    }
    // The phase ends at `end`; the last requests may finish slightly later.
    result.elapsed = duration.max(Instant::now().saturating_duration_since(warm_until));
    result
}

fn report(label: &str, connections: usize, r: &PhaseResult) {
    let secs = r.elapsed.as_secs_f64();
    let ms = |q: f64| r.latency_us.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{label:<12} connections={connections:<3} requests={:<8} accepted_messages={:<9} \
         messages/s={:<9.0} requests/s={:<8.0} p50={:.2}ms p99={:.2}ms max={:.2}ms errors={}",
        r.requests,
        r.messages,
        r.messages as f64 / secs,
        r.requests as f64 / secs,
        ms(0.50),
        ms(0.99),
        r.latency_us.max() as f64 / 1000.0,
        r.errors,
    );
    if let Some(error) = &r.first_error {
        println!("{label:<12} first error: {error}");
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engage-send-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BenchError> {
    let mut servers = Vec::new();
    let mut database = None;
    let base_urls = match &args.url {
        Some(url) => vec![url.trim_end_matches('/').to_string()],
        None => {
            let db = bench_support::BenchDatabase::prepare(
                args.database_url.as_deref(),
                args.keep_database,
            )
            .await
            .map_err(BenchError::Setup)?;
            if args.instances > 1 && !db.is_postgres() {
                return Err(BenchError::Setup(
                    "--instances above 1 needs a PostgreSQL --database-url (one server per SQLite file)"
                        .into(),
                ));
            }
            let mut key = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut key);
            let key = base64::engine::general_purpose::STANDARD.encode(key);
            let listen: SocketAddr = "127.0.0.1:0".parse().expect("loopback address");
            for _ in 0..args.instances {
                let server = engage_server::start(ServerConfig {
                    listen,
                    limits: engage_server::Limits {
                        send_rate_per_second: args.send_rate,
                        ..engage_server::Limits::default()
                    },
                    integration_log: !args.without_integration_log,
                    ..ServerConfig::new(db.url.clone(), SecretKeySource::Env(key.clone()))
                })
                .await
                .map_err(|e| BenchError::Setup(format!("server start: {e}")))?;
                servers.push(server);
            }
            engage_server::demo::seed_demo(&db.url, &SecretKeySource::Env(key))
                .await
                .map_err(|e| BenchError::Setup(format!("demo seed: {e}")))?;
            let urls: Vec<String> = servers.iter().map(|server| server.base_url()).collect();
            println!(
                "{} in-process server(s) {} on {}",
                servers.len(),
                urls.join(", "),
                db.description
            );
            database = Some(db);
            urls
        }
    };
    let target = Arc::new(prepare(&base_urls, &args).await?);
    let warmup = Duration::from_secs(args.warmup);
    let duration = Duration::from_secs(args.duration);
    let variables: BTreeMap<_, _> = target.request.variables.clone();
    println!("variables per message: {variables:?}");

    for phase in &args.phases {
        match phase {
            Phase::Single => {
                let single = run_phase(
                    Arc::clone(&target),
                    Mode::Single,
                    args.connections,
                    warmup,
                    duration,
                )
                .await;
                report("single", args.connections, &single);
            }
            Phase::Batch => {
                let batch = run_phase(
                    Arc::clone(&target),
                    Mode::Batch(args.batch_size),
                    args.batch_connections,
                    warmup,
                    duration,
                )
                .await;
                report(
                    &format!("batch({})", args.batch_size),
                    args.batch_connections,
                    &batch,
                );
            }
        }
    }
    for server in servers {
        server.shutdown().await;
    }
    if let Some(database) = database {
        database.remove().await;
    }
    Ok(())
}
