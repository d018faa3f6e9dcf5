//! A separately started `engage-server serve`, seeded with `engage-server demo`, for the
//! sign-in scenario (the app talks to it over loopback like to any remote server).

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::error::{E2eError, E2eResult};
use crate::poll::poll;
use crate::process::{free_port, log_file, log_tail, stop_child, wait_for_port};
use crate::tools::Tools;

pub struct ExternalServer {
    child: Child,
    pub base_url: String,
    pub email: String,
    pub password: String,
    _dir: TempDir,
}

impl ExternalServer {
    pub async fn start(tools: &Tools, test: &str) -> E2eResult<Self> {
        let dir = tempfile::Builder::new()
            .prefix("engage-e2e-server-")
            .tempdir()
            .map_err(E2eError::io("creating the server's data directory"))?;
        let database_url = format!("sqlite://{}", dir.path().join("engage.db").display());

        let demo = Command::new(&tools.server)
            .args(["demo", "--database-url", &database_url])
            .env_remove("ENGAGE_SECRET_KEY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .map_err(E2eError::io("running engage-server demo"))?;
        let stdout = String::from_utf8_lossy(&demo.stdout).into_owned();
        if !demo.status.success() {
            return Err(E2eError::CommandFailed {
                command: format!("engage-server demo --database-url {database_url}"),
                status: demo.status.to_string(),
                stderr: String::from_utf8_lossy(&demo.stderr).into_owned(),
            });
        }
        let credentials: Value =
            serde_json::from_str(stdout.trim()).map_err(|source| E2eError::Json {
                what: "the output of engage-server demo".into(),
                text: stdout.clone(),
                source,
            })?;
        let field = |pointer: &str| {
            credentials
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| E2eError::BadOutput {
                    what: format!("engage-server demo printed no {pointer}"),
                    got: stdout.clone(),
                })
        };
        let email = field("/user/email")?;
        let password = field("/user/password")?;

        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let (log, out, err) = log_file(&tools.log_dir(), &format!("{test}-server.log"))?;
        let mut child = Command::new(&tools.server)
            .args(["serve", "--database-url", &database_url])
            .args(["--listen", &addr.to_string()])
            .env_remove("ENGAGE_SECRET_KEY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(E2eError::io("starting engage-server serve"))?;
        wait_for_port(
            &mut child,
            addr,
            "engage-server serve",
            &log,
            Duration::from_secs(30),
        )
        .await?;
        let announced = format!("listening on http://{addr}");
        let ready = poll(
            &format!("engage-server to log {announced:?}"),
            Duration::from_secs(10),
            || ready_line(&log, &announced),
        )
        .await;
        if let Err(error) = ready {
            stop_child(&mut child);
            return Err(E2eError::BadOutput {
                what: error.to_string(),
                got: log_tail(&log),
            });
        }
        Ok(ExternalServer {
            child,
            base_url: format!("http://{addr}"),
            email,
            password,
            _dir: dir,
        })
    }
}

async fn ready_line(log: &Path, announced: &str) -> E2eResult<Option<()>> {
    let text = fs::read_to_string(log).unwrap_or_default();
    Ok(text.contains(announced).then_some(()))
}

impl Drop for ExternalServer {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}
