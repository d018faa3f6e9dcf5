//! Three (or more) real `engage-server serve` processes on one fresh PostgreSQL database,
//! with one secret key, each delivering through its own port of the [`Graph`] stand-in.
//! Seeded with the CLI (`demo`, a `whatsapp_cloud` sender); the campaign and the client
//! token are made over HTTP.
//!
//! The processes write their output to `target/tmp/cluster-logs/<test>/instance-<i>-<n>.log`
//! (kept after the run, for a failure's post-mortem).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use rand::RngCore as _;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

use crate::graph::Graph;
use crate::pg;

/// A poll gives up after this long: a safety net against hangs, not a measurement.
pub const DEADLINE: Duration = Duration::from_secs(30);
/// The delivery lease the instances run with (`ENGAGE_LEASE_MS`): a killed instance's
/// messages are taken over this long after it claimed them.
pub const LEASE_MS: u64 = 3_000;
/// The stand-in's answer time (a network round trip).
pub const GRAPH_DELAY: Duration = Duration::from_millis(5);
/// The demo template the campaign sends: body `Olá {{1}}, seu saldo é de {{2}}. …`.
pub const TEMPLATE: &str = "saldo_baixo";
const PHONE_NUMBER_ID: &str = "106540352242922";
const WABA_ID: &str = "102290129340398";
const ACCESS_TOKEN: &str = "EAAJB-cluster-token";

