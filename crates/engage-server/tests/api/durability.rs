//! The real `engage-server serve` binary: accepted messages survive `kill -9`; SIGTERM shuts
//! down gracefully.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use engage_core::wire::{Campaign, MessageStatus, SendAccepted, StaffTokenResponse, Template};
use reqwest::StatusCode;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{
    body_for, cli_json, random_secret_key_b64, run_cli, sqlite_url, wait_for_message_at, DEADLINE,
};

pub(crate) struct Serve {
    pub(crate) child: Child,
    pub(crate) base_url: String,
    /// Every line the process wrote on stdout or stderr, for failure messages.
    pub(crate) lines: mpsc::Receiver<String>,
    /// The lines written before `listening on`.
    pub(crate) startup: Vec<String>,
}

struct Env {
    dir: tempfile::TempDir,
    database_url: String,
    key: String,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let database_url = sqlite_url(&dir.path().join("engage.db"));
        Env {
            dir,
            database_url,
            key: random_secret_key_b64(),
        }
    }

    fn demo(&self) -> serde_json::Map<String, serde_json::Value> {
        cli_json(&run_cli(
            &self.database_url,
            &self.key,
            self.dir.path(),
            &["demo"],
            None,
        ))
    }

    fn serve(&self) -> Serve {
        spawn_serve(&self.database_url, &self.key, self.dir.path())
    }
}

fn spawn_serve(database_url: &str, key: &str, home: &Path) -> Serve {
    spawn_serve_with(database_url, key, home, &[])
}

/// `engage-server serve` on a free loopback port, with extra environment variables.
pub(crate) fn spawn_serve_with(
    database_url: &str,
    key: &str,
    home: &Path,
    envs: &[(&str, &str)],
) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_engage-server"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env("ENGAGE_SECRET_KEY", key)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .env_remove("ENGAGE_PUBLIC_URL")
        .env_remove("ENGAGE_LISTEN")
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("engage-server serve starts");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let tx2 = tx.clone();
    // Drain both pipes for the life of the process, so it never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx2.send(line);
        }
    });
    // Owned by `Serve` from here on: its Drop kills and reaps the process on any panic.
    let mut serve = Serve {
        child,
        base_url: String::new(),
        lines: rx,
        startup: Vec::new(),
    };
    let start = Instant::now();
    let mut seen = Vec::new();
    loop {
        let remaining = DEADLINE.saturating_sub(start.elapsed());
        match serve.lines.recv_timeout(remaining) {
            Ok(line) => {
                if let Some(addr) = listening_addr(&line) {
                    serve.base_url = format!("http://{addr}");
                    serve.startup = seen;
                    return serve;
                }
                seen.push(line);
            }
            Err(_) => panic!(
                "no `listening on http://` line within {DEADLINE:?}; output:\n{}",
                seen.join("\n")
            ),
        }
    }
}

/// `ADDR` of a log line containing `listening on http://ADDR` (ANSI colours tolerated).
fn listening_addr(line: &str) -> Option<String> {
    let at = line.find("listening on http://")? + "listening on http://".len();
    let addr: String = line[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | ':' | '[' | ']'))
        .collect();
    (!addr.is_empty()).then_some(addr)
}

