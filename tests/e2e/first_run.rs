//! Issue 15, a smoother first run: the sign-in form reads the server address the way people
//! type it and says on the field what is wrong; the theme chosen in Settings applies at once
//! and is remembered across launches.

use engage_e2e::flows::{first_after_restore, start_sandbox};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eResult, ExternalServer, Harness};

/// The problem the address field shows (its `data-problem`), once it shows one.
async fn address_problem(app: &engage_e2e::App<'_>) -> E2eResult<String> {
    app.wait(
        "the address field to name its problem",
        UI_TIMEOUT,
        || async {
            let Some(error) = app.displayed("signin-url-error").await? else {
                return Ok(None);
            };
            Ok(error.attr("data-problem").await.ok().flatten())
        },
    )
    .await
}

#[tokio::test]
async fn the_sign_in_form_trims_the_address_and_says_on_the_field_what_is_wrong() -> E2eResult<()> {
    let Some(h) = Harness::start("15-sign-in-address").await? else {
        return Ok(());
    };
    let server = ExternalServer::start(&h.tools, &h.test).await?;
    let app = h.launch().await?;
    app.visible("signin-submit").await?;
    app.fill("signin-email", &server.email).await?;
    app.fill("signin-password", &server.password).await?;

    // Plain http to a public name: refused on the field, before anything is sent.
    app.fill("signin-url", "http://engage.example.com").await?;
    app.click("signin-submit").await?;
    assert_eq!(address_problem(&app).await?, "http_public");
    assert_eq!(
        app.displayed("signin-error").await?.map(|_| ()),
        None,
        "the form-wide alert stays away: the field says it"
    );
    let field_text = app.text("signin-url-error").await?;
    assert!(!field_text.trim().is_empty());
    app.shot("address-http-public").await?;

    app.fill("signin-url", "engage.example.com/?from=mail")
        .await?;
    app.click("signin-submit").await?;
    assert_eq!(address_problem(&app).await?, "query");

    // The local server over http, typed with spaces and a trailing slash: a note, then in.
    app.fill("signin-url", &format!("  {}/ ", server.base_url))
        .await?;
    app.visible("signin-url-note").await?;
    app.shot("address-local-note").await?;
    app.click("signin-submit").await?;
    app.visible("new-campaign").await?;
    assert_eq!(app.text("server-address").await?.trim(), server.base_url);
    // Signed out again: the keyring (shared by the suite's run) keeps no entry of this test.
    app.click("nav-settings").await?;
    app.click("sign-out").await?;
    app.visible("signin-submit").await?;
    h.quit(app).await
}

/// The theme on the root of the page and the page's background colour.
async fn theme_shown(app: &engage_e2e::App<'_>) -> E2eResult<(String, String)> {
    let value = app
        .script(
            "return [document.documentElement.dataset.theme || 'system', getComputedStyle(document.body).backgroundColor];",
        )
        .await?;
    let part = |i: usize| value[i].as_str().unwrap_or_default().to_string();
    Ok((part(0), part(1)))
}

#[tokio::test]
async fn the_theme_chosen_in_settings_applies_at_once_and_is_remembered() -> E2eResult<()> {
    let Some(h) = Harness::start("15-theme").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    app.click("nav-settings").await?;
    app.visible("shortcut-list").await?;
    app.click("settings-theme-dark").await?;
    let (theme, dark_background) = theme_shown(&app).await?;
    assert_eq!(theme, "dark");
    app.shot("theme-dark").await?;
    app.click("settings-theme-light").await?;
    let (theme, light_background) = theme_shown(&app).await?;
    assert_eq!(theme, "light");
    assert_ne!(
        dark_background, light_background,
        "the page looks the same in both themes"
    );
    app.click("settings-theme-dark").await?;
    app.shot("theme-dark-again").await?;

    // Remembered: the next launch starts dark.
    h.quit(app).await?;
    let app = h.launch().await?;
    first_after_restore(&app, &["new-campaign", "sandbox-start"]).await?;
    let (theme, background) = theme_shown(&app).await?;
    assert_eq!(theme, "dark");
    assert_eq!(background, dark_background);
    h.quit(app).await
}
