//! Scenario 13 (issue 13): a team in one workspace. The sandbox admin invites an editor and a
//! viewer; each signs in with their code in an app of their own (a fresh data directory)
//! against the admin's sandbox server; the viewer cannot copy the credentials, the editor
//! copies them and deactivates the campaign; the admin sees it all in the audit log.

use std::time::Duration;

use engage_e2e::app::testid;
use engage_e2e::flows::{campaign_row, create_campaign, inside, start_sandbox};
use engage_e2e::{App, E2eError, E2eResult, Harness};

const CAMPAIGN: &str = "Aviso de saldo baixo";
const EDITOR: &str = "editora@example.com";
const VIEWER: &str = "leitor@example.com";
const PASSWORD: &str = "violet-Harbor-42-quietly";

/// Invites `email` as `role` from the Team screen → the one-time code shown.
async fn invite(app: &App<'_>, email: &str, role: &str) -> E2eResult<String> {
    app.click("nav-team").await?;
    app.fill("invite-email", email).await?;
    app.choose_value("invite-role", role).await?;
    app.click("invite-submit").await?;
    app.visible("invitation-created").await?;
    let code = app.non_empty_text("invitation-code").await?;
    let message = app
        .script("return document.querySelector('[data-testid=\"invitation-message\"]').value")
        .await?;
    let message = message.as_str().unwrap_or_default();
    assert!(
        message.contains(code.trim()) && message.contains("http://127.0.0.1"),
        "the ready-to-send message carries the code and the server: {message}"
    );
    app.shot(&format!("invited-{role}")).await?;
    Ok(code.trim().to_owned())
}

/// "I have an invitation" on the first screen of a fresh app.
async fn accept(app: &App<'_>, server_url: &str, code: &str, role: &str) -> E2eResult<()> {
    app.click("invitation-toggle").await?;
    app.fill("signin-url", server_url).await?;
    app.fill("invitation-code-input", code).await?;
    app.fill("invitation-password", PASSWORD).await?;
    app.shot("invitation-form").await?;
    app.click("signin-submit").await?;
    app.visible("nav-campaigns").await?;
    let shown = app
        .visible("session-role")
        .await?
        .attr("data-role")
        .await
        .map_err(E2eError::webdriver("reading the role shown"))?;
    assert_eq!(shown.as_deref(), Some(role), "signed in as {role}");
    app.shot("signed-in-with-invitation").await
}

/// From the campaign list to the campaign's documentation.
async fn open_docs(app: &App<'_>) -> E2eResult<()> {
    app.click("nav-campaigns").await?;
    let row = campaign_row(app, CAMPAIGN).await?;
    let docs = inside(&row, "row-docs").await?;
    app.click_element(&docs, "the docs button of the row")
        .await?;
    app.visible("copy-send-curl").await?;
    // The curls are shown (masked) once the documentation has loaded, for every role.
    app.wait("the curls to load", Duration::from_secs(15), || async {
        let shown = app
            .script("return document.body.innerText.includes('grant_type=client_credentials')")
            .await?;
        Ok(shown.as_bool().unwrap_or(false).then_some(()))
    })
    .await?;
    app.shot("documentation").await
}

/// The `(data-action, data-actor)` of every audit entry shown.
async fn audit_entries(app: &App<'_>) -> E2eResult<Vec<(String, String)>> {
    let mut entries = Vec::new();
    for row in app.all("audit-entry").await? {
        let action = row
            .attr("data-action")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let actor = row
            .attr("data-actor")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        entries.push((action, actor));
    }
    Ok(entries)
}

