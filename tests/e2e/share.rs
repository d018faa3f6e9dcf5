//! Issue 15: "Share with my technical team" saves the campaign's guide (HTML and Markdown);
//! the files are opened and checked, and step 1 of the guide with the secret runs as it is.

use std::path::Path;

use engage_e2e::flows::{create_campaign, start_sandbox};
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::shell::run_copied_curl;
use engage_e2e::{E2eError, E2eResult, Harness};

const NAME: &str = "Guia da equipe";

/// Waits for the app to write `path`, and reads it.
async fn saved(app: &engage_e2e::App<'_>, path: &Path) -> E2eResult<String> {
    app.wait(
        &format!("{} to be saved", path.display()),
        UI_TIMEOUT,
        || async {
            Ok(std::fs::read_to_string(path)
                .ok()
                .filter(|text| !text.is_empty()))
        },
    )
    .await
}

/// The first fenced code block after `heading` in a Markdown text.
fn code_after(markdown: &str, heading: &str) -> E2eResult<String> {
    let missing = || E2eError::BadOutput {
        what: format!("a code block after {heading:?} in the guide"),
        got: markdown.to_string(),
    };
    let rest = &markdown[markdown.find(heading).ok_or_else(missing)?..];
    let rest = &rest[rest.find("```").ok_or_else(missing)?..];
    let body = &rest[rest.find('\n').ok_or_else(missing)? + 1..];
    Ok(body[..body.find("\n```").ok_or_else(missing)?].to_string())
}

#[tokio::test]
async fn the_guide_is_saved_as_html_and_markdown_with_the_secret_only_when_chosen() -> E2eResult<()>
{
    let Some(h) = Harness::start("15-share-guide").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, NAME).await?;
    app.visible("share-guide").await?;

    app.click("share-guide-html").await?;
    let html = saved(&app, &h.save_dir().join("engage-guide-guia-da-equipe.html")).await?;
    app.shot("guide-saved").await?;
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.contains(NAME));
    assert!(html.contains("YOUR_CLIENT_SECRET"));
    assert!(html.contains("missing_variable"));
    assert!(!html.contains("<script"), "the guide runs nothing");

    app.click("share-include-secret").await?;
    app.click("share-guide-markdown").await?;
    let markdown = saved(&app, &h.save_dir().join("engage-guide-guia-da-equipe.md")).await?;
    assert!(markdown.starts_with(&format!("# Integration guide: {NAME}")));
    assert!(!markdown.contains("YOUR_CLIENT_SECRET"));
    let step1 = code_after(&markdown, "## Step 1")?;
    let run = run_copied_curl(&h.tools.bash, &step1, &[])?;
    assert_eq!(run.status, 200, "step 1 of the guide: {run:?}");
    assert!(run.json()?["access_token"].is_string());
    h.quit(app).await
}
