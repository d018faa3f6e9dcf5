//! Issue 15: keyboard shortcuts — Ctrl+N opens the new campaign form, Esc goes back (and only
//! closes a dialog when one is open), Ctrl+F opens the campaign search.

use engage_e2e::flows::{create_campaign, start_sandbox};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eError, E2eResult, Harness};
use fantoccini::key::Key;

/// Types `keys` into the displayed element with this test id.
async fn press(app: &engage_e2e::App<'_>, id: &str, keys: &str) -> E2eResult<()> {
    app.visible(id)
        .await?
        .send_keys(keys)
        .await
        .map_err(E2eError::webdriver(format!("pressing keys in {id}")))
}

#[tokio::test]
async fn ctrl_n_opens_a_new_campaign_esc_goes_back_and_ctrl_f_searches() -> E2eResult<()> {
    let Some(h) = Harness::start("15-shortcuts").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Atalhos").await?;
    // Esc on the documentation: back to the list.
    press(&app, "recipient-input", &Key::Escape.to_string()).await?;
    app.visible("campaign-list").await?;

    press(&app, "campaign-search", &(Key::Control + "n")).await?;
    app.visible("campaign-name").await?;
    app.shot("ctrl-n").await?;
    press(&app, "campaign-name", &Key::Escape.to_string()).await?;
    app.visible("campaign-list").await?;

    // On the documentation screen, Esc closes the open dialog and stays.
    app.click("row-docs").await?;
    app.visible("campaign-toggle-status").await?;
    app.click("campaign-toggle-status").await?;
    app.visible("confirm").await?;
    press(&app, "confirm", &Key::Escape.to_string()).await?;
    app.gone("confirm").await?;
    app.visible("copy-send-curl").await?;
    // Then Ctrl+F: the campaign list with the search field focused.
    press(&app, "recipient-input", &(Key::Control + "f")).await?;
    app.wait("the search field to have the focus", UI_TIMEOUT, || async {
        let focused = app
            .script("return document.activeElement && document.activeElement.id")
            .await?;
        Ok((focused.as_str() == Some("campaign-search")).then_some(()))
    })
    .await?;
    app.shot("ctrl-f").await?;
    h.quit(app).await
}
