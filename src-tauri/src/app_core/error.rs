//! The one error type of the app core. It crosses IPC as [`IpcError`] `{code, message, field?}`:
//! the UI branches on `code` (stable snake_case) and shows its own catalogue's words.

use engage_core::wire::ApiError;
use serde::Serialize;

use crate::models::IpcError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No answer from the server: connection refused, DNS failure, timeout.
    #[error("The Engage server at {url} cannot be reached ({reason}). Check the address and your network, then try again.")]
    ServerUnreachable { url: String, reason: String },

    /// The address answered, but not the way an Engage server does.
    #[error("The server at {url} answered with HTTP {status} in a way Engage does not understand. Check that the address is an Engage server.")]
    UnexpectedResponse { url: String, status: u16 },

    /// The access token was refused and refreshing it failed too.
    #[error("Your session has expired. Sign in again.")]
    SessionExpired,

    /// The OS keyring cannot keep the session (see [`crate::app_core::keyring_store`]).
    #[error("{0}")]
    KeyringUnavailable(String),

    /// A command argument failed validation.
    #[error("{message}")]
    InvalidInput { field: String, message: String },

    /// The email or password was not accepted.
    #[error("The email or password is not correct.")]
    InvalidCredentials,

    /// A command that needs a session was called without one.
    #[error("You are not signed in.")]
    NotSignedIn,

    /// The embedded sandbox server could not start.
    #[error("The sandbox could not start: {0}")]
    SandboxFailed(String),

    /// The settings file in the app data directory could not be written.
    #[error("The app's settings could not be saved in {path}: {reason}")]
    SettingsUnwritable { path: String, reason: String },

    /// The system clipboard refused the text.
    #[error("The text could not be copied to the clipboard: {0}")]
    ClipboardUnavailable(String),

    /// No update endpoint: neither `ENGAGE_UPDATE_URL` nor a release build's default, or an
    /// unusable `ENGAGE_UPDATE_URL` (the reason says which).
    #[error("{0}")]
    UpdatesNotConfigured(String),

    /// The update endpoint could not be asked or gave no usable answer.
    #[error("Engage could not find out whether a newer version exists: {0}")]
    UpdateCheckFailed(String),

    /// "Install and restart" without a newer version found first.
    #[error("There is no update to install. Check for updates first.")]
    NoPendingUpdate,

    /// The update package could not be downloaded.
    #[error("The update could not be downloaded: {0}")]
    UpdateDownloadFailed(String),

    /// The downloaded package does not match the signature made with the project's key.
    #[error("The downloaded update is not signed by Engage's publisher (it was damaged or changed on the way), so nothing was installed: {0}")]
    UpdateSignatureInvalid(String),

    /// The verified package could not be installed.
    #[error("The update could not be installed: {0}")]
    UpdateInstallFailed(String),

    /// The log folder could not be created or opened in the file manager.
    #[error("The log folder could not be opened: {0}")]
    LogFolderUnavailable(String),
    /// A file chosen in the save dialog could not be written.
    #[error("The file {path} could not be written: {reason}")]
    FileUnwritable { path: String, reason: String },

    /// The system's save dialog could not be shown.
    #[error("The save dialog could not be opened: {0}")]
    DialogUnavailable(String),
    /// The connection broke while a message export was downloading (the partial file is
    /// removed; issue 12).
    #[error("The export stopped before the end ({0}); nothing was saved. Try again.")]
    ExportInterrupted(String),
    /// The file picked for an import could not be read, or is too large (issue 12).
    #[error("The file could not be read: {0}")]
    ImportFailed(String),

    /// A refusal from the server's API, passed through with its code, message and field.
    #[error("{}", .error.message)]
    Api { status: u16, error: ApiError },
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::InvalidInput {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The stable code the UI branches on.
    pub fn code(&self) -> &str {
        match self {
            AppError::ServerUnreachable { .. } => "server_unreachable",
            AppError::UnexpectedResponse { .. } => "unexpected_response",
            AppError::SessionExpired => "session_expired",
            AppError::KeyringUnavailable(_) => "keyring_unavailable",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::NotSignedIn => "not_signed_in",
            AppError::SandboxFailed(_) => "sandbox_failed",
            AppError::SettingsUnwritable { .. } => "settings_unwritable",
            AppError::ClipboardUnavailable(_) => "clipboard_unavailable",
            AppError::UpdatesNotConfigured(_) => "updates_not_configured",
            AppError::UpdateCheckFailed(_) => "update_check_failed",
            AppError::NoPendingUpdate => "update_not_found",
            AppError::UpdateDownloadFailed(_) => "update_download_failed",
            AppError::UpdateSignatureInvalid(_) => "update_signature_invalid",
            AppError::UpdateInstallFailed(_) => "update_install_failed",
            AppError::LogFolderUnavailable(_) => "log_folder_unavailable",
            AppError::FileUnwritable { .. } => "file_unwritable",
            AppError::DialogUnavailable(_) => "dialog_unavailable",
            AppError::ExportInterrupted(_) => "export_interrupted",
            AppError::ImportFailed(_) => "import_failed",
            AppError::Api { error, .. } => &error.code,
        }
    }

    /// The input the error concerns, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::InvalidInput { field, .. } => Some(field),
            AppError::Api { error, .. } => error.field.as_deref(),
            _ => None,
        }
    }

    /// HTTP status of a server refusal (`None` for app-level errors).
    pub fn http_status(&self) -> Option<u16> {
        match self {
            AppError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl From<&AppError> for IpcError {
    fn from(error: &AppError) -> IpcError {
        IpcError {
            code: error.code().to_owned(),
            message: error.to_string(),
            field: error.field().map(str::to_owned),
        }
    }
}

impl From<AppError> for IpcError {
    fn from(error: AppError) -> IpcError {
        IpcError::from(&error)
    }
}

/// Commands return `Result<T, AppError>`; Tauri serialises the error as `IpcError`.
impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        IpcError::from(self).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn json_of(error: AppError) -> serde_json::Value {
        serde_json::to_value(&error).expect("AppError serialises")
    }

    #[test]
    fn server_refusal_passes_through_with_code_message_and_field() {
        let error = AppError::Api {
            status: 409,
            error: ApiError {
                code: "campaign_name_taken".into(),
                message: "A campaign named \"Promo\" already exists.".into(),
                field: Some("name".into()),
                retry_at: None,
            },
        };
        assert_eq!(
            json_of(error),
            json!({"code": "campaign_name_taken", "message": "A campaign named \"Promo\" already exists.", "field": "name"})
        );
    }

    #[test]
    fn invalid_input_names_its_field() {
        let value = json_of(AppError::invalid(
            "server_url",
            "The server address must start with http:// or https://.",
        ));
        assert_eq!(value["code"], "invalid_input");
        assert_eq!(value["field"], "server_url");
        assert_eq!(
            value["message"],
            "The server address must start with http:// or https://."
        );
    }

    #[test]
    fn app_level_errors_have_no_field_key_at_all() {
        let value = json_of(AppError::SessionExpired);
        assert_eq!(
            value,
            json!({"code": "session_expired", "message": "Your session has expired. Sign in again."})
        );
    }

    #[test]
    fn every_app_level_code_is_stable_snake_case() {
        let cases = [
            (
                AppError::ServerUnreachable {
                    url: "http://x".into(),
                    reason: "refused".into(),
                },
                "server_unreachable",
            ),
            (
                AppError::UnexpectedResponse {
                    url: "http://x".into(),
                    status: 500,
                },
                "unexpected_response",
            ),
            (AppError::SessionExpired, "session_expired"),
            (
                AppError::KeyringUnavailable("no Secret Service".into()),
                "keyring_unavailable",
            ),
            (AppError::invalid("email", "bad"), "invalid_input"),
            (AppError::InvalidCredentials, "invalid_credentials"),
            (AppError::NotSignedIn, "not_signed_in"),
            (AppError::SandboxFailed("port".into()), "sandbox_failed"),
            (
                AppError::SettingsUnwritable {
                    path: "/x".into(),
                    reason: "denied".into(),
                },
                "settings_unwritable",
            ),
            (
                AppError::ClipboardUnavailable("no display".into()),
                "clipboard_unavailable",
            ),
            (
                AppError::UpdatesNotConfigured("no endpoint".into()),
                "updates_not_configured",
            ),
            (
                AppError::UpdateCheckFailed("timeout".into()),
                "update_check_failed",
            ),
            (AppError::NoPendingUpdate, "update_not_found"),
            (
                AppError::UpdateDownloadFailed("404".into()),
                "update_download_failed",
            ),
            (
                AppError::UpdateSignatureInvalid("bad signature".into()),
                "update_signature_invalid",
            ),
            (
                AppError::UpdateInstallFailed("read-only".into()),
                "update_install_failed",
            ),
            (
                AppError::LogFolderUnavailable("no file manager".into()),
                "log_folder_unavailable",
            ),
            (AppError::ImportFailed("too large".into()), "import_failed"),
            (
                AppError::ExportInterrupted("connection reset".into()),
                "export_interrupted",
            ),
        ];
        for (error, code) in cases {
            let value = json_of(error);
            assert_eq!(value["code"], code);
            assert!(
                !value["message"].as_str().unwrap().is_empty(),
                "{code} has a message"
            );
        }
    }

    #[test]
    fn ipc_error_round_trips_through_json() {
        let ipc: IpcError = serde_json::from_value(
            json!({"code": "not_signed_in", "message": "You are not signed in."}),
        )
        .unwrap();
        assert_eq!(ipc, IpcError::from(AppError::NotSignedIn));
    }
}
