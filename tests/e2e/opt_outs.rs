//! Issue 12: the sandbox's number ending in 0003 "replies" PARAR; the number shows on the
//! do-not-message list, the next send to it is refused, and removing it asks for a reason.

use engage_e2e::flows::{
    create_campaign, inside, run_send_curl, start_sandbox, token_from_copied_curl,
};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};

const NAME: &str = "Promoções de verão";
const EXAMPLE_TO: &str = "+5511987654321";
const REPLIES_STOP: &str = "+5511987650003";

#[tokio::test]
async fn a_number_that_replied_parar_is_listed_refused_and_removed_only_with_a_reason(
) -> E2eResult<()> {
    let Some(h) = Harness::start("12-opt-outs").await? else {
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
    let to_stop = send_curl.replace(EXAMPLE_TO, REPLIES_STOP);
    let first = run_send_curl(&h.tools.bash, &to_stop, &token)?;
    assert_eq!(first.status, 202, "{first:?}");

    app.click("nav-opt-outs").await?;
    let row = app
        .wait(
            "the number that replied PARAR on the list",
            DELIVERY_TIMEOUT,
            || async {
                app.click("opt-out-search").await?;
                app.fill("opt-out-search", "5511987650003").await?;
                for row in app.all("opt-out-row").await? {
                    if row.attr("data-phone").await.ok().flatten().as_deref() == Some(REPLIES_STOP)
                    {
                        return Ok(Some(row));
                    }
                }
                Ok(None)
            },
        )
        .await?;
    assert_eq!(
        row.attr("data-source").await.ok().flatten().as_deref(),
        Some("reply")
    );
    app.shot("opt-outs").await?;

    let refused = run_send_curl(&h.tools.bash, &to_stop, &token)?;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(refused.error_code().as_deref(), Some("recipient_opted_out"));

    // Removing asks for a reason.
    let remove = inside(&row, "opt-out-remove").await?;
    app.click_element(&remove, "Remove").await?;
    app.click("opt-out-remove-confirm").await?;
    app.visible("opt-out-remove-error").await?;
    app.fill("opt-out-remove-reason", "Asked to receive the offers again")
        .await?;
    app.click("opt-out-remove-confirm").await?;
    app.wait("the number off the list", UI_TIMEOUT, || async {
        Ok(app.displayed("opt-outs-empty").await?.map(|_| ()))
    })
    .await?;
    app.shot("opt-outs-removed").await?;
    let again = run_send_curl(&h.tools.bash, &to_stop, &token)?;
    assert_eq!(again.status, 202, "{again:?}");
    h.quit(app).await
}

#[tokio::test]
async fn simulating_parar_in_the_sandbox_activity_makes_the_next_send_refused() -> E2eResult<()> {
    let Some(h) = Harness::start("12-simulate-reply").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let to_kept = send_curl.replace(EXAMPLE_TO, "+5511987650002");
    let first = run_send_curl(&h.tools.bash, &to_kept, &token)?;
    assert_eq!(first.status, 202, "{first:?}");

    app.click("open-activity").await?;
    app.visible("simulate-reply").await?;
    app.click("simulate-reply-send").await?;
    let result = app.visible("simulate-reply-result").await?;
    assert_eq!(
        result.attr("data-keyword").await.ok().flatten().as_deref(),
        Some("PARAR")
    );
    app.shot("simulated-reply").await?;
    let refused = run_send_curl(&h.tools.bash, &to_kept, &token)?;
    assert_eq!(refused.status, 422, "{refused:?}");
    assert_eq!(refused.error_code().as_deref(), Some("recipient_opted_out"));
    app.wait("the number on the list", UI_TIMEOUT, || async {
        app.click("nav-opt-outs").await?;
        Ok(app.displayed("opt-out-row").await?.map(|_| ()))
    })
    .await?;
    h.quit(app).await
}
