//! `engage-export-bench`: how fast a campaign's messages export as CSV through the real
//! HTTP route, and how much memory the server takes for it.
//!
//! Starts on a fresh SQLite file in a temporary directory (or a fresh database of the
//! PostgreSQL server of `--database-url postgres://…`), seeds the demo workspace and one
//! campaign, and writes `--messages` messages (1,000,000 by default, spread over the last 30
//! days) through the message writer, 10,000 at a time; the writer then leases them to the
//! benchmark for a day, so the server's delivery worker leaves them as they are. Then it
//! starts the server in this process and downloads `GET /v1/campaigns/{id}/messages/export`
//! with a staff token, reading the body chunk by chunk and counting its rows, while a task
//! samples this process's resident memory (`VmRSS` in `/proc/self/status`) every 20 ms.
//! Prints rows/s, the total time and the growth of the resident memory during the export
//! (the peak sampled minus the value just before), against the targets: 1,000,000 rows in at
//! most 30 s, at most 100 MB of growth.
//!
//! ```text
//! cargo run -p engage-server --bin engage-export-bench
//! cargo run --release -p engage-server --bin engage-export-bench -- --database-url postgres://engage:secret@127.0.0.1:5432/postgres
//! ```

mod bench_support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use clap::Parser;
use engage_core::wire::CampaignType;
use engage_server::store::writer::{MessageWriter, WriteRequest};
use engage_server::store::{now_ms, AuditContext, NewCampaign, NewMessage, Store};
use engage_server::{SecretKeySource, ServerConfig};
use rand::RngCore as _;
use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(
    name = "engage-export-bench",
    about = "Time and memory of a campaign's CSV export through the HTTP route"
)]
struct Args {
    /// `postgres://user:password@host:port/db`: a fresh database on that server (dropped at
    /// the end). Default: a fresh SQLite file in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Keep the benchmark's database.
    #[arg(long)]
    keep_database: bool,
    /// Messages in the campaign.
    #[arg(long, default_value_t = 1_000_000)]
    messages: u64,
    /// The time target in seconds: the run fails (exit 1) above it.
    #[arg(long, default_value_t = 30)]
    target_secs: u64,
    /// The memory growth target in MB: the run fails (exit 1) above it.
    #[arg(long, default_value_t = 100)]
    target_mb: u64,
    /// The desktop app's downloader (`target/release/examples/export_download`, from
    /// `cargo build --release -p engage-desktop --example export_download`): the export then
    /// goes through the app's own code in that process, into a CSV file, and the growth of
    /// that process's memory is measured and held to the same target as the server's.
    #[arg(long)]
    app: Option<std::path::PathBuf>,
}

type BenchResult<T> = Result<T, String>;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("engage-export-bench: {error}");
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

/// A line of `/proc/self/status` in kB (`VmRSS`, `VmHWM`); 0 where there is none.
fn status_kb(field: &str) -> u64 {
    process_status_kb("self", field)
}

