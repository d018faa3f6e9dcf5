//! `spawn_app()`: the real server on port 0 on a fresh database — a SQLite file in a
//! tempdir, or, with `ENGAGE_TEST_BACKEND=postgres`, a new database on the PostgreSQL
//! cluster the tests start themselves (`support/pg.rs`) — the demo workspace seeded, and a
//! reqwest client to talk HTTP to it.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use engage_core::wire::{
    ApiError, ApiErrorBody, Campaign, ClientTokenResponse, Message, MessageStatus, Sender,
    StaffTokenResponse, Template, VariableLocation,
};
use engage_server::demo::DemoCredentials;
use engage_server::{RunningServer, SecretKeySource, ServerConfig};
use rand::RngCore as _;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use uuid::Uuid;

/// How long a poll waits for an asynchronous outcome (delivery, a log line, an exit)
/// before the test fails. A safety net against hangs, not a measurement.
pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub creds: DemoCredentials,
    pub database_url: String,
    pub db_path: PathBuf,
    /// Base64 of the 32-byte key the server encrypts client secrets with; handed to the CLI
    /// as `ENGAGE_SECRET_KEY` so that both see the same secrets.
    pub secret_key_b64: String,
    pub dir: TempDir,
    server: Option<RunningServer>,
}

pub fn random_secret_key_b64() -> String {
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    base64::engine::general_purpose::STANDARD.encode(key)
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Whether this run of the suite is on PostgreSQL (`ENGAGE_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("ENGAGE_TEST_BACKEND").is_ok_and(|backend| backend == "postgres")
}

/// A fresh database of the backend under test, and the SQLite file path (when SQLite).
pub fn fresh_database(dir: &std::path::Path) -> (String, PathBuf) {
    let db_path = dir.join("engage.db");
    if on_postgres() {
        (crate::pg::new_database(), db_path)
    } else {
        (sqlite_url(&db_path), db_path)
    }
}

/// Runs one SQL statement on the app's database (either backend) → rows affected.
pub async fn execute_sql(database_url: &str, sql: &str) -> u64 {
    use sqlx::Connection as _;
    if database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(database_url)
            .await
            .expect("open db");
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .expect(sql)
            .rows_affected()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(database_url)
            .await
            .expect("open db");
        // As the server sees it: with the integration log's file attached.
        sqlx::query("ATTACH DATABASE $1 AS log")
            .bind(engage_server::store::files::integration_log_attachment(
                database_url,
            ))
            .execute(&mut conn)
            .await
            .expect("attach the integration log");
        sqlx::query(sql)
            .execute(&mut conn)
            .await
            .expect(sql)
            .rows_affected()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(engage_server::Limits::default()).await
}

/// [`spawn_app`] with other connection and hashing limits.
pub async fn spawn_app_with(limits: engage_server::Limits) -> TestApp {
    spawn_app_configured(|config| config.limits = limits).await
}

/// [`spawn_app`] with a configuration changed by `configure`.
pub async fn spawn_app_configured(configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let (database_url, db_path) = fresh_database(dir.path());
    let secret_key_b64 = random_secret_key_b64();
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        ..ServerConfig::new(
            database_url.clone(),
            SecretKeySource::Env(secret_key_b64.clone()),
        )
    };
    configure(&mut config);
    let server = engage_server::start(config).await.expect("server starts");
    let creds = engage_server::demo::seed_demo(
        &database_url,
        &SecretKeySource::Env(secret_key_b64.clone()),
    )
    .await
    .expect("demo seeded");
    let base_url = server.base_url();
    assert_eq!(
        base_url,
        format!("http://{}", server.local_addr()),
        "base_url is the bound loopback address"
    );
    TestApp {
        base_url,
        client: reqwest::Client::new(),
        creds,
        database_url,
        db_path,
        secret_key_b64,
        dir,
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Graceful shutdown of the in-process server, then a new one on the same database file
    /// and key (on another port).
    pub async fn restart(mut self) -> TestApp {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        let server = engage_server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..ServerConfig::new(
                self.database_url.clone(),
                SecretKeySource::Env(self.secret_key_b64.clone()),
            )
        })
        .await
        .expect("server restarts");
        self.base_url = server.base_url();
        self.server = Some(server);
        self
    }

    // ------------------------------------------------------------ auth

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    pub async fn staff_tokens(&self) -> StaffTokenResponse {
        let resp = self
            .login(&self.creds.user.email, &self.creds.user.password)
            .await;
        assert_eq!(resp.status(), StatusCode::OK, "demo user logs in");
        resp.json().await.expect("token json")
    }

    pub async fn staff_token(&self) -> String {
        self.staff_tokens().await.access_token
    }

    pub async fn oauth_token_for(&self, client_id: &str, client_secret: &str) -> String {
        let resp = self
            .client
            .post(self.url("/oauth/token"))
            .basic_auth(client_id, Some(client_secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("token request");
        assert_eq!(resp.status(), StatusCode::OK, "client credentials accepted");
        let body: ClientTokenResponse = resp.json().await.expect("token json");
        body.access_token
    }

    pub async fn client_token(&self) -> String {
        self.oauth_token_for(
            &self.creds.api_client.client_id.to_string(),
            &self.creds.api_client.client_secret.to_string(),
        )
        .await
    }

    // ------------------------------------------------------------ plain calls

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    pub async fn get_ok<T: serde::de::DeserializeOwned>(&self, path: &str, token: &str) -> T {
        let resp = self.get(path, token).await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET {path}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    // ------------------------------------------------------------ catalogue

    pub async fn senders(&self, token: &str, all: bool) -> Vec<Sender> {
        let path = if all {
            "/v1/senders?status=all"
        } else {
            "/v1/senders"
        };
        self.get_ok(path, token).await
    }

    pub async fn templates(&self, token: &str, all: bool) -> Vec<Template> {
        let path = if all {
            "/v1/templates?status=all"
        } else {
            "/v1/templates"
        };
        self.get_ok(path, token).await
    }

    pub async fn active_sender(&self, token: &str) -> Sender {
        self.senders(token, false)
            .await
            .into_iter()
            .next()
            .expect("the demo has active senders")
    }

    /// An approved, non-authentication template whose variables are all positional body
    /// variables ("1", "2", ...).
    pub async fn positional_template(&self, token: &str) -> Template {
        self.templates(token, false)
            .await
            .into_iter()
            .find(|t| {
                !t.variables.is_empty()
                    && t.category != engage_core::wire::TemplateCategory::Authentication
                    && t.variables.iter().all(|v| {
                        v.location == VariableLocation::Body && v.key.parse::<u32>().is_ok()
                    })
            })
            .expect("the demo has an approved template with positional body variables")
    }

    /// An approved template with named body variables (`{{first_name}}`).
    pub async fn named_template(&self, token: &str) -> Template {
        self.templates(token, false)
            .await
            .into_iter()
            .find(|t| {
                t.variables
                    .iter()
                    .any(|v| v.location == VariableLocation::Body && v.key.parse::<u32>().is_err())
            })
            .expect("the demo has an approved template with named variables")
    }

    // ------------------------------------------------------------ campaigns

    pub async fn create_campaign_raw(
        &self,
        token: &str,
        name: &str,
        sender_id: Uuid,
        template_id: Uuid,
    ) -> Response {
        self.post_json(
            "/v1/campaigns",
            token,
            &json!({
                "name": name,
                "type": "recurrent",
                "sender_id": sender_id,
                "template_id": template_id,
            }),
        )
        .await
    }

    pub async fn create_campaign_with(&self, token: &str, template: &Template) -> Campaign {
        let sender = self.active_sender(token).await;
        let name = format!("Campanha {}", Uuid::new_v4());
        let resp = self
            .create_campaign_raw(token, &name, sender.id, template.id)
            .await;
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::CREATED, "campaign created: {text}");
        serde_json::from_str(&text).expect("campaign json")
    }

    /// A new active campaign on a positional template.
    pub async fn new_campaign(&self) -> (Campaign, Template) {
        let token = self.staff_token().await;
        let template = self.positional_template(&token).await;
        let campaign = self.create_campaign_with(&token, &template).await;
        (campaign, template)
    }

    // ------------------------------------------------------------ messages

    pub async fn send(&self, token: &str, campaign_id: Uuid, body: &Value) -> Response {
        self.post_json(
            &format!("/v1/campaigns/{campaign_id}/messages"),
            token,
            body,
        )
        .await
    }

    /// Polls `GET /v1/messages/{id}` until `done(status)` holds; fails at [`DEADLINE`].
    pub async fn wait_for_message(
        &self,
        token: &str,
        id: Uuid,
        done: impl Fn(MessageStatus) -> bool,
    ) -> Message {
        wait_for_message_at(&self.client, &self.base_url, token, id, done).await
    }

    pub async fn campaign_messages(&self, token: &str, campaign_id: Uuid) -> Vec<Message> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!(
                    "/v1/campaigns/{campaign_id}/messages?limit=100&cursor={}",
                    encode(c)
                ),
                None => format!("/v1/campaigns/{campaign_id}/messages?limit=100"),
            };
            let page: engage_core::wire::MessagePage = self.get_ok(&path, token).await;
            all.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return all,
            }
        }
    }

    // ------------------------------------------------------------ CLI on the same db

    /// Runs the CLI on a blocking thread, so that the in-process server keeps serving.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let url = self.database_url.clone();
        let key = self.secret_key_b64.clone();
        let home = self.dir.path().to_path_buf();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let stdin = stdin.map(str::to_string);
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            run_cli(&url, &key, &home, &args, stdin.as_deref())
        })
        .await
        .expect("cli thread")
    }
}

pub async fn wait_for_message_at(
    client: &reqwest::Client,
    base_url: &str,
    token: &str,
    id: Uuid,
    done: impl Fn(MessageStatus) -> bool,
) -> Message {
    let start = Instant::now();
    loop {
        let resp = client
            .get(format!("{base_url}/v1/messages/{id}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET message");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET /v1/messages/{id}: {text}");
        let message: Message = serde_json::from_str(&text).expect("message json");
        if done(message.status) {
            return message;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "message {id} still {:?} after {DEADLINE:?}",
            message.status
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The real `engage-server` binary with an isolated environment: no `ENGAGE_*` setting is
/// inherited, `HOME` and the data directory are under `home`, and it runs in `home`.
pub fn cli_command(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_engage-server"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ENGAGE_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("NO_COLOR", "1")
        .current_dir(home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `cmd`, writing `stdin` (if any) to it; its output.
pub fn run_command(mut cmd: Command, stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut child = cmd.spawn().expect("engage-server runs");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("engage-server exits")
}

/// Runs the real `engage-server` binary with an isolated environment, this database and key.
pub fn run_cli(
    database_url: &str,
    secret_key_b64: &str,
    home: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = cli_command(home);
    cmd.args(args)
        .env("ENGAGE_DATABASE_URL", database_url)
        .env("ENGAGE_SECRET_KEY", secret_key_b64);
    run_command(cmd, stdin)
}

/// Stdout must be exactly one JSON object, exit 0.
pub fn cli_json(output: &Output) -> serde_json::Map<String, Value> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {stderr}",
        output.status
    );
    match serde_json::from_str::<Value>(stdout.trim()) {
        Ok(Value::Object(map)) => map,
        other => panic!("stdout is not one JSON object ({other:?}): {stdout}"),
    }
}

/// Asserts the `{"error": {code, message, field}}` shape, the status, the code and the field.
pub async fn assert_error(
    resp: Response,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) -> ApiError {
    let got_status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(got_status, status, "status of: {text}");
    let body: ApiErrorBody = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not {{\"error\":{{...}}}}: {e}: {text}"));
    assert_eq!(body.error.code, code, "code of: {text}");
    assert!(
        !body.error.message.trim().is_empty(),
        "a human message: {text}"
    );
    assert_eq!(body.error.field.as_deref(), field, "field of: {text}");
    body.error
}

/// A 401 that tells the client how to authenticate (`WWW-Authenticate: Bearer ...`).
pub async fn assert_unauthorized_bearer(resp: Response) {
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .expect("a 401 carries WWW-Authenticate")
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate challenges with Bearer: {challenge}"
    );
    let text = resp.text().await.expect("body");
    let body: ApiErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON error body: {e}: {text}"));
    assert!(!body.error.code.is_empty());
}

/// A valid value for every variable of `template`, distinct per key.
pub fn valid_variables(template: &Template) -> serde_json::Map<String, Value> {
    template
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let value = if v.key == "header_url" {
                "https://cdn.example.com/banner.jpg".to_string()
            } else {
                format!("Valor{i}-ção")
                    .chars()
                    .take(v.max_length as usize)
                    .collect()
            };
            (v.key.clone(), Value::String(value))
        })
        .collect()
}

pub fn body_for(template: &Template, to: &str) -> Value {
    json!({ "to": to, "variables": valid_variables(template) })
}

/// Everything the database keeps at rest: the SQLite file and its WAL/SHM files, or the
/// PostgreSQL database as `pg_dump` writes it.
pub fn database_bytes(app: &TestApp) -> Vec<u8> {
    if on_postgres() {
        return crate::pg::cluster().dump(crate::pg::database_of(&app.database_url));
    }
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = app.db_path.clone().into_os_string();
        path.push(suffix);
        if let Ok(b) = std::fs::read(&path) {
            bytes.extend_from_slice(&b);
        }
    }
    assert!(!bytes.is_empty(), "database file exists");
    bytes
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Moves the expiry of every stored token into the past, through the database itself
/// (the tests cannot wait an hour for a token to expire).
pub async fn expire_all_tokens(app: &TestApp) {
    let expired = execute_sql(&app.database_url, "UPDATE tokens SET expires_at = 0").await;
    assert!(expired > 0, "found tokens to expire");
}
