//! Issue 11 (part B) in the real window: rotating the secret from the documentation screen
//! (the old copied curl refused after the grace "now"), and the Test / Live switch (a message
//! sent with the test credentials shows in the activity marked as a test).

use engage_e2e::flows::{
    create_campaign, inside, run_send_curl, start_sandbox, token_from_copied_curl,
};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::shell::run_copied_curl;
use engage_e2e::{E2eResult, Harness};

#[tokio::test]
async fn rotating_the_secret_with_grace_now_makes_the_old_copied_curl_refused() -> E2eResult<()> {
    let Some(h) = Harness::start("11b-rotate").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Segredo trocado").await?;
    let (old_curl, _) = token_from_copied_curl(&app, &h.tools.bash).await?;
    let client_id = app.non_empty_text("credentials-client-id").await?;
    assert!(old_curl.contains(&client_id), "{old_curl}");

    app.choose_value("credentials-grace-select", "now").await?;
    app.click("credentials-rotate").await?;
    app.visible("confirm").await?;
    app.shot("rotate-confirmation").await?;
    // Confirming copies the new token curl.
    let new_curl = app.copy_with("confirm").await?;
    app.gone("confirm").await?;
    app.shot("rotated").await?;
    assert_ne!(new_curl, old_curl);

    let refused = run_copied_curl(&h.tools.bash, &old_curl, &[])?;
    assert_eq!(
        refused.status, 401,
        "the old secret after grace now: {refused:?}"
    );
    let accepted = run_copied_curl(&h.tools.bash, &new_curl, &[])?;
    assert_eq!(accepted.status, 200, "{accepted:?}");
    // The screen's own copy button now gives the new secret too.
    let (_, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    assert!(!token.is_empty());
    h.quit(app).await
}

#[tokio::test]
async fn a_message_sent_with_the_test_credentials_shows_in_the_activity_marked_as_a_test(
) -> E2eResult<()> {
    let Some(h) = Harness::start("11b-test-mode").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Integração em teste").await?;

    app.click("credentials-mode-test").await?;
    app.wait(
        "the credentials panel to show the test client id",
        UI_TIMEOUT,
        || async {
            let id = app.text("credentials-client-id").await?;
            Ok(id.starts_with("engage_test_").then_some(()))
        },
    )
    .await?;
    app.shot("test-mode").await?;
    let (token_curl, token) = token_from_copied_curl(&app, &h.tools.bash).await?;
    assert!(token_curl.contains("engage_test_"), "{token_curl}");
    let send_curl = app.copy_with("copy-send-curl").await?;
    let sent = run_send_curl(&h.tools.bash, &send_curl, &token)?;
    assert_eq!(sent.status, 202, "{sent:?}");
    let id = sent.json()?["id"].as_str().unwrap_or_default().to_string();

    app.click("open-activity").await?;
    app.wait(
        "the sent message in the activity, marked as a test",
        DELIVERY_TIMEOUT,
        || async {
            for item in app.all("activity-item").await? {
                if item.attr("data-id").await.ok().flatten().as_deref() == Some(id.as_str()) {
                    return Ok(inside(&item, "activity-test").await.ok().map(|_| ()));
                }
            }
            Ok(None)
        },
    )
    .await?;
    app.shot("activity-test-message").await?;
    h.quit(app).await
}