#[tokio::test]
async fn an_admin_invites_an_editor_and_a_viewer_whose_actions_show_in_the_audit_log(
) -> E2eResult<()> {
    let Some(admin_h) = Harness::start("13-team-admin").await? else {
        return Ok(());
    };
    let admin = admin_h.launch().await?;
    start_sandbox(&admin).await?;
    let role = admin
        .visible("session-role")
        .await?
        .attr("data-role")
        .await
        .ok()
        .flatten();
    assert_eq!(
        role.as_deref(),
        Some("admin"),
        "the sandbox's demo user is an admin"
    );
    let server_url = admin.text("server-address").await?.trim().to_owned();
    create_campaign(&admin, CAMPAIGN).await?;
    let editor_code = invite(&admin, EDITOR, "editor").await?;
    let viewer_code = invite(&admin, VIEWER, "viewer").await?;

    // The viewer, in an app of their own.
    let viewer_h = Harness::start("13-team-viewer")
        .await?
        .expect("the suite is enabled");
    let viewer = viewer_h.launch().await?;
    accept(&viewer, &server_url, &viewer_code, "viewer").await?;
    assert!(
        viewer.displayed("nav-team").await?.is_none(),
        "viewers have no Team screen"
    );
    assert!(
        viewer.displayed("nav-audit").await?.is_none(),
        "viewers have no audit log"
    );
    open_docs(&viewer).await?;
    let copy = viewer.visible("copy-token-curl").await?;
    assert_eq!(
        copy.attr("aria-disabled").await.ok().flatten().as_deref(),
        Some("true"),
        "the copy button that would reveal the secret is disabled for viewers"
    );
    viewer
        .script(&format!(
            "document.querySelector('{}').focus()",
            testid("copy-token-curl")
        ))
        .await?;
    let why = viewer.non_empty_text("copy-token-curl-why").await?;
    viewer.shot("viewer-copy-refused-reason").await?;
    assert!(!why.trim().is_empty());
    // Clicking it copies nothing.
    let marker = viewer.clipboard_marker()?;
    viewer.click("copy-token-curl").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        viewer.displayed("copied-toast").await?.is_none(),
        "no copy happened"
    );
    assert_eq!(
        viewer.clipboard_text()?.as_deref(),
        Some(marker.as_str()),
        "the clipboard is untouched"
    );
    viewer_h.quit(viewer).await?;

    // The editor copies the credentials and deactivates the campaign.
    let editor_h = Harness::start("13-team-editor")
        .await?
        .expect("the suite is enabled");
    let editor = editor_h.launch().await?;
    accept(&editor, &server_url, &editor_code, "editor").await?;
    open_docs(&editor).await?;
    let curl = editor.copy_with("copy-token-curl").await?;
    assert!(
        curl.contains("client_credentials"),
        "the token curl was copied: {curl}"
    );
    editor.click("campaign-toggle-status").await?;
    editor.click("confirm").await?;
    editor.visible("inactive-notice").await?;
    editor.shot("editor-deactivated").await?;
    editor_h.quit(editor).await?;

    // The admin sees who did what.
    admin.click("nav-audit").await?;
    admin.click("audit-apply").await?;
    let entries = admin
        .wait(
            "the audit log to show the editor's deactivation",
            Duration::from_secs(15),
            || async {
                let entries = audit_entries(&admin).await?;
                let done = entries
                    .iter()
                    .any(|(a, who)| a == "campaign_deactivated" && who == EDITOR);
                Ok(done.then_some(entries))
            },
        )
        .await?;
    admin.shot("audit-log").await?;
    assert!(
        entries
            .iter()
            .any(|(a, who)| a == "credentials_copied" && who == EDITOR),
        "{entries:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|(a, who)| a == "credentials_copied" && who == VIEWER),
        "{entries:?}"
    );
    for who in [EDITOR, VIEWER] {
        assert!(
            entries
                .iter()
                .any(|(a, w)| a == "invitation_accepted" && w == who),
            "{who}: {entries:?}"
        );
    }
    // Filtered to the deactivations only.
    admin
        .choose_value("audit-action", "campaign_deactivated")
        .await?;
    admin.click("audit-apply").await?;
    admin
        .wait("the filter to apply", Duration::from_secs(15), || async {
            let entries = audit_entries(&admin).await?;
            let only =
                !entries.is_empty() && entries.iter().all(|(a, _)| a == "campaign_deactivated");
            Ok(only.then_some(()))
        })
        .await?;
    admin.shot("audit-log-filtered").await?;
    admin_h.quit(admin).await
}
