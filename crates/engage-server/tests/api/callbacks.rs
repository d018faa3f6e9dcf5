//! Status callbacks (issue 11): signed events for every status change of a live message,
//! verified by a receiver with the documented Python and Node.js recipes; retries, pausing,
//! test events, SSRF refusals, and the outbox surviving `kill -9` of the server.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use engage_core::callback::{verification_recipe, CallbackEndpoint, Recipe};
use engage_core::wire::{CampaignIntegration, StaffTokenResponse};
use engage_core::SnippetLang;
use reqwest::StatusCode;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::callback_receiver::{Received, Receiver};
use crate::helpers::{
    assert_error, body_for, execute_sql, fresh_database, random_secret_key_b64, run_cli, spawn_app,
    spawn_app_configured, TestApp, DEADLINE,
};

async fn app_allowing_private() -> TestApp {
    spawn_app_configured(|config| config.callbacks.allow_private = true).await
}

async fn put_callback(app: &TestApp, staff: &str, path: &str, url: &str) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .bearer_auth(staff)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap()
}

/// Sets the workspace's callback URL; returns the signing secret (shown once).
async fn set_workspace_callback(app: &TestApp, staff: &str, url: &str) -> String {
    let resp = put_callback(app, staff, "/v1/callback", url).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let endpoint: CallbackEndpoint = serde_json::from_str(&text).unwrap();
    endpoint
        .secret
        .expect("the secret is in the creating answer")
}

/// Sends one message to a sandbox test number ending in 0002 (delivered, never read: its
/// events end at `delivered`).
async fn send_one(app: &TestApp, token: &str) -> (Uuid, Uuid) {
    let (campaign, template) = app.new_campaign().await;
    let resp = app
        .send(token, campaign.id, &body_for(&template, "+5511987650002"))
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let body: Value = resp.json().await.unwrap();
    (body["id"].as_str().unwrap().parse().unwrap(), campaign.id)
}

fn recipe_code(lang: SnippetLang) -> &'static str {
    match verification_recipe(lang) {
        Recipe::Code(code) => code,
        Recipe::Note(note) => panic!("{lang:?} has a note, not code: {note}"),
    }
}

