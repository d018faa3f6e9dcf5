//! One running app window, driven through WebDriver by its stable `data-testid`s.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::clipboard::Clipboard;
use crate::error::{E2eError, E2eResult};
use crate::poll::{poll, UI_TIMEOUT};

/// `target/e2e-screenshots/<test>-<NN>-<step>.png`, numbered in the order they were taken.
#[derive(Debug)]
pub struct Screenshots {
    dir: PathBuf,
    test: String,
    taken: AtomicU32,
}

impl Screenshots {
    /// Removes the screenshots of an earlier run of the same test.
    pub fn new(dir: PathBuf, test: &str) -> E2eResult<Self> {
        fs::create_dir_all(&dir).map_err(E2eError::io(format!("creating {}", dir.display())))?;
        let prefix = format!("{test}-");
        for entry in fs::read_dir(&dir)
            .map_err(E2eError::io(format!("listing {}", dir.display())))?
            .flatten()
        {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Screenshots {
            dir,
            test: test.to_string(),
            taken: AtomicU32::new(0),
        })
    }

    fn next_path(&self, step: &str) -> PathBuf {
        let n = self.taken.fetch_add(1, Ordering::SeqCst) + 1;
        self.dir.join(format!("{}-{n:02}-{step}.png", self.test))
    }
}

/// CSS selector of a `data-testid`.
pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

pub struct App<'h> {
    client: Client,
    shots: &'h Screenshots,
    clipboard: &'h Clipboard,
}

impl<'h> App<'h> {
    pub(crate) fn new(client: Client, shots: &'h Screenshots, clipboard: &'h Clipboard) -> Self {
        App {
            client,
            shots,
            clipboard,
        }
    }

    pub(crate) fn into_client(self) -> Client {
        self.client
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Saves a PNG of the window as it is now.
    pub async fn shot(&self, step: &str) -> E2eResult<()> {
        let png = self
            .client
            .screenshot()
            .await
            .map_err(E2eError::webdriver(format!("taking the screenshot {step}")))?;
        let path = self.shots.next_path(step);
        fs::write(&path, png).map_err(E2eError::io(format!("writing {}", path.display())))
    }

    /// Waits for `what` with `check`, saving a screenshot of the window when the wait fails.
    pub async fn wait<T, F, Fut>(&self, what: &str, timeout: Duration, check: F) -> E2eResult<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = E2eResult<Option<T>>>,
    {
        let result = poll(what, timeout, check).await;
        if result.is_err() {
            let _ = self.shot("timeout").await;
        }
        result
    }

    /// Every element with this test id currently in the page (none is fine).
    pub async fn all(&self, id: &str) -> E2eResult<Vec<Element>> {
        self.client
            .find_all(Locator::Css(&testid(id)))
            .await
            .map_err(E2eError::webdriver(format!("looking for {id}")))
    }

    /// The first displayed element with this test id, if there is one now.
    pub async fn displayed(&self, id: &str) -> E2eResult<Option<Element>> {
        for element in self.all(id).await? {
            // An element re-rendered between the two calls is simply looked up again.
            if element.is_displayed().await.unwrap_or(false) {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }

    /// Waits until an element with this test id is displayed.
    pub async fn visible(&self, id: &str) -> E2eResult<Element> {
        self.wait(&format!("{id} to be displayed"), UI_TIMEOUT, || {
            self.displayed(id)
        })
        .await
    }

    /// Waits until no element with this test id is displayed.
    pub async fn gone(&self, id: &str) -> E2eResult<()> {
        self.wait(&format!("{id} to disappear"), UI_TIMEOUT, || async move {
            Ok(self.displayed(id).await?.is_none().then_some(()))
        })
        .await
    }

    /// Waits for whichever of `ids` is displayed first and returns it.
    pub async fn first_of<'a>(&self, ids: &[&'a str]) -> E2eResult<&'a str> {
        self.wait(
            &format!("one of {ids:?} to be displayed"),
            UI_TIMEOUT,
            || async move {
                for id in ids {
                    if self.displayed(id).await?.is_some() {
                        return Ok(Some(*id));
                    }
                }
                Ok(None)
            },
        )
        .await
    }

    /// Waits until the element is displayed and enabled, then clicks it (retrying while
    /// something, such as a toast, still covers it).
    pub async fn click(&self, id: &str) -> E2eResult<()> {
        self.wait(
            &format!("{id} to be clickable"),
            UI_TIMEOUT,
            || async move {
                let Some(element) = self.displayed(id).await? else {
                    return Ok(None);
                };
                if !element.is_enabled().await.unwrap_or(false) {
                    return Ok(None);
                }
                Ok(element.click().await.ok())
            },
        )
        .await
    }

    /// Clicks an element found some other way (e.g. inside a list row).
    pub async fn click_element(&self, element: &Element, what: &str) -> E2eResult<()> {
        self.wait(
            &format!("{what} to be clickable"),
            UI_TIMEOUT,
            || async move { Ok(element.click().await.ok()) },
        )
        .await
    }

