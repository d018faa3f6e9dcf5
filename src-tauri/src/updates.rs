//! Updates through tauri-plugin-updater, driven from Rust only (the webview gets none of the
//! plugin's permissions, only the app's three commands): the endpoint from [`UpdateSource`]
//! (`ENGAGE_UPDATE_URL`, else the release build's default), the project's public key from
//! `plugins.updater.pubkey` in tauri.conf.json. A newer version found by a check is kept here;
//! "Install and restart" downloads it, verifies its minisign signature against the public key
//! (a package that does not match is refused and nothing is installed), installs it and
//! restarts the app.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use tokio::sync::Mutex;
use url::Url;

use crate::app_core::config::{UpdateSource, UPDATE_URL_ENV};
use crate::app_core::{AppCore, AppError};
use crate::models::{AppInfo, IpcError, UpdateCheck, UpdateInfo};

/// How long one request to the update endpoint or for the package may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Updates {
    source: UpdateSource,
    /// The newer version found by the last check, waiting for "Install and restart".
    pending: Mutex<Option<Update>>,
}

impl Updates {
    pub fn new(source: UpdateSource) -> Updates {
        Updates {
            source,
            pending: Mutex::new(None),
        }
    }

    /// The version and the update endpoint, for Settings.
    pub fn app_info(&self, version: String) -> AppInfo {
        let (update_url, update_problem) = match self.endpoint() {
            Ok(url) => (Some(url.to_string()), None),
            Err(e) => (None, Some(IpcError::from(&e))),
        };
        AppInfo {
            version,
            update_url,
            update_problem,
        }
    }

    fn endpoint(&self) -> Result<&Url, AppError> {
        match &self.source {
            UpdateSource::Endpoint(url) => Ok(url),
            UpdateSource::Invalid(reason) => Err(AppError::UpdatesNotConfigured(reason.clone())),
            UpdateSource::NotConfigured => Err(AppError::UpdatesNotConfigured(format!(
                "This build has no update address; set {UPDATE_URL_ENV} to the latest.json of your releases."
            ))),
        }
    }

    /// "Check for updates" (`force`), or the background check at start, which asks the
    /// endpoint at most once a day and is silent when updates are not configured.
    pub async fn check_for_updates<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        core: &AppCore,
        force: bool,
    ) -> Result<UpdateCheck, AppError> {
        let skip = !force && (self.endpoint().is_err() || !core.update_check_due(unix_now()).await);
        if skip {
            return Ok(UpdateCheck {
                checked: false,
                update: None,
            });
        }
        let update = self.check(app).await?;
        Ok(UpdateCheck {
            checked: true,
            update,
        })
    }

    /// Asks the endpoint; a newer version is kept for [`Updates::download`].
    pub async fn check<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> Result<Option<UpdateInfo>, AppError> {
        let endpoint = self.endpoint()?.clone();
        let failed = |e: UpdaterError| AppError::UpdateCheckFailed(e.to_string());
        let updater = app
            .updater_builder()
            .endpoints(vec![endpoint])
            .map_err(failed)?
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(failed)?;
        let update = updater.check().await.map_err(failed)?;
        let info = update.as_ref().map(|u| UpdateInfo {
            version: u.version.clone(),
            notes: u.body.clone(),
            date: u.date.and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        });
        match &info {
            Some(info) => tracing::info!(version = %info.version, "a newer version is available"),
            None => tracing::info!("no newer version"),
        }
        *self.pending.lock().await = update;
        Ok(info)
    }

    /// Downloads the pending update and verifies its signature: the verified package, ready
    /// for [`Update::install`].
    pub async fn download(&self) -> Result<(Update, Vec<u8>), AppError> {
        let update = self
            .pending
            .lock()
            .await
            .clone()
            .ok_or(AppError::NoPendingUpdate)?;
        let bytes = update.download(|_, _| {}, || {}).await.map_err(|e| {
            let error = download_error(e);
            tracing::warn!(code = error.code(), version = %update.version, error = %error, "update refused");
            error
        })?;
        tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded and its signature verified");
        Ok((update, bytes))
    }

    /// "Install and restart": download, verify, install, restart into the new version.
    pub async fn install_and_restart<R: Runtime>(
        &self,
        app: &AppHandle<R>,
    ) -> Result<(), AppError> {
        let (update, bytes) = self.download().await?;
        tauri::async_runtime::spawn_blocking(move || update.install(&bytes))
            .await
            .map_err(|e| AppError::UpdateInstallFailed(e.to_string()))?
            .map_err(|e| AppError::UpdateInstallFailed(e.to_string()))?;
        tracing::info!("update installed; restarting");
        app.restart()
    }
}

/// A refused download: a signature that does not match is told apart from a transfer failure.
fn download_error(error: UpdaterError) -> AppError {
    match error {
        UpdaterError::Minisign(_)
        | UpdaterError::Base64(_)
        | UpdaterError::SignatureUtf8(_)
        | UpdaterError::SignedVersionMismatch { .. }
        | UpdaterError::MissingSignedVersion => AppError::UpdateSignatureInvalid(error.to_string()),
        other => AppError::UpdateDownloadFailed(other.to_string()),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
