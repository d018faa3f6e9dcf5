//! Issue 12 §4: a quick-reply button marked as opt-out on the documentation screen; in the
//! sandbox's activity the recipient "presses" it; the number is on the do-not-message list
//! with source `button` and the next copied curl is refused with `recipient_opted_out`.

use engage_e2e::flows::{run_send_curl, start_sandbox, token_from_copied_curl};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eResult, Harness};

const NAME: &str = "Carrinho com botão de saída";
const STOP_BUTTON: &str = "Não tenho interesse";

#[tokio::test]
async fn pressing_a_button_marked_as_opt_out_lists_the_number_and_the_next_send_is_refused(
) -> E2eResult<()> {
    let Some(h) = Harness::start("12-opt-out-buttons").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    app.click("new-campaign").await?;
    app.fill("campaign-name", NAME).await?;
    app.choose_first("campaign-sender").await?;
    app.fill("template-search", "carrinho").await?;
    app.choose_first("campaign-template").await?;
    app.click("campaign-create").await?;
    app.visible("copy-send-curl").await?;

    let toggle = app
        .wait("the opt-out switch of the button", UI_TIMEOUT, || async {
            for toggle in app.all("opt-out-button-toggle").await? {
                if toggle.attr("data-button").await.ok().flatten().as_deref() == Some(STOP_BUTTON) {
                    return Ok(Some(toggle));
                }
            }
            Ok(None)
        })
        .await?;
    app.click_element(&toggle, "the opt-out switch").await?;
    app.wait("the button marked", UI_TIMEOUT, || async {
        for toggle in app.all("opt-out-button-toggle").await? {
            if toggle.attr("data-button").await.ok().flatten().as_deref() == Some(STOP_BUTTON)
                && toggle.prop("checked").await.ok().flatten().as_deref() == Some("true")
            {
                return Ok(Some(()));
            }
        }
        Ok(None)
    })
    .await?;
    app.shot("documentation-opt-out-button").await?;

    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let first = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(first.status, 202, "{first:?}");

    app.click("open-activity").await?;
    let press = app
        .wait(
            "the button offered as a reply",
            DELIVERY_TIMEOUT,
            || async {
                for button in app.all("simulate-reply-button").await? {
                    if button.attr("data-button").await.ok().flatten().as_deref()
                        == Some(STOP_BUTTON)
                    {
                        return Ok(Some(button));
                    }
                }
                Ok(None)
            },
        )
        .await?;
    app.click_element(&press, "the opt-out button").await?;
    let result = app.visible("simulate-reply-result").await?;
    assert_eq!(
        result.attr("data-button").await.ok().flatten().as_deref(),
        Some(STOP_BUTTON)
    );
    app.shot("simulated-button-press").await?;

    let refused = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(refused.error_code().as_deref(), Some("recipient_opted_out"));

    app.click("nav-opt-outs").await?;
    let row = app
        .wait("the number on the list", UI_TIMEOUT, || async {
            app.displayed("opt-out-row").await
        })
        .await?;
    assert_eq!(
        row.attr("data-source").await.ok().flatten().as_deref(),
        Some("button")
    );
    h.quit(app).await
}