    /// Whether the displayed element with this id is enabled (waits for it to be displayed).
    pub async fn is_enabled(&self, id: &str) -> E2eResult<bool> {
        self.visible(id)
            .await?
            .is_enabled()
            .await
            .map_err(E2eError::webdriver(format!(
                "reading whether {id} is enabled"
            )))
    }

    /// Replaces the text of an input.
    pub async fn fill(&self, id: &str, text: &str) -> E2eResult<()> {
        let input = self.visible(id).await?;
        input
            .clear()
            .await
            .map_err(E2eError::webdriver(format!("clearing {id}")))?;
        input
            .send_keys(text)
            .await
            .map_err(E2eError::webdriver(format!("typing into {id}")))
    }

    /// The visible text of the displayed element with this id.
    pub async fn text(&self, id: &str) -> E2eResult<String> {
        self.visible(id)
            .await?
            .text()
            .await
            .map_err(E2eError::webdriver(format!("reading the text of {id}")))
    }

    /// Waits until the element with this id shows non-blank text, and returns it.
    pub async fn non_empty_text(&self, id: &str) -> E2eResult<String> {
        self.wait(&format!("{id} to show text"), UI_TIMEOUT, || async move {
            let Some(element) = self.displayed(id).await? else {
                return Ok(None);
            };
            let text = element.text().await.unwrap_or_default();
            Ok((!text.trim().is_empty()).then_some(text))
        })
        .await
    }

    /// Chooses the first real option of a `<select>` (or of a combobox whose options carry
    /// `data-testid="option"`), once the options have loaded. Returns the option's label.
    pub async fn choose_first(&self, id: &str) -> E2eResult<String> {
        let field = self.visible(id).await?;
        let tag = field
            .tag_name()
            .await
            .map_err(E2eError::webdriver(format!("reading the tag of {id}")))?;
        if tag.eq_ignore_ascii_case("select") {
            let (value, label) = self
                .wait(&format!("{id} to offer an option"), UI_TIMEOUT, || {
                    first_real_option(&field)
                })
                .await?;
            field
                .select_by_value(&value)
                .await
                .map_err(E2eError::webdriver(format!("choosing {label:?} in {id}")))?;
            Ok(label)
        } else {
            self.click(id).await?;
            let option = self.visible("option").await?;
            let label = option.text().await.unwrap_or_default();
            self.click_element(&option, &format!("the first option of {id}"))
                .await?;
            Ok(label)
        }
    }

    /// Chooses the option with this value in a native `<select>`.
    pub async fn choose_value(&self, id: &str, value: &str) -> E2eResult<()> {
        // A select is disabled while its last choice is being saved: a choice made then
        // would be dropped, as a person's click would.
        let select = self
            .wait(&format!("{id} to be enabled"), UI_TIMEOUT, || async {
                let element = self.visible(id).await?;
                Ok(element
                    .is_enabled()
                    .await
                    .unwrap_or(false)
                    .then_some(element))
            })
            .await?;
        select
            .select_by_value(value)
            .await
            .map_err(E2eError::webdriver(format!("choosing {value:?} in {id}")))
    }

    /// Clicks a copy button and returns what landed on the system clipboard. The clipboard
    /// is first set to a fresh marker, so an old copy of the same text cannot pass for this one.
    pub async fn copy_with(&self, id: &str) -> E2eResult<String> {
        let element = self.visible(id).await?;
        self.copy_element(&element, id).await
    }

    /// Same as [`App::copy_with`] for an element found some other way.
    pub async fn copy_element(&self, element: &Element, what: &str) -> E2eResult<String> {
        let marker = self.clipboard.set_marker()?;
        let marker = marker.as_str();
        self.click_element(element, what).await?;
        self.visible("copied-toast").await?;
        self.wait(
            &format!("the clipboard to change after clicking {what}"),
            UI_TIMEOUT,
            || async move { Ok(self.clipboard.read()?.filter(|text| text != marker)) },
        )
        .await
    }

    /// Puts a fresh marker text on the system clipboard and returns it.
    pub fn clipboard_marker(&self) -> E2eResult<String> {
        self.clipboard.set_marker()
    }

    /// What the system clipboard holds now.
    pub fn clipboard_text(&self) -> E2eResult<Option<String>> {
        self.clipboard.read()
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, js: &str) -> E2eResult<serde_json::Value> {
        self.client
            .execute(js, Vec::new())
            .await
            .map_err(E2eError::webdriver(format!("running {js:?}")))
    }
}

async fn first_real_option(select: &Element) -> E2eResult<Option<(String, String)>> {
    let options = select
        .find_all(Locator::Css("option"))
        .await
        .map_err(E2eError::webdriver("listing the options of a select"))?;
    for option in options {
        let value = option
            .attr("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let disabled = option.attr("disabled").await.ok().flatten().is_some();
        if !value.is_empty() && !disabled {
            let label = option.text().await.unwrap_or_default();
            return Ok(Some((value, label)));
        }
    }
    Ok(None)
}