/// Runs the documented recipe of `lang` (Python or Node.js) on a received callback;
/// returns what the verification function answered.
fn recipe_verifies(
    lang: SnippetLang,
    dir: &Path,
    secret: &str,
    received: &Received,
    body: &[u8],
) -> bool {
    let body_file = dir.join("body.bin");
    std::fs::write(&body_file, body).unwrap();
    let header = received
        .signature
        .clone()
        .expect("an Engage-Signature header");
    let output = match lang {
        SnippetLang::Python => {
            let recipe = dir.join("engage_verify.py");
            std::fs::write(&recipe, recipe_code(lang)).unwrap();
            Command::new("python3")
                .arg("-c")
                .arg(
                    "import os, sys\nsys.path.insert(0, os.environ['RECIPE_DIR'])\n\
                     from engage_verify import verify_engage_signature\n\
                     body = open(os.environ['BODY_FILE'], 'rb').read()\n\
                     print(verify_engage_signature(os.environ['SECRET'], os.environ['HEADER'], body))",
                )
                .env("RECIPE_DIR", dir)
                .env("BODY_FILE", &body_file)
                .env("SECRET", secret)
                .env("HEADER", &header)
                .output()
                .expect("python3 runs")
        }
        SnippetLang::Node => {
            let recipe = dir.join("engage_verify.js");
            std::fs::write(&recipe, recipe_code(lang)).unwrap();
            Command::new("node")
                .arg("-e")
                .arg(
                    "const { verifyEngageSignature } = require(process.env.RECIPE);\n\
                     const body = require('node:fs').readFileSync(process.env.BODY_FILE);\n\
                     console.log(verifyEngageSignature(process.env.SECRET, process.env.HEADER, body) ? 'True' : 'False');",
                )
                .env("RECIPE", &recipe)
                .env("BODY_FILE", &body_file)
                .env("SECRET", secret)
                .env("HEADER", &header)
                .output()
                .expect("node runs")
        }
        other => panic!("no runner for {other:?}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        output.status.success(),
        "{lang:?} recipe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    match stdout.as_str() {
        "True" => true,
        "False" => false,
        other => panic!("{lang:?} recipe printed {other:?}"),
    }
}

// Multi-threaded: the recipes run as blocking child processes, and the receiver must keep
// answering meanwhile (otherwise an attempt times out and is retried: a legitimate
// at-least-once duplicate, signed with the secret of its time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_message_sends_a_signed_callback_that_the_documented_recipes_verify() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start().await;
    let staff = app.staff_token().await;
    let secret = set_workspace_callback(&app, &staff, &receiver.url).await;

    let token = app.client_token().await;
    let (id, campaign_id) = send_one(&app, &token).await;
    let received = receiver
        .wait_for("the delivered event", DEADLINE, |r| !r.is_empty())
        .await;
    let event = received[0].json();
    assert_eq!(event["id"], id.to_string());
    assert_eq!(event["campaign_id"], campaign_id.to_string());
    assert_eq!(event["to"], "+5511987650002");
    assert_eq!(event["status"], "delivered");
    assert_eq!(event["error"], Value::Null);
    assert!(time::OffsetDateTime::parse(
        event["at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339
    )
    .is_ok());
    assert!(received[0].event_id.is_some());

    let dir = tempfile::tempdir().unwrap();
    for lang in [SnippetLang::Python, SnippetLang::Node] {
        assert!(
            recipe_verifies(lang, dir.path(), &secret, &received[0], &received[0].body),
            "{lang:?} accepts the genuine callback"
        );
        let mut tampered = received[0].body.clone();
        tampered.extend_from_slice(b" ");
        assert!(
            !recipe_verifies(lang, dir.path(), &secret, &received[0], &tampered),
            "{lang:?} refuses a changed body"
        );
        assert!(
            !recipe_verifies(
                lang,
                dir.path(),
                "another secret",
                &received[0],
                &received[0].body
            ),
            "{lang:?} refuses another secret"
        );
    }

    // A rotated secret signs from then on (shown once, in the rotation's answer).
    let rotated: CallbackEndpoint = app
        .post_json("/v1/callback/rotate-secret", &staff, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated.secret.expect("the new secret");
    assert_ne!(new_secret, secret);
    let shown: CallbackEndpoint = app.get_ok("/v1/callback", &staff).await;
    assert_eq!(shown.secret, None, "never shown again");
    let (second, _) = send_one(&app, &token).await;
    let of_second = |r: &Received| r.json()["id"] == second.to_string();
    let received = receiver
        .wait_for("the second message's event", DEADLINE, |r| {
            r.iter().any(of_second)
        })
        .await;
    let event = received.iter().find(|r| of_second(r)).unwrap();
    assert!(recipe_verifies(
        SnippetLang::Python,
        dir.path(),
        &new_secret,
        event,
        &event.body
    ));
    assert!(!recipe_verifies(
        SnippetLang::Python,
        dir.path(),
        &secret,
        event,
        &event.body
    ));
}

#[tokio::test]
async fn a_test_message_sends_no_callback_and_a_campaigns_own_endpoint_wins() {
    let app = app_allowing_private().await;
    let workspace_receiver = Receiver::start().await;
    let campaign_receiver = Receiver::start().await;
    let staff = app.staff_token().await;
    set_workspace_callback(&app, &staff, &workspace_receiver.url).await;
    let (campaign, template) = app.new_campaign().await;
    let resp = put_callback(
        &app,
        &staff,
        &format!("/v1/campaigns/{}/callback", campaign.id),
        &campaign_receiver.url,
    )
    .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let test: CampaignIntegration = app
        .get_ok(
            &format!("/v1/campaigns/{}/integration?mode=test", campaign.id),
            &staff,
        )
        .await;
    let test_token = app
        .oauth_token_for(&test.client_id, &test.client_secret)
        .await;
    let body = body_for(&template, "+5511987650002");
    let test_id: Value = app
        .send(&test_token, campaign.id, &body)
        .await
        .json()
        .await
        .unwrap();
    let live_id: Value = app
        .send(&app.client_token().await, campaign.id, &body)
        .await
        .json()
        .await
        .unwrap();
    let received = campaign_receiver
        .wait_for("the live message's event", DEADLINE, |r| {
            r.iter().any(|e| e.json()["id"] == live_id["id"])
        })
        .await;
    app.wait_for_message(
        &test_token,
        test_id["id"].as_str().unwrap().parse().unwrap(),
        |s| s == engage_core::wire::MessageStatus::Delivered,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let all: Vec<Received> = campaign_receiver
        .received()
        .into_iter()
        .chain(workspace_receiver.received())
        .collect();
    assert!(
        all.iter().all(|e| e.json()["id"] != test_id["id"]),
        "no callback for a test message"
    );
    assert_eq!(received.len(), 1);
    assert!(
        workspace_receiver.received().is_empty(),
        "the campaign's endpoint wins"
    );
}

/// The workspace's endpoint once at least `count` attempts are recorded (the receiver sees a
/// request before the dispatcher records its answer), or as it is at the deadline.
async fn endpoint_with_attempts(app: &TestApp, staff: &str, count: usize) -> CallbackEndpoint {
    let started = std::time::Instant::now();
    loop {
        let endpoint: CallbackEndpoint = app.get_ok("/v1/callback", staff).await;
        if endpoint.recent_attempts.len() >= count || started.elapsed() > DEADLINE {
            return endpoint;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_until_it_answers_2xx_and_the_attempts_are_listed() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500, 503]);
    let staff = app.staff_token().await;
    set_workspace_callback(&app, &staff, &receiver.url).await;
    send_one(&app, &app.client_token().await).await;
    let received = receiver
        .wait_for("three attempts", DEADLINE, |r| r.len() >= 3)
        .await;
    assert_eq!(received[0].body, received[2].body, "the same event again");
    assert_eq!(received[0].event_id, received[2].event_id);
    // The receiver sees the third request before the dispatcher records its answer.
    let endpoint = endpoint_with_attempts(&app, &staff, 3).await;
    let codes: Vec<Option<u16>> = endpoint
        .recent_attempts
        .iter()
        .map(|a| a.status_code)
        .collect();
    assert_eq!(codes, vec![Some(200), Some(503), Some(500)], "newest first");
    assert!(!endpoint.paused && endpoint.failing_since.is_none());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 3, "nothing after the 2xx");
}

#[tokio::test]
async fn an_endpoint_failing_for_24_hours_is_paused_until_saved_again() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500]);
    let staff = app.staff_token().await;
    set_workspace_callback(&app, &staff, &receiver.url).await;
    execute_sql(
        &app.database_url,
        &format!(
            "UPDATE callback_endpoints SET failing_since = {}",
            (time::OffsetDateTime::now_utc().unix_timestamp() - 25 * 3600) * 1000
        ),
    )
    .await;
    send_one(&app, &app.client_token().await).await;
    receiver
        .wait_for("an attempt", DEADLINE, |r| !r.is_empty())
        .await;
    let start = std::time::Instant::now();
    let paused = loop {
        let endpoint: CallbackEndpoint = app.get_ok("/v1/callback", &staff).await;
        if endpoint.paused || start.elapsed() > DEADLINE {
            break endpoint;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(paused.paused, "{paused:?}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(receiver.received().len(), 1, "nothing is sent while paused");

    let resumed = put_callback(&app, &staff, "/v1/callback", &receiver.url).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    let resumed: CallbackEndpoint = resumed.json().await.unwrap();
    assert!(!resumed.paused && resumed.secret.is_none());
    receiver
        .wait_for("the event after resuming", DEADLINE, |r| r.len() >= 2)
        .await;
}

#[tokio::test]
async fn a_test_event_reaches_the_endpoint() {
    let app = app_allowing_private().await;
    let receiver = Receiver::start().await;
    let staff = app.staff_token().await;
    assert_error(
        app.post_json("/v1/callback/test", &staff, &json!({})).await,
        StatusCode::NOT_FOUND,
        "callback_not_set",
        None,
    )
    .await;
    set_workspace_callback(&app, &staff, &receiver.url).await;
    let resp = app.post_json("/v1/callback/test", &staff, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let received = receiver
        .wait_for("the test event", DEADLINE, |r| !r.is_empty())
        .await;
    assert_eq!(received[0].json()["status"], "test");
}

#[tokio::test]
async fn private_destinations_are_refused_unless_the_server_allows_them() {
    let app = spawn_app().await;
    let staff = app.staff_token().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest",
        "http://10.0.0.7/hook",
        "http://2130706433/hook",
    ] {
        assert_error(
            put_callback(&app, &staff, "/v1/callback", url).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "callback_destination_not_allowed",
            Some("url"),
        )
        .await;
    }
    assert_error(
        put_callback(&app, &staff, "/v1/callback", "ftp://example.com/").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_callback_url",
        Some("url"),
    )
    .await;
}

/// This machine's host name, when it resolves (to a loopback or private address here).
fn local_host_name() -> Option<String> {
    let output = Command::new("hostname").output().ok()?;
    let name = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    let resolves = std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), 80))
        .map(|mut addrs| addrs.next().is_some())
        .unwrap_or(false);
    (resolves && !name.is_empty()).then_some(name)
}

