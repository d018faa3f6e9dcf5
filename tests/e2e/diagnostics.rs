//! Issue 14: diagnostics and log files, and a list of 10,000 campaigns.
//! - A whole sandbox run (sign-in, a campaign, the token curl copied and run, diagnostics
//!   copied) leaves a log file in the app data directory that holds none of the sandbox's
//!   secrets: the demo password, the client secret, the access token.
//! - "Copy diagnostics" puts the versions, the server and the last log lines on the clipboard,
//!   again without a secret.
//! - 10,000 campaigns (seeded through the sandbox server's API) render as a window of rows:
//!   scrolling to the end shows the last one, a search finds one at once.

use std::fs;
use std::path::Path;

use engage_e2e::flows::{
    campaign_names, create_campaign, server_base, start_sandbox, token_from_copied_curl,
};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eError, E2eResult, Harness};
use serde_json::{json, Value};

const DEMO_EMAIL: &str = "demo@engage.local";
const DEMO_PASSWORD: &str = "engage-sandbox";

/// The `id:secret` argument of a copied token curl (`-u 'id:secret'`): the client secret.
fn client_secret(token_curl: &str) -> String {
    let after = token_curl.split("-u '").nth(1).unwrap_or_default();
    let credentials = after.split('\'').next().unwrap_or_default();
    credentials
        .split_once(':')
        .map(|(_, s)| s.to_owned())
        .unwrap_or_default()
}

/// Every log file of the app data directory, concatenated.
fn logs_of(data_dir: &Path) -> String {
    let mut text = String::new();
    if let Ok(entries) = fs::read_dir(data_dir.join("logs")) {
        for entry in entries.flatten() {
            text.push_str(&fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    text
}

#[tokio::test]
async fn a_sandbox_run_logs_to_a_file_without_secrets_and_diagnostics_copy_without_them(
) -> E2eResult<()> {
    let Some(h) = Harness::start("14-diagnostics").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Saldo pré-pago acabando").await?;
    let (token_curl, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let secret = client_secret(&token_curl);
    assert!(secret.len() >= 16, "no client secret in {token_curl:?}");

    app.click("nav-settings").await?;
    app.wait("Settings to show the app's version", UI_TIMEOUT, || async {
        let text = app.non_empty_text("app-version").await?;
        Ok((text.trim() == env!("CARGO_PKG_VERSION")).then_some(()))
    })
    .await?;
    app.shot("settings-about-and-diagnostics").await?;
    let diagnostics = app.copy_with("copy-diagnostics").await?;
    let base = server_base(&token_curl)?;
    for expected in [
        format!("Engage desktop: {}\n", env!("CARGO_PKG_VERSION")),
        "Operating system: ".to_owned(),
        format!("Server: {base} (sandbox)\n"),
        format!("Server version: {}\n", env!("CARGO_PKG_VERSION")),
        "Last ".to_owned(),
        "sandbox server started".to_owned(),
    ] {
        assert!(
            diagnostics.contains(&expected),
            "no {expected:?} in the diagnostics:\n{diagnostics}"
        );
    }
    assert!(
        !diagnostics.contains("WebView: unknown"),
        "the WebKitGTK version is named:\n{diagnostics}"
    );
    h.quit(app).await?;

    let log = logs_of(h.data_dir());
    assert!(
        log.contains("sandbox server started"),
        "the run was logged to the data dir:\n{log}"
    );
    for (what, needle) in [
        ("the demo password", DEMO_PASSWORD),
        ("the client secret", secret.as_str()),
        ("the access token", token.as_str()),
    ] {
        assert!(!log.contains(needle), "the log holds {what}");
        assert!(!diagnostics.contains(needle), "the diagnostics hold {what}");
    }
    Ok(())
}

/// Signs in to the sandbox server as the demo user and creates `count` campaigns through the
/// API (8 at a time), named `Campanha 00001` …
async fn seed_campaigns(base: &str, count: usize) -> E2eResult<()> {
    let http = reqwest::Client::new();
    let failed = |what: &str| {
        let what = what.to_owned();
        move |e: reqwest::Error| E2eError::BadOutput {
            what,
            got: e.to_string(),
        }
    };
    let login: Value = http
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({ "email": DEMO_EMAIL, "password": DEMO_PASSWORD }))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed("signing in to the sandbox"))?
        .json()
        .await
        .map_err(failed("reading the sign-in answer"))?;
    let token = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let first = |path: &'static str| {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let list: Value = http
                .get(format!("{base}{path}"))
                .bearer_auth(&token)
                .send()
                .await
                .map_err(failed(path))?
                .json()
                .await
                .map_err(failed(path))?;
            let items = list
                .as_array()
                .cloned()
                .or_else(|| list["items"].as_array().cloned());
            Ok::<String, E2eError>(
                items
                    .and_then(|i| i.first().and_then(|x| x["id"].as_str().map(str::to_owned)))
                    .unwrap_or_default(),
            )
        }
    };
    let sender = first("/v1/senders").await?;
    let template = first("/v1/templates").await?;
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (http, token, next) = (http.clone(), token.clone(), next.clone());
        let (sender, template, base) = (sender.clone(), template.clone(), base.to_owned());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n > count {
                    return Ok::<(), String>(());
                }
                let status = http
                    .post(format!("{base}/v1/campaigns"))
                    .bearer_auth(&token)
                    .json(&json!({ "name": format!("Campanha {n:05}"), "type": "recurrent", "sender_id": sender, "template_id": template }))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?
                    .status();
                if !status.is_success() {
                    return Err(format!("creating campaign {n}: HTTP {status}"));
                }
            }
        }));
    }
    for worker in workers {
        worker
            .await
            .map_err(|e| E2eError::BadOutput {
                what: "a seeding task".into(),
                got: e.to_string(),
            })?
            .map_err(|got| E2eError::BadOutput {
                what: "seeding campaigns".into(),
                got,
            })?;
    }
    Ok(())
}

