//! Issue 15: the Integration panel of the documentation screen shows the technical team's
//! requests live — a refused call with its reason within 2 s — and the campaign list shows
//! each campaign's integration as failing or live.

use std::time::{Duration, Instant};

use engage_e2e::flows::{
    campaign_row, create_campaign, inside, run_send_curl, server_base, start_sandbox,
    token_from_copied_curl,
};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eError, E2eResult, Harness};
use serde_json::json;

const NAME: &str = "Integracao ao vivo";

/// How soon a request must show in the panel.
const SHOWN_WITHIN: Duration = Duration::from_secs(2);

/// The campaign's send URL, as the copied send curl names it.
fn send_url(curl: &str) -> E2eResult<String> {
    let base = server_base(curl)?;
    let start = curl.find(&format!("{base}/v1/campaigns/"));
    start
        .map(|start| {
            curl[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\''))
                .collect::<String>()
        })
        .ok_or_else(|| E2eError::BadOutput {
            what: "no send URL in the copied send curl".into(),
            got: curl.to_string(),
        })
}

#[tokio::test]
async fn a_refused_call_shows_in_the_integration_panel_with_its_reason_within_two_seconds(
) -> E2eResult<()> {
    let Some(h) = Harness::start("15-integration-log").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let state = app.visible("integration-state").await?;
    assert_eq!(
        state.attr("data-state").await.ok().flatten().as_deref(),
        Some("waiting")
    );
    app.shot("integration-waiting").await?;

    // The technical team gets a token: the panel says so.
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    app.wait(
        "the panel to say a token was obtained",
        UI_TIMEOUT,
        || async {
            let state = app.visible("integration-state").await?;
            Ok(
                (state.attr("data-state").await.ok().flatten().as_deref()
                    == Some("token_obtained"))
                .then_some(()),
            )
        },
    )
    .await?;

    // A send without the template's variables is refused: shown with its reason within 2 s.
    let send_curl = app.copy_with("copy-send-curl").await?;
    let url = send_url(&send_curl)?;
    let refused = reqwest::Client::new()
        .post(&url)
        .bearer_auth(&token)
        .json(&json!({"to": "+5511987654321", "variables": {}}))
        .send()
        .await
        .map_err(|source| E2eError::Http {
            url: url.clone(),
            source,
        })?;
    let sent_at = Instant::now();
    assert_eq!(refused.status().as_u16(), 422);
    let reason = app
        .wait(
            "the refusal and its reason in the panel",
            UI_TIMEOUT,
            || async {
                let state = app.visible("integration-state").await?;
                if state.attr("data-state").await.ok().flatten().as_deref() != Some("failing") {
                    return Ok(None);
                }
                let Some(reason) = app.displayed("integration-reason").await? else {
                    return Ok(None);
                };
                Ok(Some(reason.text().await.unwrap_or_default()))
            },
        )
        .await?;
    let shown_after = sent_at.elapsed();
    app.shot("integration-refused").await?;
    assert!(
        shown_after <= SHOWN_WITHIN,
        "the refusal showed after {shown_after:?}"
    );
    // Every language names the missing variable in backquotes: "the variable `1` is missing".
    assert!(reason.contains('`'), "{reason}");
    let calls = app.all("integration-call").await?;
    let newest = calls.first().ok_or_else(|| E2eError::BadOutput {
        what: "no request in the recent-requests list".into(),
        got: String::new(),
    })?;
    assert_eq!(
        newest.attr("data-code").await.ok().flatten().as_deref(),
        Some("missing_variable")
    );
    let row = newest.text().await.unwrap_or_default();
    assert!(row.contains("•••• 4321"), "{row}");
    assert!(!row.contains("987654321"), "{row}");

    // "Refused only" leaves out the token request.
    app.click("integration-refused-only").await?;
    app.wait("only refused requests listed", UI_TIMEOUT, || async {
        let calls = app.all("integration-call").await?;
        let mut all_refused = !calls.is_empty();
        for call in &calls {
            all_refused &=
                call.attr("data-refused").await.ok().flatten().as_deref() == Some("true");
        }
        Ok(all_refused.then_some(()))
    })
    .await?;

    // The campaign list says the integration is failing; a good send makes it live.
    app.click("nav-campaigns").await?;
    health_shows(&app, "failing").await?;
    app.shot("integration-list-failing").await?;
    let sent = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(sent.status, 202, "{sent:?}");
    let row = campaign_row(&app, NAME).await?;
    let open = inside(&row, "row-docs").await?;
    app.click_element(&open, "the campaign's documentation")
        .await?;
    app.wait("the panel to say messages are sent", UI_TIMEOUT, || async {
        let state = app.visible("integration-state").await?;
        Ok(
            (state.attr("data-state").await.ok().flatten().as_deref() == Some("sending"))
                .then_some(()),
        )
    })
    .await?;
    app.click("nav-campaigns").await?;
    health_shows(&app, "live").await?;
    h.quit(app).await
}

/// Waits until the campaign's row shows this integration health.
async fn health_shows(app: &engage_e2e::App<'_>, health: &str) -> E2eResult<()> {
    app.wait(
        &format!("the row to show the integration as {health}"),
        UI_TIMEOUT,
        || async {
            let row = campaign_row(app, NAME).await?;
            let Ok(badge) = inside(&row, "integration-health").await else {
                return Ok(None);
            };
            Ok(
                (badge.attr("data-health").await.ok().flatten().as_deref() == Some(health))
                    .then_some(()),
            )
        },
    )
    .await
}