impl Serve {
    fn sigkill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    fn sigterm_and_wait(mut self) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let start = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().expect("try_wait") {
                let lines = self.lines.try_iter().collect();
                return (exit, lines);
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("serve did not exit within {DEADLINE:?} of SIGTERM");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Session {
    client: reqwest::Client,
    campaign: Campaign,
    template: Template,
    client_token: String,
}

/// Staff login, a campaign, a client token — all over HTTP against `serve`.
async fn prepare(base_url: &str, demo: &serde_json::Map<String, serde_json::Value>) -> Session {
    let client = reqwest::Client::new();
    let login: StaffTokenResponse = client
        .post(format!("{base_url}/v1/auth/login"))
        .json(&json!({
            "email": demo["user"]["email"],
            "password": demo["user"]["password"],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let staff = login.access_token;
    let senders: Vec<engage_core::wire::Sender> = client
        .get(format!("{base_url}/v1/senders"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let templates: Vec<Template> = client
        .get(format!("{base_url}/v1/templates"))
        .bearer_auth(&staff)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let template = templates
        .into_iter()
        .find(|t| !t.variables.is_empty())
        .expect("an approved template with variables");
    let resp = client
        .post(format!("{base_url}/v1/campaigns"))
        .bearer_auth(&staff)
        .json(&json!({
            "name": "Durável",
            "type": "recurrent",
            "sender_id": senders[0].id,
            "template_id": template.id,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let campaign: Campaign = resp.json().await.unwrap();
    let client_token = client_token(&client, base_url, demo).await;
    Session {
        client,
        campaign,
        template,
        client_token,
    }
}

async fn client_token(
    client: &reqwest::Client,
    base_url: &str,
    demo: &serde_json::Map<String, serde_json::Value>,
) -> String {
    let resp = client
        .post(format!("{base_url}/oauth/token"))
        .basic_auth(
            demo["api_client"]["client_id"].as_str().unwrap(),
            demo["api_client"]["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn send_many(base_url: &str, session: &Session, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let resp = session
            .client
            .post(format!(
                "{base_url}/v1/campaigns/{}/messages",
                session.campaign.id
            ))
            .bearer_auth(&session.client_token)
            .json(&body_for(&session.template, "+5511987654321"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
        let accepted: SendAccepted = resp.json().await.unwrap();
        ids.push(accepted.id);
    }
    // and one batch
    let resp = session
        .client
        .post(format!(
            "{base_url}/v1/campaigns/{}/messages",
            session.campaign.id
        ))
        .bearer_auth(&session.client_token)
        .json(&json!({"messages": (0..n)
            .map(|_| body_for(&session.template, "+5521998765432"))
            .collect::<Vec<_>>()}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let batch: engage_core::wire::BatchSendResponse = resp.json().await.unwrap();
    ids.extend(batch.results.iter().map(|r| r.id.expect("accepted")));
    ids
}

async fn assert_all_delivered(base_url: &str, session: &Session, token: &str, ids: &[Uuid]) {
    for id in ids {
        let message = wait_for_message_at(&session.client, base_url, token, *id, |s| {
            s == MessageStatus::Delivered
        })
        .await;
        assert_eq!(message.campaign_id, session.campaign.id);
        assert!(!message.text.is_empty());
    }
}

#[tokio::test]
async fn accepted_messages_survive_kill_9_and_are_delivered_after_restart() {
    let env = Env::new();
    let demo = env.demo();
    let serve = env.serve();
    let base = serve.base_url.clone();
    let session = prepare(&base, &demo).await;
    let ids = send_many(&base, &session, 50).await;
    // Straight after the last 202: no chance for a graceful flush.
    serve.sigkill();

    let serve = env.serve();
    let base = serve.base_url.clone();
    // The bearer token issued before the crash is still valid (stored, not in memory).
    assert_all_delivered(&base, &session, &session.client_token, &ids).await;
    let fresh = client_token(&session.client, &base, &demo).await;
    assert_all_delivered(&base, &session, &fresh, &ids).await;
    drop(serve);
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully_without_losing_accepted_messages() {
    let env = Env::new();
    let demo = env.demo();
    let serve = env.serve();
    let base = serve.base_url.clone();
    let session = prepare(&base, &demo).await;
    let ids = send_many(&base, &session, 20).await;
    let (exit, lines) = serve.sigterm_and_wait();
    assert!(
        exit.success(),
        "clean exit on SIGTERM: {exit:?}\n{}",
        lines.join("\n")
    );

    let serve = env.serve();
    let base = serve.base_url.clone();
    assert_all_delivered(&base, &session, &session.client_token, &ids).await;
    // and it serves new sends after the restart
    let more = send_many(&base, &session, 1).await;
    assert_all_delivered(&base, &session, &session.client_token, &more).await;
    drop(serve);
}

#[test]
fn the_listening_line_is_parsed_with_or_without_colours() {
    assert_eq!(
        listening_addr("2025 INFO engage_server: listening on http://127.0.0.1:41234").as_deref(),
        Some("127.0.0.1:41234")
    );
    assert_eq!(
        listening_addr("\u{1b}[32mINFO\u{1b}[0m listening on http://127.0.0.1:8787\u{1b}[0m")
            .as_deref(),
        Some("127.0.0.1:8787")
    );
    assert_eq!(listening_addr("starting"), None);
}
