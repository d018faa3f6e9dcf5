//! Issue 12 §5: a campaign created with "at most 1 message to the same person every day" on the
//! sandbox; the copied send curl run twice to one number — the second is refused with
//! `frequency_capped`, and the integration log shows the refusal.

use engage_e2e::flows::{run_send_curl, start_sandbox, token_from_copied_curl};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eResult, Harness};

const NAME: &str = "Uma vez por dia";

#[tokio::test]
async fn a_campaign_capped_at_one_a_day_refuses_the_second_copied_curl_and_logs_it() -> E2eResult<()>
{
    let Some(h) = Harness::start("12-frequency-cap").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;

    app.click("new-campaign").await?;
    app.fill("campaign-name", NAME).await?;
    app.choose_first("campaign-sender").await?;
    app.choose_first("campaign-template").await?;
    app.click("cap-toggle").await?;
    app.click("cap-enabled").await?;
    app.fill("cap-max", "1").await?;
    app.fill("cap-period", "24").await?;
    app.shot("new-campaign-with-cap").await?;
    app.click("campaign-create").await?;
    app.visible("copy-send-curl").await?;
    let summary = app.visible("cap-summary").await?;
    assert_eq!(
        summary.attr("data-capped").await.ok().flatten().as_deref(),
        Some("true")
    );
    app.shot("documentation-with-cap").await?;

    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let first = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(first.status, 202, "{first:?}");
    let second = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(second.status, 422, "{second:?}");
    assert_eq!(second.error_code().as_deref(), Some("frequency_capped"));

    app.wait("the refusal in the integration log", UI_TIMEOUT, || async {
        for call in app.all("integration-call").await? {
            if call.attr("data-code").await.ok().flatten().as_deref() == Some("frequency_capped") {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await?;
    app.shot("integration-log-capped").await?;
    h.quit(app).await
}
