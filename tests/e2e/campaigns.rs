//! Scenarios 1, 4 and 5: creating a campaign in the sandbox, the duplicate-name rule, and the
//! list row's copy button.

use engage_e2e::flows::{campaign_names, campaign_row, create_campaign, inside, start_sandbox};
use engage_e2e::{E2eResult, Harness};

const NAME: &str = "Recarga pré-paga";

#[tokio::test]
async fn sandbox_starts_and_a_new_campaign_shows_its_template_preview() -> E2eResult<()> {
    let Some(h) = Harness::start("1-sandbox-create-preview").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;

    let created = create_campaign(&app, NAME).await?;
    assert!(
        !created.preview.trim().is_empty(),
        "the template preview of {:?} is empty",
        created.template
    );

    let page = app.script("return document.body.innerText").await?;
    assert!(
        page.as_str().unwrap_or_default().contains(NAME),
        "the documentation screen does not name the campaign {NAME:?}"
    );

    app.click("nav-campaigns").await?;
    campaign_row(&app, NAME).await?;
    app.shot("campaign-list-with-one").await?;
    assert_eq!(campaign_names(&app).await?, vec![NAME.to_string()]);
    h.quit(app).await
}

#[tokio::test]
async fn a_second_campaign_named_in_other_letter_case_is_refused_at_the_name_field() -> E2eResult<()>
{
    let Some(h) = Harness::start("4-duplicate-name").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    app.click("nav-campaigns").await?;
    campaign_row(&app, NAME).await?;
    let before = campaign_names(&app).await?;

    let shouted = NAME.to_uppercase();
    app.click("new-campaign").await?;
    app.fill("campaign-name", &shouted).await?;
    app.choose_first("campaign-sender").await?;
    app.choose_first("campaign-template").await?;
    let error = app.non_empty_text("campaign-name-error").await?;
    app.shot("duplicate-name-error").await?;

    // Create is either held disabled, or refused by the server at the same field.
    if app.is_enabled("campaign-create").await? {
        app.click("campaign-create").await?;
        app.non_empty_text("campaign-name-error").await?;
        app.shot("duplicate-name-refused").await?;
    }
    assert!(
        app.displayed("copy-send-curl").await?.is_none(),
        "a documentation screen opened for the duplicate {shouted:?} (error shown: {error:?})"
    );

    app.click("nav-campaigns").await?;
    campaign_row(&app, NAME).await?;
    app.shot("campaign-list-unchanged").await?;
    assert_eq!(
        campaign_names(&app).await?,
        before,
        "the campaign list changed after the refused duplicate"
    );
    h.quit(app).await
}

#[tokio::test]
async fn copying_the_send_curl_from_the_list_row_gives_the_documentation_screen_text(
) -> E2eResult<()> {
    let Some(h) = Harness::start("5-row-copy").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    let from_documentation = app.copy_with("copy-send-curl").await?;
    app.shot("documentation-copied").await?;

    app.click("nav-campaigns").await?;
    let row = campaign_row(&app, NAME).await?;
    let button = inside(&row, "row-copy-send-curl").await?;
    let from_row = app.copy_element(&button, "row-copy-send-curl").await?;
    app.shot("row-copied").await?;

    assert!(
        from_documentation.contains("curl"),
        "the copied text is not a curl: {from_documentation:?}"
    );
    assert_eq!(from_row, from_documentation);
    h.quit(app).await
}