#[tokio::test]
async fn a_name_resolving_to_a_private_address_is_refused_after_resolution() {
    let Some(name) = local_host_name() else {
        eprintln!("this machine's host name does not resolve; nothing to check");
        return;
    };
    let app = spawn_app().await;
    let receiver = Receiver::start().await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let staff = app.staff_token().await;
    // A name passes the URL check: it is refused where it is resolved.
    let url = format!("http://{name}:{port}/engage/status");
    assert_eq!(
        put_callback(&app, &staff, "/v1/callback", &url)
            .await
            .status(),
        StatusCode::CREATED
    );
    app.post_json("/v1/callback/test", &staff, &json!({})).await;
    let start = std::time::Instant::now();
    let attempt = loop {
        let endpoint: CallbackEndpoint = app.get_ok("/v1/callback", &staff).await;
        if let Some(attempt) = endpoint.recent_attempts.first().cloned() {
            break attempt;
        }
        assert!(start.elapsed() < DEADLINE, "no attempt recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(attempt.status_code, None);
    let error = attempt.error.unwrap_or_default();
    assert!(error.contains("not allowed"), "{error}");
    assert!(
        receiver.received().is_empty(),
        "the private address was never connected to"
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let app = app_allowing_private().await;
    let target = Receiver::start().await;
    let redirecting = Receiver::start().await;
    redirecting.redirect_to(&target.url);
    let staff = app.staff_token().await;
    set_workspace_callback(&app, &staff, &redirecting.url).await;
    app.post_json("/v1/callback/test", &staff, &json!({})).await;
    redirecting
        .wait_for("the attempt", DEADLINE, |r| !r.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        target.received().is_empty(),
        "the redirect target got nothing"
    );
    let endpoint = endpoint_with_attempts(&app, &staff, 1).await;
    assert_eq!(endpoint.recent_attempts[0].status_code, Some(302));
    assert!(
        endpoint.failing_since.is_some(),
        "a redirect is no delivery"
    );
}

#[tokio::test]
async fn the_outbox_survives_kill_9_of_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _) = fresh_database(dir.path());
    let key = random_secret_key_b64();
    let demo = crate::helpers::cli_json(&run_cli(&database_url, &key, dir.path(), &["demo"], None));
    let env = [
        ("ENGAGE_CALLBACKS_ALLOW_PRIVATE", "1"),
        ("ENGAGE_LEASE_MS", "2000"),
    ];
    let serve = crate::durability::spawn_serve_with(&database_url, &key, dir.path(), &env);
    let client = reqwest::Client::new();
    let login: StaffTokenResponse = client
        .post(format!("{}/v1/auth/login", serve.base_url))
        .json(&json!({"email": demo["user"]["email"], "password": demo["user"]["password"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // A port nobody listens on yet: every attempt fails until the receiver starts there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/engage/status");
    let resp = client
        .put(format!("{}/v1/callback", serve.base_url))
        .bearer_auth(&login.access_token)
        .json(&json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = client
        .post(format!("{}/v1/callback/test", serve.base_url))
        .bearer_auth(&login.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    // Wait for a failed attempt: the event is in the outbox, being retried.
    let start = std::time::Instant::now();
    loop {
        let endpoint: CallbackEndpoint = client
            .get(format!("{}/v1/callback", serve.base_url))
            .bearer_auth(&login.access_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !endpoint.recent_attempts.is_empty() {
            break;
        }
        assert!(start.elapsed() < DEADLINE, "no attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut serve = serve;
    serve.child.kill().unwrap();
    serve.child.wait().unwrap();

    let receiver = Receiver::start_on(&format!("127.0.0.1:{port}")).await;
    let _restarted = crate::durability::spawn_serve_with(&database_url, &key, dir.path(), &env);
    let received = receiver
        .wait_for("the event queued before kill -9", DEADLINE, |r| {
            !r.is_empty()
        })
        .await;
    assert_eq!(received[0].json()["status"], "test");
}

#[tokio::test]
async fn two_instances_on_postgresql_deliver_each_event_once() {
    if !crate::helpers::on_postgres() {
        // Several instances share one database only on PostgreSQL.
        return;
    }
    let app = app_allowing_private().await;
    let other = engage_server::start(engage_server::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        callbacks: engage_server::CallbackConfig {
            allow_private: true,
        },
        ..engage_server::ServerConfig::new(
            app.database_url.clone(),
            engage_server::SecretKeySource::Env(app.secret_key_b64.clone()),
        )
    })
    .await
    .unwrap();
    let receiver = Receiver::start().await;
    let staff = app.staff_token().await;
    set_workspace_callback(&app, &staff, &receiver.url).await;
    for _ in 0..200 {
        let resp = app.post_json("/v1/callback/test", &staff, &json!({})).await;
        assert_eq!(resp.status(), StatusCode::ACCEPTED);
    }
    let received = receiver
        .wait_for("200 events", DEADLINE, |r| r.len() >= 200)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.event_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 200);
    assert_eq!(
        receiver.received().len(),
        200,
        "no event twice: {}",
        received.len()
    );
    other.shutdown().await;
}
