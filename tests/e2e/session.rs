//! Scenario 7: signing in to a separately started engage-server; the session survives a
//! relaunch through the OS keyring (a real Secret Service) and sign-out removes it.

use std::fs;
use std::path::Path;

use engage_e2e::flows::first_after_restore;
use engage_e2e::shell::keyring_items;
use engage_e2e::{E2eResult, ExternalServer, Harness};

#[tokio::test]
async fn a_server_sign_in_survives_a_relaunch_through_the_keyring_and_sign_out_removes_it(
) -> E2eResult<()> {
    let Some(h) = Harness::start("7-keyring-session").await? else {
        return Ok(());
    };
    let server = ExternalServer::start(&h.tools, &h.test).await?;
    assert!(
        !keyring_items(&h.tools.secret_tool)?.contains(&server.email),
        "the keyring holds an Engage entry before any sign-in"
    );

    let app = h.launch().await?;
    app.visible("signin-submit").await?;
    app.fill("signin-url", &server.base_url).await?;
    app.fill("signin-email", &server.email).await?;
    app.fill("signin-password", &server.password).await?;
    app.shot("sign-in-form").await?;
    app.click("signin-submit").await?;
    app.visible("new-campaign").await?;
    assert_eq!(app.text("server-address").await?.trim(), server.base_url);
    app.shot("signed-in").await?;

    let stored = keyring_items(&h.tools.secret_tool)?;
    assert!(
        stored.contains(&server.email),
        "no keyring entry names {} after sign-in; secret-tool shows:\n{stored}",
        server.email
    );
    assert!(
        !any_file_contains(h.data_dir(), &server.password),
        "the password was written to the app's data directory"
    );

    h.quit(app).await?;
    let app = h.launch().await?;
    let first = first_after_restore(&app, &["new-campaign", "signin-submit"]).await?;
    app.shot("relaunched").await?;
    assert_eq!(
        first, "new-campaign",
        "the relaunched app asked to sign in again instead of restoring the session"
    );
    assert_eq!(app.text("server-address").await?.trim(), server.base_url);

    app.click("nav-settings").await?;
    app.shot("settings").await?;
    app.click("sign-out").await?;
    app.visible("signin-submit").await?;
    app.shot("signed-out").await?;
    let left = keyring_items(&h.tools.secret_tool)?;
    assert!(
        !left.contains(&server.email),
        "the keyring entry survived sign-out; secret-tool shows:\n{left}"
    );

    h.quit(app).await?;
    let app = h.launch().await?;
    let first = first_after_restore(&app, &["new-campaign", "signin-submit"]).await?;
    app.shot("relaunched-after-sign-out").await?;
    assert_eq!(
        first, "signin-submit",
        "signed out, yet the session came back"
    );
    h.quit(app).await
}

/// Whether any file under `dir` contains `needle`.
fn any_file_contains(dir: &Path, needle: &str) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            any_file_contains(&path, needle)
        } else {
            fs::read(&path).is_ok_and(|bytes| {
                bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
            })
        }
    })
}
