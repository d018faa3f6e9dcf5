//! Issue 12: "Send a test to my phone" on the documentation screen — the message appears in the
//! activity marked as a test, the number is remembered, and a deactivated campaign's refusal
//! is shown in plain words.

use engage_e2e::flows::{create_campaign, start_sandbox};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eResult, Harness};

const NAME: &str = "Teste no celular";
/// A sandbox test number: delivered, never read.
const MY_PHONE: &str = "+5511987650002";

#[tokio::test]
async fn a_test_sent_to_my_phone_shows_in_the_activity_as_a_test_and_the_number_is_remembered(
) -> E2eResult<()> {
    let Some(h) = Harness::start("12-test-send").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    app.fill("test-phone", MY_PHONE).await?;
    app.click("test-send-button").await?;
    let done = app.visible("test-send-done").await?;
    let text = done.text().await.unwrap_or_default();
    assert!(text.contains(MY_PHONE), "{text}");
    app.shot("test-sent").await?;

    app.click("open-activity").await?;
    app.wait(
        "the test message in the activity",
        DELIVERY_TIMEOUT,
        || async { Ok(app.displayed("activity-test").await?.map(|_| ())) },
    )
    .await?;
    app.shot("activity-with-test").await?;

    // Back on the documentation: the number is remembered; a deactivated campaign refuses.
    app.click("activity-back").await?;
    let remembered = app
        .wait("the remembered number", UI_TIMEOUT, || async {
            let input = app.visible("test-phone").await?;
            let value = input.prop("value").await.ok().flatten().unwrap_or_default();
            Ok((value == MY_PHONE).then_some(value))
        })
        .await?;
    assert_eq!(remembered, MY_PHONE);
    app.click("campaign-toggle-status").await?;
    app.click("confirm").await?;
    app.wait("the campaign deactivated", UI_TIMEOUT, || async {
        let status = app.visible("campaign-status").await?;
        Ok(
            (status.attr("data-status").await.ok().flatten().as_deref() == Some("inactive"))
                .then_some(()),
        )
    })
    .await?;
    app.click("test-send-button").await?;
    let refused = app.visible("test-send-error").await?;
    assert_eq!(
        refused.attr("data-code").await.ok().flatten().as_deref(),
        Some("campaign_inactive")
    );
    app.shot("test-send-refused").await?;
    h.quit(app).await
}
