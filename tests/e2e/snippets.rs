//! Issue 11: the documentation screen's code in the team's language. Switch the snippet
//! language to Python, copy both steps (clipboard), run them with python3 against the
//! sandbox, and find the message the server recorded.

use std::process::{Command, Stdio};

use engage_e2e::flows::{create_campaign, fetch_message, server_base, start_sandbox};
use engage_e2e::poll::{DELIVERY_TIMEOUT, UI_TIMEOUT};
use engage_e2e::{E2eError, E2eResult, Harness};
use serde_json::Value;

/// Runs copied Python code with python3 (`requests`), `ENGAGE_TOKEN` set when given; the
/// JSON it printed.
fn run_python(
    dir: &std::path::Path,
    name: &str,
    code: &str,
    token: Option<&str>,
) -> E2eResult<Value> {
    let path = dir.join(name);
    std::fs::write(&path, code).map_err(E2eError::io("writing the copied Python code"))?;
    let mut command = Command::new("python3");
    command
        .arg(&path)
        .env_remove("ENGAGE_TOKEN")
        .stdin(Stdio::null());
    if let Some(token) = token {
        command.env("ENGAGE_TOKEN", token);
    }
    let output = command.output().map_err(E2eError::io(
        "running python3 (scripts/setup.sh test installs requests)",
    ))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(E2eError::CommandFailed {
            command: format!("python3 {name}"),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    serde_json::from_str(stdout.trim()).map_err(|source| E2eError::Json {
        what: format!("the output of the copied {name}"),
        text: stdout,
        source,
    })
}

#[tokio::test]
async fn the_python_snippet_copied_from_the_documentation_screen_sends_the_message() -> E2eResult<()>
{
    let Some(h) = Harness::start("11-python-snippet").await? else {
        return Ok(());
    };
    let app = h.launch().await?;
    start_sandbox(&app).await?;
    create_campaign(&app, "Lembrete em Python").await?;

    app.choose_value("snippet-lang", "python").await?;
    let token_code = app
        .wait("the copied step 1 to be Python", UI_TIMEOUT, || async {
            let code = app.copy_with("copy-token-curl").await?;
            Ok(code.starts_with("import requests").then_some(code))
        })
        .await?;
    app.shot("python-snippet").await?;
    assert!(
        !token_code.contains('•'),
        "the clipboard holds the real secret, not the masked one: {token_code}"
    );
    let dir = tempfile::tempdir().map_err(E2eError::io("creating a temporary directory"))?;
    let answer = run_python(dir.path(), "engage_step1.py", &token_code, None)?;
    let token = answer["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!token.is_empty(), "{answer}");

    let send_code = app.copy_with("copy-send-curl").await?;
    assert!(
        send_code.contains("os.environ[\"ENGAGE_TOKEN\"]"),
        "{send_code}"
    );
    let accepted = run_python(dir.path(), "engage_step2.py", &send_code, Some(&token))?;
    assert_eq!(accepted["status"], "queued", "{accepted}");
    let id = accepted["id"].as_str().unwrap_or_default().to_owned();

    let base = server_base(&send_code)?;
    let message = app
        .wait(
            "the sent message to be delivered",
            DELIVERY_TIMEOUT,
            || async {
                let message = fetch_message(&base, &token, &id).await?;
                // The sandbox reads it a few seconds later.
                let done = message["status"] == "delivered" || message["status"] == "read";
                Ok(done.then_some(message))
            },
        )
        .await?;
    assert_eq!(message["id"], id.as_str());

    // The choice is remembered: the screen opens in Python again.
    let shown = app
        .script("return document.querySelector('[data-testid=\"snippet-lang\"]').value")
        .await?;
    assert_eq!(shown, "python");
    h.quit(app).await
}