#[tokio::test]
async fn ten_thousand_campaigns_render_as_a_window_of_rows_scroll_to_the_end_and_search_at_once(
) -> E2eResult<()> {
    let Some(h) = Harness::start("14-ten-thousand").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    let base = app
        .script("return document.querySelector('[data-testid=server-address]').textContent.trim()")
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    seed_campaigns(&base, 10_000).await?;

    // Back to the list: it loads the 10,000 campaigns once.
    app.click("nav-settings").await?;
    app.click("nav-campaigns").await?;
    let count = app
        .wait("the list to count 10,000 campaigns", UI_TIMEOUT, || async {
            let text = app.displayed("campaigns-count").await?;
            Ok(match text {
                Some(element) => {
                    let text = element.text().await.unwrap_or_default();
                    text.contains("10000").then_some(text)
                }
                None => None,
            })
        })
        .await?;
    app.shot("ten-thousand").await?;
    let rendered = campaign_names(&app).await?;
    assert!(
        !rendered.is_empty() && rendered.len() < 60,
        "{count}: {} rows in the page, expected only the visible window",
        rendered.len()
    );

    app.script(
        "const list = document.querySelector('[data-testid=campaign-list]'); list.scrollTop = list.scrollHeight; return list.scrollTop",
    )
    .await?;
    // The rows carry aria-rowindex (the header is row 1): the last row of 10,000 is 10,001.
    app.wait(
        "the last campaign to be rendered after scrolling to the end",
        UI_TIMEOUT,
        || async {
            let last = app
                .script(
                    "const list = document.querySelector('[data-testid=campaign-list]');
                 const rows = [...list.querySelectorAll('[data-testid=campaign-row]')];
                 return Math.max(0, ...rows.map((r) => Number(r.getAttribute('aria-rowindex'))));",
                )
                .await?;
            Ok((last.as_u64() == Some(10_001)).then_some(()))
        },
    )
    .await?;
    app.shot("scrolled-to-the-end").await?;
    assert!(
        campaign_names(&app).await?.len() < 60,
        "still a window of rows at the end"
    );

    app.fill("campaign-search", "campanha 04321").await?;
    app.wait(
        "the search to show exactly one campaign",
        UI_TIMEOUT,
        || async {
            let names = campaign_names(&app).await?;
            Ok((names == ["Campanha 04321"]).then_some(()))
        },
    )
    .await?;
    app.shot("searched").await?;
    h.quit(app).await
}
