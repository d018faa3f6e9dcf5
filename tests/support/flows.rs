//! Steps several scenarios share, written as a person would do them in the window.

use std::path::Path;

use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::Value;

use crate::app::{testid, App};
use crate::error::{E2eError, E2eResult};
use crate::poll::UI_TIMEOUT;
use crate::shell::{run_copied_curl, CurlRun};

/// What the "new campaign" form showed when the campaign was created.
#[derive(Debug, Clone)]
pub struct CreatedCampaign {
    pub name: String,
    pub sender: String,
    pub template: String,
    pub preview: String,
}

/// First screen → "Try the sandbox" → the campaign list.
pub async fn start_sandbox(app: &App<'_>) -> E2eResult<()> {
    app.visible("sandbox-start").await?;
    app.shot("first-screen").await?;
    app.click("sandbox-start").await?;
    app.visible("nav-campaigns").await?;
    app.visible("new-campaign").await?;
    app.shot("campaign-list").await
}

/// The first screen shows at once and restores the last session behind a quiet progress state
/// (`restoring`); waits for that to end, then for whichever of `ids` is displayed.
pub async fn first_after_restore<'a>(app: &App<'_>, ids: &[&'a str]) -> E2eResult<&'a str> {
    app.wait(
        &format!("the restore to end and one of {ids:?} to be displayed"),
        UI_TIMEOUT,
        || async move {
            if app.displayed("restoring").await?.is_some() {
                return Ok(None);
            }
            for id in ids {
                if app.displayed(id).await?.is_some() {
                    return Ok(Some(*id));
                }
            }
            Ok(None)
        },
    )
    .await
}

/// Fills the "new recurrent campaign" form with the first sender and template offered,
/// waits for the template preview, creates the campaign and lands on its documentation.
pub async fn create_campaign(app: &App<'_>, name: &str) -> E2eResult<CreatedCampaign> {
    app.click("new-campaign").await?;
    app.fill("campaign-name", name).await?;
    let sender = app.choose_first("campaign-sender").await?;
    let template = app.choose_first("campaign-template").await?;
    let preview = app.non_empty_text("template-preview").await?;
    app.shot("new-campaign-form").await?;
    app.click("campaign-create").await?;
    app.visible("copy-send-curl").await?;
    app.shot("documentation").await?;
    Ok(CreatedCampaign {
        name: name.to_string(),
        sender,
        template,
        preview,
    })
}

/// The list row of the campaign named `name` (waits for the list to show it).
pub async fn campaign_row(app: &App<'_>, name: &str) -> E2eResult<Element> {
    app.wait(
        &format!("a campaign-row with data-name {name:?}"),
        UI_TIMEOUT,
        || async move {
            for row in app.all("campaign-row").await? {
                if row.attr("data-name").await.ok().flatten().as_deref() == Some(name) {
                    return Ok(Some(row));
                }
            }
            Ok(None)
        },
    )
    .await
}

/// The `data-name` of every campaign row shown now.
pub async fn campaign_names(app: &App<'_>) -> E2eResult<Vec<String>> {
    let mut names = Vec::new();
    for row in app.all("campaign-row").await? {
        let name = row
            .attr("data-name")
            .await
            .map_err(E2eError::webdriver("reading data-name of a campaign-row"))?;
        names.push(name.unwrap_or_default());
    }
    Ok(names)
}

/// An element with this test id inside `parent`.
pub async fn inside(parent: &Element, id: &str) -> E2eResult<Element> {
    parent
        .find(Locator::Css(&testid(id)))
        .await
        .map_err(E2eError::webdriver(format!(
            "looking for {id} inside a row"
        )))
}

/// A bearer token obtained the way the technical team does: copy the token curl from the
/// documentation screen and run it. Returns the copied text and the token.
pub async fn token_from_copied_curl(app: &App<'_>, bash: &Path) -> E2eResult<(String, String)> {
    let curl = app.copy_with("copy-token-curl").await?;
    let run = run_copied_curl(bash, &curl, &[])?;
    if run.status != 200 {
        return Err(E2eError::BadOutput {
            what: format!("the copied token curl answered HTTP {}", run.status),
            got: format!("{} {}", run.body, run.stderr),
        });
    }
    let token = run
        .json()?
        .get("access_token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| E2eError::BadOutput {
            what: "the token response has no access_token".into(),
            got: run.body.clone(),
        })?;
    Ok((curl, token))
}

/// Runs a copied send curl with `ENGAGE_TOKEN` set to `token`.
pub fn run_send_curl(bash: &Path, curl: &str, token: &str) -> E2eResult<CurlRun> {
    run_copied_curl(bash, curl, &[("ENGAGE_TOKEN", token)])
}

/// `http://host:port` of the server a copied curl calls.
pub fn server_base(curl: &str) -> E2eResult<String> {
    let start = curl.find("http://").or_else(|| curl.find("https://"));
    let url: Option<String> = start.map(|start| {
        curl[start..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\''))
            .collect()
    });
    url.as_deref()
        .and_then(|url| {
            url.find("/v1/")
                .or_else(|| url.find("/oauth/"))
                .map(|i| url[..i].to_string())
        })
        .ok_or_else(|| E2eError::BadOutput {
            what: "no server URL (http://host:port/v1/... or /oauth/...) in the copied curl".into(),
            got: curl.to_string(),
        })
}

/// `GET /v1/messages/{id}` with the client token: the message as the server recorded it.
pub async fn fetch_message(base: &str, token: &str, id: &str) -> E2eResult<Value> {
    let url = format!("{base}/v1/messages/{id}");
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .map_err(|source| E2eError::Http {
            url: url.clone(),
            source,
        })?;
    let text = response.text().await.map_err(|source| E2eError::Http {
        url: url.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| E2eError::Json {
        what: format!("GET {url}"),
        text,
        source,
    })
}

/// Text compared the way a person reads it: WhatsApp formatting marks (`*bold*`, `_italic_`,
/// `~strike~`) dropped, whitespace collapsed.
pub fn as_read(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '*' | '_' | '~' | '`'))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