/// Serialises the tests of this binary: each runs several server processes on a 2-core
/// machine, and one of them stops the shared PostgreSQL.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// One `serve` process.
struct Instance {
    child: Child,
    base_url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The base URLs of the live instances (`None` while one is down), shared with the load.
pub type Urls = Arc<RwLock<Vec<Option<String>>>>;

pub struct Cluster {
    pub database_url: String,
    pub key: String,
    pub graph: Graph,
    pub http: reqwest::Client,
    pub urls: Urls,
    pub demo: Value,
    pub campaign_id: Uuid,
    pub client_token: String,
    instances: Vec<Option<Instance>>,
    /// How many processes each instance index has started (names its log files).
    generations: Vec<usize>,
    logs: PathBuf,
    dir: TempDir,
}

pub fn random_key() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// `ADDR` of a log line containing `listening on http://ADDR`.
fn listening_addr(line: &str) -> Option<String> {
    let at = line.find("listening on http://")? + "listening on http://".len();
    let addr: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    (!addr.is_empty()).then_some(addr)
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl Cluster {
    /// A fresh database seeded by the CLI, `instances` servers on it, a campaign of a
    /// `whatsapp_cloud` sender and a client token.
    pub async fn start(test: &str, instances: usize) -> Cluster {
        // Fails here, saying how to install it, when PostgreSQL is missing.
        let _ = tokio::task::block_in_place(pg::cluster);
        let database_url = tokio::task::spawn_blocking(pg::new_database)
            .await
            .expect("database created");
        let dir = tempfile::tempdir().expect("tempdir");
        let logs = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("cluster-logs")
            .join(test);
        let _ = std::fs::remove_dir_all(&logs);
        std::fs::create_dir_all(&logs).expect("log directory");
        let graph = Graph::start(instances, GRAPH_DELAY).await;
        let mut cluster = Cluster {
            database_url,
            key: random_key(),
            graph,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
            urls: Arc::new(RwLock::new(vec![None; instances])),
            demo: Value::Null,
            campaign_id: Uuid::nil(),
            client_token: String::new(),
            instances: (0..instances).map(|_| None).collect(),
            generations: vec![0; instances],
            logs,
            dir,
        };

        // The schema and the demo workspace, then a Cloud API sender, through the CLI.
        cluster.demo = cluster.cli_json(&["demo"], None).await;
        let workspace = cluster.demo["workspace_id"].as_str().unwrap().to_owned();
        let sender = cluster
            .cli_json(
                &[
                    "sender",
                    "create",
                    "--workspace",
                    &workspace,
                    "--phone",
                    "+5511955550000",
                    "--name",
                    "Cloud (cluster test)",
                    "--provider",
                    "whatsapp_cloud",
                    "--phone-number-id",
                    PHONE_NUMBER_ID,
                    "--waba-id",
                    WABA_ID,
                ],
                Some(ACCESS_TOKEN),
            )
            .await;
        let sender_id = sender["id"].as_str().unwrap().to_owned();

        // All instances at once (as a rollout would start them).
        let children: Vec<(usize, Child, PathBuf)> =
            (0..instances).map(|i| cluster.spawn(i)).collect();
        for (i, child, log) in children {
            cluster.adopt(i, child, log).await;
        }

        // The campaign and a client token, over HTTP.
        let base = cluster.url(0);
        let staff = cluster.staff_tokens(0).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let templates: Vec<Value> = cluster
            .http
            .get(format!("{base}/v1/templates"))
            .bearer_auth(&staff)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let template = templates
            .iter()
            .find(|t| t["name"] == TEMPLATE)
            .unwrap_or_else(|| panic!("the demo template {TEMPLATE} exists: {templates:?}"));
        let response = cluster
            .http
            .post(format!("{base}/v1/campaigns"))
            .bearer_auth(&staff)
            .json(&json!({
                "name": format!("Cluster {test}"),
                "type": "recurrent",
                "sender_id": sender_id,
                "template_id": template["id"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let campaign: Value = response.json().await.unwrap();
        cluster.campaign_id = campaign["id"].as_str().unwrap().parse().unwrap();
        let response = cluster
            .http
            .post(format!("{base}/oauth/token"))
            .basic_auth(
                cluster.demo["api_client"]["client_id"].as_str().unwrap(),
                cluster.demo["api_client"]["client_secret"].as_str(),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let token: Value = response.json().await.unwrap();
        cluster.client_token = token["access_token"].as_str().unwrap().to_owned();
        cluster
    }

    fn command(&self) -> Command {
        let home = self.dir.path();
        let mut command = Command::new(env!("CARGO_BIN_EXE_engage-server"));
        command
            .env("ENGAGE_DATABASE_URL", &self.database_url)
            .env("ENGAGE_SECRET_KEY", &self.key)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("xdg-data"))
            .env("NO_COLOR", "1")
            .env_remove("ENGAGE_LISTEN")
            .env_remove("ENGAGE_PUBLIC_URL")
            .current_dir(home);
        command
    }

    /// Runs an admin command; its stdout must be one JSON object.
    pub async fn cli_json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        use std::io::Write as _;
        let mut command = self.command();
        command
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let stdin = stdin.map(str::to_owned);
        let what = args.join(" ");
        let output: Output = tokio::task::spawn_blocking(move || {
            let mut child = command.spawn().expect("engage-server runs");
            {
                let mut input = child.stdin.take().expect("stdin");
                if let Some(text) = stdin {
                    input.write_all(text.as_bytes()).expect("write stdin");
                }
            }
            child.wait_with_output().expect("engage-server exits")
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "engage-server {what}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "engage-server {what} printed no JSON ({error}): {}",
                String::from_utf8_lossy(&output.stdout)
            )
        })
    }

    /// Starts `serve` for instance `i` (not waiting for it).
    fn spawn(&mut self, i: usize) -> (usize, Child, PathBuf) {
        self.generations[i] += 1;
        let log = self
            .logs
            .join(format!("instance-{i}-{}.log", self.generations[i]));
        let out = File::create(&log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("ENGAGE_WHATSAPP_GRAPH_URL", self.graph.base_url(i))
            .env("ENGAGE_WHATSAPP_RATE_PER_SECOND", "1000000")
            .env("ENGAGE_WHATSAPP_RECIPIENT_INTERVAL_MS", "0")
            .env("ENGAGE_LEASE_MS", LEASE_MS.to_string())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("engage-server serve starts");
        (i, child, log)
    }

    /// Waits for the `listening on` line of a spawned instance and makes it live.
    async fn adopt(&mut self, i: usize, mut child: Child, log: PathBuf) {
        let start = Instant::now();
        let addr = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(addr) = text.lines().find_map(listening_addr) {
                break addr;
            }
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!(
                    "instance {i} exited ({status}) before listening:\n{}",
                    tail(&log, 40)
                );
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!(
                    "instance {i} did not listen within {DEADLINE:?}:\n{}",
                    tail(&log, 40)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let base_url = format!("http://{addr}");
        self.urls.write().unwrap()[i] = Some(base_url.clone());
        self.instances[i] = Some(Instance { child, base_url });
    }

    /// Starts instance `i` again (after a kill) and waits until it listens.
    pub async fn restart(&mut self, i: usize) {
        assert!(self.instances[i].is_none(), "instance {i} is running");
        let (i, child, log) = self.spawn(i);
        self.adopt(i, child, log).await;
    }

    /// `kill -9` of instance `i`; returns when the process is gone.
    pub fn kill(&mut self, i: usize) {
        self.urls.write().unwrap()[i] = None;
        let mut instance = self.instances[i].take().expect("instance is running");
        instance.child.kill().expect("SIGKILL");
        instance.child.wait().expect("reaped");
    }

    /// Whether instance `i` is the same process still running (not exited, not restarted).
    pub fn still_running(&mut self, i: usize) -> bool {
        self.instances[i]
            .as_mut()
            .is_some_and(|instance| instance.child.try_wait().expect("try_wait").is_none())
    }

    pub fn url(&self, i: usize) -> String {
        self.instances[i]
            .as_ref()
            .expect("instance is running")
            .base_url
            .clone()
    }

    pub fn instance_count(&self) -> usize {
        self.instances.len()
    }

    /// The last lines each instance's current process wrote.
    pub fn log_tails(&self) -> String {
        (0..self.instances.len())
            .map(|i| {
                let log = self
                    .logs
                    .join(format!("instance-{i}-{}.log", self.generations[i]));
                format!("--- instance {i} ---\n{}", tail(&log, 15))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A staff sign-in of the demo user on instance `i` → the token response.
    pub async fn staff_tokens(&self, i: usize) -> Value {
        let response = self
            .http
            .post(format!("{}/v1/auth/login", self.url(i)))
            .json(&json!({
                "email": self.demo["user"]["email"],
                "password": self.demo["user"]["password"],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "the demo user signs in");
        response.json().await.unwrap()
    }

    /// The send path of the campaign.
    pub fn send_path(&self) -> String {
        format!("/v1/campaigns/{}/messages", self.campaign_id)
    }

    /// Every message of the database: id → row.
    pub async fn messages(&self) -> Vec<MessageRow> {
        use sqlx::Connection as _;
        let mut conn = sqlx::PgConnection::connect(&self.database_url)
            .await
            .expect("database");
        let rows: Vec<(String, String, Option<String>, String)> =
            sqlx::query_as("SELECT id, status, provider_message_id, variables FROM messages")
                .fetch_all(&mut conn)
                .await
                .expect("messages");
        rows.into_iter()
            .map(|(id, status, provider_message_id, variables)| {
                let variables: Value = serde_json::from_str(&variables).expect("variables");
                MessageRow {
                    id: id.parse().expect("uuid"),
                    status,
                    provider_message_id,
                    key: variables["1"].as_str().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }

    /// Waits until no message is `queued` (every one sent, delivered or failed).
    pub async fn wait_until_settled(&self, deadline: Duration) -> Vec<MessageRow> {
        let start = Instant::now();
        loop {
            let rows = self.messages().await;
            let queued = rows.iter().filter(|row| row.status == "queued").count();
            if queued == 0 {
                return rows;
            }
            assert!(
                start.elapsed() < deadline,
                "{queued} of {} messages still queued after {deadline:?}\n{}",
                rows.len(),
                self.log_tails()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A row of `messages`, with the key of its variables.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: Uuid,
    pub status: String,
    pub provider_message_id: Option<String>,
    pub key: String,
}

impl MessageRow {
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "sent" | "delivered" | "read" | "failed"
        )
    }
}

/// The variables of the message with key `key`.
pub fn variables(key: &str) -> Value {
    json!({"1": key, "2": "R$ 2,50"})
}
