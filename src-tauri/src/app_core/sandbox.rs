//! The sandbox: the engage-server library running inside the app on 127.0.0.1 (port 8787 when
//! free), with its SQLite database in `<data dir>/sandbox` and the demo workspace seeded on
//! first run. The app signs the demo user in through the sandbox's own store (no password
//! check: `engage_server::sandbox::Sandbox::sign_in`), then talks to it like to any server.

use std::path::Path;

use engage_core::wire::StaffTokenResponse;

use super::AppError;

pub struct SandboxServer {
    inner: engage_server::sandbox::Sandbox,
}

impl SandboxServer {
    pub async fn start(data_dir: &Path) -> Result<SandboxServer, AppError> {
        let dir = data_dir.join("sandbox");
        std::fs::create_dir_all(&dir).map_err(|e| {
            AppError::SandboxFailed(format!("cannot create {}: {e}", dir.display()))
        })?;
        let inner = engage_server::sandbox::start_sandbox(&dir)
            .await
            .map_err(|e| AppError::SandboxFailed(e.to_string()))?;
        tracing::info!(url = %inner.server.base_url(), "sandbox server started");
        Ok(SandboxServer { inner })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.inner.server.base_url()
    }

    pub fn email(&self) -> &str {
        &self.inner.credentials.user.email
    }

    /// A session for the demo user, opened in the sandbox's own store (no password check: see
    /// `engage_server::sandbox::Sandbox::sign_in`).
    pub async fn sign_in(&self) -> Result<StaffTokenResponse, AppError> {
        self.inner
            .sign_in()
            .await
            .map_err(|e| AppError::SandboxFailed(format!("signing in to the sandbox failed: {e}")))
    }

    /// The demo API client's secret (tests compare the curls with it).
    #[cfg(test)]
    pub fn client_secret(&self) -> &str {
        &self.inner.credentials.api_client.client_secret
    }

    pub async fn stop(self) {
        self.inner.server.shutdown().await;
    }
}