/// A line of `/proc/<process>/status` in kB; 0 where there is none.
fn process_status_kb(process: &str, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix(field)?
                    .strip_prefix(':')?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

async fn bench(args: &Args, database_url: &str) -> BenchResult<bool> {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    let demo = {
        // Migrate and seed the demo with no server running (no worker to deliver).
        let server = engage_server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
            ..ServerConfig::new(database_url.to_owned(), SecretKeySource::Env(key.clone()))
        })
        .await
        .map_err(|e| format!("server: {e}"))?;
        let demo = engage_server::demo::seed_demo(database_url, &SecretKeySource::Env(key.clone()))
            .await
            .map_err(|e| format!("demo: {e}"))?;
        server.shutdown().await;
        demo
    };
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
        .find(|template| !template.variables.is_empty())
        .ok_or("no template with variables")?;
    let campaign = store
        .create_campaign(
            NewCampaign {
                workspace_id: workspace,
                name: "Export benchmark",
                name_key: "export benchmark",
                campaign_type: CampaignType::Recurrent,
                sender_id: sender.id,
                template_id: template.id,
                frequency_cap: None,
            },
            &AuditContext::system(workspace, "engage-export-bench"),
        )
        .await
        .map_err(|e| e.to_string())?;

    // The messages, through the writer, 10,000 at a time; then leased to the benchmark.
    let started = Instant::now();
    let (writer, writer_task) = MessageWriter::spawn(
        store.clone(),
        "export-bench".into(),
        Arc::new(Notify::new()),
    );
    let now = now_ms();
    let span = 30 * 24 * 60 * 60 * 1000_i64;
    let step = (span / i64::try_from(args.messages.max(1)).unwrap_or(1)).max(1);
    let mut written = 0_u64;
    while written < args.messages {
        let batch = (args.messages - written).min(10_000);
        let messages: Vec<NewMessage> = (written..written + batch)
            .map(|i| {
                let i_ms = i64::try_from(i).unwrap_or(0);
                let mut variables = serde_json::Map::new();
                for variable in &template.variables {
                    variables.insert(variable.key.clone(), json!(format!("Conceição {i}")));
                }
                NewMessage {
                    id: Uuid::now_v7(),
                    workspace_id: workspace,
                    campaign_id: campaign,
                    sender_id: sender.id,
                    to: format!("+55119{:08}", i % 100_000_000),
                    variables: serde_json::Value::Object(variables).to_string(),
                    rendered: r#"{"header":null,"body":"Olá","footer":null,"buttons":[]}"#.into(),
                    text: "Olá".into(),
                    created_at: now - span + i_ms * step,
                    test: false,
                    test_send: false,
                }
            })
            .collect();
        writer
            .write(WriteRequest {
                messages,
                idempotency: None,
                cap: None,
            })
            .await
            .map_err(|e| e.to_string())?;
        written += batch;
    }
    let mut leased = 0_usize;
    loop {
        let claimed = writer
            .claim(10_000, 24 * 60 * 60 * 1000)
            .await
            .map_err(|e| e.to_string())?;
        if claimed.is_empty() {
            break;
        }
        leased += claimed.len();
    }
    drop(writer);
    writer_task.await.map_err(|e| e.to_string())?;
    println!(
        "seeded {written} messages (leased {leased}) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;

    let server = engage_server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        ..ServerConfig::new(database_url.to_owned(), SecretKeySource::Env(key))
    })
    .await
    .map_err(|e| format!("server: {e}"))?;
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

    let mut app = match &args.app {
        Some(path) => Some(
            AppDownloader::start(path, &base, &demo.user.email, &demo.user.password, campaign)
                .await?,
        ),
        None => None,
    };
    let app_pid = app.as_ref().map(|app| app.pid.clone());

    // Memory: sampled every 20 ms from just before the request to the end of the body, in
    // this process (the server) and in the app's, when there is one.
    let rss_before = status_kb("VmRSS");
    let hwm_before = status_kb("VmHWM");
    let app_before = app_pid
        .as_deref()
        .map_or(0, |pid| process_status_kb(pid, "VmRSS"));
    let peak = Arc::new(AtomicU64::new(rss_before));
    let app_peak = Arc::new(AtomicU64::new(app_before));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, app_peak, done) = (peak.clone(), app_peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(status_kb("VmRSS"), Ordering::Relaxed);
                if let Some(pid) = &app_pid {
                    app_peak.fetch_max(process_status_kb(pid, "VmRSS"), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let (first_byte, total, lines, bytes) = match &mut app {
        None => download(&http, &base, campaign, &token).await?,
        Some(app) => app.export().await?,
    };
    let elapsed = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.await.map_err(|e| e.to_string())?;
    let rows = lines.saturating_sub(1);
    let growth_mb = (peak.load(Ordering::Relaxed).saturating_sub(rss_before)) as f64 / 1024.0;
    let hwm_growth_mb = status_kb("VmHWM").saturating_sub(hwm_before) as f64 / 1024.0;
    match first_byte {
        Some(first_byte) => println!(
            "exported {rows} rows (X-Total-Count {total}), {:.1} MB, first byte after {:.0} ms",
            bytes as f64 / 1_000_000.0,
            first_byte.as_secs_f64() * 1000.0
        ),
        None => println!(
            "exported {rows} rows through the app into a CSV file (the app counted {total}), {:.1} MB",
            bytes as f64 / 1_000_000.0
        ),
    }
    println!(
        "{:.0} rows/s, {:.2} s in all",
        rows as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "resident memory: {:.1} MB before, peak growth during the export {growth_mb:.1} MB (VmHWM grew {hwm_growth_mb:.1} MB)",
        rss_before as f64 / 1024.0
    );
    let app_growth_mb = app_peak.load(Ordering::Relaxed).saturating_sub(app_before) as f64 / 1024.0;
    if app.is_some() {
        println!(
            "the app's resident memory: {:.1} MB before, peak growth during the export {app_growth_mb:.1} MB",
            app_before as f64 / 1024.0
        );
    }
    let fast = elapsed <= Duration::from_secs(args.target_secs);
    let small = growth_mb <= args.target_mb as f64 && app_growth_mb <= args.target_mb as f64;
    let complete = rows == total && rows == args.messages;
    println!(
        "target {} rows in ≤ {} s: {}; memory growth ≤ {} MB: {}{}",
        args.messages,
        args.target_secs,
        if fast { "met" } else { "NOT met" },
        args.target_mb,
        if small { "met" } else { "NOT met" },
        if complete {
            ""
        } else {
            "; the file does not hold every message"
        }
    );
    server.shutdown().await;
    Ok(fast && small && complete)
}

/// Downloads the export over HTTP in this process: (first byte, `X-Total-Count`, lines,
/// bytes).
async fn download(
    http: &reqwest::Client,
    base: &str,
    campaign: Uuid,
    token: &str,
) -> BenchResult<(Option<Duration>, u64, u64, u64)> {
    let started = Instant::now();
    let mut response = http
        .get(format!(
            "{base}/v1/campaigns/{campaign}/messages/export?tz=America/Sao_Paulo"
        ))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("export: HTTP {}", response.status()));
    }
    let total: u64 = response
        .headers()
        .get("x-total-count")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .ok_or("no X-Total-Count")?;
    let first_byte = started.elapsed();
    let (mut lines, mut bytes) = (0_u64, 0_u64);
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|byte| **byte == b'\n').count() as u64;
    }
    Ok((Some(first_byte), total, lines, bytes))
}

