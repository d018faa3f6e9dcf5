//! Scenarios 2, 3 and 6: the copied curls run with bash against the sandbox, the message in
//! the activity view, and a deactivated campaign refusing the same curl.

use engage_e2e::flows::{
    as_read, create_campaign, fetch_message, run_send_curl, server_base, start_sandbox,
    token_from_copied_curl,
};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};
use serde_json::Value;

const NAME: &str = "Carrinho abandonado";

#[tokio::test]
async fn the_copied_token_curl_gets_a_token_and_the_copied_send_curl_queues_the_message(
) -> E2eResult<()> {
    let Some(h) = Harness::start("2-copied-curls").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;

    let (token_curl, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    assert!(
        token_curl.trim_start().starts_with("curl"),
        "{token_curl:?}"
    );
    assert!(
        !token.is_empty(),
        "the token response held an empty access_token"
    );

    let send_curl = app.copy_with("copy-send-curl").await?;
    app.shot("send-curl-copied").await?;
    assert!(
        send_curl.contains("$ENGAGE_TOKEN"),
        "the send curl does not read the token from $ENGAGE_TOKEN: {send_curl}"
    );

    let without_token = run_send_curl(&h.tools.bash, &send_curl, "")?;
    assert_eq!(without_token.status, 401, "{without_token:?}");

    let sent = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(sent.status, 202, "{sent:?}");
    let body = sent.json()?;
    assert_eq!(body["status"], "queued", "{body}");
    assert!(
        body["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    h.quit(app).await
}

#[tokio::test]
async fn a_sent_message_shows_in_activity_as_delivered_with_the_text_the_recipient_got(
) -> E2eResult<()> {
    let Some(h) = Harness::start("3-activity").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let sent = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(sent.status, 202, "{sent:?}");
    let id = sent.json()?["id"].as_str().unwrap_or_default().to_string();

    app.click("open-activity").await?;
    app.shot("activity").await?;
    let item_text = app
        .wait(
            "an activity-item with data-status=delivered (or read: the sandbox reads it later)",
            DELIVERY_TIMEOUT,
            || async {
                for item in app.all("activity-item").await? {
                    let status = item.attr("data-status").await.ok().flatten();
                    if matches!(status.as_deref(), Some("delivered" | "read")) {
                        return Ok(Some(item.text().await.unwrap_or_default()));
                    }
                }
                Ok(None)
            },
        )
        .await?;
    app.shot("activity-delivered").await?;

    // What the recipient got, as the server recorded it for this message.
    let message = fetch_message(&server_base(&send_curl)?, &token, &id).await?;
    let body = message
        .pointer("/rendered/body")
        .and_then(Value::as_str)
        .ok_or_else(|| E2eError::BadOutput {
            what: format!("GET /v1/messages/{id} has no rendered.body"),
            got: message.to_string(),
        })?;
    assert!(
        message["status"] == "delivered" || message["status"] == "read",
        "{message}"
    );
    assert!(
        !body.contains("{{"),
        "a placeholder was not filled: {body:?}"
    );
    assert!(
        as_read(&item_text).contains(&as_read(body)),
        "the activity item does not show the text the recipient got\n item: {item_text:?}\n sent: {body:?}"
    );
    h.quit(app).await
}

#[tokio::test]
async fn a_deactivated_campaign_refuses_the_same_send_curl_with_campaign_inactive() -> E2eResult<()>
{
    let Some(h) = Harness::start("6-deactivate").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let send_curl = app.copy_with("copy-send-curl").await?;
    let first = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(first.status, 202, "while active: {first:?}");

    app.click("campaign-toggle-status").await?;
    app.visible("confirm").await?;
    app.shot("deactivate-confirmation").await?;
    app.click("confirm").await?;
    app.gone("confirm").await?;
    app.shot("deactivated").await?;

    // The toggle is usable again once the change is saved (it shows a loading state meanwhile).
    app.wait(
        "campaign-toggle-status to be enabled again",
        UI_TIMEOUT,
        || async {
            Ok(app
                .is_enabled("campaign-toggle-status")
                .await?
                .then_some(()))
        },
    )
    .await?;
    let refused = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert_eq!(refused.error_code().as_deref(), Some("campaign_inactive"));
    h.quit(app).await
}
