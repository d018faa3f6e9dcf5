//! Running what the app copied, as the technical team would: pasted into bash.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::error::{E2eError, E2eResult};

/// The answer to a copied curl: HTTP status and body.
#[derive(Debug, Clone)]
pub struct CurlRun {
    pub status: u16,
    pub body: String,
    /// curl's own complaints (connection refused, ...), for failure messages.
    pub stderr: String,
}

impl CurlRun {
    pub fn json(&self) -> E2eResult<Value> {
        serde_json::from_str(&self.body).map_err(|source| E2eError::Json {
            what: format!("the body of an HTTP {} answer", self.status),
            text: self.body.clone(),
            source,
        })
    }

    /// `error.code` of an `{"error": {...}}` body.
    pub fn error_code(&self) -> Option<String> {
        let body: Value = serde_json::from_str(&self.body).ok()?;
        body.pointer("/error/code")?.as_str().map(str::to_string)
    }
}

/// Runs `script` (the clipboard text, unchanged) with `bash -c`. A `curl` shell function
/// wraps the real curl to also print the HTTP status on a last line and to give up after
/// 30 s; the copied text itself is not edited. `env` is added to the environment, and
/// `ENGAGE_TOKEN` is removed unless `env` sets it.
pub fn run_copied_curl(bash: &Path, script: &str, env: &[(&str, &str)]) -> E2eResult<CurlRun> {
    let wrapped = format!(
        "curl() {{ command curl --silent --show-error --max-time 30 --write-out '\\n%{{http_code}}' \"$@\"; }}\n{script}\n"
    );
    let mut command = Command::new(bash);
    command
        .arg("-c")
        .arg(&wrapped)
        .env_remove("ENGAGE_TOKEN")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .output()
        .map_err(E2eError::io("running the copied curl with bash"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let (body, status) = stdout
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", stdout.trim_end()));
    let Ok(status) = status.trim().parse::<u16>() else {
        if !output.status.success() {
            return Err(E2eError::CommandFailed {
                command: format!("bash -c {script:?}"),
                status: output.status.to_string(),
                stderr,
            });
        }
        return Err(E2eError::BadOutput {
            what: "the copied curl did not end with an HTTP status (did it call curl?)".into(),
            got: format!("stdout {stdout:?}, stderr {stderr:?}"),
        });
    };
    Ok(CurlRun {
        status,
        body: body.to_string(),
        stderr,
    })
}

/// The Secret Service items the `keyring` crate created (attributes and labels only;
/// `secret = ...` lines are dropped so that no token is ever printed).
pub fn keyring_items(secret_tool: &Path) -> E2eResult<String> {
    let output = Command::new(secret_tool)
        .args(["search", "--all", "application", "rust-keyring"])
        .stdin(Stdio::null())
        .output()
        .map_err(E2eError::io("running secret-tool search"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(text
        .lines()
        .filter(|line| !line.trim_start().starts_with("secret ="))
        .collect::<Vec<_>>()
        .join("\n"))
}