/// The desktop app's downloader (`src-tauri/examples/export_download.rs`), signed in and
/// waiting for the word to export.
struct AppDownloader {
    child: tokio::process::Child,
    pid: String,
    stdout: tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
    /// Where the app writes the CSV (removed when done).
    out: std::path::PathBuf,
}

impl AppDownloader {
    async fn start(
        path: &std::path::Path,
        base: &str,
        email: &str,
        password: &str,
        campaign: Uuid,
    ) -> BenchResult<AppDownloader> {
        use tokio::io::AsyncBufReadExt as _;
        let out = std::env::temp_dir().join(format!("engage-export-app-{}.csv", Uuid::now_v7()));
        let mut child = tokio::process::Command::new(path)
            .env("ENGAGE_BENCH_URL", base)
            .env("ENGAGE_BENCH_EMAIL", email)
            .env("ENGAGE_BENCH_PASSWORD", password)
            .env("ENGAGE_BENCH_CAMPAIGN", campaign.to_string())
            .env("ENGAGE_BENCH_OUT", &out)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let pid = child.id().ok_or("the app exited at once")?.to_string();
        let mut stdout = tokio::io::BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        match stdout.next_line().await.map_err(|e| e.to_string())? {
            Some(line) if line == "ready" => {}
            other => return Err(format!("the app did not sign in: {other:?}")),
        }
        Ok(AppDownloader {
            child,
            pid,
            stdout,
            out,
        })
    }

    /// Tells the app to export; (no first byte, the rows it counted, lines and bytes of its
    /// file).
    async fn export(&mut self) -> BenchResult<(Option<Duration>, u64, u64, u64)> {
        use tokio::io::AsyncWriteExt as _;
        let stdin = self.child.stdin.as_mut().ok_or("no stdin")?;
        stdin.write_all(b"go\n").await.map_err(|e| e.to_string())?;
        stdin.flush().await.map_err(|e| e.to_string())?;
        let line = self
            .stdout
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the app stopped without exporting")?;
        let counted: u64 = line
            .strip_prefix("exported ")
            .and_then(|rest| rest.split(' ').next())
            .and_then(|rows| rows.parse().ok())
            .ok_or_else(|| format!("the app said {line:?}"))?;
        self.child.wait().await.map_err(|e| e.to_string())?;
        // Read back in small pieces: this process's memory is being measured.
        let (mut lines, mut bytes) = (0_u64, 0_u64);
        let mut file = std::fs::File::open(&self.out).map_err(|e| e.to_string())?;
        let mut buffer = vec![0_u8; 64 * 1024];
        loop {
            let read = std::io::Read::read(&mut file, &mut buffer).map_err(|e| e.to_string())?;
            if read == 0 {
                break;
            }
            bytes += read as u64;
            lines += buffer[..read].iter().filter(|byte| **byte == b'\n').count() as u64;
        }
        Ok((None, counted, lines, bytes))
    }
}

impl Drop for AppDownloader {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.out);
    }
}
