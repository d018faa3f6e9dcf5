//! Scenario 8: switching the language in settings changes the visible texts
//! (Portuguese, Spanish, English). The completeness of the catalogues is a UI unit test.

use engage_e2e::flows::start_sandbox;
use engage_e2e::poll::UI_TIMEOUT;
use engage_e2e::{E2eResult, Harness};

/// The language code of the settings select, and a word its "Campaigns" menu item must show.
const LANGUAGES: [(&str, &str); 3] = [
    ("pt-BR", "campanhas"),
    ("es", "campañas"),
    ("en", "campaigns"),
];

#[tokio::test]
async fn switching_the_language_in_settings_changes_the_visible_texts() -> E2eResult<()> {
    let Some(h) = Harness::start("8-languages").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    app.click("nav-settings").await?;

    let mut seen: Vec<(String, String)> = Vec::new();
    for (language, word) in LANGUAGES {
        app.choose_value("settings-language", language).await?;
        let menu = app
            .wait(
                &format!("the menu to read {word:?} after choosing {language}"),
                UI_TIMEOUT,
                || async {
                    let text = app.text("nav-campaigns").await?;
                    Ok(text.to_lowercase().contains(word).then_some(text))
                },
            )
            .await?;
        let page = app.script("return document.body.innerText").await?;
        let page = page.as_str().unwrap_or_default().to_string();
        app.shot(&format!("settings-{language}")).await?;
        assert!(
            seen.iter().all(|(_, other)| *other != page),
            "the screen reads the same in {language} as before"
        );
        seen.push((menu, page));
    }
    h.quit(app).await
}
