//! Issue 12: messages sent to the sandbox's test numbers, then the campaign's insights in the
//! real window — totals, failure reasons in plain words — and the list's 7-day activity.

use engage_e2e::flows::{
    campaign_row, create_campaign, inside, run_send_curl, start_sandbox, token_from_copied_curl,
};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};

const NAME: &str = "Resultados de dezembro";
/// The recipient the documentation's send curl carries by default.
const EXAMPLE_TO: &str = "+5511987654321";

#[tokio::test]
async fn insights_show_the_totals_and_failure_reasons_of_messages_sent_to_the_sandbox_test_numbers(
) -> E2eResult<()> {
    let Some(h) = Harness::start("12-insights").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    if !send_curl.contains(EXAMPLE_TO) {
        return Err(E2eError::BadOutput {
            what: format!("the copied send curl has no {EXAMPLE_TO} to replace"),
            got: send_curl,
        });
    }
    // 50 messages: 20 to numbers ending in 0001 (fail with 131026), 15 ending in 0002
    // (delivered, never read) and 15 others (delivered, then read).
    let numbers: Vec<String> = (0..50)
        .map(|i| match i % 10 {
            0..=3 => format!("+5511987{:02}0001", i),
            4..=6 => format!("+5511987{:02}0002", i),
            _ => format!("+5511987{:02}4321", i),
        })
        .collect();
    for to in &numbers {
        let sent = run_send_curl(&h.tools.bash, &send_curl.replace(EXAMPLE_TO, to), &token)?;
        assert_eq!(sent.status, 202, "{sent:?}");
    }

    app.click("open-insights").await?;
    app.visible("insights-totals").await?;
    app.shot("insights-arriving").await?;
    let total = |status: &'static str| {
        let app = &app;
        async move {
            let element = app.visible(&format!("insights-total-{status}")).await?;
            Ok::<_, E2eError>(
                element
                    .attr("data-value")
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or_default(),
            )
        }
    };
    // The failures and reads arrive 4-8 s after each delivery and the screen refreshes itself
    // every 5 s; on a loaded machine the debug build's 50 deliveries themselves take a while.
    app.wait(
        "every later status in the totals",
        2 * DELIVERY_TIMEOUT,
        || async {
            let now = (
                total("accepted").await?,
                total("failed").await?,
                total("delivered").await?,
                total("read").await?,
            );
            Ok((now == ("50".into(), "20".into(), "30".into(), "15".into())).then_some(()))
        },
    )
    .await?;
    assert_eq!(total("sent").await?, "50");
    let failure = app
        .wait("the failure reason 131026", UI_TIMEOUT, || async {
            for row in app.all("insights-failure").await? {
                if row.attr("data-code").await.ok().flatten().as_deref() == Some("whatsapp_131026")
                {
                    return Ok(Some(row));
                }
            }
            Ok(None)
        })
        .await?;
    assert_eq!(
        failure.attr("data-count").await.ok().flatten().as_deref(),
        Some("20")
    );
    let explained = failure.text().await.unwrap_or_default();
    assert!(
        explained.contains("131026") && explained.contains("WhatsApp"),
        "the reason in plain words: {explained}"
    );
    let rate = app.text("insights-delivery-rate").await?;
    assert!(rate.contains("60"), "30 delivered of 50 sent: {rate}");
    assert!(
        app.displayed("insights-chart").await?.is_some(),
        "the chart is drawn"
    );
    app.shot("insights").await?;

    app.click("insights-period-today").await?;
    app.wait("today's totals by hour", UI_TIMEOUT, || async {
        Ok((total("accepted").await? == "50").then_some(()))
    })
    .await?;
    app.shot("insights-today").await?;

    // The campaign list shows the 50 sent in the last 7 days on the campaign's row.
    app.click("nav-campaigns").await?;
    let row = campaign_row(&app, NAME).await?;
    let activity = inside(&row, "row-sent-7d").await?;
    assert_eq!(
        activity.attr("data-count").await.ok().flatten().as_deref(),
        Some("50")
    );
    app.shot("campaigns-with-activity").await?;
    h.quit(app).await
}
