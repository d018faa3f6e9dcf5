//! Issue 9: what hostile or broken clients may cost the server. Slow and silent connections
//! are closed, connections are capped, sign-in floods are bounded and told `busy`, credential
//! answers are not cacheable, every answer says `nosniff`, a handler panic is a 500.

use std::time::{Duration, Instant};

use engage_core::wire::{ApiErrorBody, StaffTokenResponse};
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{
    cli_json, random_secret_key_b64, run_cli, spawn_app, spawn_app_with, sqlite_url,
};

fn limits() -> engage_server::Limits {
    engage_server::Limits::default()
}

/// Reads until the peer closes the connection (EOF or reset); `None` when it is still open
/// after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let deadline = Instant::now() + within;
    let mut buffer = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

fn addr(app: &crate::helpers::TestApp) -> String {
    app.base_url.trim_start_matches("http://").to_owned()
}

#[tokio::test]
async fn a_client_sending_its_headers_byte_by_byte_is_disconnected_after_the_header_read_timeout() {
    let app = spawn_app_with(engage_server::Limits {
        header_read_timeout: Duration::from_millis(400),
        ..limits()
    })
    .await;
    let stream = TcpStream::connect(addr(&app)).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let started = Instant::now();
    // The slow client: one byte every 50 ms, for up to 10 s.
    let writer = tokio::spawn(async move {
        let head = b"GET /healthz HTTP/1.1\r\nHost: engage\r\nX-Slow: ";
        for byte in head.iter().chain(std::iter::repeat(&b'a')).take(200) {
            if write.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buffer = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match read.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    writer.abort();
    assert!(
        closed.is_ok(),
        "the connection is still open after 5 s of a header sent byte by byte"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(350),
        "closed after the timeout, not before: {elapsed:?}"
    );
    // The server still serves others.
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed_after_the_header_read_timeout() {
    let app = spawn_app_with(engage_server::Limits {
        header_read_timeout: Duration::from_millis(300),
        ..limits()
    })
    .await;
    let mut silent = TcpStream::connect(addr(&app)).await.unwrap();
    assert!(
        closed_within(&mut silent, Duration::from_secs(5))
            .await
            .is_some(),
        "a silent connection is closed"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_keep_alive_timeout() {
    let app = spawn_app_with(engage_server::Limits {
        keep_alive_timeout: Duration::from_millis(300),
        header_read_timeout: Duration::from_secs(30),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: engage\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let received = closed_within(&mut stream, Duration::from_secs(5))
        .await
        .expect("the idle connection is closed well before the 30 s header timeout");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(engage_server::Limits {
        max_connections: 2,
        ..limits()
    })
    .await;
    let first = TcpStream::connect(addr(&app)).await.unwrap();
    let _second = TcpStream::connect(addr(&app)).await.unwrap();
    // Give the server time to take both connections.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(addr(&app)).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: engage\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut third, Duration::from_millis(500))
            .await
            .is_none(),
        "a third connection is not served while two are open"
    );
    drop(first);
    let received = closed_within(&mut third, Duration::from_secs(5))
        .await
        .expect("served once a slot frees");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
}

#[tokio::test]
async fn request_heads_over_the_size_limit_are_refused_with_431() {
    let app = spawn_app_with(engage_server::Limits {
        max_header_bytes: 4096,
        ..limits()
    })
    .await;
    let big = "x".repeat(8 * 1024);
    let resp = app
        .client
        .get(app.url("/healthz"))
        .header("x-padding", big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_body_that_stalls_is_cut_off_after_the_body_read_timeout() {
    let app = spawn_app_with(engage_server::Limits {
        body_read_timeout: Duration::from_millis(300),
        ..limits()
    })
    .await;
    let mut stream = TcpStream::connect(addr(&app)).await.unwrap();
    stream
        .write_all(
            b"POST /v1/auth/login HTTP/1.1\r\nHost: engage\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
        )
        .await
        .unwrap();
    let received = closed_within(&mut stream, Duration::from_secs(5)).await;
    let received = received.expect("the stalled request is answered and closed");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 4"), "a 4xx answer: {text}");
}

// ---------------------------------------------------------------- headers

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn responses_carrying_credentials_say_cache_control_no_store() {
    let app = spawn_app().await;
    let login = app
        .login(&app.creds.user.email, &app.creds.user.password)
        .await;
    assert_eq!(header(&login, "cache-control").as_deref(), Some("no-store"));
    let tokens: StaffTokenResponse = login.json().await.unwrap();

    let refresh = app
        .client
        .post(app.url("/v1/auth/refresh"))
        .json(&json!({ "refresh_token": tokens.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(refresh.status(), StatusCode::OK);
    assert_eq!(
        header(&refresh, "cache-control").as_deref(),
        Some("no-store")
    );
    let tokens: StaffTokenResponse = refresh.json().await.unwrap();

    let oauth = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(
            app.creds.api_client.client_id.to_string(),
            Some(app.creds.api_client.client_secret.to_string()),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(oauth.status(), StatusCode::OK);
    assert_eq!(header(&oauth, "cache-control").as_deref(), Some("no-store"));

    let (campaign, _) = app.new_campaign().await;
    let integration = app
        .get(
            &format!("/v1/campaigns/{}/integration", campaign.id),
            &tokens.access_token,
        )
        .await;
    assert_eq!(integration.status(), StatusCode::OK);
    assert_eq!(
        header(&integration, "cache-control").as_deref(),
        Some("no-store"),
        "the integration answer carries the client secret"
    );
}

#[tokio::test]
async fn every_response_says_x_content_type_options_nosniff() {
    let app = spawn_app().await;
    let token = app.staff_token().await;
    let responses = vec![
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client
            .get(app.url("/openapi.json"))
            .send()
            .await
            .unwrap(),
        app.client.get(app.url("/v1/nope")).send().await.unwrap(),
        app.client.delete(app.url("/healthz")).send().await.unwrap(),
        app.get("/v1/me", "not-a-token").await,
        app.get("/v1/campaigns", &token).await,
        app.client
            .post(app.url("/oauth/token"))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .unwrap(),
    ];
    for resp in responses {
        assert_eq!(
            header(&resp, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{} {}",
            resp.status(),
            resp.url()
        );
    }
}

// ---------------------------------------------------------------- panics

#[tokio::test]
async fn a_panicking_handler_answers_500_with_the_error_body_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    for _ in 0..3 {
        let resp = app
            .client
            .get(app.url("/__test/panic"))
            .send()
            .await
            .expect("the panic is answered, not a dropped connection");
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            header(&resp, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let body: ApiErrorBody = resp.json().await.expect("the usual error body");
        assert_eq!(body.error.code, "internal_error");
        assert!(
            !body.error.message.contains("on purpose"),
            "the panic message stays in the log: {}",
            body.error.message
        );
    }
    let me: engage_core::wire::Me = app.get_ok("/v1/me", &app.staff_token().await).await;
    assert_eq!(me.email, app.creds.user.email);
}

#[test]
fn the_release_build_unwinds_panics_instead_of_aborting() {
    let manifest: toml_like::Manifest = toml_like::read(include_str!("../../../../Cargo.toml"));
    assert_eq!(
        manifest.release_panic.as_deref(),
        Some("unwind"),
        "[profile.release] panic must be \"unwind\" so that CatchPanicLayer can answer 500"
    );
}

/// The one value of the workspace manifest the test needs, without a TOML parser.
mod toml_like {
    pub struct Manifest {
        pub release_panic: Option<String>,
    }

    pub fn read(text: &str) -> Manifest {
        let mut section = "";
        let mut release_panic = None;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line;
            } else if section == "[profile.release]" {
                if let Some(value) = line.strip_prefix("panic") {
                    let value = value.trim_start().trim_start_matches('=').trim();
                    release_panic = Some(value.trim_matches('"').to_owned());
                }
            }
        }
        Manifest { release_panic }
    }
}

// ---------------------------------------------------------------- sign-in floods

/// Resident memory of a process and its peak so far, in KiB (Linux `/proc`).
#[cfg(target_os = "linux")]
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn two_hundred_concurrent_sign_ins_grow_memory_by_less_than_300_mb_and_the_excess_is_told_busy(
) {
    let dir = tempfile::tempdir().unwrap();
    let database_url = sqlite_url(&dir.path().join("engage.db"));
    let key = random_secret_key_b64();
    let demo = cli_json(&run_cli(&database_url, &key, dir.path(), &["demo"], None));
    let email = demo["user"]["email"].as_str().unwrap().to_owned();
    let password = demo["user"]["password"].as_str().unwrap().to_owned();
    // Sign-in throttling (which would block this account after 5 failures) is out of the way:
    // this test is about memory and the hashing queue.
    let serve = crate::durability::spawn_serve_with(
        &database_url,
        &key,
        dir.path(),
        &[
            ("ENGAGE_SIGN_IN_FREE_FAILURES", "100000"),
            ("ENGAGE_SIGN_IN_ADDRESS_FREE_FAILURES", "100000"),
        ],
    );
    let client = reqwest::Client::new();
    let login = |password: String| {
        let client = client.clone();
        let url = format!("{}/v1/auth/login", serve.base_url);
        let email = email.clone();
        async move {
            client
                .post(url)
                .json(&json!({ "email": email, "password": password }))
                .send()
                .await
                .expect("login answered")
        }
    };
    // Warm up: the first sign-ins allocate what every later one reuses.
    for _ in 0..2 {
        assert_eq!(login(password.clone()).await.status(), StatusCode::OK);
    }
    let (before, _) = memory_kib(serve.child.id());

    let attempts = (0..200).map(|i| {
        let password = if i % 4 == 0 {
            password.clone()
        } else {
            format!("wrong-{i}")
        };
        tokio::spawn(login(password))
    });
    let attempts: Vec<_> = attempts.collect();
    let (mut ok, mut refused, mut busy) = (0, 0, 0);
    for attempt in attempts {
        let resp = attempt.await.unwrap();
        match resp.status() {
            StatusCode::OK => ok += 1,
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry_after = header(&resp, "retry-after").expect("Retry-After on busy");
                assert!(retry_after.parse::<u64>().unwrap() >= 1);
                let body: ApiErrorBody = resp.json().await.unwrap();
                assert_eq!(body.error.code, "busy");
                busy += 1;
            }
            other => panic!("unexpected {other}: {}", resp.text().await.unwrap()),
        }
    }
    let (_, peak) = memory_kib(serve.child.id());
    let growth_mib = peak.saturating_sub(before) / 1024;
    eprintln!(
        "200 concurrent sign-ins: {ok} ok, {refused} wrong password, {busy} busy; \
         RSS {} MiB before, peak {} MiB (+{growth_mib} MiB)",
        before / 1024,
        peak / 1024
    );
    assert!(
        growth_mib < 300,
        "memory grew by {growth_mib} MiB under 200 concurrent sign-ins"
    );
    assert!(ok > 0 && refused > 0, "sign-ins still get through");
    assert!(busy > 0, "a flood beyond the queue is told busy");
    // And the server is responsive afterwards.
    assert_eq!(login(password.clone()).await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------- files

#[cfg(unix)]
#[test]
fn an_existing_world_readable_database_is_warned_about_at_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("engage.db");
    let database_url = sqlite_url(&db);
    let key = random_secret_key_b64();
    cli_json(&run_cli(
        &database_url,
        &key,
        dir.path(),
        &["workspace", "create", "--name", "W"],
        None,
    ));
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600,
        "created private"
    );
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let serve = crate::durability::spawn_serve_with(&database_url, &key, dir.path(), &[]);
    assert!(
        serve
            .startup
            .iter()
            .any(|line| line.contains("readable by every user")),
        "a warning at start: {:?}",
        serve.startup
    );
}
